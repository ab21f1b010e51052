"""Answer quality measured by the facts an answer states ("nuggets"), not by the clauses it cites.

Each question of ``datasets/nuggets/<split>.jsonl`` lists 2–5 short facts a correct answer must state,
each with accepted variants copied from the clause text. A fact counts as stated when one variant occurs in
the answer text, both compared after NFKC with whitespace removed. The same is computed over the full texts
of the cited clauses: the ceiling an answer built from those citations could reach.
"""

from __future__ import annotations

import json
import statistics
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from retrieval.engine import AskEngine

NUGGETS = Path(__file__).parent / "datasets" / "nuggets"
COLUMNS = ["nugget-R", "ceiling-R", "all-nuggets", "median chars", "abstained", "n"]


@dataclass
class NuggetQuestion:
    id: str
    q: str
    scope: list[str] | None
    gold: list[str]
    nuggets: list[list[str]]  # each fact with its accepted variants
    kind: str = ""


def load(split: str, folder: Path = NUGGETS) -> list[NuggetQuestion]:
    """The nugget questions of ``split`` (``dev`` or ``test``; ``all``: both)."""
    files = sorted(folder.glob("*.jsonl")) if split == "all" else [folder / f"{split}.jsonl"]
    rows = []
    for path in files:
        if not path.exists():
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            data = json.loads(line)
            scope = data.get("scope")
            rows.append(NuggetQuestion(str(data["id"]), data["q"], [scope] if isinstance(scope, str) else scope,
                                       list(data.get("gold") or []), [list(n) for n in data["nuggets"]],
                                       data.get("type", "")))
    return rows


def flat(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).split())


def stated(nuggets: list[list[str]], text: str) -> list[bool]:
    """For each fact, whether one of its variants occurs in ``text``."""
    haystack = flat(text)
    return [any(flat(variant) in haystack for variant in variants) for variants in nuggets]


@dataclass
class NuggetOutcome:
    id: str
    recall: float
    ceiling: float
    chars: int
    abstained: bool
    missed: list[str]  # first variant of each fact not stated


def run(engine: AskEngine, questions: list[NuggetQuestion], k: int = 5) -> list[NuggetOutcome]:
    outcomes = []
    for q in questions:
        answer = engine.ask(q.q, q.scope, k)
        found = stated(q.nuggets, answer.answer)
        ceiling = stated(q.nuggets, "\n".join(c.text for c in answer.citations))
        outcomes.append(NuggetOutcome(q.id, sum(found) / len(found), sum(ceiling) / len(ceiling),
                                      len(answer.answer), answer.abstained,
                                      [v[0] for v, ok in zip(q.nuggets, found, strict=True) if not ok]))
    return outcomes


def score(outcomes: list[NuggetOutcome]) -> dict[str, float]:
    if not outcomes:
        return {}
    return {
        "nugget-R": statistics.mean(o.recall for o in outcomes),
        "ceiling-R": statistics.mean(o.ceiling for o in outcomes),
        "all-nuggets": sum(o.recall == 1.0 for o in outcomes) / len(outcomes),
        "median chars": statistics.median(o.chars for o in outcomes),
        "abstained": sum(o.abstained for o in outcomes),
        "n": len(outcomes),
    }


def format_table(metrics: dict[str, float], rows: dict[str, dict[str, float]] | None = None) -> str:
    """One row (hogo), or one per name of ``rows``."""
    named = rows if rows is not None else {"hogo": metrics}
    width = max(6, *(len(name) + 2 for name in named))
    lines = [f"{'':{width}}" + "".join(f"{c:>14}" for c in COLUMNS)]
    for name, m in named.items():
        lines.append(f"{name:<{width}}" + "".join(
            f"{m[c]:>14.0f}" if c in ("median chars", "abstained", "n") else f"{m[c]:>14.3f}" for c in COLUMNS))
    return "\n".join(lines)
