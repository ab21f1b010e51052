"""The evaluation datasets cite clauses that exist: a gold key that names no clause (「17-2」 for 第17条の2, whose
key is 17_2) can never be retrieved, and would silently count as a miss."""

from __future__ import annotations

import json

import pytest

from corpus.loader import Corpus
from evals.runner import DATASETS
from evals.unseen import UNSEEN, unseen_corpus

FILES = sorted(DATASETS.glob("*.jsonl")) + sorted(UNSEEN.glob("*.jsonl"))


@pytest.fixture(scope="module")
def keys() -> set[str]:
    corpus = unseen_corpus(Corpus.load())
    return {unit.key for reg in corpus.regulations.values() for unit in reg.units}


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_every_gold_key_names_a_clause(keys, path):
    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert lines
    unknown = sorted({key for line in lines for key in line["gold"] if key not in keys})
    assert not unknown, unknown
