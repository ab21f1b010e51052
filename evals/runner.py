"""`hogo eval`: score hogo and two baselines on the question set, print one table."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

from evals.metrics import Outcome
from retrieval.engine import AskEngine
from retrieval.search import HybridSearcher, SearchConfig

DATASETS = Path(__file__).parent / "datasets"
DATASET = DATASETS / "questions.jsonl"
COLUMNS = ["R@1", "R@3", "R@5", "MRR", "P-hit@5", "abst-P", "abst-R", "covered-abst", "p50 ms", "p95 ms", "n"]


@dataclass
class Question:
    id: str
    q: str
    scope: list[str] | None
    gold: list[str]
    split: str
    style: str
    source: str = ""  # the file it came from: one batch, one writer


def load_questions(path: Path = DATASETS, split: str = "test") -> list[Question]:
    """Questions of one split from a JSONL file, or from every JSONL file of a folder."""
    rows = []
    files = sorted(path.glob("*.jsonl")) if path.is_dir() else [path]
    lines = [(file.stem, line) for file in files for line in file.read_text(encoding="utf-8").splitlines()]
    for source, line in lines:
        if not line.strip():
            continue
        data = json.loads(line)
        if split != "all" and data.get("split") != split:
            continue
        scope = data.get("scope")
        rows.append(Question(str(data["id"]), data["q"], [scope] if isinstance(scope, str) else scope,
                             list(data.get("gold") or []), data.get("split", ""), data.get("style", ""), source))
    return rows


def run_engine(engine: AskEngine, questions: list[Question], k: int = 5) -> list[Outcome]:
    outcomes = []
    for q in questions:
        started = time.perf_counter()
        answer = engine.ask(q.q, q.scope, k)
        elapsed = (time.perf_counter() - started) * 1000
        outcomes.append(Outcome(q.id, q.gold, [c.key for c in answer.citations], answer.abstained, elapsed))
    return outcomes


def run_searcher(searcher: HybridSearcher, questions: list[Question], k: int = 5,
                 config: SearchConfig | None = None) -> list[Outcome]:
    outcomes = []
    for q in questions:
        started = time.perf_counter()
        result = searcher.search(q.q, q.scope, k, config)
        elapsed = (time.perf_counter() - started) * 1000
        outcomes.append(Outcome(q.id, q.gold, [h.passage.key for h in result.hits[:k]], False, elapsed))
    return outcomes


def format_table(rows: dict[str, dict[str, float]]) -> str:
    width = max(len(name) for name in rows) + 2
    lines = [" " * width + "".join(f"{c:>13}" for c in COLUMNS)]
    for name, metrics in rows.items():
        cells = []
        for column in COLUMNS:
            value = metrics.get(column, 0.0)
            cells.append(f"{value:>13.0f}" if column == "n" else f"{value:>13.1f}" if "ms" in column
                         else f"{value:>13.3f}")
        lines.append(f"{name:<{width}}" + "".join(cells))
    return "\n".join(lines)
