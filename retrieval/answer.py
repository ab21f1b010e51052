"""Extractive answers: say which clauses apply, quote their decisive sentences, cite them verified.

No LLM is needed. Every citation is checked before it is returned: the key exists in the corpus, it
came from retrieval, and each quoted span is a substring of the clause's verbatim text.
"""

from __future__ import annotations

import logging
import re
from dataclasses import asdict, dataclass, field
from typing import Any

from corpus.crossrefs import CrossRef, references_in
from corpus.labels import clause_label
from corpus.loader import Corpus
from corpus.model import Regulation, Unit, clause_text
from retrieval.facts import (
    ELLIPSIS,
    abridge,
    condition,
    introduces_list,
    is_abridged_span,
    main_clause,
    sentence_scores,
    sentences,
    strip_connective,
)
from retrieval.intent import Kind, classify
from retrieval.search import Hit, SearchResult
from retrieval.tokenizer import tokenize

log = logging.getLogger(__name__)
BUDGET = 330  # characters of quoted text an answer aims at: the facts first, the rest one click away
MIN_ROOM = 90  # a clause stated after the budget is spent still gets this much
SHORT_CLAUSE = 150  # a clause this short is stated whole
LEAD_LIMIT = 90
GLOSS_LIMIT = 70
MAX_GLOSSES = 2
ITEM_LIMIT = 60
FOCUS_ITEM_LIMIT = 120  # an item the question singles out (``Layout.asked_items``) is cut no sooner (dev nuggets)
ITEM_BUDGET = 360  # characters a list's items share: a list of three is shown whole up to 120 each (dev nuggets)
MAX_ITEMS = 12
MAX_CLAUSES = 3
RELATIVE_FLOOR = 0.1  # hits scoring below this share of the best are only cited, not stated (unless they
SAME_ARTICLE_RANK = 3  # are among the first SAME_ARTICLE_RANK hits and in the best hit's article)
OTHER_CITY_FLOOR = 0.05  # another city is stated when its best clause scores at least this share of the best
# For these kinds the condition is often the answer (保存期間等を経過した場合には): the lead keeps it.
WHOLE_SENTENCE_KINDS = (Kind.WHEN, Kind.ALLOWED)
LIST_KINDS = (Kind.WHAT, Kind.PROCEDURE, Kind.GENERAL, Kind.WHO, Kind.HOW_MANY)
# Lines of a form that are not its title: the article it belongs to, a blank date, an addressee's 様.
_FORM_FURNITURE = re.compile(r"\s*(?:[（(][^）)]*[）)]|[年月日\s　]*|.*様|)\s*")
_DEFINITIONS = re.compile(r"用語の意義|用語の定義|用語は、次")  # the lead of a list of defined terms
MARKER = re.compile(r"^[(（]?[0-9０-９一二三四五六七八九十ア-ンｱ-ﾝ①-⑳]+[)）]?$|^[0-9０-９]+$")


@dataclass
class Citation:
    key: str
    doc: str
    article: str | None
    paragraph: int | None
    item: str | None
    subitem: str | None
    label: str
    heading: str | None
    text: str
    score: float
    municipality: str = ""
    # Cross-references inside the clause text, resolved: {"key": clause key or None (another instrument),
    # "label": human label, "text": the span as written in ``text``}.
    references: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Answer:
    question: str
    scope: list[str]
    answer: str
    abstained: bool
    citations: list[Citation]
    timings_ms: dict[str, float] = field(default_factory=dict)
    quotes: list[tuple[str, str]] = field(default_factory=list)  # (key, quoted span)
    id: Any = None
    composer: str = "extractive"  # "extractive" or "llm"; the JSON says which wrote the answer text
    composer_note: str | None = None  # why a generative answer fell back to the extractive one

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id} if self.id is not None else {}
        data.update(
            question=self.question, scope=self.scope, answer=self.answer, abstained=self.abstained,
            citations=[{k: v for k, v in asdict(c).items() if k != "municipality"} for c in self.citations],
            composer=self.composer,
            timings_ms=self.timings_ms,
        )
        if self.composer_note:
            data["composer_note"] = self.composer_note
        return data


class VerificationError(AssertionError):
    pass


_TEXTS: dict[int, tuple[Regulation, Unit, str]] = {}
_TEXTS_MAX = 4096


