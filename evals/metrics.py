"""Retrieval metrics over gold clause keys (article level and paragraph level) plus abstention."""

from __future__ import annotations

from dataclasses import dataclass, field


def article_of(key: str) -> str:
    parts = key.split(":")
    return ":".join(parts[:2])


def paragraph_of(key: str) -> str | None:
    parts = key.split(":")
    return ":".join(parts[:3]) if len(parts) >= 3 else None


def gold_rows(gold: list[str], keys: list[str]) -> tuple[list[bool], list[bool]]:
    """For each clause key: whether it lies in a gold article, and whether it is (inside) a gold paragraph
    (an article-level gold key counts its whole article as the paragraph)."""
    articles = {article_of(g) for g in gold}
    paragraphs = {paragraph_of(g) or g for g in gold}
    in_article = [article_of(key) in articles for key in keys]
    in_paragraph = [(paragraph_of(key) or key) in paragraphs or article_of(key) in paragraphs for key in keys]
    return in_article, in_paragraph


@dataclass
class Outcome:
    id: str
    gold: list[str]
    ranked: list[str]  # cited keys, best first (empty when abstained)
    abstained: bool
    latency_ms: float
    ranked_articles: list[str] = field(default_factory=list)  # when a system ranks articles directly

    def articles(self) -> list[str]:
        if self.ranked_articles:
            return self.ranked_articles
        return list(dict.fromkeys(article_of(k) for k in self.ranked))


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def score(outcomes: list[Outcome]) -> dict[str, float]:
    """Recall@k = share of covered questions with a gold article among the first k distinct articles
    (an abstained covered question counts as a miss); MRR over the first gold article."""
    covered = [o for o in outcomes if o.gold]
    uncovered = [o for o in outcomes if not o.gold]
    metrics: dict[str, float] = {}
    for k in (1, 3, 5):
        hits = sum(1 for o in covered if {article_of(g) for g in o.gold} & set(o.articles()[:k]))
        metrics[f"R@{k}"] = hits / len(covered) if covered else 0.0
    rr = []
    for o in covered:
        gold = {article_of(g) for g in o.gold}
        rank = next((i for i, a in enumerate(o.articles(), 1) if a in gold), None)
        rr.append(1 / rank if rank else 0.0)
    metrics["MRR"] = sum(rr) / len(rr) if rr else 0.0
    with_paragraph = [o for o in covered if any(paragraph_of(g) for g in o.gold)]
    para_hits = sum(
        1 for o in with_paragraph
        if {paragraph_of(g) for g in o.gold if paragraph_of(g)} & {paragraph_of(k) for k in o.ranked[:5]}
    )
    metrics["P-hit@5"] = para_hits / len(with_paragraph) if with_paragraph else 0.0
    abstained = [o for o in outcomes if o.abstained]
    correct = sum(1 for o in abstained if not o.gold)
    metrics["abst-P"] = correct / len(abstained) if abstained else 0.0
    metrics["abst-R"] = correct / len(uncovered) if uncovered else 0.0
    metrics["covered-abst"] = sum(1 for o in covered if o.abstained) / len(covered) if covered else 0.0
    latencies = [o.latency_ms for o in outcomes]
    metrics["p50 ms"] = percentile(latencies, 50)
    metrics["p95 ms"] = percentile(latencies, 95)
    metrics["n"] = len(outcomes)
    return metrics
