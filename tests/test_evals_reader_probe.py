"""The reader experiment's report: AUCs and the uncovered questions a reader would catch (no model is run)."""

from __future__ import annotations

import numpy as np

from evals.reader_probe import Searched, _split, auc, report


def row(covered: bool, abstained: bool, relevance: float, golds: list[bool]) -> Searched:
    return Searched("d", covered, abstained, relevance, [(f"p{n}", g) for n, g in enumerate(golds)])


def test_auc_counts_ties_as_half():
    assert auc([2.0, 3.0], [1.0]) == 1.0 and auc([1.0], [2.0]) == 0.0 and auc([1.0], [1.0]) == 0.5


def test_scores_are_split_back_per_question():
    rows = [row(True, False, 0.1, [True, False]), row(False, False, 0.0, [False])]
    assert _split(np.array([0.5, 0.2, 0.9]), rows) == [[0.5, 0.2], [0.9]]


def test_report_counts_the_uncovered_questions_below_the_covered_floor():
    covered = [row(True, False, 0.1 + n / 100, [True, False, False]) for n in range(40)]
    missed = [row(False, False, 0.05, [False, False]), row(False, False, 0.06, [False, False])]
    declined = [row(False, True, 0.0, [False])]
    rows = covered + missed + declined
    scores = [[1.0 + n, 0.0, 0.0] for n in range(40)] + [[-5.0, -6.0], [9.0, 0.0], [-9.0]]
    line = report("tuned", rows, scores)
    # of the two uncovered questions the search answered, the one scoring -5 is below the covered floor, the one
    # scoring 9 is not; every covered question's gold passage beats its other passages
    assert "answered by the search: 2" in line and "covered floor: 1" in line
    assert "pair AUC 1.000" in report("tuned", covered + declined, scores[:40] + [[-9.0]])
