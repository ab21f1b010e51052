"""Hybrid search: BM25 over expanded Sudachi tokens + e5 vectors, combined by a learned linear ranker.

For each question hogo computes a few features for every passage in scope (dense similarity to the passage
and to its article heading; BM25 of the question's own words and of its expansion words; overlap with the
heading; how generic the passage is; its shape) and ranks passages by their weighted sum, with weights
fitted on the dev split only (``retrieval/ranker.py``, ``evals/fit_ranker.py``). A coverage score over
question-level features decides whether the rules cover the question at all: how much nearer the question
is to the clauses in scope (and to example questions they answer) than to topics the rules leave out.

Without a ranker (the BM25-only baseline, or a searcher built without dense signals) the older weighted sum
of per-question normalised lexical and dense scores is used.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import numpy as np

from retrieval.expansion import INCIDENT_TERMS, Expander
from retrieval.headings import HeadingOverlap
from retrieval.kana import KanaResolver
from retrieval.lexical import CharBigramIndex, LexicalIndex
from retrieval.passages import Passage, article_passages
from retrieval.ranker import LEXICAL_EVIDENCE_CAP, PASSAGE_FEATURES, QUESTION_FEATURES, Ranker
from retrieval.references import NamedClauses, find_references
from retrieval.tokenizer import normalize

if TYPE_CHECKING:
    from retrieval.dense import DenseIndex

# A question whose every word the rules use (directly or through the expansion dictionary), and whose words
# one passage matches for at least this share of the attainable BM25, is covered whatever the dense margin.
RULES_WORDS_SHARE = 0.5
# A question is not covered when the words it uses that the rules lack pull it away from them: each such
# word's own dense margin (best clause in scope against nearest off-topic line, the word embedded alone),
# summed and divided by the question's word count, below this. Near-topic questions the rules do not govern
# (a staff health check's results, a child-care leave application) are near the clauses as a whole, but their
# subject is a word no clause holds that sits nearer to the off-topic lines. Set on dev questions only, each
# bundled document scored as if it were new (its example questions removed): the highest threshold that abstains
# on no covered question more, and on 61 of 65 uncovered ones instead of 57 (``python -m evals.foreign_pull``,
# docs/retrieval.md). Questions about consigning work are left to the threshold (``about_consignment``). It
# applies where the clauses alone judge coverage: a city's own example questions already carry its staff's
# words (with them, on the holdout split, it abstained on one covered question more and on no uncovered one).
FOREIGN_PULL_BELOW = -0.025
# ... for a question whose coverage score is under this: one the clauses cover by a wide margin keeps its answer
# whatever words of its own it uses. The dev questions the rule catches score 0.013 to 0.052; on the first
# regulation measured after the rule was written it declined a covered question scoring 0.092 (docs/retrieval.md).
FOREIGN_PULL_UNDER = 0.06
WORD_VECTOR_CACHE = 20_000  # single words embedded for ``foreign_pull`` (1.5 kB each), kept across questions
# Example questions each document in scope needs before they count for coverage: the threshold that goes
# with them was calibrated against a few hundred per document (``retrieval.ranker``).
MIN_EXAMPLES = 100
_GRAM_RUN = re.compile(r"[一-龥々ァ-ヺーa-z0-9]+")  # kanji, katakana and latin runs; hiragana is mostly grammar


@dataclass(frozen=True)
class SearchConfig:
    # Weighted-sum fusion, used only without a ranker (the BM25-only baseline).
    lexical_weight: float = 0.3
    dense_weight: float = 0.7
    dense_candidates: int = 60
    dense_floor: float = 0.70  # cosine below this counts as no semantic match at all
    expansion_weight: float = 1.0  # BM25 weight of expansion words relative to the question's own words
    # The dense query is the question plus its first few expansion words: enough to pull a colloquial
    # question towards the statutory wording. Words are left off while the query would exceed the token
    # budget, so long questions (which carry their own context) cost no more to embed than before.
    dense_terms: int = 5
    dense_token_budget: int = 38  # 0: no budget; counted with the embedder's tokenizer when it has one


@dataclass
class Hit:
    passage: Passage
    score: float  # relative to the best hit (1.0): exp(ranker score - best ranker score)
    lexical: float
    dense: float


@dataclass
class SearchResult:
    hits: list[Hit]
    relevance: float  # coverage score (abstain below ``Ranker.threshold``)
    timings_ms: dict[str, float] = field(default_factory=dict)
    expansions: list[str] = field(default_factory=list)
    abstain: bool = False


@dataclass
class LexicalMatch:
    """BM25 of every passage (searcher order) for a question's own words and for its expansion words, the
    score a passage matching all of them as well as the best passage for each would reach, and the same
    share computed over whole articles."""

    own: np.ndarray
    extra: np.ndarray
    attainable: float
    article: np.ndarray  # each passage's article, matched whole: its BM25 as a share of the attainable


@dataclass
class QueryVectors:
    """A question's vectors: ``ranking`` from the adapted encoder (the dense features), ``coverage`` from the
    bundled one, on the scale of the side tables it is compared with (abstention). The same vector twice
    for an embedder without an adapter."""

    ranking: np.ndarray
    coverage: np.ndarray


@dataclass
class DenseSignals:
    """The vectors the ranker compares a question with; row i of each passage table is passage i."""

    passages: np.ndarray  # passage vectors (as stored in Chroma)
    passages_as_query: np.ndarray  # passages embedded the way questions are (for abstention)
    headings: np.ndarray  # each passage's article heading
    off_topic: np.ndarray  # off-topic descriptions embedded as queries
    # Example questions the rules answer (``retrieval/data/examples.tsv``), embedded the way questions are,
    # and the documents whose clauses answer each.
    examples: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=np.float32))
    example_docs: list[frozenset[str]] = field(default_factory=list)


def heading_text(passage: Passage) -> str:
    """The article heading, or for supplementary provisions and forms their label (附則（第1）, 様式第1号)."""
    return passage.heading or passage.breadcrumb.split(" · ")[-1]


def char_bigrams(text: str) -> set[str]:
    grams: set[str] = set()
    for run in _GRAM_RUN.findall(normalize(text)):
        grams.update(run[i : i + 2] for i in range(len(run) - 1))
        if len(run) == 1:
            grams.add(run)
    return grams


_CONSIGNMENT = "委託"
_INCIDENT_WORDS = ("漏えい", "紛失", "盗難", "滅失", "毀損", "誤送付", "誤送信", "誤交付", "不正アクセス", "事案")


def reports_an_incident(terms: list[str], hits: list[Hit]) -> bool:
    """Whether the question tells of an incident and the best clause speaks of one: every regulation of this
    kind settles what staff do then, whatever the incident concerns. The dense margin underrates such
    questions when their subject is a matter of its own (「住民票を誤交付した」 is nearest to the off-topic line on
    issuing certificates)."""
    if not hits or not INCIDENT_TERMS & set(terms):
        return False
    words = [w for w in _INCIDENT_WORDS if w in terms]
    return any(w in hits[0].passage.body for w in words)


def about_consignment(question: str, terms: list[str], hits: list[Hit]) -> bool:
    """Whether the question is about consigning work (it says 委託, or its expansion words do) and the best clause
    speaks of it: every regulation of this kind settles what a consignment contract must say, whatever the
    work consigned is (「放課後児童クラブの運営委託の契約書に何を書く？」), so its words the rules lack are the work's,
    not the question's subject (``foreign_pull``). The best clause may be another paragraph of the article on
    consignment (派遣労働者の契約書), so its heading counts too."""
    if not hits or not (_CONSIGNMENT in question or _CONSIGNMENT in terms):
        return False
    return _CONSIGNMENT in hits[0].passage.body or _CONSIGNMENT in heading_text(hits[0].passage)


def rows(matrix: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """``matrix[idx]``, as a view rather than a copy when ``idx`` is a run of consecutive rows: a document's
    passages are, and so are all of them. Copying every passage vector for each question would cost more than
    the products computed with them once many regulations are loaded."""
    if len(idx) and idx[-1] - idx[0] + 1 == len(idx) and bool(np.all(np.diff(idx) == 1)):
        return matrix[idx[0] : idx[-1] + 1]
    return matrix[idx]


def _zscore(values: np.ndarray) -> np.ndarray:
    return (values - values.mean()) / (values.std() + 1e-6)


def _by_max(values: np.ndarray) -> np.ndarray:
    top = float(values.max()) if len(values) else 0.0
    return values / top if top > 0 else np.zeros_like(values)


class HybridSearcher:
    def __init__(self, passages: list[Passage], lexical: LexicalIndex | None, dense: DenseIndex | None,
                 expander: Expander, config: SearchConfig | None = None, signals: DenseSignals | None = None,
                 ranker: Ranker | None = None, kana: KanaResolver | None = None,
                 articles: LexicalIndex | None = None) -> None:
        self.passages = passages
        self.by_key = {p.key: p for p in passages}
        self.position = {key: i for i, key in enumerate(lexical.keys)} if lexical else {}
        self.lexical_order = np.array([self.position[p.key] for p in passages], dtype=np.int64) if lexical else None
        self.lexical = lexical
        # BM25 over whole articles (``article_passages``); built here unless the engine opened a saved one.
        if lexical is not None and articles is None:
            articles = LexicalIndex.build(article_passages(passages))
        self.articles = articles
        rows = {key: n for n, key in enumerate(articles.keys)} if articles else {}
        self.article_row = np.array([rows[p.article_key or p.key] for p in passages], dtype=np.int64) if rows else None
        self.dense = dense
        self.expander = expander
        self.config = config or SearchConfig()
        self.signals = signals
        self.ranker = ranker if signals is not None and dense is not None else None
        self.kana = kana or KanaResolver.build([p.index_text for p in passages])
        self._scopes: dict[tuple[str, ...], np.ndarray] = {}
        self._example_rows: dict[frozenset[str], np.ndarray | None] = {}
        self._docs = list(dict.fromkeys(p.doc for p in passages))
        codes = {doc: n for n, doc in enumerate(self._docs)}
        self._doc_of = np.array([codes[p.doc] for p in passages], dtype=np.int64)
        self.headings = HeadingOverlap([char_bigrams(heading_text(p)) for p in passages])
        self.named = NamedClauses([p.key for p in passages], [p.body for p in passages])
        self.char_index = CharBigramIndex([p.index_text for p in passages])
        self._static = self._static_features() if signals is not None else None
        self._word_vectors: dict[str, np.ndarray] = {}

    # -- shared ---------------------------------------------------------------------------------------

    def _scope(self, scope: list[str] | None) -> np.ndarray:
        key = tuple(sorted(scope or []))
        if key not in self._scopes:
            wanted = [n for n, doc in enumerate(self._docs) if doc in key]
            mask = np.isin(self._doc_of, wanted) if scope else np.ones(len(self.passages), dtype=bool)
            self._scopes[key] = np.flatnonzero(mask).astype(np.int64)
        return self._scopes[key]

    def docs_of(self, idx: np.ndarray) -> frozenset[str]:
        """The documents the passages ``idx`` belong to."""
        return frozenset(self._docs[n] for n in np.unique(self._doc_of[idx]))

    def _lexical_scores(self, text: str) -> np.ndarray:
        if self.lexical is None or self.lexical_order is None or not text.strip():
            return np.zeros(len(self.passages), dtype=np.float32)
        return self.lexical.scores(self.lexical.query_tokens(text))[self.lexical_order]

    def search(self, question: str, scope: list[str] | None = None, k: int = 5,
               config: SearchConfig | None = None) -> SearchResult:
        cfg = config or self.config
        started = time.perf_counter()
        question, kana_words, terms = self.prepare(question)
        idx = self._scope(scope)
        if not len(idx):
            return SearchResult([], 0.0, {"retrieve": 0.0}, terms, abstain=True)
        if self.ranker is not None:
            hits, relevance, abstain = self._ranked(question, terms, idx, k, cfg)
        else:  # no abstention model: never abstains
            hits, relevance = self._fused(question, terms, idx, k, cfg, scope)
            abstain = False
        named = self._named(question, idx)
        if named:  # clauses the question names outright come first, and the rules plainly cover it
            ranked = {h.passage.key: h for h in hits}
            pinned = [ranked.get(p.key) or Hit(p, 1.0, 0.0, 0.0) for p in named]
            keys = {p.key for p in named}
            hits = pinned + [h for h in hits if h.passage.key not in keys]
            abstain = False
        elapsed = (time.perf_counter() - started) * 1000
        return SearchResult(hits, relevance, {"retrieve": round(elapsed, 2)}, kana_words + terms, abstain)

    def prepare(self, question: str) -> tuple[str, list[str], list[str]]:
        """The question as searched (with the corpus words its kana stands for appended), those words, and
        its expansion words."""
        kana_words = self.kana.resolve(question)
        if kana_words:
            question = f"{question} {' '.join(kana_words)}"
        return question, kana_words, self.expander.terms(question)

    def _named(self, question: str, idx: np.ndarray) -> list[Passage]:
        """Passages in scope that the question names (「第23条」「様式第3号」): the named clauses in document
        order, then the clauses that mention a named form."""
        references = find_references(question)
        if not references:
            return []
        in_scope = np.zeros(len(self.passages), dtype=bool)
        in_scope[idx] = True
        return [self.passages[row] for row in self.named.find(references, self.docs_of(idx), in_scope)]

    # -- learned ranker -------------------------------------------------------------------------------

    def _static_features(self) -> np.ndarray:
        assert self.signals is not None
        vectors = self.signals.passages
        centre = vectors.mean(axis=0) if len(vectors) else np.zeros(0, dtype=np.float32)
        hub = vectors @ centre if len(vectors) else np.zeros(0, dtype=np.float32)
        length = np.log1p([len(p.body) for p in self.passages])
        item = np.array([len(p.key.split(":")) >= 4 for p in self.passages], dtype=np.float64)
        appendix = np.array([p.article_key is None for p in self.passages], dtype=np.float64)
        return np.stack([hub, length, item, appendix], axis=1).astype(np.float64)

    def lexical_match(self, question: str, terms: list[str]) -> LexicalMatch:
        if self.lexical is None or self.lexical_order is None:
            zeros = np.zeros(len(self.passages), dtype=np.float32)
            return LexicalMatch(zeros, zeros, 0.0, zeros)
        own_tokens = self.lexical.query_tokens(question)
        extra_tokens = self.lexical.query_tokens(" ".join(terms)) if terms else []
        own = self.lexical.scores(own_tokens)[self.lexical_order]
        extra = self.lexical.scores(extra_tokens)[self.lexical_order] if extra_tokens else np.zeros_like(own)
        tokens = own_tokens + extra_tokens
        article = np.zeros(len(self.passages), dtype=np.float64)
        if self.articles is not None and self.article_row is not None:
            attainable = self.articles.attainable(tokens)
            if attainable > 0:
                article = (self.articles.scores(tokens) / attainable)[self.article_row].astype(np.float64)
        return LexicalMatch(own, extra, self.lexical.attainable(tokens), article)

    def use_examples(self, vectors: np.ndarray, docs: list[frozenset[str]]) -> None:
        """Replace the example questions (``evals.fit_ranker`` uses the dev questions it is fitting on)."""
        assert self.signals is not None
        self.signals = replace(self.signals, examples=vectors, example_docs=docs)
        self._example_rows = {}

    def example_rows(self, idx: np.ndarray) -> np.ndarray | None:
        """Rows of the example questions that speak for the passages ``idx``: those answered by a document in
        scope. None unless every document in scope has ``MIN_EXAMPLES`` of them: a city whose rules have
        few examples yet is judged by its clauses alone, against the threshold calibrated that way."""
        if self.signals is None:
            return None
        docs = self.docs_of(idx)
        if docs not in self._example_rows:
            answered = self.signals.example_docs
            enough = all(sum(doc in d for d in answered) >= MIN_EXAMPLES for doc in docs)
            rows = np.array([r for r, d in enumerate(answered) if d & docs], dtype=np.int64)
            self._example_rows[docs] = rows if docs and enough else None
        return self._example_rows[docs]

    def on_topic(self, coverage: np.ndarray, idx: np.ndarray, examples: np.ndarray | None = None) -> float:
        """The question's best similarity to what the rules cover: the passages ``idx``, embedded the way
        questions are, and the example questions of rows ``examples``."""
        assert self.signals is not None
        best = float((rows(self.signals.passages_as_query, idx) @ coverage).max())
        if examples is not None and len(examples):
            best = max(best, float((rows(self.signals.examples, examples) @ coverage).max()))
        return best

    def features(self, question: str, terms: list[str], vectors: QueryVectors, idx: np.ndarray,
                 lexical: LexicalMatch, examples: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(passages in scope x PASSAGE_FEATURES, QUESTION_FEATURES) for one question. ``examples``: rows of
        the example questions that count as on-topic beside the clauses (``example_rows``)."""
        assert self.signals is not None and self._static is not None
        sig = self.signals
        dense = rows(sig.passages, idx) @ vectors.ranking
        heading = rows(sig.headings, idx) @ vectors.ranking
        own_in, extra_in = lexical.own[idx].astype(np.float64), lexical.extra[idx].astype(np.float64)
        share = (own_in + extra_in) / lexical.attainable if lexical.attainable > 0 else np.zeros_like(own_in)
        chars = self.char_index.scores(question)[idx].astype(np.float64)
        question_grams = char_bigrams(question)
        expanded_grams = question_grams | char_bigrams(" ".join(terms))
        overlap = np.column_stack([self.headings.share(question_grams)[idx], self.headings.share(expanded_grams)[idx]])
        matrix = np.column_stack([
            _zscore(dense), _zscore(heading), share, lexical.article[idx], _by_max(chars),
            overlap, rows(self._static, idx),
        ])
        assert matrix.shape[1] == len(PASSAGE_FEATURES)
        on_topic = self.on_topic(vectors.coverage, idx, examples)
        off_topic = float((sig.off_topic @ vectors.coverage).max()) if len(sig.off_topic) else 0.0
        evidence = min(float((own_in + extra_in).max()), LEXICAL_EVIDENCE_CAP)
        question_features = np.array([on_topic - off_topic, evidence])
        assert len(question_features) == len(QUESTION_FEATURES)
        return matrix, question_features

    def dense_query(self, question: str, terms: list[str], cfg: SearchConfig) -> str:
        """The text embedded for a question: the question and up to ``dense_terms`` expansion words."""
        extra = terms[: cfg.dense_terms]
        count = getattr(self.dense.embedder, "count_tokens", None) if self.dense is not None else None
        while extra and cfg.dense_token_budget and count is not None:
            if count(f"{question} {' '.join(extra)}") <= cfg.dense_token_budget:
                break
            extra = extra[:-1]
        return f"{question} {' '.join(extra)}" if extra else question

    def query_vectors(self, question: str, terms: list[str], cfg: SearchConfig) -> QueryVectors:
        assert self.dense is not None
        text = self.dense_query(question, terms, cfg)
        pair = getattr(self.dense.embedder, "embed_query_pair", None)
        if pair is None:
            vector = np.asarray(self.dense.embed_query(text), dtype=np.float32)
            return QueryVectors(vector, vector)
        coverage, ranking = pair(text)
        return QueryVectors(np.asarray(ranking, dtype=np.float32), np.asarray(coverage, dtype=np.float32))

    def _ranked(self, question: str, terms: list[str], idx: np.ndarray, k: int,
                cfg: SearchConfig) -> tuple[list[Hit], float, bool]:
        """The top passages, the coverage score and whether it falls below the abstention threshold."""
        assert self.ranker is not None
        lexical = self.lexical_match(question, terms)
        vectors = self.query_vectors(question, terms, cfg)
        examples = self.example_rows(idx) if self.ranker.abstain_below_examples is not None else None
        matrix, question_features = self.features(question, terms, vectors, idx, lexical, examples)
        scores = self.ranker.score(matrix)
        relative = np.exp(scores - scores.max())
        dense = rows(self.signals.passages, idx) @ vectors.ranking  # type: ignore[union-attr]
        order = np.argsort(-scores, kind="stable")[: max(k, 1) * 4]
        bm25 = lexical.own + lexical.extra
        hits = [Hit(self.passages[idx[j]], float(relative[j]), float(bm25[idx[j]]), float(dense[j])) for j in order]
        relevance = self.ranker.coverage(question_features)
        abstain = relevance < self.ranker.threshold(examples is not None)
        if not abstain and examples is None and relevance < FOREIGN_PULL_UNDER:  # a new city's (``foreign_pull``)
            pull = 0.0 if about_consignment(question, terms, hits) else self.foreign_pull(question, idx)
            abstain = pull < FOREIGN_PULL_BELOW
        if abstain and (self.in_rules_words(question, idx) or reports_an_incident(terms, hits)):
            abstain = False
        return hits, relevance, abstain

    def word_support(self, question: str, idx: np.ndarray) -> list[tuple[str, set[str], bool]]:
        """The question's words, each with the statutory words the expansion dictionary maps it to and whether
        a passage in scope holds it."""
        if self.lexical is None or self.lexical_order is None:
            return []
        in_scope = np.zeros(len(self.passages), dtype=bool)
        in_scope[idx] = True
        alternatives = self.expander.alternatives(question)
        support = []
        for word in dict.fromkeys(self.lexical.query_tokens(question)):
            mapped = {t for source, targets in alternatives.items() if word in source or source in word
                      for target in targets for t in self.lexical.query_tokens(target)}
            held = bool((self.lexical.holding([word])[self.lexical_order] & in_scope).any())
            support.append((word, mapped, held))
        return support

    def in_rules_words(self, question: str, idx: np.ndarray) -> bool:
        """Whether the question is put in the rules' own words: every word of it occurs in the documents in
        scope or is a colloquial word of the expansion dictionary, and one passage in scope holds at least
        ``RULES_WORDS_SHARE`` of its words (a word also counts as held through the statutory words the
        dictionary maps it to). The dense margin underrates such questions when they are short:
        「安全管理措置」 is as near to an off-topic line about 措置要求 as to the chapter it names. No uncovered
        dev or validation question uses the rules' words only (three in four of its words at most)."""
        support = self.word_support(question, idx)
        if not support or any(not mapped and not held for _, mapped, held in support):
            return False
        assert self.lexical is not None and self.lexical_order is not None
        held = np.zeros(len(self.passages), dtype=np.int64)  # per passage: how many of the words it holds
        for word, mapped, _ in support:
            held += self.lexical.holding({word} | mapped)[self.lexical_order]
        return int(held[idx].max()) / len(support) >= RULES_WORDS_SHARE

    def foreign_pull(self, question: str, idx: np.ndarray) -> float:
        """How far the words the rules in scope lack (neither held by a passage nor mapped by the expansion
        dictionary) pull the question away from them: the sum of each such word's dense margin, divided by
        the question's word count; 0 when it has none (``FOREIGN_PULL_BELOW``)."""
        support = self.word_support(question, idx)
        foreign = [word for word, mapped, held in support if not mapped and not held]
        if not foreign or self.signals is None:
            return 0.0
        vectors = self.word_vectors(foreign)
        near = (rows(self.signals.passages_as_query, idx) @ vectors.T).max(axis=0)
        far = (self.signals.off_topic @ vectors.T).max(axis=0) if len(self.signals.off_topic) else 0.0
        return float((near - far).sum()) / len(support)

    def word_vectors(self, words: list[str]) -> np.ndarray:
        """Single words embedded as queries by the bundled model (the scale of the abstention side tables),
        cached across questions."""
        assert self.dense is not None
        found = {w: self._word_vectors.get(w) for w in words}  # read once: another thread may clear the cache
        missing = [w for w, vector in found.items() if vector is None]
        if missing:
            embedder = self.dense.embedder
            batch = getattr(embedder, "embed_queries", None)
            vectors = batch(missing) if batch is not None else [embedder.embed_query(w) for w in missing]
            new = dict(zip(missing, np.asarray(vectors, dtype=np.float32), strict=True))
            found.update(new)
            if len(self._word_vectors) + len(new) > WORD_VECTOR_CACHE:
                self._word_vectors.clear()
            self._word_vectors.update(new)
        return np.stack([found[w] for w in words])

    # -- weighted-sum fusion (baseline) --------------------------------------------------------------

    def _fused(self, question: str, terms: list[str], idx: np.ndarray, k: int, cfg: SearchConfig,
               scope: list[str] | None) -> tuple[list[Hit], float]:
        in_scope = [self.passages[i] for i in idx]
        lexical = np.zeros(len(in_scope), dtype=np.float32)
        if self.lexical is not None and cfg.lexical_weight > 0:
            lexical = self._lexical_scores(question)[idx]
            if terms:
                lexical = lexical + cfg.expansion_weight * self._lexical_scores(" ".join(terms))[idx]
        dense = np.zeros(len(in_scope), dtype=np.float32)
        if self.dense is not None and cfg.dense_weight > 0:
            sims = self.dense.query(self.dense.embed_query(question), cfg.dense_candidates, scope)
            dense = np.array([sims.get(p.key, 0.0) for p in in_scope], dtype=np.float32)
        lex_top = float(lexical.max()) if len(lexical) else 0.0
        lex_norm = lexical / lex_top if lex_top > 0 else lexical
        dense_clipped = np.clip(dense - cfg.dense_floor, 0, None)
        dense_top = float(dense_clipped.max()) if len(dense_clipped) else 0.0
        dense_norm = dense_clipped / dense_top if dense_top > 0 else dense_clipped
        fused = cfg.lexical_weight * lex_norm + cfg.dense_weight * dense_norm
        order = np.argsort(-fused, kind="stable")[: max(k, 1) * 4]
        hits = [Hit(in_scope[i], float(fused[i]), float(lexical[i]), float(dense[i])) for i in order if fused[i] > 0]
        return hits, float(fused.max()) if len(fused) else 0.0
