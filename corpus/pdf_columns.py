"""A PDF page's lines in reading order, pages set in two columns included (as some 例規集 and 公報 print).

pdfplumber reads a page row by row, so on a page in two columns the left and the right line at the same
height come out as one line and the articles of both columns interleave. ``page_lines`` finds the gutter
between the columns from the words' positions and reads each column on its own; a page it does not find
one on (one column, short lines, a table) reads row by row exactly as before.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter
from itertools import groupby

GUTTER_BAND = (0.3, 0.7)  # the middle of the gap between two columns lies between these shares of the width
MIN_GUTTER = 6.0  # points: a narrower gap is the space between two words
MAX_CROSSING = 0.15  # share of the page's rows (3 in any case) that may cross the gutter: a title, a page number
MIN_COLUMN_LINES = 3
MIN_WIDTH_SHARE = 0.8  # the columns are about as wide: the narrower one's longest line is this share of the other's
MAX_TABLE_RULES = 2  # more horizontal rules across the gap: the middle of a table, not a gutter

Line = tuple[str, float, float, float]  # text, top, bottom, the page's height


def page_lines(page) -> list[Line]:
    """A pdfplumber page's lines in reading order, each with its top, its bottom and the page's height.

    On a page set in two columns a row that crosses the gutter (a title, a heading, a centred page number)
    stays in its place, and each run of rows between such rows is read as its left column, then its right.
    """
    rows = page.extract_text_lines(strip=True, return_chars=True)
    gutter = find_gutter(page.extract_words(), page.horizontal_edges, page.bbox)
    if gutter is None:
        lines = rows
    else:
        middle = sum(gutter) / 2
        lines = []
        for crossing, run in groupby(rows, key=lambda row: crosses(row, middle)):
            run = list(run)
            if crossing:
                lines += run
                continue
            top, bottom = run[0]["top"], max(row["bottom"] for row in run)
            lines += lines_within(page, -math.inf, middle, top, bottom)
            lines += lines_within(page, middle, math.inf, top, bottom)
    return [(line["text"], line["top"], line["bottom"], page.height) for line in lines if line["text"].strip()]


def find_gutter(words: list[dict], rules: list[dict], bbox: tuple) -> tuple[float, float] | None:
    """The left and right edge of the gutter between two columns of text, or None for a page in one column.

    ``words`` are pdfplumber's words, ``rules`` its horizontal edges, ``bbox`` the page's. The gutter is the
    widest gap, centred in GUTTER_BAND of the page, that words cross or sit in on no more than MAX_CROSSING
    of the page's rows (a title, a centred page number); the words ending left of its middle and those
    starting right of it stay at least MIN_GUTTER apart. Both sides must read as columns: MIN_COLUMN_LINES
    lines or more, most of them starting within a character of the side's commonest start, and about as
    wide as each other (a list of short items or a table's labels are narrower than the text beside them).
    More than MAX_TABLE_RULES horizontal rules across the gutter make it the middle of a table.
    """
    if len(words) < 2 * MIN_COLUMN_LINES:
        return None
    page_left, _, page_right, _ = bbox
    low, high = (page_left + share * (page_right - page_left) for share in GUTTER_BAND)
    allowance = max(3, MAX_CROSSING * len({round(w["top"]) for w in words}))
    gaps = [(x0, x1) for x0, x1 in clear_gaps(words, allowance)
            if x1 - x0 >= MIN_GUTTER and low <= (x0 + x1) / 2 <= high]
    if not gaps:
        return None
    gap_left, gap_right = max(gaps, key=lambda gap: gap[1] - gap[0])
    middle = (gap_left + gap_right) / 2  # words centred in the gap (a page number, a short heading) are no column's
    columns = ([w for w in words if w["x1"] <= middle and w["x0"] + w["x1"] <= 2 * gap_left],
               [w for w in words if w["x0"] >= middle and w["x0"] + w["x1"] >= 2 * gap_right])
    if not all(columns):
        return None
    left, right = max(w["x1"] for w in columns[0]), min(w["x0"] for w in columns[1])
    if right - left < MIN_GUTTER:
        return None
    em = statistics.median(w["bottom"] - w["top"] for w in words)
    widths = []
    for column in columns:
        rows = column_rows(column)
        if len(rows) < MIN_COLUMN_LINES:
            return None
        commonest = Counter(round(x0) for x0, _ in rows).most_common(1)[0][0]
        if sum(abs(x0 - commonest) <= em for x0, _ in rows) * 2 < len(rows):
            return None
        widths.append(max(x1 - x0 for x0, x1 in rows))
    if min(widths) < MIN_WIDTH_SHARE * max(widths):
        return None
    if sum(rule["x0"] <= left and rule["x1"] >= right for rule in rules) > MAX_TABLE_RULES:
        return None
    return left, right


def clear_gaps(words: list[dict], allowance: float) -> list[tuple[float, float]]:
    """The x ranges between words that no more than ``allowance`` words cross (the margins left out)."""
    edges = sorted([(w["x0"], 1) for w in words] + [(w["x1"], -1) for w in words])
    gaps, crossing, start = [], 0, None
    for x, step in edges:  # at the same x a word ends before the next one begins
        was_clear = crossing <= allowance
        crossing += step
        if was_clear and crossing > allowance and start is not None:
            gaps.append((start, x))
        elif not was_clear and crossing <= allowance:
            start = x
    return gaps


def lines_within(page, x0: float, x1: float, top: float, bottom: float) -> list[dict]:
    """The lines of the chars whose centre lies in the box (a crop would cut a char on its edge in two)."""
    def inside(obj: dict) -> bool:
        return x0 <= (obj["x0"] + obj["x1"]) / 2 < x1 and top <= (obj["top"] + obj["bottom"]) / 2 <= bottom

    return page.filter(inside).extract_text_lines(strip=True)


def column_rows(words: list[dict]) -> list[tuple[float, float]]:
    """Where each row of these words starts and ends."""
    rows: dict[int, tuple[float, float]] = {}
    for w in words:
        x0, x1 = rows.get(round(w["top"]), (w["x0"], w["x1"]))
        rows[round(w["top"])] = min(x0, w["x0"]), max(x1, w["x1"])
    return list(rows.values())


def crosses(row: dict, middle: float) -> bool:
    """Whether a row's text runs across the middle of the gutter (a title) rather than up to it from a side."""
    ends = [c["x1"] for c in row["chars"] if c["x0"] + c["x1"] < 2 * middle]
    starts = [c["x0"] for c in row["chars"] if c["x0"] + c["x1"] >= 2 * middle]
    return bool(ends and starts) and min(starts) - max(ends) < MIN_GUTTER
