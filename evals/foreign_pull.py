"""Sweep the threshold of the foreign-word rule of abstention (``retrieval.search.FOREIGN_PULL_BELOW``) on dev
questions, each bundled document scored as if it were a newly added city.

Usage: python -m evals.foreign_pull [DATA_DIR]

For each bundled document D the shipped files are opened with the example questions answered by D removed (as
the "shipped, no examples of doc" row of ``evals.lodo``): D's coverage is then judged by its clauses alone, as
a new city's is, which is where the rule applies. D's dev questions scoped to D alone are searched once with
the rule off; for each question the script keeps whether it abstained, its coverage score and its
``foreign_pull``, and prints, for each threshold, the share of uncovered questions abstained (abst-R) and of
covered ones (covered-abst) with the rule on (under ``FOREIGN_PULL_UNDER``), then the coverage scores of the
questions the shipped threshold catches. A question the rule would catch but that the rules' own words or an
incident keep answered (``in_rules_words``, ``reports_an_incident``), or that is about consigning work
(``about_consignment``), stays answered, as in the search.

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
    abstained: bool  # with the rule off
    kept: bool  # not for this rule: the rules' own words, an incident, consigning work
    pull: float
    relevance: float  # the coverage score


def outcomes(corpus: Corpus, data_dir: Path, scratch: Path) -> list[Outcome]:
    dev = load_questions(split="dev")
    found = []
    for doc in corpus.regulations:
        folder = scratch / doc
        folder.mkdir(parents=True, exist_ok=True)
        engine = AskEngine.open(corpus, data_dir, examples=without_doc(EXAMPLES, doc, folder / "examples.tsv"))
        searcher = engine.searcher
        for q in dev:
            if q.scope != [doc]:
                continue
            question, _, terms = searcher.prepare(q.q)
            idx = searcher._scope(q.scope)
            assert searcher.example_rows(idx) is None  # judged by the clauses alone
            result = searcher.search(q.q, q.scope)
            kept = (searcher.in_rules_words(question, idx) or search.reports_an_incident(terms, result.hits)
                    or search.about_consignment(question, terms, result.hits))
            found.append(Outcome(doc, bool(q.gold), result.abstain, kept, searcher.foreign_pull(question, idx),
                                 result.relevance))
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_dir", nargs="?", default=".hogo")
    args = parser.parse_args()
    shipped, under = search.FOREIGN_PULL_BELOW, search.FOREIGN_PULL_UNDER
    search.FOREIGN_PULL_BELOW = -np.inf  # the rule off: each question's pull is applied below instead
    try:
        with tempfile.TemporaryDirectory(prefix="hogo-foreign-") as scratch:
            found = outcomes(Corpus.load(), Path(args.data_dir), Path(scratch))
    finally:
        search.FOREIGN_PULL_BELOW = shipped
    docs = [*dict.fromkeys(o.doc for o in found), "both"]
    header = f"{'threshold':>10}" + "".join(f"{d + ' abst-R':>28}{'covered-abst':>14}" for d in docs)
    print(f"dev questions scored as a new city's (examples of the document removed); shipped {shipped}, applied "
          f"under a coverage score of {under}")
    print(header)
    for threshold in (None, *THRESHOLDS):
        line = f"{'off' if threshold is None else threshold:>10}"
        for doc in docs:
            rows = found if doc == "both" else [o for o in found if o.doc == doc]
            abstain = [o.abstained or (threshold is not None and o.pull < threshold and o.relevance < under
                                       and not o.kept) for o in rows]
            uncovered = [a for a, o in zip(abstain, rows, strict=True) if not o.covered]
            covered = [a for a, o in zip(abstain, rows, strict=True) if o.covered]
            line += f"{np.mean(uncovered):>20.3f} ({sum(uncovered):>2}/{len(uncovered):<2})"
            line += f"{np.mean(covered):>7.3f} ({sum(covered):>2}/{len(covered):<3})"
        print(line)
    caught = [o for o in found if not o.abstained and not o.kept and o.pull < shipped]
    for covered in (False, True):
        scores = sorted(round(o.relevance, 3) for o in caught if o.covered is covered)
        print(f"coverage scores of the {'covered' if covered else 'uncovered'} questions the shipped threshold catches "
              f"(before the gate): {scores}")


if __name__ == "__main__":
    main()
