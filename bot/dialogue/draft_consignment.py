"""Drafting a city's consignment checklist (``consignment/<doc>.yaml``) from its regulation.

The checklist items are the clauses about 委託 (found by headings, words and retrieval): every item of a list
a 委託 clause introduces with 「次に掲げる事項」 (the contract items), and the paragraphs about selecting the
contractor, supervising and inspecting it, re-consignment (shown only when one is planned), My Number work
(only when it is consigned) and dispatched workers, each in the phase of the contract it belongs to.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bot.dialogue import statute
from bot.dialogue.statute import Clause
from corpus.model import Regulation, Unit
from retrieval.facts import introduces_list, sentences

CONSIGN = re.compile(r"委託|受託|受注者|派遣")
CONSIGN_HEADING = re.compile(r"委託|受託|派遣")
# what a clause retrieval found for a consignment question must still speak of: a contractor or a contract
CONTRACTOR_WORDS = re.compile(CONSIGN.pattern + r"|業者|事業者|外部|契約|特記事項")
FRAMING = re.compile(r"趣旨|目的|定義|用語|補則|雑則")
PURPOSE = re.compile(r"(?:必要な事項を定める|目的と)(?:もの|こと)?(?:とする)?。?$")
PERMISSIVE = re.compile(r"ことができる。?$")
CONTRACT = re.compile(r"契約|特記事項|仕様書")
RECONSIGN = re.compile(r"再委託|再々委託")
MY_NUMBER = re.compile(r"個人番号|特定個人情報")
DISPATCH = re.compile(r"派遣")
SELECTION = re.compile(r"選定")
SUPERVISION = re.compile(r"監督|検査|実地|調査|監査|報告を求め|年\s*[1１一]\s*回|定期的")
END = re.compile(r"終了|消去|廃棄|返却|返還")
INCIDENT = re.compile(r"(?:漏えい|漏洩|事故|事案)[^。]*?(?:発生し|生じた|報告を受け)")
PHASES = ("契約前", "契約書", "契約時", "契約期間中", "委託終了時")
TITLES = (
    (SELECTION, "委託先の選定"),
    (re.compile("特定個人情報保護評価"), "特定個人情報保護評価と安全管理措置の確認"),
    (re.compile("秘密保持契約"), "秘密保持契約の締結"),
    (re.compile("必要最小限"), "委託する個人情報の範囲（必要最小限）"),
    (RECONSIGN, "再委託"),
    (DISPATCH, "派遣労働者"),
    (re.compile(r"実地|検査|監査|年\s*[1１一]\s*回|定期"), "委託先の検査・確認"),
    (re.compile("監督"), "委託先の安全管理の監督"),
    (re.compile("削除|置き換え|置換"), "識別できる記載の削除・置換え"),
    (INCIDENT, "委託先での漏えい等への対応"),
    (re.compile("消去|廃棄"), "消去・廃棄の確認"), (re.compile("返却|返還"), "個人情報の返却"),
    (re.compile("特記事項|契約書"), "契約書への記載"),
    (re.compile("改善"), "改善の指示"), (re.compile("準用"), "規程の準用"),
)
CONDITIONS = {
    "both": ({"all": [{"handles_my_number": ["yes", "unknown"]}, {"reconsignment_planned": ["yes", "unknown"]}]},
             "個人番号利用事務等の再委託がないため"),
    "reconsignment": ({"reconsignment_planned": ["yes", "unknown"]}, "再委託の予定がないため"),
    "my_number": ({"handles_my_number": ["yes", "unknown"]}, "個人番号利用事務等の委託ではないため"),
    "dispatch": ({"dispatched_workers": ["yes", "unknown"]}, "派遣労働者に個人情報を扱わせないため"),
}
QUESTIONS = (
    "個人情報の取扱いを外部に委託するときに契約書に定める事項",
    "委託先の選定と監督、実地検査",
    "再委託の承認",
)
LIST_VERB = re.compile(r"次(?:に掲げる|の各号に掲げる|の)(?:事項|措置|事務)(?:について)?を、?"
                       r"([一-龥]+(?:する|める|ずる|じる|える|ける|せる|てる|れる))")
RECONSIGN_HELP = "再委託の予定がなくても、無断の再委託（子会社への再委託を含む）を防ぐため定めておく必要があります。"


@dataclass
class _Item:
    entry: dict[str, Any]
    source: str  # the clause text it rests on, without asides (for what was found)
    position: int
    contract: bool = False  # an item of a list of what the contract states


@dataclass
class _Found:
    items: list[_Item] = field(default_factory=list)

    def has(self, pattern: re.Pattern[str]) -> bool:
        return any(pattern.search(i.source) for i in self.items)


def draft(reg: Regulation, search: Callable[[str], list[str]] | None = None) -> tuple[dict | None, list[str]]:
    """The consignment file's data for this regulation (None when no clause is about 委託) and, in Japanese,
    what could not be found."""
    retrieved = {key for q in QUESTIONS for key in (search(q) if search else [])}
    wide = MY_NUMBER.search(reg.title) is not None  # a regulation wholly about My Number: no item depends on it
    everything = statute.clauses_of(reg)
    mentions = {c.unit.article for c in everything if CONSIGN.search(statute.without_parentheticals(c.text))}
    # a 委託 article: its heading says so, or its first paragraph is about 委託 (then so is the rest of it)
    articles = {c.unit.article for c in everything if c.unit.kind == "paragraph" and c.unit.paragraph == 1
                and (CONSIGN_HEADING.search(c.heading) or CONSIGN.search(statute.without_parentheticals(c.text)))}
    found = _Found()
    for position, clause in enumerate(everything):
        if FRAMING.search(clause.heading):
            continue
        text = statute.without_parentheticals(clause.text)
        if clause.unit.kind == "paragraph":
            hit = (clause.unit.article in articles or CONSIGN.search(text)
                   or (clause.key in retrieved and clause.unit.article in mentions and CONTRACTOR_WORDS.search(text)))
            if hit:
                _paragraph(clause, position, found, wide)
        elif clause.unit.kind == "item" and CONSIGN.search(text) and not _in_candidate(clause, found):
            found.items.append(_Item(_item_entry(clause.unit, clause.parents, wide), text, position))
    missing = _missing(found, wide)
    if not found.items:
        return None, missing
    ordered = sorted(found.items, key=lambda i: (PHASES.index(i.entry["phase"]), i.position))
    return {"doc": reg.id, "status": "draft", "items": [i.entry for i in ordered]}, missing


def _in_candidate(clause: Clause, found: _Found) -> bool:
    return any(i.entry["key"] == clause.key for i in found.items)


def _paragraph(clause: Clause, position: int, found: _Found, wide: bool) -> None:
    said = [s.text for s in sentences(clause.text)]
    lists = [s for s in said if introduces_list(s) and not PERMISSIVE.search(s)]
    duties = [s for s in said if not introduces_list(s) and not PERMISSIVE.search(s) and not PURPOSE.search(s)]
    text = statute.without_parentheticals(clause.text)
    if duties:
        found.items.append(_Item(_paragraph_entry(clause, duties[0], wide), text, position))
    if lists and clause.items:
        when = _condition(text, wide, items=True)
        for offset, unit in enumerate(u for u in clause.items if u.kind == "item"):
            entry = _item_entry(unit, lists[0], wide, when)
            source = statute.without_parentheticals(unit.text)
            found.items.append(_Item(entry, source, position + offset + 1, contract=entry["phase"] == "契約書"))


def _paragraph_entry(clause: Clause, sentence: str, wide: bool) -> dict[str, Any]:
    text = statute.without_parentheticals(clause.text)
    title = next((t for pattern, t in TITLES if pattern.search(text)), clause.heading or "委託に関する定め")
    subject = statute.topic(sentence)
    body = statute.tidy(sentence[subject[2] :] if subject else sentence)
    condition = statute.leading_condition(body)
    if CONSIGN.search(condition):  # 「…業務を外部に委託する場合には、」 goes without saying here
        body = body[len(condition) :]
    duty = statute.plain(body)
    duty = duty if len(duty) <= 110 else duty[:108] + "…"
    entry: dict[str, Any] = {"key": clause.key, "phase": _phase(text), "title": title,
                             "prompt": f"「{duty}」に対応しましたか？"}
    when = _condition(text, wide)
    if when:
        entry["when"], entry["reason_na"] = CONDITIONS[when]
    if when == "both":
        entry["title"] = "個人番号利用事務等の再委託"
    return entry


def _item_entry(unit: Unit, lead: str, wide: bool, when: str | None = None) -> dict[str, Any]:
    """One listed item: 「契約書に、次に掲げる事項を明記する」 + 「(2) 再委託の制限…」
    → 「契約書に「再委託の制限…」を明記しましたか？」."""
    where, verb = _lead(lead)
    what = statute.tidy(unit.text).rstrip("。")
    asked = statute.question(verb) if verb else ""
    prompt = f"{where}「{what}」を{asked}？" if asked else f"「{what}」に対応しましたか？"
    phase = "契約書" if CONTRACT.search(lead) else ("契約前" if SELECTION.search(lead) else _phase(lead))
    entry: dict[str, Any] = {"key": unit.key, "phase": phase, "title": _title(unit.text), "prompt": prompt}
    if phase == "契約書" and RECONSIGN.search(statute.without_parentheticals(unit.text)):
        entry["help"] = RECONSIGN_HELP
    if when:
        entry["when"], entry["reason_na"] = CONDITIONS[when]
    return entry


def _lead(lead: str) -> tuple[str, str]:
    """Where the listed things go and what is done with them: 「また、契約書に、次に掲げる事項を明記する」 →
    (「契約書に」, 「明記する」); 「特記事項には、次に掲げる事項を定める」 → (「特記事項に」, 「定める」)."""
    found = LIST_VERB.search(lead)
    if not found:
        return "", ""
    before = lead[: found.start()].rstrip("、")
    segment = before.rsplit("、", 1)[-1]
    segment = segment[:-1] if segment.endswith("には") else segment
    where = segment if re.search(r"[^はがを](?:に|で)$", segment) else ""
    return where, found.group(1)


def _title(text: str) -> str:
    title = statute.without_parentheticals(text).rstrip("。")
    title = re.sub(r"(?:に関する事項|に関すること|に係る事項|に関する事項等|事項|こと)$", "", title)
    return title if len(title) <= 28 else title[:27] + "…"


def _phase(text: str) -> str:
    if SELECTION.search(text) or "特定個人情報保護評価" in text or "あらかじめ" in text:
        return "契約前"
    if END.search(text):
        return "委託終了時"
    if RECONSIGN.search(text) or SUPERVISION.search(text) or DISPATCH.search(text) or INCIDENT.search(text):
        return "契約期間中"
    return "契約時"


def _condition(text: str, wide: bool, items: bool = False) -> str | None:
    """When the item applies at all: only for planned re-consignment, My Number work, dispatched workers.
    Listed contract items are never hidden for re-consignment: the contract must rule it out beforehand."""
    my_number = MY_NUMBER.search(text) and not wide
    reconsign = RECONSIGN.search(text) and not items
    if my_number and reconsign:
        return "both"
    if reconsign:
        return "reconsignment"
    if my_number:
        return "my_number"
    if DISPATCH.search(text):
        return "dispatch"
    return None


def _missing(found: _Found, wide: bool) -> list[str]:
    if not found.items:
        return ["委託に関する条項が見つかりませんでした。業務委託チェックリストの下書きは作成しません。"]
    out = []
    if not any(i.contract for i in found.items):
        out.append("委託契約に定める事項（「次に掲げる事項」の列挙）が見つかりませんでした。")
    checks = ((SELECTION, "委託先の選定"), (SUPERVISION, "委託先の監督・検査"), (RECONSIGN, "再委託"),
              (DISPATCH, "派遣労働者"), (END, "委託終了時の消去・廃棄・返却"))
    if not wide:
        checks += ((MY_NUMBER, "個人番号（特定個人情報）を扱う委託"),)
    out += [f"{name}の条項が見つかりませんでした。" for pattern, name in checks if not found.has(pattern)]
    return out
