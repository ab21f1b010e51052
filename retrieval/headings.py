"""How much of each passage's article heading a question's words cover, for every passage at once."""

from __future__ import annotations

import numpy as np


class HeadingOverlap:
    """The character bigrams of each passage's heading, kept as flat arrays: a question is compared with
    every heading in one pass of numpy rather than one set intersection per passage, so its cost barely
    grows with the number of regulations loaded. Passages of one article share a heading, and each
    distinct set of bigrams is stored once."""

    def __init__(self, grams: list[set[str]]) -> None:
        columns: dict[str, int] = {}
        sets: dict[frozenset[str], int] = {}
        owner: list[int] = []
        column: list[int] = []
        self.of = np.empty(len(grams), dtype=np.int64)  # passage -> its heading's bigram set
        for i, passage_grams in enumerate(grams):
            key = frozenset(passage_grams)
            if key not in sets:
                sets[key] = len(sets)
                for gram in sorted(key):
                    owner.append(sets[key])
                    column.append(columns.setdefault(gram, len(columns)))
            self.of[i] = sets[key]
        self.columns = columns
        self.owner = np.array(owner, dtype=np.int64)
        self.column = np.array(column, dtype=np.int64)
        self.size = np.bincount(self.owner, minlength=len(sets)).astype(np.float64)

    def share(self, grams: set[str]) -> np.ndarray:
        """Per passage, the share of its heading's bigrams that are in ``grams`` (0 for a heading without any)."""
        present = np.zeros(len(self.columns), dtype=np.float64)
        present[[self.columns[g] for g in grams if g in self.columns]] = 1.0
        found = np.bincount(self.owner, weights=present[self.column], minlength=len(self.size))
        share = np.divide(found, self.size, out=np.zeros_like(found), where=self.size > 0)
        return share[self.of]
