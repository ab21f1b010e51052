"""A question costs about the same however many regulations are loaded beside the ones it searches.

The work per question is counted, not timed (a loaded machine makes timings flaky): the Python-level calls a
search makes, which numpy's whole-array operations keep flat and a loop over passages makes grow by several
for every passage added; and the memory a search allocates. The searchers here hold copies of the bundled
regulations under new ids, with the bundled passages' vectors, so nothing new is embedded.
"""

from __future__ import annotations

import sys
from dataclasses import replace

import numpy as np
import pytest

from retrieval.expansion import Expander
from retrieval.lexical import LexicalIndex
from retrieval.ranker import Ranker
from retrieval.search import HybridSearcher

QUESTIONS = [
    ("USBをなくした。誰に報告？", "koriyama-kijun"),
    ("委託先を監督するときに確認することは？", "mima-kitei"),
    ("安全管理措置", "koriyama-kijun"),  # in the rules' own words, below the coverage threshold
    ("第23条には何が書いてある？", "koriyama-kijun"),  # names a clause
    ("来週の職員ソフトボール大会の集合場所はどこですか？", "mima-kitei"),  # off topic
]


def copies(engine, count: int, examples: bool = True) -> HybridSearcher:
    """A searcher over ``count`` copies of each bundled regulation (ids ``<id>-copy-N``; copy 0 keeps the id),
    each copy answered by its original's example questions, or, without ``examples``, none of them answered by
    any (every scope judged by its clauses alone, as a newly added city's is)."""
    def renamed(key: str | None, doc: str, n: int) -> str | None:
        return key if key is None or n == 0 else f"{doc}-copy-{n}{key[len(doc):]}"

    passages = [replace(p, key=renamed(p.key, p.doc, n), article_key=renamed(p.article_key, p.doc, n),
                        doc=renamed(p.doc, p.doc, n))
                for n in range(count) for p in engine.passages]
    signals = engine.searcher.signals
    tiled = replace(signals, passages=np.tile(signals.passages, (count, 1)),
                    passages_as_query=np.tile(signals.passages_as_query, (count, 1)),
                    headings=np.tile(signals.headings, (count, 1)),
                    example_docs=[frozenset(renamed(doc, doc, n) for doc in docs for n in range(count)) if examples
                                  else frozenset() for docs in signals.example_docs])
    return HybridSearcher(passages, LexicalIndex.build(passages), engine.dense, Expander.load(), signals=tiled,
                          ranker=Ranker.load(), kana=engine.searcher.kana)


def calls(searcher: HybridSearcher, question: str, scope: list[str] | None) -> tuple[int, int]:
    """How many Python-level calls (functions, builtins, generator steps) a search makes, and how many hits it
    returns."""
    searcher.search(question, scope)  # warm: what a searcher keeps per scope is made on first use
    count = 0

    def tally(frame, event, arg):
        nonlocal count
        count += 1

    sys.setprofile(tally)
    try:
        hits = len(searcher.search(question, scope).hits)
    finally:
        sys.setprofile(None)
    return count, hits


@pytest.fixture(scope="module")
def one_and_six(engine):
    return copies(engine, 1), copies(engine, 6)


@pytest.fixture(scope="module")
def one_and_six_without_examples(engine):
    return copies(engine, 1, examples=False), copies(engine, 6, examples=False)


@pytest.mark.slow
@pytest.mark.parametrize(("question", "doc"), QUESTIONS)
@pytest.mark.parametrize("searchers", ["one_and_six", "one_and_six_without_examples"])
def test_a_search_does_not_step_through_the_passages_of_other_regulations(request, searchers, question, doc):
    few, many = request.getfixturevalue(searchers)
    added = len({p.doc for p in many.passages}) - len({p.doc for p in few.passages})  # 10 (810 passages)
    for scope in ([doc], None):
        (small, few_hits), (large, many_hits) = calls(few, question, scope), calls(many, question, scope)
        # scoped: the same work; unscoped: a few calls per regulation added and per hit it adds (a clause the
        # question names is in every copy) at most, never one per passage
        bound = 30 if scope else 10 * added + 10 * (many_hits - few_hits)
        assert large - small < bound, (scope, small, large, few_hits, many_hits)


@pytest.mark.slow
def test_an_unscoped_search_reads_the_passage_vectors_in_place(one_and_six):
    import tracemalloc

    _, many = one_and_six
    many.search("USBをなくした。誰に報告？")
    tracemalloc.start()
    try:
        many.search("USBをなくした。誰に報告？")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # a copy of the passage vectors (or of those embedded as questions) would be all of nbytes
    assert peak < many.signals.passages.nbytes / 2, (peak, many.signals.passages.nbytes)
