"""Colloquial -> statutory expansion, read from a data file staff can edit (``data/expansions.tsv``)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from retrieval.tokenizer import normalize

DEFAULT_PATH = Path(__file__).parent / "data" / "expansions.tsv"


@dataclass(frozen=True)
class Expansion:
    sources: tuple[str, ...]
    targets: tuple[str, ...]


class Expander:
    """Finds the colloquial phrases in a question and returns the statutory words they stand for."""

    def __init__(self, entries: list[Expansion]) -> None:
        self.entries = entries

    @classmethod
    def load(cls, path: Path = DEFAULT_PATH) -> Expander:
        entries = []
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip() or line.startswith("#"):
                continue
            parts = line.split("\t")
            if len(parts) < 2:
                raise ValueError(f"{path}:{number}: expected 'sources<TAB>targets', got {line!r}")
            sources = tuple(normalize(s).strip() for s in parts[0].split("|") if s.strip())
            targets = tuple(t for t in parts[1].split() if t)
            entries.append(Expansion(sources, targets))
        return cls(entries)

    def terms(self, question: str) -> list[str]:
        text = normalize(question)
        found: list[str] = []
        for entry in self.entries:
            if any(source in text for source in entry.sources):
                found.extend(t for t in entry.targets if t not in found)
        return found

    def expand(self, question: str) -> str:
        """The question followed by the statutory words its colloquial phrases stand for."""
        terms = self.terms(question)
        return f"{question} {' '.join(terms)}" if terms else question
