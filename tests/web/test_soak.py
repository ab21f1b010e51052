"""The soak mode of benchmarks/load.py against the real app: bounded, dialogues walked to stored reports,
bad input refused with 4xx, and the server's memory read from /proc."""

from __future__ import annotations

import asyncio
import os
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))  # scripts, not a package

from server_memory import listening_pid, tree_rss
from soak import Soak, run_soak


def test_the_server_is_found_by_its_port_and_measured(live_server):
    pid = listening_pid(urlparse(live_server.url).port)
    assert pid == os.getpid()  # the test server listens in this process
    rss, processes = tree_rss(pid)
    assert rss > 10 * 1024 * 1024 and processes >= 1


def test_a_short_soak_stores_reports_refuses_bad_input_and_stops_in_time(make_server, engine, capsys):
    live_server = make_server(engine=engine, rate_per_token=0, rate_per_ip=0)  # as the soak's server runs
    url = urlparse(live_server.url)
    soak = Soak(url.hostname, url.port, live_server.url, ["USBをなくした。誰に報告？", "委託先の監督"], duration=4,
                seed=7, actions={"ask": 0.3, "stream": 0.1, "bad": 0.2, "incident": 0.2, "consignment": 0.2})
    started = time.monotonic()
    report = asyncio.run(run_soak(soak, concurrency=4, server_pid=os.getpid(), sample_every=0.5, window=2,
                                  grace=20, max_growth_pct=100))
    assert time.monotonic() - started < 4 + 20
    outcomes = {r.outcome for r in report.results}
    assert outcomes <= {"ok", "refused"}, [r for r in report.results if r.outcome not in ("ok", "refused")]
    assert "refused" in outcomes and {"ask", "ask/stream", "dialogue"} <= {r.kind for r in report.results}
    assert report.reports["incident"] >= 1 and report.reports["consignment"] >= 1
    assert not report.cancelled and len(report.samples) >= 4
    assert report.print_summary()
    printed = capsys.readouterr().out
    assert "errors (5xx, connection, timeout): 0" in printed and "verdict: PASS" in printed
