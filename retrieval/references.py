"""Clauses a question names outright: 「第23条」「第4条の2第1項」「第二十二条第1項第2号」「様式第3号」.

A clerk who names a clause wants that clause, whatever its words have in common with the rest of the
question, so the searcher puts the named clauses first. A form reference also brings the clauses that
mention the form (様式第3号 -> the article that says when to use it).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from corpus.numbers import fold, to_int
from corpus.patterns import NUM

# Not after 法/令/例/則: 「番号法第19条」「施行令第3条」「条例第5条」 name another instrument's articles.
_CLAUSE = re.compile(
    rf"(?<![法令例則])第\s*({NUM})\s*条((?:\s*の\s*{NUM})*)(?:\s*第\s*({NUM})\s*項)?(?:\s*第\s*({NUM})\s*号)?"
)
_BRANCH = re.compile(rf"の\s*({NUM})")
_FORM = re.compile(rf"様式\s*第?\s*({NUM})\s*号?")


@dataclass(frozen=True)
class Reference:
    suffix: str  # clause key without the document id: "23", "4_2:1", "22:1:2", "form-3"
    mention: str | None = None  # text whose presence in a clause also counts (form references)


def find_references(question: str) -> list[Reference]:
    text = fold(question)
    found: list[Reference] = []
    for match in _FORM.finditer(text):
        number = to_int(match.group(1))
        found.append(Reference(f"form-{number}", f"様式第{number}号"))
    for match in _CLAUSE.finditer(text):
        parts = [str(to_int(match.group(1))) + "".join(f"_{to_int(b)}" for b in _BRANCH.findall(match.group(2)))]
        parts += [str(to_int(g)) for g in match.groups()[2:] if g]
        found.append(Reference(":".join(parts)))
    return list(dict.fromkeys(found))


def naming(references: list[Reference], key: str, doc: str, body: str) -> int:
    """2 when the question names this passage's clause, 1 when it names a form the passage mentions, else 0."""
    if any(key == f"{doc}:{r.suffix}" or key.startswith(f"{doc}:{r.suffix}:") for r in references):
        return 2
    return int(any(r.mention and r.mention in fold(body) for r in references))


class NamedClauses:
    """The passages a question names, found through their keys and one folded copy of all their bodies instead
    of a look at every passage (``naming`` for each): what a question costs then hardly grows with the number
    of regulations loaded. Rows are positions in the list of passages given."""

    def __init__(self, keys: list[str], bodies: list[str]) -> None:
        self.rows: dict[str, list[int]] = {}  # a clause key and each key it lies under -> rows
        for row, key in enumerate(keys):
            parts = key.split(":")
            for end in range(2, len(parts) + 1):
                self.rows.setdefault(":".join(parts[:end]), []).append(row)
        self.bodies = bodies
        self._text: str | None = None  # every body folded, one per line: made when a form is first named
        self._starts = np.zeros(0, dtype=np.int64)

    def find(self, references: list[Reference], docs: Iterable[str], in_scope: np.ndarray) -> list[int]:
        """Rows in scope graded as ``naming`` grades them: the named clauses (2) in order, then the passages
        that mention a named form (1) in order."""
        named = {row for doc in docs for r in references for row in self.rows.get(f"{doc}:{r.suffix}", ())}
        mentioning: set[int] = set()
        for mention in {r.mention for r in references if r.mention}:
            mentioning.update(self._mentioning(mention))
        first = sorted(row for row in named if in_scope[row])
        return first + sorted(row for row in mentioning - named if in_scope[row])

    def _mentioning(self, mention: str) -> set[int]:
        if self._text is None:
            folded = [fold(body) for body in self.bodies]
            self._starts = np.cumsum([0] + [len(body) + 1 for body in folded[:-1]], dtype=np.int64)
            self._text = "\n".join(folded)
        rows, at = set(), self._text.find(mention)
        while at >= 0:
            rows.add(int(np.searchsorted(self._starts, at, side="right")) - 1)
            at = self._text.find(mention, at + 1)
        return rows