def _clause_text(reg: Regulation, unit: Unit) -> str:
    """``clause_text`` memoised per unit object (it scans the whole regulation on every call)."""
    cached = _TEXTS.get(id(unit))
    if cached is not None and cached[0] is reg and cached[1] is unit:
        return cached[2]
    if len(_TEXTS) >= _TEXTS_MAX:
        _TEXTS.clear()
    text = clause_text(reg, unit)
    _TEXTS[id(unit)] = (reg, unit, text)
    return text


def citation_for(corpus: Corpus, hit: Hit) -> Citation:
    unit = corpus.unit(hit.passage.key)
    reg = corpus.doc(unit.doc)
    return Citation(
        key=unit.key, doc=unit.doc, article=unit.article, paragraph=unit.paragraph, item=unit.item,
        subitem=unit.subitem, label=corpus.label(unit), heading=hit.passage.heading or None,
        text=_clause_text(reg, unit), score=round(hit.score, 4), municipality=hit.passage.municipality,
        references=[reference_json(ref) for ref in references_in(reg, unit)],
    )


def reference_json(ref: CrossRef) -> dict[str, Any]:
    """A cross-reference as the answer JSON shows it: the first key it resolves to (None for another
    instrument or an unresolved one), all of them, its label and the span as written in the clause."""
    return {"key": ref.keys[0] if ref.keys else None, "keys": list(ref.keys), "label": ref.label,
            "text": ref.text, "external": ref.kind == "external", "instrument": ref.instrument}


def abstention(corpus: Corpus, question: str, result: SearchResult, scope: list[str]) -> Answer:
    titles = "、".join(corpus.doc(d).title for d in scope)
    text = (
        f"ご質問の内容について、対象の規程（{titles}）には該当する定めが見当たりませんでした。"
        "個人情報保護の担当課（各課の保護管理者、または全庁の個人情報保護の窓口）にご相談ください。"
    )
    return Answer(question, scope, text, True, [], dict(result.timings_ms))


def compose(corpus: Corpus, question: str, result: SearchResult, scope: list[str], k: int,
            abstain: bool) -> Answer:
    """The extractive answer: a one-line lead from the best clause's main clause, then the facts of the
    top clauses (their sentences that carry the kind of answer asked for, and the items of a list they
    introduce), grouped by city when the scope has several, every quote verified."""
    if abstain or not result.hits:
        return abstention(corpus, question, result, scope)
    citations = [citation_for(corpus, hit) for hit in result.hits[:k]]
    retrieved = {hit.passage.key: hit for hit in result.hits}
    tokens = set(tokenize(question)) | set(tokenize(" ".join(result.expansions)))
    layout = Layout(corpus, question, tokens, multi_doc=len(scope) > 1)
    # a question that asks two things (「誰に報告？報告書の期限は？」) gets one clause more, and a lower floor
    chosen = choose(corpus, result.hits, k, layout.kind, min(asks(question), 2) - 1)
    layout.planned = {hit.passage.key for hit in chosen}
    for hit in chosen:
        key = hit.passage.key
        if not any(c.key == key for c in citations):
            citations.append(citation_for(corpus, retrieved[key]))
        layout.add(next(c for c in citations if c.key == key))
    answer = Answer(question, scope, layout.text(citations), False, citations, dict(result.timings_ms),
                    layout.quotes)
    verify(corpus, answer, set(retrieved))
    return answer


def asks(question: str) -> int:
    """How many things a question asks: its question marks and the sentences joined by 「また、」
    (「誰にいつまでに報告？報告書の期限も知りたい」 asks two)."""
    parts = [p for p in re.split(r"[?？]|(?<=[か。])\s*また、", question) if p.strip(" 。、")]
    return max(1, len(parts))


