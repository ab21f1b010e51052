"""Prints: first index build time, fresh `hogo ask` process time, and warm per-question latency.

Usage: .venv/bin/python benchmarks/ask_bench.py
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HOGO = str(Path(sys.executable).with_name("hogo"))


def timed(args: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(args, env=env, check=True, capture_output=True)
    return time.perf_counter() - started


def main() -> None:
    with tempfile.TemporaryDirectory() as data:
        env = {**os.environ, "HOGO_DATA_DIR": data}
        build = timed([HOGO, "index"], env)
        print(f"first index build (both regulations, fresh data dir): {build:.2f} s")
        runs = [timed([HOGO, "ask", "USBをなくした。誰に報告？", "--json"], env) for _ in range(5)]
        print(f"fresh `hogo ask` process, index built: min {min(runs):.2f} s, median {statistics.median(runs):.2f} s, "
              f"max {max(runs):.2f} s")

        from corpus.loader import Corpus
        from evals.metrics import percentile
        from evals.runner import load_questions
        from retrieval.engine import AskEngine

        engine = AskEngine.open(Corpus.load(), Path(data))
        questions = load_questions(split="all")
        engine.ask(questions[0].q, questions[0].scope)
        latencies = []
        for q in questions:
            started = time.perf_counter()
            engine.ask(q.q, q.scope)
            latencies.append((time.perf_counter() - started) * 1000)
        print(f"warm ask over {len(latencies)} questions: p50 {percentile(latencies, 50):.1f} ms, "
              f"p95 {percentile(latencies, 95):.1f} ms, max {max(latencies):.1f} ms")


if __name__ == "__main__":
    main()
