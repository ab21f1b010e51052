"""What an amendment changed, clause by clause: the keys it added, changed and removed.

Two versions of one regulation are compared unit by unit on their clause keys. A unit is changed when its
own heading or text differs (a paragraph's own text stops where its items begin, so a changed item is
reported as that item, not as its paragraph). A whole new article is one addition, not one per paragraph
and item: a unit added or removed under a parent that was itself added or removed is folded into it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from corpus.labels import clause_label
from corpus.model import Regulation, Unit, clause_text


@dataclass(frozen=True)
class Change:
    key: str
    label: str  # 第23条第1項, of the new text (of the old one for a removal)
    old: str | None  # the text before (None when added): own text when changed, whole clause when removed
    new: str | None  # the text after (None when removed): own text when changed, whole clause when added


@dataclass
class Diff:
    added: list[Change] = field(default_factory=list)
    changed: list[Change] = field(default_factory=list)
    removed: list[Change] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.added or self.changed or self.removed)

    def summary(self) -> str:
        """追加 2、変更 3、削除 1"""
        return f"追加 {len(self.added)}、変更 {len(self.changed)}、削除 {len(self.removed)}"

    def keys(self) -> dict[str, list[str]]:
        return {"added": [c.key for c in self.added], "changed": [c.key for c in self.changed],
                "removed": [c.key for c in self.removed]}


def own_text(unit: Unit) -> str:
    """A unit's heading (in brackets, as written in the text) and its own text."""
    return "\n".join(part for part in (f"（{unit.heading}）" if unit.heading else "", unit.text) if part)


def diff(old: Regulation, new: Regulation) -> Diff:
    """The clause-level difference from ``old`` to ``new`` (two versions of one regulation)."""
    old_keys = {unit.key for unit in old.units}
    new_keys = {unit.key for unit in new.units}
    result = Diff()
    for unit in new.units:
        key = unit.key
        if key not in old_keys:
            if not _under(key, new_keys - old_keys):
                result.added.append(Change(key, clause_label(new, unit), None, _whole(new, unit)))
            continue
        before = old.get(key)
        if before is not None and own_text(before) != own_text(unit):
            result.changed.append(Change(key, clause_label(new, unit), own_text(before), own_text(unit)))
    for unit in old.units:
        if unit.key not in new_keys and not _under(unit.key, old_keys - new_keys):
            result.removed.append(Change(unit.key, clause_label(old, unit), _whole(old, unit), None))
    return result


def _under(key: str, keys: set[str]) -> bool:
    """Whether a parent of ``key`` (doc:4 for doc:4:2:1) is among ``keys``."""
    parts = key.split(":")
    return any(":".join(parts[:end]) in keys for end in range(2, len(parts)))


def _whole(reg: Regulation, unit: Unit) -> str:
    """A clause with its items (an article: its heading and its paragraphs), as it reads."""
    text = clause_text(reg, unit)
    return f"（{unit.heading}）\n{text}" if unit.heading and unit.kind == "article" else text
