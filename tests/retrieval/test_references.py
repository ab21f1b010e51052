"""Questions that name a clause outright get that clause first."""

from __future__ import annotations

import numpy as np
import pytest

from retrieval.passages import build_passages
from retrieval.references import NamedClauses, Reference, find_references, naming


@pytest.mark.parametrize(("question", "suffixes"), [
    ("第23条には何が書いてある？", ["23"]),
    ("第４条の２の内容を教えて", ["4_2"]),
    ("第二十二条第1項第2号は？", ["22:1:2"]),
    ("第4条の2第1項と第5条", ["4_2:1", "5"]),
    ("様式第３号って何に使う？", ["form-3"]),
    ("番号法第19条と施行令第3条と条例第5条", []),  # another instrument's articles
    ("第三者に提供していい？", []),
    ("USBをなくした", []),
])
def test_references_are_read_in_any_number_style(question, suffixes):
    assert [r.suffix for r in find_references(question)] == suffixes


def test_naming_grades_own_clauses_above_mentions_of_a_form():
    refs = [Reference("form-3", "様式第3号"), Reference("4_2")]
    assert naming(refs, "koriyama-kijun:form-3", "koriyama-kijun", "研修計画") == 2
    assert naming(refs, "koriyama-kijun:4_2:1", "koriyama-kijun", "…") == 2
    assert naming(refs, "koriyama-kijun:11:6", "koriyama-kijun", "研修計画（様式第３号）を策定し") == 1
    assert naming(refs, "koriyama-kijun:4", "koriyama-kijun", "…") == 0  # 第4条 is not 第4条の2
    assert naming(refs, "koriyama-kijun:4_20", "koriyama-kijun", "…") == 0


@pytest.mark.parametrize("question", ["第23条", "第4条の2第3項と第22条", "様式第３号って何に使う？", "第8条と様式第1号",
                                      "第2条第1項第3号", "第99条"])
@pytest.mark.parametrize("scope", [["koriyama-kijun"], ["mima-kitei"], None])
def test_named_clauses_are_found_as_naming_grades_them(corpus, question, scope):
    passages = build_passages(corpus)
    in_scope = np.array([not scope or p.doc in scope for p in passages])
    references = find_references(question)
    grades = [(naming(references, p.key, p.doc, p.body), row) for row, p in enumerate(passages) if in_scope[row]]
    expected = [row for grade in (2, 1) for g, row in grades if g == grade]
    named = NamedClauses([p.key for p in passages], [p.body for p in passages])
    assert named.find(references, scope or list(corpus.regulations), in_scope) == expected


@pytest.mark.slow
def test_a_named_article_is_cited_first_and_never_abstains(engine):
    answer = engine.ask("第23条には何が書いてある？", ["koriyama-kijun"])
    assert not answer.abstained
    assert [c.key for c in answer.citations[:2]] == ["koriyama-kijun:23:1", "koriyama-kijun:23:2"]
    answer = engine.ask("様式第3号は何に使う？", ["koriyama-kijun"])
    assert [c.key for c in answer.citations[:2]] == ["koriyama-kijun:form-3", "koriyama-kijun:11:6"]
    answer = engine.ask("第4条の2第3項", None)
    assert answer.citations[0].key == "koriyama-kijun:4_2:3"
