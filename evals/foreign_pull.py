"""Sweep the threshold of the foreign-word rule of abstention (``retrieval.search.FOREIGN_PULL_BELOW``) on dev
questions, each bundled document scored as if it were a newly added city.

Usage: python -m evals.foreign_pull [DATA_DIR]

For each bundled document D the shipped files are opened with the example questions answered by D removed (as
the "shipped, no examples of doc" row of ``evals.lodo``): D's coverage is then judged by its clauses alone, as
a new city's is, which is where the rule applies. D's dev questions scoped to D alone are searched with the
rule off and at each threshold (the search itself decides, exceptions and gate included, so this cannot drift
from it), and the script prints the share of uncovered questions abstained (abst-R) and of covered ones
(covered-abst) at each, then the coverage scores of the questions the shipped threshold adds.

Only dev questions are read (the validation, test and unseen questions never are).
"""

from __future__ import annotations

import argparse
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from corpus.loader import Corpus
from evals.lodo import without_doc
from evals.runner import load_questions
from retrieval import search
from retrieval.engine import EXAMPLES, AskEngine

THRESHOLDS = (-0.015, -0.02, -0.025, -0.03, -0.035, -0.04)


@dataclass
class Outcome:
    doc: str
    covered: bool
    relevance: float  # the coverage score
    abstained: dict[float, bool]  # by threshold (-inf: the rule off)


def outcomes(corpus: Corpus, data_dir: Path, scratch: Path, thresholds: tuple[float, ...]) -> list[Outcome]:
    dev = load_questions(split="dev")
    found = []
    for doc in corpus.regulations:
        folder = scratch / doc
        folder.mkdir(parents=True, exist_ok=True)
        engine = AskEngine.open(corpus, data_dir, examples=without_doc(EXAMPLES, doc, folder / "examples.tsv"))
        searcher = engine.searcher
        assert searcher.example_rows(searcher._scope([doc])) is None  # judged by the clauses alone
        for q in dev:
            if q.scope != [doc]:
                continue
            abstained, relevance = {}, 0.0
            for threshold in thresholds:
                search.FOREIGN_PULL_BELOW = threshold  # read by the search at each call
                result = searcher.search(q.q, q.scope)
                abstained[threshold], relevance = result.abstain, result.relevance
            found.append(Outcome(doc, bool(q.gold), relevance, abstained))
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_dir", nargs="?", default=".hogo")
    args = parser.parse_args()
    shipped = search.FOREIGN_PULL_BELOW
    thresholds = tuple(sorted({-np.inf, shipped, *THRESHOLDS}))
    try:
        with tempfile.TemporaryDirectory(prefix="hogo-foreign-") as scratch:
            found = outcomes(Corpus.load(), Path(args.data_dir), Path(scratch), thresholds)
    finally:
        search.FOREIGN_PULL_BELOW = shipped
    docs = [*dict.fromkeys(o.doc for o in found), "both"]
    header = f"{'threshold':>10}" + "".join(f"{d + ' abst-R':>28}{'covered-abst':>14}" for d in docs)
    print(f"dev questions scored as a new city's (examples of the document removed); shipped {shipped}, applied "
          f"under a coverage score of {search.FOREIGN_PULL_UNDER}")
    print(header)
    for threshold in (-np.inf, *sorted(THRESHOLDS, reverse=True)):
        line = f"{'off' if threshold == -np.inf else threshold:>10}"
        for doc in docs:
            rows = found if doc == "both" else [o for o in found if o.doc == doc]
            uncovered = [o.abstained[threshold] for o in rows if not o.covered]
            covered = [o.abstained[threshold] for o in rows if o.covered]
            line += f"{np.mean(uncovered):>20.3f} ({sum(uncovered):>2}/{len(uncovered):<2})"
            line += f"{np.mean(covered):>7.3f} ({sum(covered):>2}/{len(covered):<3})"
        print(line)
    added = [o for o in found if o.abstained[shipped] and not o.abstained[-np.inf]]
    for covered in (False, True):
        scores = sorted(round(o.relevance, 3) for o in added if o.covered is covered)
        print(f"coverage scores of the {'covered' if covered else 'uncovered'} questions the shipped threshold adds: "
              f"{scores}")


if __name__ == "__main__":
    main()
