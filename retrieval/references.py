"""Clauses a question names outright: 「第23条」「第4条の2第1項」「第二十二条第1項第2号」「様式第3号」.

A clerk who names a clause wants that clause, whatever its words have in common with the rest of the
question, so the searcher puts the named clauses first. A form reference also brings the clauses that
mention the form (様式第3号 -> the article that says when to use it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

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
