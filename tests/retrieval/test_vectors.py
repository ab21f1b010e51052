"""The passage-vector snapshot that lets a process answer without opening the vector store."""

from __future__ import annotations

import numpy as np

from retrieval.vectors import load_snapshot, save_snapshot


class Named:
    name = "some-model"


def test_snapshot_is_used_only_for_exactly_the_same_passages_and_store(tmp_path):
    keys, hashes = ["a:1:1", "a:2:1"], ["h1", "h2"]
    vectors = np.arange(6, dtype=np.float32).reshape(2, 3)
    assert load_snapshot(tmp_path, Named(), "embedded", keys, hashes) is None  # nothing saved yet
    save_snapshot(tmp_path, Named(), "embedded", keys, hashes, vectors)
    assert np.array_equal(load_snapshot(tmp_path, Named(), "embedded", keys, hashes), vectors)
    assert load_snapshot(tmp_path, Named(), "embedded", keys, ["h1", "changed"]) is None  # a clause was edited
    assert load_snapshot(tmp_path, Named(), "embedded", keys[:1], hashes[:1]) is None  # one was deleted
    assert load_snapshot(tmp_path, Named(), "http://chroma:8000", keys, hashes) is None  # another store

    class Other:
        name = "other-model"

    assert load_snapshot(tmp_path, Other(), "embedded", keys, hashes) is None  # another embedder
