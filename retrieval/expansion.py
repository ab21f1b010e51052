"""Colloquial -> statutory expansion, read from a data file staff can edit (``data/expansions.tsv``).

A Japanese source matches as a substring of the question (after NFKC and lower-casing), or of the question
with its particles and punctuation taken out, so 秘密の保持 meets the source 秘密保持. An English source
matches whole words only, with a few inflections (leak -> leaked, leaks; outsourc -> outsourcing), so
"lose" no longer fires inside "close" nor "who" inside "whole".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from retrieval.tokenizer import compact, normalize

DEFAULT_PATH = Path(__file__).parent / "data" / "expansions.tsv"
_ASCII = re.compile(r"^[a-z0-9][a-z0-9 .'-]*$")
_KANA = re.compile(r"^[ぁ-ゖ]{1,2}$")  # a short hiragana source (とは) is grammar inside a longer kana word (ことは)
SHORT_SUFFIXES = "(?:s|es|d|ed|ing)?"  # for short English sources: keep -> keeps, keeping
LONG_STEM_TAIL = "[a-z]{0,4}"  # for sources of 5+ letters, which staff write as stems (outsourc, encrypt)
# The statutory words the dictionary maps losing, theft, leaks, misdelivery and intrusion to (「USBをなくした」 →
# 紛失 漏えい 事案): a question with one of them tells of an incident (``retrieval.search``, ``bot.dialogue.suggest``).
INCIDENT_TERMS = frozenset({"事案", "不正アクセス"})


@dataclass(frozen=True)
class Expansion:
    sources: tuple[str, ...]
    targets: tuple[str, ...]


def _english_pattern(sources: list[str]) -> re.Pattern[str] | None:
    if not sources:
        return None
    parts = []
    for source in sorted(sources, key=len, reverse=True):
        tail = LONG_STEM_TAIL if len(source) >= 5 else SHORT_SUFFIXES
        parts.append(re.escape(source) + tail)
    return re.compile(r"(?<![a-z0-9])(?:" + "|".join(parts) + r")(?![a-z0-9])")


class Expander:
    """Finds the colloquial phrases in a question and returns the statutory words they stand for."""

    def __init__(self, entries: list[Expansion]) -> None:
        self.entries = entries
        self._japanese = [tuple(s for s in e.sources if not _ASCII.match(s)) for e in entries]
        self._english = [_english_pattern([s for s in e.sources if _ASCII.match(s)]) for e in entries]

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
        packed = compact(text)
        found: list[str] = []
        for entry, japanese, english in zip(self.entries, self._japanese, self._english, strict=True):
            hit = any(_occurs(source, text) or _occurs(source, packed) for source in japanese)
            if not hit and english is not None:
                hit = english.search(text) is not None
            if hit:
                found.extend(t for t in entry.targets if t not in found)
        return found

    def alternatives(self, question: str) -> dict[str, tuple[str, ...]]:
        """Each source (colloquial word) of ``question`` the dictionary knows, as matched, with its targets."""
        text = normalize(question)
        packed = compact(text)
        found: dict[str, tuple[str, ...]] = {}
        for entry, japanese, english in zip(self.entries, self._japanese, self._english, strict=True):
            matched = [source for source in japanese if _occurs(source, text) or _occurs(source, packed)]
            if english is not None:
                matched += [m.group(0) for m in english.finditer(text)]
            for source in matched:
                found[source] = found.get(source, ()) + entry.targets
        return found

    def expand(self, question: str) -> str:
        """The question followed by the statutory words its colloquial phrases stand for."""
        terms = self.terms(question)
        return f"{question} {' '.join(terms)}" if terms else question


def _occurs(source: str, text: str) -> bool:
    """Whether ``source`` occurs in ``text``; a short hiragana source only where it does not continue a
    hiragana word (「取扱区域とは」 and 「とは何か」, not 「やるべきことは」)."""
    if not _KANA.match(source):
        return source in text
    start = text.find(source)
    while start >= 0:
        if start == 0 or not ("ぁ" <= text[start - 1] <= "ゖ"):
            return True
        start = text.find(source, start + 1)
    return False
