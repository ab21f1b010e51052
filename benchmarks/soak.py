"""The soak mode of benchmarks/load.py: a bounded run of staff-like traffic while the server's memory is sampled.

Each concurrent user is one widget visitor with its own session token (renewed before it expires) and its
own keep-alive connection. In turn it picks an action, as staff at the widget would:

- a question (POST /api/ask, a few through /api/ask/stream), now and then opening a cited clause or rating
  the answer (GET /api/clauses/{key}, POST /api/feedback);
- an incident or consignment dialogue walked to the end through the widget's API: start, answer every step
  (sometimes a step back, a retried request, or an invalid answer first), finish, read the stored report;
- bad input that must be refused with 4xx (empty, too long, control characters, malformed or oversized
  bodies, no token, unknown clause or flow).

At the deadline no user starts anything new: the requests in flight finish (a dialogue is left as a draft,
as when a visitor closes the page), and whatever is still running a grace period later is cancelled.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from keepalive import Connection
from server_memory import tree_rss
from soak_report import Report, Result

DOCS = ("koriyama-kijun", "mima-kitei")
# What a user does next; a dialogue is 12 to 25 requests, so about a quarter of the requests are dialogue turns.
ACTIONS = {"ask": 0.85, "stream": 0.06, "bad": 0.07, "incident": 0.01, "consignment": 0.01}
BAD_ANSWER_SHARE = 0.03  # dialogue steps first answered with something the step refuses
BAD_INPUT: list[tuple[str, str, dict[str, Any]]] = [  # (method, path, how): each must be refused with 4xx
    ("POST", "/api/ask", {"payload": {"question": ""}}),
    ("POST", "/api/ask", {"payload": {"question": "　 \n"}}),
    ("POST", "/api/ask", {"payload": {"question": "個人情報の漏えい等" * 120}}),  # 1,080 characters
    ("POST", "/api/ask", {"payload": {"question": "USBを\x00なくした"}}),
    ("POST", "/api/ask/stream", {"payload": {"question": "誤送付\x1b[31m"}}),
    ("POST", "/api/ask", {"payload": {"question": "漏えい", "scope": ["koriyama\x01"]}}),
    ("POST", "/api/ask", {"payload": {"question": "漏えい", "k": 0}}),
    ("POST", "/api/ask", {"raw": '{"question": "漏え'.encode()}),
    ("POST", "/api/ask", {"raw": json.dumps({"question": "あ" * 20_000}).encode()}),  # over HOGO_MAX_BODY
    ("POST", "/api/ask", {"payload": {"question": "USBをなくした"}, "headers": {"Authorization": None}}),
    ("GET", "/api/clauses/koriyama-kijun:999", {}),
    ("POST", "/api/flows/nope/sessions", {"payload": {"scope": "koriyama-kijun"}}),
    ("POST", "/api/feedback", {"payload": {"question": "漏えい", "rating": "up", "comment": "\x08"}}),
]


@dataclass
class Soak:
    """One soak run: its clock, bounds and what it has measured so far."""

    host: str
    port: int
    origin: str
    questions: list[str]
    duration: float
    timeout: float = 30.0
    max_requests: int = 2_000_000
    seed: int = 1
    actions: dict[str, float] = field(default_factory=lambda: dict(ACTIONS))
    started: float = field(default_factory=time.monotonic)
    results: list[Result] = field(default_factory=list)
    reports: Counter = field(default_factory=Counter)
    drafts: int = 0
    asked: int = 0

    def open(self) -> bool:
        """Whether new work may start: before the deadline and under the request cap."""
        return self.now() < self.duration and len(self.results) < self.max_requests

    def now(self) -> float:
        return time.monotonic() - self.started

    def next_question(self) -> str:
        self.asked += 1
        return self.questions[self.asked % len(self.questions)]


class Visitor:
    """One staff member at the widget: a session token, a keep-alive connection, a stream of actions."""

    def __init__(self, soak: Soak, n: int) -> None:
        self.soak, self.rng = soak, random.Random(soak.seed * 1000 + n)
        self.conn = Connection(soak.host, soak.port, {"Origin": soak.origin})
        self.renew_at = 0.0
        self.token: str | None = None

    async def call(self, kind: str, method: str, path: str, payload: Any = None, *, expect: str = "json",
                   **how: Any) -> Any:
        """One request, recorded. Returns the body of a 2xx answer (parsed when ``expect`` is "json"), else
        None; a stream (``expect="stream"``) must end with its `done` event."""
        started, status, failure, body = time.perf_counter(), None, None, None
        try:
            status, data = await asyncio.wait_for(self.conn.request(method, path, payload, **how), self.soak.timeout)
            if 200 <= status < 300:
                body = json.loads(data) if expect == "json" else data
                if expect == "stream" and b"event: done" not in data:
                    failure = "broken stream"
        except TimeoutError:
            failure = "timeout"
        except json.JSONDecodeError:
            failure = "unreadable body"
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError):
            failure = "connection"
        self.soak.results.append(Result(self.soak.now(), kind, status, failure,
                                        (time.perf_counter() - started) * 1000))
        return body if failure is None else None

    async def renew(self) -> None:
        """Exchange the site key for a token (the expired one kept the visitor), as the widget does."""
        body = await self.call("session", "POST", "/api/session", {"site_key": "demo", "previous": self.token},
                               headers={"Authorization": None})
        if body:
            self.token = body["token"]
            self.conn.headers["Authorization"] = f"Bearer {self.token}"
            self.renew_at = self.soak.now() + 0.8 * body["expires_in"]

    async def run(self) -> None:
        actions, weights = list(self.soak.actions), list(self.soak.actions.values())
        try:
            while self.soak.open():
                if self.token is None or self.soak.now() >= self.renew_at:
                    await self.renew()
                    if self.token is None:
                        await asyncio.sleep(1)  # the server is not answering: do not spin
                        continue
                action = self.rng.choices(actions, weights)[0]
                try:
                    if action in ("ask", "stream"):
                        await self.ask(stream=action == "stream")
                    elif action == "bad":
                        method, path, how = self.rng.choice(BAD_INPUT)
                        await self.call("bad input", method, path, **how)
                    else:
                        await self.dialogue(action)
                except (KeyError, TypeError, IndexError):  # a 2xx body without the fields the contract promises
                    self.soak.results.append(Result(self.soak.now(), action, 200, "unexpected body", 0.0))
        finally:
            self.conn.close()

    async def ask(self, stream: bool) -> None:
        question = {"question": self.soak.next_question()}
        if self.rng.random() < 0.3:
            question["scope"] = [self.rng.choice(DOCS)]
        if stream:
            await self.call("ask/stream", "POST", "/api/ask/stream", question, expect="stream")
            return
        answer = await self.call("ask", "POST", "/api/ask", question)
        if not answer or not answer["citations"]:
            return
        keys = [c["key"] for c in answer["citations"]]
        if self.rng.random() < 0.2:  # a citation chip opened
            await self.call("clause", "GET", f"/api/clauses/{self.rng.choice(keys)}")
        if self.rng.random() < 0.05:
            await self.call("feedback", "POST", "/api/feedback", {
                "question": question["question"], "rating": self.rng.choice(("up", "down")), "cited_keys": keys})

    async def dialogue(self, flow: str) -> None:
        view = await self.call("dialogue", "POST", f"/api/flows/{flow}/sessions", {"scope": self.rng.choice(DOCS)})
        went_back = False
        while view and view["step"]:
            if not self.soak.open():
                self.soak.drafts += 1
                return
            step, path = view["step"], f"/api/flows/sessions/{view['id']}"
            if self.rng.random() < BAD_ANSWER_SHARE:
                await self.call("bad input", "POST", f"{path}/answer", {"step_id": step["id"], "value": invalid(step)})
            answer = {"step_id": step["id"], "value": valid(step, self.rng), "request_id": uuid.uuid4().hex}
            view = await self.call("dialogue", "POST", f"{path}/answer", answer)
            if view and self.rng.random() < 0.02:  # the widget retried: the same request advances once
                view = await self.call("dialogue", "POST", f"{path}/answer", answer)
            if view and view["step"] and not went_back and self.rng.random() < 0.05:
                went_back = True
                view = await self.call("dialogue", "POST", f"{path}/back", {"from_step": view["step"]["id"]})
        if not view or view["status"] != "confirm":
            return
        report = await self.call("dialogue", "POST", f"/api/flows/sessions/{view['id']}/finish")
        if report:
            self.soak.reports[flow] += 1
            await self.call("dialogue", "GET", f"/api/reports/{report['id']}")
            if self.rng.random() < 0.3:
                await self.call("dialogue", "GET", f"/api/reports/{report['id']}/markdown", expect="text")


def valid(step: dict[str, Any], rng: random.Random) -> Any:
    """An answer the step accepts, varied as real answers are."""
    options = [o["value"] for o in step["options"]]
    kind = step["kind"]
    if kind == "datetime":
        return f"2026-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}T{rng.randint(8, 18):02d}:00+09:00"
    if kind == "number":
        return rng.choice((1, 3, 12, 101, 450))
    if kind == "multiselect":
        return rng.sample(options, k=min(len(options), rng.randint(1, 2)))
    if kind == "check":
        return {"status": rng.choice(options), "note": rng.choice(("", "契約書第5条で確認", "次回更新時に対応"))}
    if options:
        return rng.choice(options)
    return rng.choice(("窓口で書類を取り違えて交付した", "確認手順を見直し、二人で照合する", "誤送付先から回収済み",
                       "個人情報を含む文書の印刷と封入・発送"))


def invalid(step: dict[str, Any]) -> Any:
    """An answer the step refuses with 422: a date in words, or text with a control character."""
    return "昨日" if step["kind"] == "datetime" else "書類を\x00紛失"


async def sample_memory(soak: Soak, pid: int, every: float, samples: list[tuple[float, int, int]]) -> None:
    while True:
        rss, processes = tree_rss(pid)
        samples.append((soak.now(), rss, processes))
        await asyncio.sleep(every)


async def run_soak(soak: Soak, concurrency: int, server_pid: int, sample_every: float, window: float,
                   grace: float, max_growth_pct: float) -> Report:
    """Run until the deadline, drain, and return what was measured. Never runs past deadline + grace."""
    soak.started = time.monotonic()
    report = Report(soak.results, [], window, soak.duration, max_growth_pct)
    sampler = asyncio.create_task(sample_memory(soak, server_pid, sample_every, report.samples))
    printer = asyncio.create_task(report.print_windows_live(soak.now))
    users = [asyncio.create_task(Visitor(soak, n).run()) for n in range(concurrency)]
    done, late = await asyncio.wait(users, timeout=max(0.0, soak.duration - soak.now()) + grace)
    for task in (*late, sampler, printer):
        task.cancel()
    await asyncio.gather(*late, sampler, printer, return_exceptions=True)
    for task in done:
        task.result()  # a user that died of a bug in this script says so, rather than the run counting short
    rss, processes = tree_rss(server_pid)
    report.samples.append((soak.now(), rss, processes))
    report.cancelled, report.elapsed = len(late), soak.now()
    report.reports, report.drafts = soak.reports, soak.drafts
    return report
