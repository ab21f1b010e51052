"""`hogo eval`: the metrics table for hogo and its two baselines."""

from __future__ import annotations

from pathlib import Path

import typer

import evals
from bot.services import open_engine
from bot.settings import Settings
from evals.metrics import Outcome, score

DATASETS = Path(evals.__file__).resolve().parent / "datasets"

TARGETS = {"R@3": 0.95, "R@1": 0.80, "MRR": 0.85, "abst-R": 0.90}


def eval_(
    split: str = typer.Option("test", "--split", help="test (never tuned on), dev, or all."),
    dataset: Path = typer.Option(DATASETS, "--dataset", exists=True, help="A JSONL file or a folder of them."),
    baselines: bool = typer.Option(True, "--baselines/--no-baselines", help="Also run BM25 and naive RAG."),
    check: bool = typer.Option(False, "--check", help="Exit 1 if hogo misses a target."),
) -> None:
    """Score retrieval on the question set: Recall@1/3/5, MRR, paragraph hit@5, abstention, latency.

    Example: hogo eval --split test
    """
    from evals.baselines import NaiveRag, bm25_only  # heavy (Chroma, models): loaded only when evaluating
    from evals.runner import format_table, load_questions, run_engine, run_searcher

    settings = Settings()
    engine = open_engine(settings)
    questions = load_questions(dataset, split)
    if not questions:
        raise typer.BadParameter(f"no questions in split {split!r}")
    engine.ask(questions[0].q, questions[0].scope)  # warm-up: first call pays one-time costs
    rows = {"hogo": score(run_engine(engine, questions))}
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
    hogo = rows["hogo"]
    misses = [f"{m} {hogo[m]:.3f} < {t}" for m, t in TARGETS.items() if hogo[m] < t]
    if hogo["covered-abst"] > 0.05:
        misses.append(f"covered-abst {hogo['covered-abst']:.3f} > 0.05")
    if misses:
        typer.echo("targets missed: " + "; ".join(misses))
        if check:
            raise typer.Exit(1)
    else:
        typer.echo("all retrieval targets met")
