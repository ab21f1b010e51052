"""Load test of a running `hogo serve`: throughput and latency of POST /api/ask at several concurrencies,
or, with --duration, a soak: a bounded run of staff-like traffic while the server's memory is sampled.

Start the server with the rate limits off (they would turn a load test into a 429 test) and, to measure
the whole search on every request, with the answer cache off:

    HOGO_RATE_PER_TOKEN=0 HOGO_RATE_PER_IP=0 HOGO_ANSWER_CACHE=0 .venv/bin/hogo serve --port 8000 &
    .venv/bin/python benchmarks/load.py --url http://127.0.0.1:8000 --requests 400

(`--workers 2` runs one process per core, each embedding with one thread; one process embeds with every
core. On two cores both carry about the same load.)

Questions cycle through every evaluation question (dev and test, about 400), unchanged. With the cache on
(the default), a question asked before is served from memory, as a repeated question from staff would be.

Soak: the same server, on a data dir of its own (the run stores hundreds of reports; the first start builds
the index, which takes a few minutes), then 30 minutes at 8 concurrent users:

    HOGO_DATA_DIR=/tmp/hogo-soak HOGO_RATE_PER_TOKEN=0 HOGO_RATE_PER_IP=0 HOGO_ANSWER_CACHE=0 \
        .venv/bin/hogo serve --port 8000 &
    .venv/bin/python benchmarks/load.py --url http://127.0.0.1:8000 --duration 1800 --concurrency 8

Each user is a widget visitor: mostly questions (a few streamed, some opening a cited clause or rating the
answer), now and then an incident or consignment dialogue walked to its stored report, and bad input
(empty, too long, control characters, oversized or malformed bodies) that must be refused with 4xx. At the
deadline nothing new starts, requests in flight finish, and anything left 45 s later is cancelled. Every
--sample seconds the resident memory of the process listening on the URL's port and of its children
(uvicorn's workers under --workers N) is read from /proc (--server-pid names another process). It prints a
row per --window (requests, errors by status, p50/p95, RSS at the window's end), then the verdict: errors
(any 5xx, connection error, timeout or broken stream), unexpected responses (a 4xx to good input, a 2xx to
bad input), and memory from the end of the first window (warm-up) to the end: growth in MB and %, the slope
in MB/h, flat when within --max-growth percent. Exit status 1 when anything fails.

The client shares the machine with the server, so it is kept lean: one keep-alive HTTP/1.1 connection per
concurrent user over plain asyncio streams (a general-purpose HTTP client costs about 4 ms of CPU per
request, a tenth of what the server spends on a question). The client's own CPU time is printed, so that
what it took from the server can be seen.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import statistics
import time
from pathlib import Path
from urllib.parse import urlparse

import httpx
from keepalive import Connection

DATASETS = Path(__file__).resolve().parent.parent / "evals" / "datasets"
GRACE = 45.0  # seconds after a soak's deadline before what still runs is cancelled (a request times out at 30 s)
MAX_DURATION = 4 * 3600


def load_questions() -> list[str]:
    return [json.loads(line)["q"] for path in sorted(DATASETS.glob("*.jsonl"))
            for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


async def run_level(url: str, token: str, questions: list[str], concurrency: int, total: int,
                    offset: int = 0) -> dict[str, float]:
    parsed = urlparse(url)
    headers = {"Origin": url, "Authorization": f"Bearer {token}"}
    connections = [Connection(parsed.hostname or "127.0.0.1", parsed.port or 80, headers) for _ in range(concurrency)]
    latencies: list[float] = []
    errors = 0
    counter = iter(range(total))

    async def user(connection: Connection) -> None:
        nonlocal errors
        for n in counter:
            started = time.perf_counter()
            try:
                status, _ = await asyncio.wait_for(
                    connection.post("/api/ask", {"question": questions[(offset + n) % len(questions)]}), 30)
                ok = status == 200
            except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError):
                connection.close()
                ok = False
            latencies.append((time.perf_counter() - started) * 1000)
            errors += not ok

    started = time.perf_counter()
    await asyncio.gather(*(user(c) for c in connections))
    elapsed = time.perf_counter() - started
    for connection in connections:
        connection.close()
    ordered = sorted(latencies)
    return {"concurrency": concurrency, "requests": total, "rps": total / elapsed,
            "p50": statistics.median(ordered), "p95": ordered[int(0.95 * (len(ordered) - 1))], "errors": errors}


def client_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def main(url: str, total: int, levels: list[int]) -> None:
    questions = load_questions()
    async with httpx.AsyncClient(base_url=url, timeout=30, headers={"Origin": url}) as client:
        session = await client.post("/api/session", json={"site_key": "demo"})
        session.raise_for_status()
        token = session.json()["token"]
    await run_level(url, token, ["個人情報の漏えい"], 2, 20)  # warm-up, one question
    print(f"{'concurrency':>11} {'requests':>8} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} {'errors':>6} "
          f"{'client CPU ms/req':>17}")
    offset = 0
    for level in levels:
        cpu = client_cpu()
        r = await run_level(url, token, questions, level, total, offset)
        per_request = (client_cpu() - cpu) / total * 1000
        offset += total  # each level starts where the last stopped: no question repeats within the dataset
        print(f"{r['concurrency']:>11} {r['requests']:>8} {r['rps']:>7.1f} {r['p50']:>7.1f} {r['p95']:>7.1f} "
              f"{r['errors']:>6} {per_request:>17.2f}")


def soak(args: argparse.Namespace) -> int:
    from server_memory import listening_pid
    from soak import Soak, run_soak

    url = args.url.rstrip("/")
    parsed = urlparse(url)
    try:
        pid = args.server_pid or listening_pid(parsed.port or 80)
    except LookupError as exc:
        raise SystemExit(f"load.py: {exc}") from None
    run = Soak(parsed.hostname or "127.0.0.1", parsed.port or 80, url, load_questions(), args.duration,
               seed=args.seed)
    print(f"soak of {url} for {args.duration:g} s at concurrency {args.concurrency}; server pid {pid}; "
          f"memory every {args.sample:g} s, a row every {args.window:g} s")
    cpu = client_cpu()
    report = asyncio.run(run_soak(run, args.concurrency, pid, args.sample, args.window, GRACE, args.max_growth))
    passed = report.print_summary()
    print(f"client CPU: {(client_cpu() - cpu) / max(len(report.results), 1) * 1000:.2f} ms/request")
    return 0 if passed else 1


def duration(text: str) -> float:
    seconds = float(text)
    if not 0 < seconds <= MAX_DURATION:
        raise argparse.ArgumentTypeError(f"between 0 and {MAX_DURATION} seconds")
    return seconds


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--requests", type=int, default=400, help="requests per concurrency level")
    parser.add_argument("--levels", default="1,8,32")
    soaking = parser.add_argument_group("soak (with --duration)")
    soaking.add_argument("--duration", type=duration, help="soak for this many seconds (at most 4 h)")
    soaking.add_argument("--concurrency", type=int, default=8, help="concurrent users")
    soaking.add_argument("--server-pid", type=int, help="the server process (default: the one on the URL's port)")
    soaking.add_argument("--sample", type=float, default=5.0, help="seconds between memory samples")
    soaking.add_argument("--window", type=float, default=300.0, help="seconds per row; the first is the warm-up")
    soaking.add_argument("--max-growth", type=float, default=5.0,
                         help="largest memory growth after warm-up, in %% of the RSS then, that counts as flat")
    soaking.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    if args.duration:
        raise SystemExit(soak(args))
    print(f"POST /api/ask on {args.url}, evaluation questions cycled")
    asyncio.run(main(args.url.rstrip("/"), args.requests, [int(x) for x in args.levels.split(",")]))
