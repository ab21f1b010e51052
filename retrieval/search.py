"""Hybrid search: BM25 over expanded Sudachi tokens + e5 vectors in Chroma, fused by weighted sum.

Both legs are normalised per question (lexical by its best score, dense by the spread of the cosine
similarities, which e5 compresses into a narrow band) before the weighted sum. The weights and the
abstention threshold live in ``SearchConfig`` and were chosen on the dev split only.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from retrieval.dense import DenseIndex
from retrieval.expansion import Expander
from retrieval.kana import KanaResolver
from retrieval.lexical import LexicalIndex
from retrieval.passages import Passage


@dataclass(frozen=True)
class SearchConfig:
    lexical_weight: float = 0.3
    dense_weight: float = 0.7
    dense_candidates: int = 60
    dense_floor: float = 0.70  # cosine below this counts as no semantic match at all
    expand_dense: bool = False
    expansion_weight: float = 1.0  # BM25 weight of expansion words relative to the question's own words
    # Abstention (see ``HybridSearcher.relevance``): abstain when relevance < abstain_below.
    abstain_below: float = -0.02
    lexical_evidence: float = 0.004  # relevance per BM25 point of the best passage
    lexical_evidence_cap: float = 15.0


@dataclass
class Hit:
    passage: Passage
    score: float
    lexical: float
    dense: float


@dataclass
class SearchResult:
    hits: list[Hit]
    relevance: float  # how strongly the best hit answers the question; compared with abstain_below
    timings_ms: dict[str, float] = field(default_factory=dict)
    expansions: list[str] = field(default_factory=list)


class HybridSearcher:
    def __init__(self, passages: list[Passage], lexical: LexicalIndex | None, dense: DenseIndex | None,
                 expander: Expander, config: SearchConfig | None = None,
                 off_topic: np.ndarray | None = None) -> None:
        self.passages = passages
        self.by_key = {p.key: p for p in passages}
        self.position = {key: i for i, key in enumerate(lexical.keys)} if lexical else {}
        self.lexical = lexical
        self.dense = dense
        self.expander = expander
        self.config = config or SearchConfig()
        self.off_topic = off_topic  # passage vectors of topics the rules do not cover
        self.kana = KanaResolver.build([p.index_text for p in passages])

    def search(self, question: str, scope: list[str] | None = None, k: int = 5,
               config: SearchConfig | None = None) -> SearchResult:
        cfg = config or self.config
        started = time.perf_counter()
        kana_words = self.kana.resolve(question)
        if kana_words:
            question = f"{question} {' '.join(kana_words)}"
        terms = self.expander.terms(question)
        expanded = f"{question} {' '.join(terms)}" if terms else question
        in_scope = [p for p in self.passages if not scope or p.doc in scope]
        if not in_scope:
            return SearchResult([], 0.0, {"retrieve": 0.0}, terms)

        lexical = np.zeros(len(in_scope), dtype=np.float32)
        if self.lexical is not None and cfg.lexical_weight > 0:
            own_tokens = self.lexical.query_tokens(question)
            extra = self.lexical.query_tokens(" ".join(terms)) if terms else []
            all_scores = self.lexical.scores(own_tokens)
            if extra:
                all_scores = all_scores + cfg.expansion_weight * self.lexical.scores(extra)
            lexical = np.array([all_scores[self.position[p.key]] for p in in_scope], dtype=np.float32)
        dense = np.zeros(len(in_scope), dtype=np.float32)
        off_topic = 0.0
        if self.dense is not None and cfg.dense_weight > 0:
            vector = self.dense.embed_query(expanded if cfg.expand_dense else question)
            sims = self.dense.query(vector, cfg.dense_candidates, scope)
            dense = np.array([sims.get(p.key, 0.0) for p in in_scope], dtype=np.float32)
            if self.off_topic is not None and len(self.off_topic):
                off_topic = float((self.off_topic @ np.asarray(vector, dtype=np.float32)).max())

        lex_top = float(lexical.max()) if len(lexical) else 0.0
        lex_norm = lexical / lex_top if lex_top > 0 else lexical
        dense_clipped = np.clip(dense - cfg.dense_floor, 0, None)
        dense_top = float(dense_clipped.max()) if len(dense_clipped) else 0.0
        dense_norm = dense_clipped / dense_top if dense_top > 0 else dense_clipped
        fused = cfg.lexical_weight * lex_norm + cfg.dense_weight * dense_norm

        order = np.argsort(-fused, kind="stable")[: max(k, 1) * 4]
        hits = [Hit(in_scope[i], float(fused[i]), float(lexical[i]), float(dense[i])) for i in order if fused[i] > 0]
        relevance = self.relevance(cfg, float(dense.max()) if len(dense) else 0.0, off_topic, lex_top)
        elapsed = (time.perf_counter() - started) * 1000
        return SearchResult(hits, relevance, {"retrieve": round(elapsed, 2)}, kana_words + terms)

    @staticmethod
    def relevance(cfg: SearchConfig, dense_max: float, off_topic: float, lexical_max: float) -> float:
        """Evidence that the rules cover the question: how much closer the question is to the best clause
        than to any off-topic description (有給休暇, 駐車場, 旅費 …), plus a little for shared words."""
        return dense_max - off_topic + cfg.lexical_evidence * min(lexical_max, cfg.lexical_evidence_cap)
