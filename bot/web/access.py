"""The request id and the access line: each request gets an id (the caller's X-Request-ID when it sends a
sane one, a new one otherwise), echoed in the response's X-Request-ID and carried by every log line written
while the request is handled; one line at its end says method, path, status and milliseconds."""

from __future__ import annotations

import logging
import re
import secrets
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.logs import current_request

log = logging.getLogger("hogo.access")
HEADER = b"x-request-id"
SANE_ID = re.compile(r"[A-Za-z0-9._:@/+=-]{1,128}")  # a proxy's or a client's id; nothing that could forge a line
CONTROL = re.compile(r"[\x00-\x1f\x7f]")
MAX_PATH = 300


def printable(path: str) -> str:
    """The path as logged: control characters escaped (a decoded %0A must not start a forged line), cut short."""
    path = CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", path)
    return path if len(path) <= MAX_PATH else path[:MAX_PATH] + "…"


def request_id(scope: Scope) -> str:
    given = dict(scope.get("headers", [])).get(HEADER, b"").decode("latin-1").strip()
    return given if SANE_ID.fullmatch(given) else secrets.token_hex(8)


class AccessLog:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        rid = request_id(scope)
        path = printable(scope["path"])
        token = current_request.set({"request_id": rid, "method": scope["method"], "path": path})
        status = 500

        async def with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message = {**message, "headers": [*message.get("headers", []), (HEADER, rid.encode())]}
            await send(message)

        try:
            await self.app(scope, receive, with_id)
        finally:
            ms = round((time.perf_counter() - started) * 1000, 1)
            log.info("%s %s %d %.1f ms", scope["method"], path, status, ms, extra={"status": status, "ms": ms})
            current_request.reset(token)
