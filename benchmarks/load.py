"""Load test of a running `hogo serve`: throughput and latency of POST /api/ask at several concurrencies.

Start the server with the rate limits off (they would turn a load test into a 429 test):

    HOGO_RATE_PER_TOKEN=0 HOGO_RATE_PER_IP=0 .venv/bin/hogo serve --port 8000 --workers 2 &
    .venv/bin/python benchmarks/load.py --url http://127.0.0.1:8000 --requests 400

Questions cycle through the evaluation questions (271). The server keeps recent answers
(HOGO_ANSWER_CACHE), so once a question has been asked it is served from memory, as a repeated question
from staff would be; `--fresh` makes every request's question unique (a counter is appended) so that no
answer comes from the cache and every request runs the whole search.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
from pathlib import Path

import httpx

QUESTIONS = Path(__file__).resolve().parent.parent / "evals" / "datasets" / "questions.jsonl"


def load_questions() -> list[str]:
    return [json.loads(line)["q"] for line in QUESTIONS.read_text(encoding="utf-8").splitlines() if line.strip()]


async def run_level(client: httpx.AsyncClient, token: str, questions: list[str], concurrency: int,
                    total: int, fresh: bool = False) -> dict[str, float]:
    latencies: list[float] = []
    errors = 0
    counter = iter(range(total))

    async def worker() -> None:
        nonlocal errors
        for n in counter:
            started = time.perf_counter()
            try:
                question = questions[n % len(questions)] + (f" （{concurrency}-{n}）" if fresh else "")
                response = await client.post("/api/ask", json={"question": question},
                                             headers={"Authorization": f"Bearer {token}"})
                ok = response.status_code == 200
            except httpx.HTTPError:
                ok = False
            latencies.append((time.perf_counter() - started) * 1000)
            errors += not ok

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    ordered = sorted(latencies)
    return {"concurrency": concurrency, "requests": total, "rps": total / elapsed,
            "p50": statistics.median(ordered), "p95": ordered[int(0.95 * (len(ordered) - 1))], "errors": errors}


async def main(url: str, total: int, levels: list[int], fresh: bool) -> None:
    questions = load_questions()
    limits = httpx.Limits(max_connections=max(levels), max_keepalive_connections=max(levels))
    async with httpx.AsyncClient(base_url=url, timeout=30, limits=limits, headers={"Origin": url}) as client:
        session = await client.post("/api/session", json={"site_key": "demo"})
        session.raise_for_status()
        token = session.json()["token"]
        await run_level(client, token, questions, 2, 20)  # warm-up
        print(f"{'concurrency':>11} {'requests':>8} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} {'errors':>6}")
        for level in levels:
            r = await run_level(client, token, questions, level, total, fresh)
            print(f"{r['concurrency']:>11} {r['requests']:>8} {r['rps']:>7.1f} {r['p50']:>7.1f} {r['p95']:>7.1f} "
                  f"{r['errors']:>6}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--requests", type=int, default=400, help="requests per concurrency level")
    parser.add_argument("--levels", default="1,8,32")
    parser.add_argument("--fresh", action="store_true", help="a unique question per request: no cache hits")
    args = parser.parse_args()
    print(f"{'fresh questions (no cache)' if args.fresh else 'evaluation questions, cycled'}: {args.url}")
    asyncio.run(main(args.url.rstrip("/"), args.requests, [int(x) for x in args.levels.split(",")], args.fresh))
