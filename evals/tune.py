"""Sweep fusion weights and the abstention threshold on the dev split only (never the test split).

Usage: python -m evals.tune [DATA_DIR]
"""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

from corpus.loader import Corpus
from evals.metrics import Outcome, score
from evals.runner import format_table, load_questions
from retrieval.engine import AskEngine


def main() -> None:
    data_dir = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(".hogo")
    engine = AskEngine.open(Corpus.load(), data_dir)
    questions = load_questions(split="dev")
    base = engine.searcher.config
    rows = {}
    for lexical in (0.3, 0.4, 0.5):
        for expand in (1.0, 0.5, 0.3):
            config = replace(base, lexical_weight=lexical, dense_weight=1 - lexical, expansion_weight=expand)
            outcomes, margins = [], []
            for q in questions:
                result = engine.searcher.search(q.q, q.scope, 5, config)
                abstain = result.relevance < config.abstain_below
                outcomes.append(Outcome(q.id, q.gold, [] if abstain else [h.passage.key for h in result.hits[:5]],
                                        abstain, result.timings_ms["retrieve"]))
                margins.append((result.relevance, bool(q.gold)))
            rows[f"lex={lexical} expansion={expand}"] = score(outcomes)
            uncovered = sorted(m for m, covered in margins if not covered)
            covered = sorted(m for m, covered in margins if covered)
            print(f"lex={lexical} expansion={expand} relevance: uncovered max {uncovered[-3:]}, "
                  f"covered min {covered[:4]}")
    print(format_table(rows))


if __name__ == "__main__":
    main()
