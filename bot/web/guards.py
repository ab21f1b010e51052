"""Guards around the routes: what the app refuses before a route sees a request, and what it answers when
a route fails.

A path with a control character names nothing (404, as any unknown id); a query parameter with one is
refused with the Japanese message (422), as the same text in a JSON body is. Whatever a route raises
becomes a JSON answer inside the app, so the server never sees the exception: uvicorn would close the
keep-alive connection, and the next request on it would fail.
"""

from __future__ import annotations

import json
import logging
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.faults import as_unavailable
from bot.plaintext import CONTROL, CONTROL_JA

log = logging.getLogger("hogo.web")
CRASHED_JA = "処理中に問題が発生しました。時間をおいて再度お試しください。"


class ErrorGuard:
    """A fault of the machine (disk, database) becomes 503 with Retry-After and one log line; anything else
    a JSON 500, logged with its traceback. Both keep the connection open."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, watched)
        except Exception as exc:
            fault = as_unavailable(exc)
            if fault is not None:
                log.error("%s %s: %s", scope.get("method"), scope.get("path"), fault.message)
            else:
                log.exception("%s %s crashed", scope.get("method"), scope.get("path"))
            if started:  # half a response is out: the server ends it, as it must
                return
            if fault is not None:
                await _json(send, 503, {"code": fault.code, "message": fault.message_ja},
                            [(b"retry-after", str(fault.retry_after).encode())])
            else:
                await _json(send, 500, {"code": "internal_error", "message": CRASHED_JA})


class ControlCharacterGuard:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            if CONTROL.search(scope.get("path", "")):  # the server has decoded %00 already
                await _json(send, 404, {"code": "http_404", "message": "ページが見つかりません。"})
                return
            query = scope.get("query_string", b"").decode("latin-1")
            fields = [name for name, value in parse_qsl(query, keep_blank_values=True)
                      if CONTROL.search(name) or CONTROL.search(value)]
            if fields:
                await _json(send, 422, {"code": "invalid_request", "message": CONTROL_JA, "fields": fields})
                return
        await self.app(scope, receive, send)


async def _json(send: Send, status: int, error: dict, headers: list[tuple[bytes, bytes]] | None = None) -> None:
    body = json.dumps({"error": error}, ensure_ascii=False).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            *(headers or [])]})
    await send({"type": "http.response.body", "body": body})
