"""Retrieval units ("passages") built from clause units, each with a breadcrumb and a content hash.

A paragraph passage carries the paragraph and its items. A long enumeration (a definitions list, a
contract-clause list) would match every query if kept whole, so its paragraph passage keeps only short
item openings and each item becomes a passage of its own, prefixed with the paragraph's lead sentence.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace

from corpus.labels import article_label, clause_label
from corpus.loader import Corpus
from corpus.model import Regulation, Unit, clause_text

LONG_LIST_ITEMS = 3
LONG_LIST_CHARS = 400
ITEM_OPENING = 30


@dataclass(frozen=True)
class Passage:
    key: str  # the clause key this passage cites
    doc: str
    article_key: str | None
    heading: str  # article heading (見出し) or the suppl/form heading
    breadcrumb: str  # title · 第N条（見出し） · 第M項
    body: str  # text matched against questions
    municipality: str

    @property
    def index_text(self) -> str:
        return f"{self.heading} {self.body}".strip()

    @property
    def hash(self) -> str:
        return hashlib.sha256(f"{self.key}\n{self.index_text}".encode()).hexdigest()[:24]


def _heading(reg: Regulation, unit: Unit) -> str:
    if unit.article is None:
        return unit.heading or ""
    article = reg.get(f"{unit.doc}:{unit.article}")
    return (article.heading if article else None) or ""


def _breadcrumb(reg: Regulation, unit: Unit) -> str:
    heading = _heading(reg, unit)
    if unit.kind in {"suppl", "form"}:
        return f"{reg.title} · {clause_label(reg, unit)}"
    parts = [reg.title, article_label(unit) + (f"（{heading}）" if heading else "")]
    rest = clause_label(reg, unit)[len(article_label(unit)) :]
    if rest:
        parts.append(rest)
    return " · ".join(parts)


def build_passages(corpus: Corpus) -> list[Passage]:
    passages: list[Passage] = []
    for reg in corpus:
        municipality = str(reg.meta.get("municipality") or reg.title)

        def make(unit: Unit, body: str, reg: Regulation = reg, municipality: str = municipality) -> Passage:
            return Passage(
                key=unit.key, doc=reg.id, article_key=unit.article_key, heading=_heading(reg, unit),
                breadcrumb=_breadcrumb(reg, unit), body=body, municipality=municipality,
            )

        for unit in reg.units:
            if unit.kind in {"suppl", "form"}:
                passages.append(make(unit, unit.text))
            if unit.kind != "paragraph":
                continue
            items = [u for u in reg.children(unit) if u.kind == "item"]
            full = clause_text(reg, unit)
            if len(items) < LONG_LIST_ITEMS or len(full) <= LONG_LIST_CHARS:
                passages.append(make(unit, full))
                continue
            openings = " ".join(f"{u.marker}{u.text[:ITEM_OPENING]}" for u in items)
            passages.append(make(unit, f"{unit.text} {openings}".strip()))
            lead = unit.text[:80]
            for item in items:
                passages.append(make(item, f"{lead} {clause_text(reg, item)}".strip()))
    return passages


def article_passages(passages: list[Passage]) -> list[Passage]:
    """One passage per article (a supplementary provision or a form stands alone): the heading and the bodies
    of the article's passages. Matched as a whole, it meets the words a question takes from different
    paragraphs of one article."""
    groups: dict[str, list[Passage]] = {}
    for passage in passages:
        groups.setdefault(passage.article_key or passage.key, []).append(passage)
    return [replace(group[0], key=key, body=" ".join(p.body for p in group)) for key, group in groups.items()]
