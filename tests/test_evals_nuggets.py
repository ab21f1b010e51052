"""The nugget datasets are what they claim: each fact is copied from a gold clause of the question (at least one
of its variants verbatim: two variants of the test split are paraphrases written beside a verbatim one)."""

from __future__ import annotations

import pytest

from corpus.loader import Corpus
from corpus.model import clause_text
from evals import nuggets
from evals.unseen import UNSEEN, unseen_corpus

FILES = [("dev", nuggets.NUGGETS), ("test", nuggets.NUGGETS)] + [
    (path.stem, path.parent) for path in sorted((UNSEEN / "nuggets").glob("*.jsonl"))]


@pytest.fixture(scope="module")
def corpus():
    return unseen_corpus(Corpus.load())


@pytest.mark.parametrize(("name", "folder"), FILES, ids=[name for name, _ in FILES])
def test_every_fact_is_copied_from_a_gold_clause(corpus, name, folder):
    questions = nuggets.load(name, folder)
    assert len(questions) >= 20 and len({q.id for q in questions}) == len(questions)
    for q in questions:
        assert q.gold and 2 <= len(q.nuggets) <= 5, q.id
        assert q.kind in {"who", "what", "when", "allowed", "how_many", "definition", "procedure"}, q.id
        gold = nuggets.flat("\n".join(clause_text(corpus.doc(key.split(":")[0]), corpus.unit(key)) for key in q.gold))
        for variants in q.nuggets:
            assert variants and any(nuggets.flat(v) in gold for v in variants), (q.id, variants)


def test_the_answer_table_has_a_row_per_document():
    row = {"nugget-R": 0.9, "ceiling-R": 1.0, "all-nuggets": 0.8, "median chars": 300, "abstained": 0, "n": 20}
    table = nuggets.format_table({}, {"minamisato-youkou": row, "unseen (all)": row}).splitlines()
    assert table[0].split() == " ".join(nuggets.COLUMNS).split()
    assert table[1].split() == ["minamisato-youkou", "0.900", "1.000", "0.800", "300", "0", "20"]
    assert table[2].startswith("unseen (all)")
    assert nuggets.format_table(row).splitlines()[1].split()[0] == "hogo"
