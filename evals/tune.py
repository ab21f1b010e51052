"""Sweep the search settings on the dev split only (never the test split), by cross-validation.

For each setting the ranker and abstention model are refitted in every fold (see ``evals.fit_ranker``) and
the out-of-fold dev metrics are printed. Nothing is written; ``python -m evals.fit_ranker`` writes the file.

Usage: python -m evals.tune [DATA_DIR]
"""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

from corpus.loader import Corpus
from evals.fit_ranker import cross_validate, samples, untrained
from retrieval.engine import AskEngine


def main() -> None:
    data_dir = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(".hogo")
    engine = AskEngine.open(Corpus.load(), data_dir, ranker=untrained())
    base = engine.searcher.config
    rows = {}
    for dense_terms in (0, 3, 6):
        data = samples(engine.searcher, "dev", replace(base, dense_terms=dense_terms))
        for l2 in (3.0, 10.0, 30.0, 100.0):
            report = cross_validate(data, rank_l2=l2)
            rows[f"dense_terms={dense_terms} l2={l2}"] = report
    columns = ["R@1", "R@3", "R@5", "MRR", "abst-R", "abst-R pessimistic", "covered-abst"]
    width = max(len(name) for name in rows) + 2
    print(" " * width + "".join(f"{c:>20}" for c in columns))
    for name, report in rows.items():
        print(f"{name:<{width}}" + "".join(f"{report[c]:>20.3f}" for c in columns))


if __name__ == "__main__":
    main()
