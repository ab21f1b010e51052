"""The learned part of the search: a linear ranker over per-passage features and a logistic abstention
model over per-question features, both read from ``data/ranker.json``.

``python -m evals.fit_ranker`` refits the file on the dev split only (never the test split). The weights
are small and readable: each feature's contribution to a passage's score is ``weight * value``.

Passage features (computed over the passages in scope, so they do not depend on the corpus size):

- ``dense``, ``heading``: the question's cosine similarity to the passage and to its article's heading,
  each z-scored over the passages in scope (e5 squeezes cosines into a narrow band; z-scores make the two
  comparable and keep the weights meaningful for other embedders). The question's vector is the adapted
  one (``retrieval.e5onnx.QueryAdapter``) when the embedder has an adapter.
- ``lexical``: BM25 of the question's own words plus its expansion words, as a share of the score a
  passage would reach that matched each of them as well as the best passage for it does. Dividing by the
  best passage's score instead (as ``char_bigram`` does) made a passage sharing one common word (書類) with
  a question whose best match is weak look like a full match, and let it outrank the clause that holds the
  rarer statutory words the expansion found (関係行政機関, 簡易書留).
- ``article_lexical``: the same share for the passage's whole article, matched as one text: a question
  often takes its words from the heading and from different paragraphs of one article.
- ``char_bigram``: BM25 of the question's character bigrams (punctuation and spaces removed), divided by
  the best passage's score: it meets spellings and word splits that the word tokens miss.
- ``heading_overlap``, ``heading_overlap_expansion``: share of the heading's character bigrams that occur in
  the question (and in the question plus its expansion words): 「総括保護管理者は誰」 names 第4条 exactly.
- ``hub``: how similar the passage is to the corpus as a whole. Generic passages (definitions, record
  keeping …) sit near every question of the bundled model. Its weight was strongly negative while the
  dense feature came from the bundled model; with the query adapter and 571 dev questions it is fitted
  slightly positive (+0.7 per cosine unit, against +1.4 per standard deviation of ``dense``).
- ``length`` (log characters), ``item`` (a passage cut out of a long enumeration), ``appendix``
  (supplementary provisions and forms).

Abstention: the coverage score is ``dense_margin + weight * lexical_evidence`` and hogo abstains below a
threshold calibrated on dev.

- ``dense_margin``: best similarity to something the rules cover minus best similarity to an off-topic
  description, all embedded as queries so they are on the same scale, all by the bundled model: the adapter
  was fitted on covered questions only and pulls every question towards the clauses, off-topic ones too
  (with an adapter over all twelve layers, validation abstention recall fell from 0.92 to 0.80). What the
  rules cover is their clauses and, where every document in scope has enough of them
  (``search.MIN_EXAMPLES``), the example questions they answer (``data/examples.tsv``, the covered dev
  questions). Questions sit nearer to questions than to clauses, covered and uncovered ones alike (by
  about 0.02 on average), but the nearest example separates the two better than the nearest clause: over
  the two dev batches written independently of the rest, each question counting only examples from other
  batches, the score's AUC rose from 0.958 to 0.978. Scores with examples are higher, so they have their
  own threshold (``abstain_below_examples``); scopes with too few examples keep the clauses-only one
  (``abstain_below``).
- ``lexical_evidence``: BM25 of the best passage for the question's own plus expansion words, capped at
  ``LEXICAL_EVIDENCE_CAP`` (the baseline's rule, weight 0.004 per point).

The weights are a fixed prior, not fitted. A logistic regression over these and other lexical features
was tried: on dev it separated perfectly, but the expansion dictionary was grown on dev questions, so it
learned to trust lexical evidence more than new questions deserve and abstained on covered questions.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

DEFAULT_PATH = Path(__file__).parent / "data" / "ranker.json"
PASSAGE_FEATURES = (
    "dense", "heading", "lexical", "article_lexical", "char_bigram", "heading_overlap",
    "heading_overlap_expansion", "hub", "length", "item", "appendix",
)
QUESTION_FEATURES = ("dense_margin", "lexical_evidence")
LEXICAL_EVIDENCE_CAP = 15.0
COVERAGE_WEIGHTS = (1.0, 0.004)  # fixed prior for QUESTION_FEATURES (see the module docstring)


@dataclass
class Ranker:
    weights: np.ndarray  # one per PASSAGE_FEATURES
    abstain_weights: np.ndarray  # one per QUESTION_FEATURES, applied to (features - mean) / scale
    abstain_mean: np.ndarray
    abstain_scale: np.ndarray
    abstain_bias: float
    abstain_below: float  # abstain when the coverage score (clauses only) falls below this
    meta: dict = field(default_factory=dict)
    abstain_below_examples: float | None = None  # the same, when example questions count (None: never)

    def score(self, features: np.ndarray) -> np.ndarray:
        """Ranking score of each row of a (passages x PASSAGE_FEATURES) matrix."""
        return features @ self.weights

    def coverage(self, features: np.ndarray) -> float:
        """How clearly the rules cover the question; compared with ``abstain_below``."""
        z = (features - self.abstain_mean) / self.abstain_scale
        return float(z @ self.abstain_weights + self.abstain_bias)

    def threshold(self, with_examples: bool) -> float:
        """The abstention threshold for a coverage score computed with or without example questions."""
        if with_examples and self.abstain_below_examples is not None:
            return self.abstain_below_examples
        return self.abstain_below

    @classmethod
    def load(cls, path: Path = DEFAULT_PATH) -> Ranker:
        data = json.loads(path.read_text(encoding="utf-8"))
        ranking, abstain = data["ranking"], data["abstention"]
        missing = [f for f in PASSAGE_FEATURES if f not in ranking["weights"]]
        missing += [f for f in QUESTION_FEATURES if f not in abstain["weights"]]
        if missing:
            raise ValueError(f"{path}: no weight for feature(s) {', '.join(missing)}; refit with evals.fit_ranker")
        return cls(
            weights=np.array([ranking["weights"][f] for f in PASSAGE_FEATURES], dtype=np.float64),
            abstain_weights=np.array([abstain["weights"][f] for f in QUESTION_FEATURES], dtype=np.float64),
            abstain_mean=np.array([abstain["mean"][f] for f in QUESTION_FEATURES], dtype=np.float64),
            abstain_scale=np.array([abstain["scale"][f] for f in QUESTION_FEATURES], dtype=np.float64),
            abstain_bias=float(abstain["bias"]),
            abstain_below=float(abstain["abstain_below"]),
            meta=dict(data.get("meta", {})),
            abstain_below_examples=(None if abstain.get("abstain_below_examples") is None
                                    else float(abstain["abstain_below_examples"])),
        )

    def save(self, path: Path = DEFAULT_PATH) -> None:
        def named(names: tuple[str, ...], values: np.ndarray) -> dict[str, float]:
            return {n: round(float(v), 6) for n, v in zip(names, values, strict=True)}

        data = {
            "meta": self.meta,
            "ranking": {"weights": named(PASSAGE_FEATURES, self.weights)},
            "abstention": {
                "weights": named(QUESTION_FEATURES, self.abstain_weights),
                "mean": named(QUESTION_FEATURES, self.abstain_mean),
                "scale": named(QUESTION_FEATURES, self.abstain_scale),
                "bias": round(self.abstain_bias, 6),
                "abstain_below": round(self.abstain_below, 6),
                "abstain_below_examples": (None if self.abstain_below_examples is None
                                           else round(self.abstain_below_examples, 6)),
            },
        }
        path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
