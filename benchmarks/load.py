"""Load test of a running `hogo serve`: throughput and latency of POST /api/ask at several concurrencies.

Start the server with the rate limits off (they would turn a load test into a 429 test) and, to measure
the whole search on every request, with the answer cache off:

    HOGO_RATE_PER_TOKEN=0 HOGO_RATE_PER_IP=0 HOGO_ANSWER_CACHE=0 .venv/bin/hogo serve --port 8000 &
    .venv/bin/python benchmarks/load.py --url http://127.0.0.1:8000 --requests 400

(`--workers 2` runs one process per core, each embedding with one thread; one process embeds with every
core. On two cores both carry about the same load.)

Questions cycle through every evaluation question (dev and test, about 400), unchanged. With the cache on
(the default), a question asked before is served from memory, as a repeated question from staff would be.

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

DATASETS = Path(__file__).resolve().parent.parent / "evals" / "datasets"


def load_questions() -> list[str]:
    return [json.loads(line)["q"] for path in sorted(DATASETS.glob("*.jsonl"))
            for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


class Connection:
    """One keep-alive HTTP/1.1 connection that POSTs JSON and reads Content-Length responses."""

    def __init__(self, host: str, port: int, headers: dict[str, str]) -> None:
        self.host, self.port = host, port
        self.head = "".join(f"{k}: {v}\r\n" for k, v in {"Host": f"{host}:{port}", **headers}.items())
        self.streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def post(self, path: str, payload: dict) -> tuple[int, bytes]:
        if self.streams is None:
            self.streams = await asyncio.open_connection(self.host, self.port)
        reader, writer = self.streams
        body = json.dumps(payload, ensure_ascii=False).encode()
        writer.write(f"POST {path} HTTP/1.1\r\n{self.head}Content-Type: application/json\r\n"
                     f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
        try:
            status_line, *header_lines = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
            headers = dict(line.split(": ", 1) for line in header_lines if ": " in line)
            data = await reader.readexactly(int(headers.get("content-length", "0")))
        except (asyncio.IncompleteReadError, ConnectionError):
            self.close()
            raise
        if headers.get("connection", "").lower() == "close":
            self.close()
        return int(status_line.split()[1]), data

    def close(self) -> None:
        if self.streams is not None:
            self.streams[1].close()
            self.streams = None


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


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--requests", type=int, default=400, help="requests per concurrency level")
    parser.add_argument("--levels", default="1,8,32")
    args = parser.parse_args()
    print(f"POST /api/ask on {args.url}, evaluation questions cycled")
    asyncio.run(main(args.url.rstrip("/"), args.requests, [int(x) for x in args.levels.split(",")]))
