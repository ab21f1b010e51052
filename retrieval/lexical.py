"""BM25 over Sudachi token lists (bm25s), saved beside the dense index and rebuilt when passages change."""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Iterable
from pathlib import Path

import bm25s
import numpy as np

from retrieval.passages import Passage
from retrieval.tokenizer import normalize, tokenize, tokenize_many

logging.getLogger("bm25s").setLevel(logging.NOTSET)  # bm25s sets DEBUG on import; let the application decide


def passages_fingerprint(passages: list[Passage]) -> str:
    digest = hashlib.sha256()
    for passage in passages:
        digest.update(passage.hash.encode())
    return digest.hexdigest()[:24]


class LexicalIndex:
    def __init__(self, keys: list[str], retriever: bm25s.BM25, vocab: set[str]) -> None:
        self.keys = keys
        self.retriever = retriever
        self.vocab = vocab
        self._best = _best_per_token(retriever)

    @classmethod
    def build(cls, passages: list[Passage]) -> LexicalIndex:
        tokens = tokenize_many([p.index_text for p in passages])
        retriever = bm25s.BM25(k1=1.2, b=0.75)
        retriever.index(tokens, show_progress=False)
        return cls([p.key for p in passages], retriever, {t for doc in tokens for t in doc})

    @classmethod
    def open(cls, directory: Path, passages: list[Passage]) -> LexicalIndex:
        """Load the saved index if it matches these passages, else build and save it."""
        meta_path = directory / "hogo-lexical.json"
        fingerprint = passages_fingerprint(passages)
        if meta_path.exists():
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
            if meta.get("fingerprint") == fingerprint:
                retriever = bm25s.BM25.load(str(directory), show_progress=False)
                return cls(meta["keys"], retriever, set(meta["vocab"]))
        index = cls.build(passages)
        index.save(directory, fingerprint)
        return index

    def save(self, directory: Path, fingerprint: str) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.retriever.save(str(directory), show_progress=False)
        meta = {"fingerprint": fingerprint, "keys": self.keys, "vocab": sorted(self.vocab)}
        (directory / "hogo-lexical.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")

    def scores(self, tokens: list[str]) -> np.ndarray:
        """BM25 score of every passage (in ``keys`` order) for the query tokens."""
        known = [t for t in tokens if t in self.vocab]
        if not known:
            return np.zeros(len(self.keys), dtype=np.float32)
        return np.asarray(self.retriever.get_scores(known), dtype=np.float32)

    def holding(self, tokens: Iterable[str]) -> np.ndarray:
        """Which passages (in ``keys`` order) contain at least one of the tokens, read from the index's
        postings (bm25s keeps a score for every passage a token occurs in, by token)."""
        held = np.zeros(len(self.keys), dtype=bool)
        ids, postings = self.retriever.vocab_dict, self.retriever.scores
        indices, indptr = postings["indices"], postings["indptr"]
        for token in tokens:
            column = ids.get(token) if token in self.vocab else None
            if column is not None:
                held[indices[indptr[column] : indptr[column + 1]]] = True
        return held

    def query_tokens(self, text: str) -> list[str]:
        return tokenize(text)

    def attainable(self, tokens: list[str]) -> float:
        """The score a passage would reach if it matched every query token as well as the best passage for
        that token does: the yardstick that turns a BM25 score into a share of what the question asks."""
        ids = self.retriever.vocab_dict
        return float(sum(self._best[ids[t]] for t in tokens if t in self.vocab and t in ids))


def _best_per_token(retriever: bm25s.BM25) -> np.ndarray:
    """Each vocabulary token's highest BM25 contribution to any one passage (bm25s keeps the scores
    column-compressed by token)."""
    data, indptr = retriever.scores["data"], retriever.scores["indptr"]
    best = np.zeros(len(indptr) - 1, dtype=np.float64)
    filled = np.flatnonzero(np.diff(indptr) > 0)
    if len(filled):
        best[filled] = np.maximum.reduceat(data, indptr[filled])
    return best


_NOT_TEXT = re.compile(r"[\W_]+")  # spaces and punctuation (、。「」（）…) separate nothing in Japanese


def char_bigram_tokens(text: str) -> list[str]:
    """Overlapping character pairs of the normalized text, punctuation and spaces removed."""
    flat = _NOT_TEXT.sub("", normalize(text))
    return [flat[i : i + 2] for i in range(len(flat) - 1)] or ([flat] if flat else [])


class CharBigramIndex:
    """BM25 over character bigrams. It meets what word tokens miss: spellings Sudachi does not unify,
    words it splits differently in a question than in the clause, compounds (個人情報ファイル簿 and
    ファイル簿), and characters a question shares with a clause without sharing a word. Built in memory
    when the searcher opens (a few milliseconds for two regulations)."""

    def __init__(self, texts: list[str]) -> None:
        tokens = [char_bigram_tokens(text) for text in texts]
        self.retriever = bm25s.BM25(k1=1.2, b=0.75)
        self.retriever.index(tokens, show_progress=False)
        self.vocab = {t for doc in tokens for t in doc}
        self.size = len(texts)

    def scores(self, text: str) -> np.ndarray:
        """BM25 score of every text (in the order given) for the question's character bigrams."""
        known = [t for t in char_bigram_tokens(text) if t in self.vocab]
        if not known:
            return np.zeros(self.size, dtype=np.float32)
        return np.asarray(self.retriever.get_scores(known), dtype=np.float32)
