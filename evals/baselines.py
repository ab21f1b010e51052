"""Two baselines run in the same process as hogo: BM25 alone, and a naive RAG.

The naive RAG splits each regulation's raw text with LangChain's RecursiveCharacterTextSplitter at 500
characters, embeds the chunks with the same embedder into its own Chroma collection, and maps each
retrieved chunk back to the articles whose lines it overlaps.
"""

from __future__ import annotations

import bisect
import time
from pathlib import Path

from langchain_text_splitters import RecursiveCharacterTextSplitter

from corpus.loader import Corpus, split_front_matter
from retrieval.dense import DenseIndex
from retrieval.expansion import Expander
from retrieval.lexical import LexicalIndex
from retrieval.passages import Passage, build_passages
from retrieval.search import HybridSearcher, SearchConfig


def bm25_only(corpus: Corpus) -> HybridSearcher:
    """Plain BM25 over the same Sudachi tokens: no expansion, no vectors."""
    passages = build_passages(corpus)
    return HybridSearcher(passages, LexicalIndex.build(passages), None, Expander([]),
                          SearchConfig(lexical_weight=1.0, dense_weight=0.0))


class NaiveRag:
    def __init__(self, corpus: Corpus, client, embedder, spec: str) -> None:
        self.corpus = corpus
        splitter = RecursiveCharacterTextSplitter(chunk_size=500, chunk_overlap=0, add_start_index=True)
        self.chunks: list[Passage] = []
        self.articles_of: dict[str, list[str]] = {}
        for reg in corpus:
            text = Path(reg.source).read_text(encoding="utf-8")
            _, body, first_line = split_front_matter(text)
            line_starts = [0]
            for line in body.splitlines(keepends=True):
                line_starts.append(line_starts[-1] + len(line))
            article_lines = [(u.lines[0], u.article_key) for u in reg.articles()]
            starts = [line for line, _ in article_lines]
            for n, doc in enumerate(splitter.create_documents([body])):
                begin = doc.metadata["start_index"]
                first = bisect.bisect_right(line_starts, begin) - 1 + first_line
                last = bisect.bisect_right(line_starts, begin + len(doc.page_content)) - 1 + first_line
                lo = max(0, bisect.bisect_right(starts, first) - 1)
                hi = bisect.bisect_right(starts, last)
                key = f"{reg.id}:chunk-{n}"
                self.articles_of[key] = [a for _, a in article_lines[lo:hi] if a] if hi > 0 else []
                self.chunks.append(Passage(key, reg.id, None, "", "", doc.page_content, ""))
        self.dense = DenseIndex(client, embedder, spec, prefix="naive-rag")
        self.dense.sync(self.chunks)

    def ranked_articles(self, question: str, scope: list[str] | None, k: int = 5) -> tuple[list[str], float]:
        started = time.perf_counter()
        sims = self.dense.query(question, k, scope)
        ranked = sorted(sims, key=lambda key: -sims[key])
        articles = list(dict.fromkeys(a for key in ranked for a in self.articles_of[key]))
        return articles, (time.perf_counter() - started) * 1000
