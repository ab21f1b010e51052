"""The clause model: a Regulation is a flat, ordered list of Units keyed by clause key.

Keys follow ARCHITECTURE.md: ``doc:article[:paragraph[:item[:subitem]]]``, ``doc:suppl-N``, ``doc:form-N``.
Each unit's ``text`` is its *own* text: a paragraph's text stops where its items begin, an item's where
its sub-items begin, and an article unit holds only its marker and heading. Together, markers, raw
headings and texts account for every non-blank character of the regulation body exactly once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from corpus.crossrefs import CrossRef

UnitKind = Literal["article", "paragraph", "item", "subitem", "suppl", "form"]


@dataclass
class Unit:
    doc: str
    kind: UnitKind
    article: str | None = None
    paragraph: int | None = None
    item: str | None = None
    subitem: str | None = None
    marker: str = ""
    heading: str | None = None
    text: str = ""
    chapter: str | None = None
    section: str | None = None
    notes: list[str] = field(default_factory=list)
    date: str | None = None
    number: int | None = None  # ordinal of a suppl block or form number
    lines: tuple[int, int] = (0, 0)  # first and last line of the source file this unit reads from
    style: Literal["jo", "youryou"] = "jo"
    # Citations inside ``text`` (前項, 第5条第2項, 番号法第19条 …), filled once the regulation is parsed.
    references: list[CrossRef] = field(default_factory=list, repr=False)

    @property
    def key(self) -> str:
        if self.kind == "suppl":
            return f"{self.doc}:suppl-{self.number}"
        if self.kind == "form":
            return f"{self.doc}:form-{self.number}"
        parts = [self.doc, self.article or ""]
        for part in (self.paragraph, self.item, self.subitem):
            if part is None:
                break
            parts.append(str(part))
        return ":".join(parts)

    @property
    def article_key(self) -> str | None:
        return f"{self.doc}:{self.article}" if self.article is not None else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "kind": self.kind,
            "article": self.article,
            "paragraph": self.paragraph,
            "item": self.item,
            "subitem": self.subitem,
            "heading": self.heading,
            "text": self.text,
            "marker": self.marker,
            "chapter": self.chapter,
            "section": self.section,
            "notes": list(self.notes),
            "date": self.date,
            "lines": list(self.lines),
            "references": [ref.to_dict() for ref in self.references],
        }


@dataclass
class Regulation:
    """One parsed regulation: document metadata plus its units in document order."""

    id: str
    title: str
    meta: dict[str, Any] = field(default_factory=dict)
    units: list[Unit] = field(default_factory=list)
    chapters: list[dict[str, Any]] = field(default_factory=list)
    toc: list[str] = field(default_factory=list)
    preamble: list[str] = field(default_factory=list)
    trailer: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    source: str = ""
    # (owner, raw piece) in source order; owner is a unit key or "preamble"/"toc"/"chapter"/"trailer".
    trace: list[tuple[str, str]] = field(default_factory=list, repr=False)

    def __post_init__(self) -> None:
        self._by_key: dict[str, Unit] = {}
        self._keys: list[str] = []

    def index(self) -> None:
        self._keys = [unit.key for unit in self.units]
        self._by_key = dict(zip(self._keys, self.units, strict=True))

    def _keyed(self) -> list[tuple[str, Unit]]:
        """(key, unit) in document order; keys are computed once per change of the unit list."""
        if len(self._keys) != len(self.units):
            self.index()
        return list(zip(self._keys, self.units, strict=True))

    def get(self, key: str) -> Unit | None:
        if len(self._keys) != len(self.units):
            self.index()
        return self._by_key.get(key)

    def articles(self) -> list[Unit]:
        return [u for u in self.units if u.kind == "article"]

    def children(self, unit: Unit) -> list[Unit]:
        """Direct children of an article/paragraph/item, in order."""
        prefix = unit.key + ":"
        depth = unit.key.count(":") + 1
        return [u for k, u in self._keyed() if k.startswith(prefix) and k.count(":") == depth]

    def descendants(self, unit: Unit) -> list[Unit]:
        prefix = unit.key + ":"
        return [u for k, u in self._keyed() if k.startswith(prefix)]

    def paragraph_count(self, article: str) -> int:
        return sum(1 for u in self.units if u.kind == "paragraph" and u.article == article)

    def to_dict(self) -> dict[str, Any]:
        return {
            "doc": {
                "id": self.id,
                "title": self.title,
                **{k: v for k, v in self.meta.items() if k not in {"id", "title"}},
                "chapters": self.chapters,
                "toc": self.toc,
                "preamble": self.preamble,
                "metadata": self.trailer,
                "warnings": self.warnings,
                "source": self.source,
            },
            "units": [unit.to_dict() for unit in self.units],
        }


def clause_text(reg: Regulation, unit: Unit) -> str:
    """The verbatim text of a clause with its items and sub-items, one per line, markers as written."""
    lines = [unit.text] if unit.text else []
    depth = unit.key.count(":")
    for part in reg.descendants(unit):
        if part.kind == "paragraph" and unit.kind == "article":
            lines.append(f"{part.marker} {part.text}".strip() if part.marker else part.text)
        elif part.kind in {"item", "subitem"}:
            indent = " " * (part.key.count(":") - depth - 1)
            lines.append(f"{indent}{part.marker} {part.text}".rstrip() if part.marker else f"{indent}{part.text}")
    return "\n".join(line for line in lines if line)
