"""Drafting a city's part of the incident flow (``incident/<doc>.yaml``) from its regulation.

The incident clauses are found by their headings and words (事案, 事故, 漏えい, 報告, 発生時 …) and by retrieval;
their sentences are then read for who reports to whom (the internal chain, starting from the staff member
who notices), what is done at once (被害の拡大防止, 復旧), the follow-up (原因の究明, 再発防止), who files the
report to the PPC, what is published, and what applies when a contractor is involved.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bot.dialogue import statute
from bot.dialogue.statute import Clause, Report
from corpus.labels import clause_label
from corpus.model import Regulation
from retrieval.facts import sentences

INCIDENT = re.compile(r"漏えい|漏洩|漏れ|流出|滅失|毀損|き損|紛失|盗難|事故|事案|事件|侵害|不正アクセス"
                      r"|障害が発生|被害")
INCIDENT_HEADING = re.compile(INCIDENT.pattern + r"|時の対応|発生時|緊急")
CONTAIN = re.compile(r"拡大(?:を)?(?:防止|阻止|防)|拡大防止|復旧")
PREVENTION = re.compile(r"再発(?:を)?防止")
FOLLOW_UP = re.compile(r"原因(?:を|の)?(?:究明|分析|調査)|" + PREVENTION.pattern)
PPC = re.compile(r"個人情報保護委員会|第68条第1項|第29条の4")
PUBLIC = re.compile(r"公表|情報提供")
CONTRACTOR = re.compile(r"委託先|受託者|委託")
MY_NUMBER = re.compile(r"個人番号|特定個人情報")
STAFF = re.compile(r"職員|担当者|利用者|従事者|取扱者")
OCCURRED = re.compile(r"(?:発生し(?:た|、)|生じた|あった|発覚した|受けた)(?:場合|とき)")
RESPONSE = re.compile(r"報告|対応")
QUESTIONS = (
    "個人情報の漏えい等が発生したときの報告",
    "事故を発見した職員は誰に報告するか",
    "漏えい等の事案の被害の拡大防止と再発防止",
)
PPC_FALLBACK = ("個人情報保護委員会への報告と本人への通知の手続を進める"
                "（この規程には担当の定めがないため、所管課と調整する）")
UNREADABLE = "（報告先を条文から読み取れませんでした。条文を確認してください）"


@dataclass
class _Found:
    chain: list[tuple[Report, str, int]] = field(default_factory=list)  # report, key, document position
    containment: list[dict[str, Any]] = field(default_factory=list)
    follow_up: list[dict[str, Any]] = field(default_factory=list)
    my_number: list[dict[str, Any]] = field(default_factory=list)
    ppc: dict[str, Any] | None = None
    ppc_rank: tuple[int, int] = (9, 9)  # ``_ppc_rank`` of the clause ``ppc`` came from
    public: list[dict[str, Any]] = field(default_factory=list)
    contractor: list[dict[str, Any]] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)


def draft(reg: Regulation, search: Callable[[str], list[str]] | None = None) -> tuple[dict | None, list[str]]:
    """The incident file's data for this regulation (None when it has no reporting duty at all) and, in
    Japanese, what could not be found."""
    retrieved = {key for q in QUESTIONS for key in (search(q) if search else [])}
    everything = statute.clauses_of(reg)
    articles = _incident_articles(reg, everything, retrieved)
    wide = MY_NUMBER.search(reg.title) is not None  # a regulation wholly about My Number
    found = _Found()
    for position, clause in enumerate(everything):
        in_article = clause.unit.article in articles
        if in_article or _about_incidents(clause):
            _read(reg, clause, position, found, wide, in_article)
    missing = _missing(reg, found)
    if not found.chain:
        return None, missing
    chain = _ordered(found.chain)
    data: dict[str, Any] = {"doc": reg.id, "status": "draft", "body_name": body_name(reg)}
    cites = {
        "discovered_at": [chain[0]["key"]],
        "containment": _keys(found.containment),
        "cause": _keys(found.follow_up),
        "prevention": _keys([s for s in found.follow_up if "再発" in s["action"]]),
        "contains_my_number": _keys(found.my_number),
        "individuals_notified": [found.ppc["key"]] if found.ppc else [],
        "publication": _keys(found.public),
        "contractor_involved": _keys(found.contractor),
    }
    data["cites"] = {step: keys for step, keys in cites.items() if keys}
    data["internal_chain"] = chain
    steps = found.containment + found.follow_up + found.my_number  # one sentence may both contain and follow up
    data["immediate_steps"] = [s for n, s in enumerate(steps) if s not in steps[:n]]
    data["ppc_report"] = found.ppc or {"role": _top(found.chain), "action": PPC_FALLBACK}
    data["no_ppc_report"] = found.public
    data["contractor"] = found.contractor
    return data, missing


def body_name(reg: Regulation) -> str:
    """The organ that reports to the PPC (個人情報保護法第68条: the 行政機関等 itself): 郡山市 → 郡山市長, a board of
    education's rules → 川野辺市教育委員会, a 一部事務組合 → its 管理者, a 広域連合 → its 広域連合長 (the body from the
    front matter, else the title)."""
    name = reg.meta.get("municipality") or ""
    if not name:
        found = re.match(r"^(.{1,8}?[市町村区])", reg.title)
        name = found.group(1) if found else ""
    if not name:
        return ""
    if "教育委員会" in reg.title + str(reg.meta.get("instrument") or ""):
        return f"{name}教育委員会"
    if name.endswith("組合"):
        return f"{name}管理者"
    return f"{name}長"


def _about_incidents(clause: Clause) -> bool:
    return bool(INCIDENT_HEADING.search(clause.heading) or INCIDENT.search(clause.text + clause.parents))


def _incident_articles(reg: Regulation, everything: list[Clause], retrieved: set[str]) -> set[str]:
    """Articles that state a reporting duty about an incident (or that retrieval found for an incident
    question and that speak of one): every sentence in them is read, 「前項の報告を受けた者は…」 included."""
    with_incident = {c.unit.article for c in everything if _about_incidents(c)}
    out = set()
    for clause in everything:
        about = _about_incidents(clause) or (clause.key in retrieved and clause.unit.article in with_incident)
        if about and any(statute.reports(s.text, list(clause.subject), clause.condition)
                         for s in sentences(clause.text)):
            out.add(clause.unit.article)
    return out


def _read(reg: Regulation, clause: Clause, position: int, found: _Found, wide: bool, in_article: bool) -> None:
    key = clause.key
    inherited = list(clause.subject) if clause.unit.kind != "paragraph" else None
    chained = False
    for sentence in (s.text for s in sentences(clause.text)):
        ppc = PPC.search(sentence)
        follow_up = PREVENTION.search(sentence) is not None
        for report in statute.reports(sentence, inherited, clause.condition):
            if ppc and any("委員会" in r for r in report.recipients):
                continue
            if follow_up and not report.written:  # 「…再発防止策を定め、…総括者に報告する」: a report on the
                continue  # follow-up, not on the incident (a 事故報告書 that lists 再発防止策 still is one)
            found.chain.append((report, key, position))
            chained = True
        if ppc and _ppc_rank(clause) < found.ppc_rank and (done := statute.duty(sentence, PPC, inherited, whole=True)) \
                and done[0]:
            action = done[1] if PPC.search(done[1]) else f"個人情報保護委員会への報告等が必要な場合は、{done[1]}"
            found.ppc = {"role": "・".join(done[0]), "action": action, "key": key}
            found.ppc_rank = _ppc_rank(clause)
        steps = ((CONTAIN, found.containment, False), (PUBLIC, found.public, True),
                 (FOLLOW_UP, found.follow_up, False), (CONTRACTOR, found.contractor, True))
        taken = False
        for pattern, bucket, with_role in steps:
            if not pattern.search(sentence) or (taken and pattern is FOLLOW_UP):
                continue
            if pattern is CONTRACTOR and not (in_article or OCCURRED.search(sentence)):
                continue  # 「業務委託する場合には…リスクを低減する」 is prevention, not a response
            done = statute.duty(sentence, pattern, inherited)
            if not done:
                continue
            taken = taken or pattern is PUBLIC
            same = next((s for s in bucket if s["key"] == key), None)
            if same is None:
                bucket.append(_entry(*done, key, with_role))
            elif sentence.startswith("ただし") and done[1] not in same["action"]:
                same["action"] += f"。ただし、{done[1]}"  # 「…速やかに講ずる。ただし、直ちに行い得る措置は…」
    if not chained and not clause.text.rstrip().endswith("。") and _about_incidents(clause):
        subject = statute.topic(clause.text)
        if subject:  # a sentence cut off before its recipient (a partial text): cite it, say what is missing
            role = statute.role_of(clause.text, subject[0], subject[1], subject[2])
            action = statute.tidy(clause.text[subject[2] :]).rstrip("、") + UNREADABLE
            found.chain.append((Report(tuple(subject[0]), role, (), action), key, position))
            found.unreadable.append(clause_label(reg, clause.unit))
    about = MY_NUMBER.search(clause.text) and INCIDENT.search(clause.text) and RESPONSE.search(clause.text)
    if about and not wide and not chained:
        text = statute.plain(statute.tidy(statute.without_parentheticals(clause.text)))
        found.my_number.append({"action": f"個人番号が関係する場合: {text}", "key": key,
                                "when": {"contains_my_number": ["yes", "unknown"]}})


def _ppc_rank(clause: Clause) -> tuple[int, int]:
    """Which clause says best who reports to the PPC, lowest first: one under a heading that names the PPC (第36条
    （個人情報保護委員会への報告…）), then a paragraph before an item (「一　法第68条第1項の規定による報告を要する
    もの」 is a case of another duty); document order breaks ties."""
    return (0 if PPC.search(clause.heading) else 1, 0 if clause.unit.kind == "paragraph" else 1)


def _entry(names: list[str], action: str, key: str, with_role: bool) -> dict[str, Any]:
    """A step as the seed files write it: a role and an action, or (immediate steps) one sentence."""
    role = "・".join(names)
    if with_role:
        return {"role": role or "自治体", "action": action, "key": key}
    return {"action": f"{role}は、{action}" if role else action, "key": key}


def _ordered(chain: list[tuple[Report, str, int]]) -> list[dict[str, Any]]:
    """The chain from whoever reports first (a post nobody reports to, the staff member who notices) upwards;
    steps on one level keep document order; reports in writing (報告書) come after the first reports."""
    unique: list[tuple[Report, str, int]] = []
    for report, key, position in chain:
        if not any(r.actors == report.actors and r.recipients == report.recipients and k == key
                   for r, k, _ in unique):
            unique.append((report, key, position))
    received = {p for r, _, _ in unique for p in r.recipients}
    level: dict[str, int] = {p: 0 for r, _, _ in unique for p in r.actors if p not in received}
    if not level:  # a cycle: start from the first actor in the text
        level = {unique[0][0].actors[0]: 0}
    frontier = list(level)
    while frontier:
        nxt = []
        for post in frontier:
            for report, _, _ in unique:
                if post in report.actors:
                    for recipient in report.recipients:
                        if recipient not in level:
                            level[recipient] = level[post] + 1
                            nxt.append(recipient)
        frontier = nxt

    def rank(item: tuple[Report, str, int]) -> tuple[bool, int, int, int]:
        report, _, position = item
        staff = 0 if any(STAFF.search(a) for a in report.actors) else 1
        return (report.written, min(level.get(a, 99) for a in report.actors), staff, position)

    return [{"role": r.role, "action": r.action, "key": k} for r, k, _ in sorted(unique, key=rank)]


def _top(chain: list[tuple[Report, str, int]]) -> str:
    """Who the chain ends with: the one to coordinate the PPC report when no clause names anyone."""
    ordered = _ordered(chain)
    last = next((r for r, k, _ in chain if k == ordered[-1]["key"] and r.recipients), None)
    return last.recipients[0] if last else "個人情報保護の所管課"


def _keys(entries: list[dict[str, Any]]) -> list[str]:
    return list(dict.fromkeys(e["key"] for e in entries))


def _missing(reg: Regulation, found: _Found) -> list[str]:
    out = []
    if not found.chain:
        return ["漏えい等の事案を誰が誰に報告するか（報告経路）の条項が見つかりませんでした。"
                "漏えい等事案のガイドの下書きは作成しません。"]
    chain = _ordered(found.chain)
    if not any(STAFF.search(step["role"]) for step in chain[:1]):
        out.append(f"事案に気付いた職員が最初に報告する先の定めが見つかりませんでした（報告経路は「{chain[0]['role']}」"
                   "から始まります）。")
    out += [f"{label}の報告先を読み取れませんでした（条文が途中で終わっています）。" for label in found.unreadable]
    if not found.containment:
        out.append("被害の拡大防止・復旧の措置の条項が見つかりませんでした。")
    if not found.follow_up:
        out.append("原因の究明・再発防止の条項が見つかりませんでした。")
    if not found.ppc:
        out.append("個人情報保護委員会への報告・本人への通知を誰が行うかの条項が見つかりませんでした。")
    return out
