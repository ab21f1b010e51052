"""Extractive answers: say which clauses apply, quote their decisive sentences, cite them verified.

No LLM is needed. Every citation is checked before it is returned: the key exists in the corpus, it
came from retrieval, and each quoted span is a substring of the clause's verbatim text.
"""

from __future__ import annotations

import logging
import re
from dataclasses import asdict, dataclass, field
from typing import Any

from corpus.loader import Corpus
from corpus.model import Regulation, Unit, clause_text
from retrieval.search import Hit, SearchResult
from retrieval.tokenizer import tokenize

log = logging.getLogger(__name__)
SENTENCE = re.compile(r"[^。\n]+。?")
MAX_QUOTE = 140


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
    )


def decisive_sentence(text: str, query_tokens: set[str]) -> str:
    """The sentence of a clause that shares most content words with the question (verbatim)."""
    sentences = [s.strip() for s in SENTENCE.findall(text) if s.strip()]
    if not sentences:
        return text[:MAX_QUOTE]
    best = max(sentences, key=lambda s: (len(query_tokens & set(tokenize(s))), -sentences.index(s)))
    return best if len(best) <= MAX_QUOTE else best[:MAX_QUOTE]


def compose(corpus: Corpus, question: str, result: SearchResult, scope: list[str], k: int,
            abstain: bool) -> Answer:
    if abstain or not result.hits:
        titles = "、".join(corpus.doc(d).title for d in scope)
        text = (
            f"ご質問の内容について、対象の規程（{titles}）には該当する定めが見当たりませんでした。"
            "個人情報保護の担当課（各課の保護管理者、または全庁の個人情報保護の窓口）にご相談ください。"
        )
        return Answer(question, scope, text, True, [], dict(result.timings_ms))

    citations = [citation_for(corpus, hit) for hit in result.hits[:k]]
    query_tokens = set(tokenize(question)) | set(tokenize(" ".join(result.expansions)))
    top = result.hits[0].score
    quoted = [c for c, hit in zip(citations, result.hits, strict=False) if hit.score >= 0.8 * top][:3]
    quotes = [(c.key, decisive_sentence(c.text, query_tokens)) for c in quoted]
    cities = sorted({c.municipality for c in citations if c.municipality})
    lines = []
    if len(scope) > 1 and len(cities) > 1:
        lines.append(f"{'・'.join(cities)}の規程から、関係する規定を示します。")
    else:
        lines.append("次の規定が該当します。")
    for citation, (_, span) in zip(quoted, quotes, strict=True):
        heading = f"（{citation.heading}）" if citation.heading else ""
        lines.append(f"・{citation.label}{heading}:「{span}」")
    if len(citations) > len(quoted):
        lines.append("関連する規定: " + "、".join(c.label for c in citations[len(quoted):]))
    answer = Answer(question, scope, "\n".join(lines), False, citations, dict(result.timings_ms), quotes)
    verify(corpus, answer, {hit.passage.key for hit in result.hits})
    return answer


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
    for key, span in answer.quotes:
        if key not in by_key or span not in by_key[key].text or f"「{span}」" not in answer.answer:
            raise VerificationError(f"quote for {key} is not a verbatim span of its clause")
