"""The query adapter's training side: the torch mirror of the encoder, the objective, the folds."""

from __future__ import annotations

import numpy as np
import pytest

from evals.fit_adapter import Example, TorchE5, dense_ranks, encode, examples, out_of_fold, train
from retrieval.e5onnx import OnnxE5

pytestmark = pytest.mark.slow


def test_torch_mirror_agrees_with_the_onnx_graph_with_and_without_an_adapter():
    import torch
    model = TorchE5()
    texts = ["USBをなくした。誰に報告？", "Who do I report a lost laptop to?"]
    with torch.no_grad():
        plain = model(texts).numpy()
        for up in model.up.values():  # a non-trivial adapter, as after training
            up.normal_(0, 0.05)
        tuned = model(texts).numpy()
    onnx = OnnxE5(threads=1)
    assert np.min(np.sum(plain * onnx.query(texts), axis=1)) > 0.999
    graph = encode(model.adapter(), texts, threads=1)
    assert np.min(np.sum(tuned * graph, axis=1)) > 0.998
    assert np.max(np.sum(tuned * plain, axis=1)) < 0.99  # the adapter did change them


def test_training_moves_questions_towards_their_gold_passages(engine):
    searcher = engine.searcher
    passages = searcher.signals.passages
    # a handful of dev questions, each pointed at a gold article it does not rank first yet
    data = [e for e in examples(searcher) if e.gold.any()][:40]
    base = dict(zip([e.id for e in data], OnnxE5(threads=1).query([e.text for e in data]), strict=True))
    keys = [p.key for p in searcher.passages]
    before = dense_ranks(data, base, passages, keys)
    adapter = train(data, passages, epochs=3)
    after = dense_ranks(data, dict(zip([e.id for e in data], encode(adapter, [e.text for e in data]), strict=True)),
                        passages, keys)
    assert after["MRR"] > before["MRR"] + 0.05


def test_out_of_fold_vectors_come_from_adapters_that_never_saw_the_question(monkeypatch):
    rows = np.arange(3)
    data = [Example(f"q{n}", f"質問{n}", rows, np.array([True, False, False]), np.array([True, False, False]))
            for n in range(10)]
    seen: list[set[str]] = []

    def fake_train(train_on, passages, **_):
        seen.append({e.id for e in train_on})
        return len(seen) - 1

    def fake_encode(fold, texts, threads=0):
        return np.array([[float(fold)] for _ in texts])

    monkeypatch.setattr("evals.fit_adapter.train", fake_train)
    monkeypatch.setattr("evals.fit_adapter.encode", fake_encode)
    vectors = out_of_fold(data, np.zeros((3, 1)), folds=5)
    assert set(vectors) == {e.id for e in data}
    for question, vector in vectors.items():
        assert question not in seen[int(vector[0])]
    assert all(len(ids) == 8 for ids in seen)
