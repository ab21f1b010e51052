"""`hogo eval`: the metrics table for hogo and its two baselines."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

import evals
from bot.services import ProgressBar, open_engine
from bot.settings import Settings
from evals.metrics import Outcome, article_of, score

if TYPE_CHECKING:
    from evals.runner import Question

DATASETS = Path(evals.__file__).resolve().parent / "datasets"

TARGETS = {"R@3": 0.95, "R@1": 0.80, "MRR": 0.85, "abst-R": 0.90}
NUGGET_TARGETS = {"nugget-R": 0.85}
MAX_MEDIAN_CHARS = 400


def eval_(
    split: str = typer.Option("test", "--split", help="test (never tuned on), dev, or all."),
    dataset: Path = typer.Option(DATASETS, "--dataset", exists=True, help="A JSONL file or a folder of them."),
    baselines: bool = typer.Option(True, "--baselines/--no-baselines", help="Also run BM25 and naive RAG."),
    check: bool = typer.Option(False, "--check", help="Exit 1 if hogo misses a target."),
    misses: bool = typer.Option(False, "--misses", help="List the questions hogo gets wrong (dev split only)."),
    unseen: bool = typer.Option(True, "--unseen/--no-unseen",
                                help="Also score the regulations nothing was fitted on (evals/datasets/unseen)."),
) -> None:
    """Score retrieval on the question set: Recall@1/3/5, MRR, paragraph hit@5, abstention, latency.

    Example: hogo eval --split test
    """
    from evals.baselines import NaiveRag, bm25_only  # heavy (Chroma, models): loaded only when evaluating
    from evals.runner import format_table, load_questions, run_engine, run_searcher

    if misses and split != "dev":
        raise typer.BadParameter("--misses lists failures of the dev split only; the test split stays unseen")
    settings = Settings()
    engine = open_engine(settings, generative=False)  # scores retrieval and the extractive answers
    questions = load_questions(dataset, split)
    if not questions:
        raise typer.BadParameter(f"no questions in split {split!r}")
    engine.ask(questions[0].q, questions[0].scope)  # warm-up: first call pays one-time costs
    outcomes = run_engine(engine, questions)
    rows = {"hogo": score(outcomes)}
    if baselines:
        rows["bm25-only"] = score(run_searcher(bm25_only(engine.corpus), questions))
        rag = NaiveRag(engine.corpus, engine.dense.client, engine.dense.embedder, settings.embedder)
        outcomes = []
        for q in questions:
            articles, ms = rag.ranked_articles(q.q, q.scope)
            outcomes.append(Outcome(q.id, q.gold, [], False, ms, ranked_articles=articles or ["-"]))
        rows["naive-rag"] = score(outcomes)
    covered = sum(1 for q in questions if q.gold)
    typer.echo(f"split={split}: {len(questions)} questions ({covered} covered, {len(questions) - covered} not covered)")
    typer.echo(format_table(rows))
    typer.echo("R@k: a gold article among the first k cited articles; P-hit@5: a gold paragraph among 5 citations;")
    typer.echo("abst-P/R: precision/recall of abstaining on uncovered questions;")
    typer.echo("covered-abst: share of covered questions abstained.")
    if misses:
        for line in miss_lines(questions, outcomes):
            typer.echo(line)
    hogo = rows["hogo"]
    missed = [f"{m} {hogo[m]:.3f} < {t}" for m, t in TARGETS.items() if hogo[m] < t]
    if hogo["covered-abst"] > 0.05:
        missed.append(f"covered-abst {hogo['covered-abst']:.3f} > 0.05")
    if dataset.resolve() == DATASETS:  # the answer and unseen-document tables belong to the bundled datasets
        missed += _nuggets(engine, split, misses)
        if unseen:
            missed += _unseen(engine, settings)
    if missed:
        typer.echo("targets missed: " + "; ".join(missed))
        if check:
            raise typer.Exit(1)
    else:
        typer.echo("all retrieval targets met")


UNSEEN_TARGETS = {"R@3": 0.92, "R@1": 0.80}


def _unseen(engine, settings: Settings) -> list[str]:
    """Print the retrieval table of the unseen documents; return the targets they miss."""
    from evals import nuggets, unseen
    from evals.runner import format_table

    bar = ProgressBar("indexing unseen documents")
    rows, answers = unseen.evaluate(engine.corpus, settings.data_dir, settings.embedder, settings.chroma_url, bar)
    bar.close()
    typer.echo("\nunseen documents (regulations of fictional bodies nothing was fitted on; each question scoped to its"
               " document)")
    typer.echo(format_table(rows))
    if answers:
        typer.echo("\nanswers on unseen documents (nugget questions written from their texts alone)")
        typer.echo(nuggets.format_table({}, answers))
    overall = rows.get("unseen (all)") or next(iter(rows.values()), None)
    if overall is None:
        return []
    missed = [f"unseen {m} {overall[m]:.3f} < {t}" for m, t in UNSEEN_TARGETS.items() if overall[m] < t]
    if overall["abst-R"] < 1.0:
        missed.append(f"unseen abst-R {overall['abst-R']:.3f} < 1.0")
    if overall["covered-abst"] > 0.05:
        missed.append(f"unseen covered-abst {overall['covered-abst']:.3f} > 0.05")
    return missed


def _nuggets(engine, split: str, misses: bool) -> list[str]:
    """Print the answer-quality table for the split's nugget questions; return the targets it misses."""
    from evals import nuggets

    questions = nuggets.load(split)
    if not questions:
        return []
    outcomes = nuggets.run(engine, questions)
    metrics = nuggets.score(outcomes)
    typer.echo(f"\nanswers, split={split}: {len(questions)} questions with nuggets (facts a correct answer states)")
    typer.echo(nuggets.format_table(metrics))
    typer.echo("nugget-R: share of facts stated in the answer text; ceiling-R: the same over the cited clauses'")
    typer.echo("full texts; all-nuggets: share of answers stating every fact; abstained: count.")
    if misses:
        by_id = {q.id: q for q in questions}
        for o in outcomes:
            if o.recall < 1.0:
                typer.echo(f"{o.id} nugget-R {o.recall:.2f} missing {o.missed}: {by_id[o.id].q}")
    missed = [f"{m} {metrics[m]:.3f} < {t}" for m, t in NUGGET_TARGETS.items() if metrics[m] < t]
    if metrics["median chars"] > MAX_MEDIAN_CHARS:
        missed.append(f"median chars {metrics['median chars']:.0f} > {MAX_MEDIAN_CHARS}")
    if metrics["abstained"]:
        missed.append(f"{metrics['abstained']:.0f} nugget questions abstained")
    return missed


def miss_lines(questions: list[Question], outcomes: list[Outcome]) -> list[str]:
    """One line per question whose first cited article is not gold, or that abstained wrongly."""
    lines = []
    for q, o in zip(questions, outcomes, strict=True):
        gold = {article_of(g) for g in q.gold}
        articles = o.articles()
        if not q.gold and not o.abstained:
            lines.append(f"{q.id} [{q.style}] answered an uncovered question with {articles[:2]}: {q.q}")
        elif q.gold and (o.abstained or not gold & set(articles[:1])):
            rank = next((i for i, a in enumerate(articles, 1) if a in gold), None)
            where = "abstained" if o.abstained else f"gold at rank {rank or '-'}"
            lines.append(f"{q.id} [{q.style}] {where}; gold {sorted(gold)}, cited {articles[:3]}: {q.q}")
    return lines