def choose(corpus: Corpus, hits: list[Hit], k: int, kind: Kind = Kind.GENERAL, extra: int = 0) -> list[Hit]:
    """The hits whose clauses the answer states, best first. Each document among the first ``k`` hits has its
    best clause stated (unless it scores below ``OTHER_CITY_FLOOR`` of the best overall) and its next ones
    while they score at least ``RELATIVE_FLOOR`` of its best or share its best clause's article; ``extra``
    (for a question that asks several things) allows that many clauses more per document and divides the floor
    by 1 + ``extra``. An item whose paragraph was also retrieved is stated through that paragraph (lead sentence
    and items), unless that is the list of definitions and the question (of ``kind``) asks no definition:
    「USBメモリを使うときの手続は？」 wants the one term USBメモリ falls under, not every term of the rules. A clause
    inside one already chosen is not stated twice. A "what" question gets the list its best clause's article
    introduces among the first ``k`` hits, in place of the last clause chosen."""
    by_key = {hit.passage.key: hit for hit in hits}
    firsts: dict[str, Hit] = {}
    for hit in hits[:k]:
        firsts.setdefault(hit.passage.doc, hit)
    per_doc = (MAX_CLAUSES if len(firsts) == 1 else max(1, MAX_CLAUSES - 1)) + extra
    chosen: list[Hit] = []
    for rank, hit in enumerate(hits[:k]):
        first = firsts[hit.passage.doc]
        if first.score < OTHER_CITY_FLOOR * hits[0].score:
            continue
        if sum(c.passage.doc == hit.passage.doc for c in chosen) == per_doc:
            continue
        near = rank < SAME_ARTICLE_RANK and hit.passage.article_key == first.passage.article_key
        if hit.score < RELATIVE_FLOOR / (1 + extra) * first.score and not near:
            continue
        key = hit.passage.key
        unit = corpus.unit(key)
        if unit.kind in ("item", "subitem"):
            parent = key.rsplit(":", 1)[0]
            whole = parent in by_key and len(corpus.doc(unit.doc).children(corpus.unit(parent))) <= MAX_ITEMS
            if whole and not (kind is not Kind.DEFINITION and _DEFINITIONS.search(corpus.unit(parent).text)):
                hit = by_key[parent]
                key = parent
        if any(key == c.passage.key or key.startswith(c.passage.key + ":") for c in chosen):
            continue
        chosen = [c for c in chosen if not c.passage.key.startswith(key + ":")]
        chosen.append(hit)
    if kind is Kind.WHAT and chosen:
        # 「どういうルールで設定する？」 wants the list its best article introduces, even from the fourth hit
        lists = [h for h in hits[:k] if h.passage.article_key == chosen[0].passage.article_key
                 and _introduces(corpus, h.passage.key)]
        if lists and not any(_introduces(corpus, c.passage.key) for c in chosen):
            same_doc = [n for n, c in enumerate(chosen) if c.passage.doc == lists[0].passage.doc]
            if len(same_doc) >= per_doc:
                chosen.pop(same_doc[-1])
            chosen.append(lists[0])
    return chosen


def _introduces(corpus: Corpus, key: str) -> bool:
    """Whether clause ``key`` introduces a list of its own items."""
    unit = corpus.unit(key)
    reg = corpus.doc(unit.doc)
    return bool(unit.text) and introduces_list(unit.text) and any(
        c.kind in ("item", "subitem") for c in reg.children(unit))


