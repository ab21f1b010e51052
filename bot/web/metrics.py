"""Operations: the app's counters in the Prometheus text format at /metrics.

Each app has a registry of its own (tests build several apps in one process). Under `hogo serve --workers N`
each worker writes its values to files in PROMETHEUS_MULTIPROC_DIR (prometheus-client's multiprocess mode,
which `hogo serve` sets up) and a scrape of any worker adds up all of them.

/metrics needs the bearer token HOGO_METRICS_TOKEN when it is set; otherwise it answers only requests from
this machine (a scraper on the host, or an SSH tunnel).
"""

from __future__ import annotations

import hmac
import json
import os
import time
from typing import Any

from fastapi import Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.web.security import AuthError, ForbiddenError

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
LOOPBACK = {"127.0.0.1", "::1"}
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


class Metrics:
    """The counters of one app."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.requests = Counter("hogo_http_requests", "HTTP requests answered, by route template and status.",
                                ["method", "route", "status"], registry=r)
        self.latency = Histogram("hogo_http_request_seconds", "Time to answer a request (a stream: to its end).",
                                 ["route"], buckets=LATENCY_BUCKETS, registry=r)
        self.answers = Counter("hogo_answers", "Answers given through the API, by whether hogo abstained and "
                                               "which composer wrote the text.", ["abstained", "composer"], registry=r)
        self.dialogues_started = Counter("hogo_dialogues_started", "Guided dialogues started (web and Slack).",
                                         ["flow"], registry=r)
        self.dialogues_finished = Counter("hogo_dialogues_finished", "Guided dialogues finished with a report.",
                                          ["flow"], registry=r)
        self.errors = Counter("hogo_errors", "Error responses, by the error code of their JSON body.", ["code"],
                              registry=r)

    def answered(self, answer: Any) -> None:
        self.answers.labels(abstained=str(bool(answer.abstained)).lower(), composer=answer.composer).inc()

    def dialogue(self, event: str, flow: str) -> None:
        """The dialogue service's events: ``started`` and ``finished``."""
        counter = self.dialogues_started if event == "started" else self.dialogues_finished
        counter.labels(flow=flow).inc()

    def exposition(self) -> bytes:
        directory = os.environ.get(MULTIPROC_ENV)
        if not directory:
            return generate_latest(self.registry)
        from prometheus_client import multiprocess

        every_worker = CollectorRegistry()
        multiprocess.MultiProcessCollector(every_worker, path=directory)
        return generate_latest(every_worker)


def scrape(request: Request, metrics: Metrics, token: str | None) -> Response:
    """The /metrics answer, for the bearer of ``token`` or, without one, for a client on this machine."""
    if token:
        header = request.headers.get("authorization", "")
        given = header[7:].strip() if header.lower().startswith("bearer ") else ""
        if not hmac.compare_digest(given.encode(), token.encode()):
            raise AuthError("metrics token missing or wrong", "メトリクスの取得には認証が必要です。")
    elif (request.client.host if request.client else "") not in LOOPBACK:
        raise ForbiddenError("metrics are served to this machine only (set HOGO_METRICS_TOKEN)",
                             "メトリクスはこのサーバー上からのみ取得できます。")
    return Response(metrics.exposition(), media_type=CONTENT_TYPE_LATEST)


class MetricsMiddleware:
    """Counts every HTTP request by its route template (``/api/clauses/{key}``, not the key: the labels stay
    few) and status, times it, and counts error responses by the ``code`` of their JSON body."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app, self.metrics = app, metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status, error_body = 500, bytearray()
        json_error = False

        async def watched(message: Message) -> None:
            nonlocal status, json_error
            if message["type"] == "http.response.start":
                status = message["status"]
                types = [v for k, v in message.get("headers", []) if k.lower() == b"content-type"]
                json_error = status >= 400 and bool(types) and types[0].startswith(b"application/json")
            elif message["type"] == "http.response.body" and json_error and len(error_body) < 4096:
                error_body.extend(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, watched)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            self.metrics.requests.labels(method=scope["method"], route=template, status=str(status)).inc()
            self.metrics.latency.labels(route=template).observe(time.perf_counter() - started)
            if status >= 400:
                self.metrics.errors.labels(code=_error_code(bytes(error_body), status)).inc()


def _error_code(body: bytes, status: int) -> str:
    try:
        code = json.loads(body)["error"]["code"]
    except (ValueError, KeyError, TypeError):
        return f"http_{status}"
    return code if isinstance(code, str) and len(code) <= 64 else f"http_{status}"
