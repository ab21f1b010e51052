"""Retrieval on regulations nothing was fitted on ("unseen documents").

``datasets/unseen/regulations/`` holds realistic regulations of fictional bodies, written for this purpose in
other wording, structure and post names than the bundled ones, and ``datasets/unseen/<doc>.jsonl`` their
questions. Neither is read by any fit (ranker, query adapter, examples, thresholds, vocabulary). They are
loaded beside the configured corpus into an index of their own under ``<data dir>/eval-unseen`` and scored
per document, each question scoped to its document as a new city's staff would ask. They are never part of
the bundled corpus: staff must not get answers from a fictional body.
"""

from __future__ import annotations

from pathlib import Path

from corpus.loader import Corpus, parse_file
from evals import nuggets
from evals.metrics import score
from evals.runner import Question, load_questions, run_engine
from retrieval.engine import AskEngine

UNSEEN = Path(__file__).parent / "datasets" / "unseen"
READ = ".read"  # nuggets/<doc>.read.jsonl: a nugget set whose misses were read while changing the composer


def unseen_corpus(base: Corpus, folder: Path = UNSEEN / "regulations") -> Corpus:
    """The configured corpus plus the unseen regulations."""
    corpus = Corpus(dict(base.regulations))
    for path in sorted(folder.glob("*.txt")):
        reg = parse_file(path)
        corpus.regulations[reg.id] = reg
    return corpus


def questions(folder: Path = UNSEEN) -> dict[str, list[Question]]:
    """The unseen documents' questions, by document id (the file name)."""
    return {path.stem: load_questions(path, "unseen") for path in sorted(folder.glob("*.jsonl"))}


def evaluate(base: Corpus, data_dir: Path, embedder: str, chroma_url: str | None = None,
             progress=None) -> tuple[dict[str, dict[str, float]], dict[str, dict[str, float]]]:
    """Retrieval metrics per unseen document and over all of them (row "unseen (all)"), and the answer metrics
    (``evals.nuggets``) of the documents that have nugget questions (``datasets/unseen/nuggets/<doc>.jsonl``)."""
    engine = AskEngine.open(unseen_corpus(base), data_dir / "eval-unseen", embedder, chroma_url, progress=progress)
    rows, every = {}, []
    for doc, qs in questions().items():
        engine.ask(qs[0].q, qs[0].scope)  # warm-up
        outcomes = run_engine(engine, qs)
        rows[doc] = score(outcomes)
        every += outcomes
    if len(rows) > 1:
        rows["unseen (all)"] = score(every)
    answers, stated = {}, []
    for path in sorted((UNSEEN / "nuggets").glob("*.jsonl")):
        outcomes = nuggets.run(engine, nuggets.load(path.stem, UNSEEN / "nuggets"))
        read = path.stem.endswith(READ)  # read while changing the composer: shown, not in "unseen (all)"
        answers[path.stem.removesuffix(READ) + (" (read)" if read else "")] = nuggets.score(outcomes)
        stated += [] if read else outcomes
    if len(answers) > 1:
        answers["unseen (all)"] = nuggets.score(stated)
    return rows, answers