class Layout:
    """Builds the answer text clause by clause and records every quoted span."""

    def __init__(self, corpus: Corpus, question: str, tokens: set[str], multi_doc: bool) -> None:
        self.corpus, self.question, self.tokens, self.multi_doc = corpus, question, tokens, multi_doc
        self.kind = classify(question)
        self.sections: dict[str, list[str]] = {}
        self.quotes: list[tuple[str, str]] = []
        self.stated: list[str] = []
        self.used = 0
        self.headings: set[tuple[str, str | None]] = set()
        self.glossed: set[str] = set()
        self.planned: set[str] = set()  # clauses the answer states in full: a reference to one needs no gloss

    def quote(self, key: str, span: str, bare: bool = False) -> str:
        """Record ``span`` as a quote of clause ``key``; returns it as it appears in the answer."""
        self.quotes.append((key, span))
        self.used += len(span)
        return span if bare else f"「{span}」"

    def add(self, citation: Citation) -> None:
        unit = self.corpus.unit(citation.key)
        reg = self.corpus.doc(unit.doc)
        first_in_doc = citation.doc not in self.sections
        if not first_in_doc and self.used >= BUDGET:
            return
        lines = self.sections.setdefault(citation.doc, [])
        self.stated.append(citation.key)
        short = clause_label(reg, unit)
        own, children = _split_lines(citation.text, bool(unit.text))
        found = sentences(own)
        scores = sentence_scores(found, self.kind, [len(self.tokens & set(tokenize(s.text))) for s in found])
        best = max(range(len(found)), key=lambda i: (scores[i], -i)) if found else None
        # The sentences worth stating: the best one and those scoring at least half as well, in order.
        keep = [i for i in range(len(found)) if best is not None and scores[i] >= max(scores[best] / 2, 0.5)]
        keep = sorted(set(keep) | ({best} if best is not None else set()))
        if len(abridge(own, asked=self.question)) <= SHORT_CLAUSE:
            keep = list(range(len(found)))
        pieces = [abridge(found[i].text, asked=self.question) for i in keep]
        if first_in_doc and best is not None:
            whole = self.kind in WHOLE_SENTENCE_KINDS
            main = strip_connective(found[best].text) if whole else main_clause(found[best].text)
            lead = abridge(main, LEAD_LIMIT, asked=self.question)
            lines.append(f"{self.quote(citation.key, lead, bare=True)}（{short}）")
            full = abridge(main, asked=self.question)
            before = abridge(condition(found[best].text, main), asked=self.question)
            before = f"{before}{ELLIPSIS}" if len(before.strip(ELLIPSIS)) >= 8 else ""
            if lead == full:  # stated whole: the body keeps only its condition
                pieces[keep.index(best)] = before
            elif lead.endswith(ELLIPSIS) and full.startswith(lead[: -len(ELLIPSIS)]):
                # cut: the body goes on where the lead stopped instead of repeating it
                rest = full[len(lead) - len(ELLIPSIS) :]
                pieces[keep.index(best)] = (before or ELLIPSIS) + rest
        heading = ""
        if citation.heading and (citation.doc, citation.article) not in self.headings:
            heading = f"（{citation.heading}）"
            self.headings.add((citation.doc, citation.article))
        body = ""
        for n, (i, piece) in enumerate(zip(keep, pieces, strict=True)):
            gap = n and keep[n - 1] != i - 1
            body += (ELLIPSIS if gap and not body.endswith(ELLIPSIS) else "") + piece
        room = max(BUDGET - self.used, MIN_ROOM)
        if len(body) > room:
            body = abridge(body, room)
        list_intro = any(introduces_list(found[i].text) for i in keep)
        shown = self.items(children, list_intro)
        if body.strip(ELLIPSIS) or shown:
            quoted = self.quote(citation.key, body) if body.strip(ELLIPSIS) else ""
            lines.append(f"・{short}{heading}{quoted}")
        limit = max(ITEM_LIMIT, ITEM_BUDGET // len(shown)) if shown else ITEM_LIMIT  # a short list is shown whole
        asked = self.asked_items(shown, own)
        for n, (marker, item) in enumerate(shown):
            cut = max(limit, FOCUS_ITEM_LIMIT) if n in asked else limit
            lines.append(f"  {marker}{self.quote(citation.key, abridge(item, cut, asked=self.question))}")
        stated = "\n".join(lines)
        for ref in citation.references:
            target = ref["keys"][0] if len(ref["keys"]) == 1 else ""
            if target and ref["text"] in stated and target not in self.planned | self.glossed \
                    and len(self.glossed) < MAX_GLOSSES:
                gloss = self.gloss(ref["text"], target)
                if gloss:
                    self.glossed.add(target)
                    lines.append(gloss)

    def gloss(self, written: str, key: str) -> str:
        """What a reference in a stated clause means (「前項」＝第23条第3項「保護管理者は、…報告する。」)."""
        unit = self.corpus.unit(key)
        reg = self.corpus.doc(unit.doc)
        kids = reg.children(unit)
        # An article of one unnumbered paragraph keeps its sentence in that paragraph.
        own_unit = kids[0] if not unit.text and len(kids) == 1 and kids[0].kind == "paragraph" else unit
        if unit.kind == "form":  # a form is named by its title line, not by 「（第25条関係）」
            text = next((line.strip() for line in unit.text.split("\n") if not _FORM_FURNITURE.fullmatch(line)), "")
        else:
            own, _ = _split_lines(clause_text(reg, own_unit), bool(own_unit.text))
            found = sentences(own)
            text = abridge(main_clause(found[0].text), GLOSS_LIMIT, asked=self.question) if found else ""
        if not text.strip(ELLIPSIS):
            return ""  # 「第4条」は第4条 alone tells the reader nothing
        return f"  ※「{written}」は{clause_label(reg, unit)}" + self.quote(key, text)

    def items(self, children: list[tuple[str, str]], list_intro: bool) -> list[tuple[str, str]]:
        """The items to show: all (up to MAX_ITEMS) of a list the question asks for, else those sharing
        words with the question."""
        if not children:
            return []
        if list_intro and self.kind in LIST_KINDS:
            shown = children[:MAX_ITEMS]
        else:
            shared = [(len(self.tokens & set(tokenize(text))), n) for n, (_, text) in enumerate(children)]
            shown = [children[n] for s, n in sorted(shared, key=lambda x: (-x[0], x[1]))[:3] if s > 0]
            shown.sort(key=children.index)
        return [(f"{marker} " if marker else "", text) for marker, text in shown if text]

    def asked_items(self, shown: list[tuple[str, str]], lead: str) -> set[int]:
        """The items the question singles out: those holding a word of the question that the list's ``lead``
        does not and at most a third of the items do (「委託契約書 違反時 監査」: the items on 違反 and 監査; 契約 is
        the whole list's word, as 委託 is most items')."""
        own = {w for w in tokenize(self.question) if len(w) > 1} - set(tokenize(lead))  # not the expansion's
        words = [own & set(tokenize(text)) for _, text in shown]
        held = {w: sum(w in found for found in words) for w in set().union(*words)} if words else {}
        rare = {w for w, count in held.items() if count * 3 <= len(shown)}
        return {n for n, found in enumerate(words) if found & rare}

    def text(self, citations: list[Citation]) -> str:
        out: list[str] = []
        for doc, lines in self.sections.items():
            if self.multi_doc:
                reg = self.corpus.doc(doc)
                out.append(f"【{reg.meta.get('municipality') or reg.title}】")
            out.extend(lines)
        rest = [c for c in citations
                if not any(c.key == key or c.key.startswith(key + ":") for key in self.stated)]
        if rest:
            out.append("関連: " + "、".join(_short(self.corpus, c, self.multi_doc) for c in rest))
        return "\n".join(out)


def _short(corpus: Corpus, citation: Citation, multi_doc: bool) -> str:
    """第23条第1項, or 郡山市第23条第1項 when the answer spans several documents."""
    unit = corpus.unit(citation.key)
    reg = corpus.doc(unit.doc)
    city = (reg.meta.get("municipality") or reg.title) if multi_doc else ""
    return f"{city}{clause_label(reg, unit)}"


def _split_lines(text: str, has_own: bool) -> tuple[str, list[tuple[str, str]]]:
    """A clause text's own sentences and its item (or paragraph) lines as (marker, text)."""
    lines = text.split("\n")
    own = lines[0] if has_own else ""
    children = []
    for line in lines[1 if has_own else 0 :]:
        stripped = line.strip()
        marker, _, rest = stripped.partition(" ")
        if rest and MARKER.match(marker):
            children.append((marker, rest))
        else:
            children.append(("", stripped))
    return own, children


def verify(corpus: Corpus, answer: Answer, retrieved: set[str]) -> None:
    """Raise VerificationError unless every citation exists, was retrieved, and quotes it verbatim."""
    by_key = {c.key: c for c in answer.citations}
    for citation in answer.citations:
        unit = corpus.get(citation.key)
        if unit is None:
            raise VerificationError(f"cited key {citation.key} is not in the corpus")
        if citation.key not in retrieved:
            raise VerificationError(f"cited key {citation.key} did not come from retrieval")
        if citation.text != clause_text(corpus.doc(unit.doc), unit):
            raise VerificationError(f"citation text of {citation.key} is not the clause text")
    referenced = {key for c in answer.citations for r in c.references for key in r["keys"]}
    for key, span in answer.quotes:
        if key in by_key:
            text = by_key[key].text
        elif key in referenced and (unit := corpus.get(key)) is not None:  # what a cited clause refers to
            text = clause_text(corpus.doc(unit.doc), unit)
        else:
            raise VerificationError(f"quote for {key}: neither cited nor referred to by a cited clause")
        if not is_abridged_span(span, text) or span not in answer.answer:
            raise VerificationError(f"quote for {key} is not a verbatim span of its clause")
