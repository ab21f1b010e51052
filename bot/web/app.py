"""The web service: JSON API, the embeddable widget and its demo page. `create_app(settings)` is used by
`hogo serve` and by the tests; the engine, the dialogue service and the store open in the lifespan."""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import FileResponse, JSONResponse, PlainTextResponse, Response, StreamingResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot import bindings
from bot.answer_cache import SharedAnswers, namespace
from bot.desk.service import open_desk
from bot.desk.web import install as install_desk
from bot.dialogue.engine import FlowService, View
from bot.faults import one_line
from bot.llm import open_composer
from bot.logs import configure_logging
from bot.plaintext import CONTROL_JA
from bot.privacy import install_log_masking, mask_my_numbers
from bot.questions import TOO_LONG_JA, prepare_question
from bot.redis_link import RedisLink
from bot.services import load_corpus, open_engine, open_flows
from bot.settings import Settings
from bot.store import ReportNotFound, ReportRow, SessionNotFound
from bot.web import models
from bot.web.access import AccessLog
from bot.web.guards import ControlCharacterGuard, ErrorGuard
from bot.web.metrics import Metrics, MetricsMiddleware, scrape
from bot.web.ratelimit import RequestLimits
from bot.web.security import (
    API_CSP,
    PAGE_CSP,
    SECURITY_HEADERS,
    AuthError,
    ForbiddenError,
    TokenSigner,
    load_secret,
    origin_allowed,
)
from corpus.crossrefs import references_in
from corpus.errors import HogoError, UnknownClauseError
from corpus.model import Regulation, Unit, clause_text
from retrieval.answer import reference_json

log = logging.getLogger("hogo.web")
STATIC = Path(__file__).resolve().parent.parent / "static"
ERRORS = {"model": models.ErrorOut}
STANDARD_ERRORS: dict[int | str, dict[str, Any]] = {401: ERRORS, 403: ERRORS, 404: ERRORS, 413: ERRORS,
                                                    422: ERRORS, 429: ERRORS}


@dataclass
class Principal:
    visitor: str | None
    admin: bool = False
    scopes: list[str] | None = None  # the documents the token's site key is bound to; None: every document

    @property
    def owner(self) -> str | None:
        return f"web:{self.visitor}" if self.visitor else None


@dataclass
class Resources:
    settings: Settings
    engine: Any
    flows: FlowService
    signer: TokenSigner
    limits: RequestLimits
    metrics: Metrics
    secret: bytes = b""
    slack: Any = None  # the bolt request handler when Slack is configured


def create_app(settings: Settings | None = None, engine: Any = None) -> FastAPI:
    """The ASGI app. Pass ``engine`` to share an already open AskEngine (tests, single-process serve)."""
    settings = settings or Settings()
    install_log_masking()  # no log line of this process shows a My Number
    metrics = Metrics()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        ask_engine = engine
        if ask_engine is None:
            ask_engine = open_engine(settings)
            ask_engine.cache_size = settings.answer_cache
        elif settings.llm and ask_engine.composer is None:  # a shared engine stays as its owner left it
            ask_engine = ask_engine.with_composer(open_composer(settings))
        bindings.check(settings, ask_engine.corpus.regulations)
        link = RedisLink(settings.redis_url) if settings.redis_url else None  # shared by processes and servers
        if link is not None and settings.answer_cache_ttl:
            ask_engine = ask_engine.with_cache(SharedAnswers(link, namespace(ask_engine, settings),
                                                             settings.answer_cache_ttl))
        flows = open_flows(settings, ask_engine.corpus if engine is not None else load_corpus(settings))
        flows.on_event = metrics.dialogue
        secret = load_secret(settings.secret_key, settings.data_dir)
        slack = None
        if settings.slack_bot_token and settings.slack_signing_secret:
            from slack_bolt.adapter.starlette import SlackRequestHandler

            from bot.slack.app import create_slack_app

            slack = SlackRequestHandler(create_slack_app(settings, ask_engine, flows))
        app.state.res = Resources(
            settings=settings, engine=ask_engine, flows=flows, signer=TokenSigner(secret, settings.token_ttl),
            limits=RequestLimits(settings.rate_per_token, settings.rate_per_ip, link), metrics=metrics,
            secret=secret, slack=slack,
        )
        log.info("hogo web ready: %d regulations, database %s%s", len(ask_engine.corpus.regulations),
                 flows.store.engine.url.get_backend_name(), ", limits and answers shared in Redis" if link else "")
        app.state.desk = open_desk(settings, flows.store, ask_engine, secret)  # the privacy office's /desk
        yield
        app.state.desk.close()
        flows.store.close()
        if link is not None:
            link.close()

    app = FastAPI(
        title="hogo API", version="1.0",
        description="Answers from the city's personal-information rules with verified clause citations, "
                    "guided incident and consignment dialogues, and their reports. Errors are "
                    '`{"error": {"code", "message"}}` with a Japanese message for staff.',
        lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url="/api/openapi.json",
    )
    origins = bindings.all_origins(settings)
    app.add_middleware(ErrorGuard)  # innermost: its 500s and 503s get CORS and the security headers
    app.add_middleware(ControlCharacterGuard)
    app.add_middleware(CORSMiddleware, allow_origins=origins, allow_methods=["GET", "POST"],
                       allow_headers=["Authorization", "Content-Type"],
                       expose_headers=["Retry-After", "Content-Disposition", "X-Request-ID"], max_age=600)
    app.add_middleware(SecurityMiddleware, max_body=settings.max_body)
    app.add_middleware(MetricsMiddleware, metrics=metrics)  # outside the rest: it sees their 413s and 500s
    app.add_middleware(AccessLog)  # outermost: every log line of the request carries its id
    _errors(app)
    _routes(app)
    install_desk(app)  # /desk: the privacy office's case desk (server-rendered pages)
    return app


def res(request: Request) -> Resources:
    return request.app.state.res


# middleware ------------------------------------------------------------------------------------------

class BodyTooLarge(HogoError):
    code = "body_too_large"
    http_status = 413
    default_ja = "送信された内容が大きすぎます。短くしてもう一度お試しください。"


class SecurityMiddleware:
    """Security headers on every response; request bodies over the limit are refused with 413 JSON.

    A body without Content-Length (chunked) is read here, up to the limit, before any route sees it: a
    route reading it itself would turn the refusal into FastAPI's 400 "error parsing the body"."""

    def __init__(self, app: ASGIApp, max_body: int) -> None:
        self.app, self.max_body = app, max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"]

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {k.lower() for k, _ in headers}
                for name, value in SECURITY_HEADERS.items():
                    headers.append((name.encode(), value.encode()))
                if b"content-security-policy" not in names:
                    csp = API_CSP if path.startswith("/api/") else PAGE_CSP
                    headers.append((b"content-security-policy", csp.encode()))
                message = {**message, "headers": headers}
            await send(message)

        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None:  # the server holds the body to its declared length
            if declared.isdigit() and int(declared) > self.max_body:
                await _error_response(BodyTooLarge(f"body of {int(declared)} bytes"))(scope, receive,
                                                                                      send_with_headers)
                return
            await self.app(scope, receive, send_with_headers)
            return
        body = bytearray()
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away
            body += message.get("body", b"")
            if len(body) > self.max_body:
                await _error_response(BodyTooLarge(f"chunked body over {self.max_body} bytes"))(
                    scope, receive, send_with_headers)
                return
            if not message.get("more_body", False):
                break
        replayed = False

        async def receive_read_body() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()  # after the body: only a disconnect can come
            replayed = True
            return {"type": "http.request", "body": bytes(body), "more_body": False}

        await self.app(scope, receive_read_body, send_with_headers)


def _error_response(exc: HogoError) -> JSONResponse:
    retry_after = getattr(exc, "retry_after", None)  # rate limits, and faults of the disk or the database
    headers = {"Retry-After": str(retry_after)} if retry_after else None
    return JSONResponse({"error": {"code": exc.code, "message": exc.message_ja}}, status_code=exc.http_status,
                        headers=headers)


def _errors(app: FastAPI) -> None:
    @app.exception_handler(HogoError)
    async def hogo_error(request: Request, exc: HogoError) -> JSONResponse:
        if exc.http_status >= 500:
            log.error("%s %s failed: %s", request.method, request.url.path, exc.message)
        return _error_response(exc)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        fields = [".".join(str(p) for p in e["loc"][1:]) or "body" for e in errors]
        message = "入力内容を確認してください。"
        if any(e["type"] == "control_characters" for e in errors):
            message = CONTROL_JA
        elif any(f == "question" and e["type"] == "string_too_long" for f, e in zip(fields, errors, strict=True)):
            message = TOO_LONG_JA
        elif any(e["type"] in ("json_invalid", "model_attributes_type", "dict_type") for e in errors):
            message = "送信された内容を読み取れませんでした。"
        return JSONResponse({"error": {"code": "invalid_request", "message": message, "fields": fields}},
                            status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        messages = {404: "ページが見つかりません。", 405: "この操作はできません。"}
        return JSONResponse({"error": {"code": f"http_{exc.status_code}",
                                       "message": messages.get(exc.status_code, "リクエストを処理できませんでした。")}},
                            status_code=exc.status_code, headers=getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def crashed(request: Request, exc: Exception) -> JSONResponse:
        log.exception("%s %s crashed", request.method, request.url.path)
        return JSONResponse({"error": {"code": "internal_error",
                                       "message": "処理中に問題が発生しました。時間をおいて再度お試しください。"}},
                            status_code=500)


# dependencies -----------------------------------------------------------------------------------------

def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def limit_ip(request: Request) -> None:
    res(request).limits.hit("ip", client_ip(request))


def principal(request: Request) -> Principal:
    limit_ip(request)
    header = request.headers.get("authorization", "")
    if not header.lower().startswith("bearer "):
        raise AuthError("missing bearer token", "セッションがありません。画面を再読み込みしてください。")
    raw = header[7:].strip()
    admin = res(request).settings.admin_token
    if admin and hmac.compare_digest(raw.encode(), admin.encode()):
        return Principal(None, admin=True)
    who = _verified(request, raw)
    res(request).limits.hit("token", who.visitor or "")
    return who


def reader(request: Request) -> Principal:
    """Who reads clauses and the list of flows: anyone (as before), bound by the site key when the request
    carries a token, as the widget's requests do."""
    limit_ip(request)
    header = request.headers.get("authorization", "")
    if not header.lower().startswith("bearer "):
        return Principal(None)
    raw = header[7:].strip()
    admin = res(request).settings.admin_token
    if admin and hmac.compare_digest(raw.encode(), admin.encode()):
        return Principal(None, admin=True)
    return _verified(request, raw)


def _verified(request: Request, raw: str) -> Principal:
    """The token's visitor and binding. A token whose binding no longer matches the site key's (the setting
    changed) is refused as expired, so the widget renews it and gets the current one."""
    token = res(request).signer.verify(raw)
    scopes = list(token.scopes) if token.scopes is not None else None
    if scopes != bindings.site_scopes(res(request).settings, token.site_key):
        raise AuthError(f"site key {token.site_key!r} is bound differently now; renew the token")
    return Principal(token.visitor, scopes=scopes)


def admin_only(who: Principal = Depends(principal)) -> Principal:
    if not who.admin:
        raise ForbiddenError("admin token required", "管理者のみが利用できます。")
    return who


def own_origin(request: Request) -> str:
    return str(request.base_url).rstrip("/")


# routes -------------------------------------------------------------------------------------------------

def _routes(app: FastAPI) -> None:
    @app.get("/health", tags=["ops"])
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/ready", tags=["ops"], responses={503: ERRORS})
    def ready(request: Request) -> JSONResponse:
        state = getattr(request.app.state, "res", None)
        try:
            state.flows.store.check_writable()  # a write, not SELECT 1: a read-only or full database is not ready
        except Exception as exc:
            log.warning("readiness: the database cannot be written: %s", one_line(exc))
            return JSONResponse({"error": {"code": "not_ready", "message": "準備中です。"}}, status_code=503)
        return JSONResponse({"status": "ready", "regulations": sorted(state.engine.corpus.regulations),
                             "passages": len(state.engine.passages)})

    @app.get("/metrics", tags=["ops"], include_in_schema=False)
    def metrics(request: Request) -> Response:
        """Prometheus text format; the bearer of HOGO_METRICS_TOKEN, or without one this machine only."""
        return scrape(request, res(request).metrics, res(request).settings.metrics_token)

    @app.post("/api/session", tags=["session"], response_model=models.SessionOut, responses=STANDARD_ERRORS)
    def start_session(body: models.SessionRequest, request: Request) -> models.SessionOut:
        """Exchange a public site key, from an allowed page origin, for a short-lived signed token."""
        limit_ip(request)
        resources = res(request)
        origin = request.headers.get("origin", "")
        allowed = bindings.site_origins(resources.settings, body.site_key)
        if allowed is None:
            raise ForbiddenError(f"unknown site key {body.site_key!r}",
                                 "このサイトでは利用できません（サイトキーが無効です）。")
        if not origin or not origin_allowed(origin, allowed, own_origin(request)):
            raise ForbiddenError(f"origin {origin!r} not allowed for site key {body.site_key!r}",
                                 "このサイトでは利用できません（許可されていない接続元です）。")
        visitor = None
        if body.previous:
            try:  # keep the visitor (and their reports) across a renewal within a day
                old = resources.signer.verify(body.previous, grace=86_400)
                visitor = old.visitor if old.site_key == body.site_key and old.origin == origin else None
            except AuthError:
                visitor = None
        raw, token = resources.signer.issue(origin, body.site_key, visitor,
                                            scopes=bindings.site_scopes(resources.settings, body.site_key))
        return models.SessionOut(token=raw, expires_in=resources.settings.token_ttl, visitor=token.visitor)

    def answer_for(body: models.AskRequest, request: Request, who: Principal):
        question, masked = prepare_question(body.question)
        answer = res(request).engine.ask(question, bindings.narrow(body.scope, who.scopes), body.k)
        _log_answer(answer, masked)
        res(request).metrics.answered(answer)
        return answer

    @app.post("/api/ask", tags=["ask"], response_model=models.AnswerOut, responses=STANDARD_ERRORS)
    def ask(body: models.AskRequest, request: Request, who: Principal = Depends(principal)) -> dict[str, Any]:
        """Answer a question from the regulations in scope, citing verified clauses (best first)."""
        return answer_for(body, request, who).to_dict()

    @app.post("/api/ask/stream", tags=["ask"], responses={200: {"content": {"text/event-stream": {}}},
                                                          **STANDARD_ERRORS})
    def ask_stream(body: models.AskRequest, request: Request,
                   who: Principal = Depends(principal)) -> StreamingResponse:
        """The same answer as Server-Sent Events: `meta`, `suggest` when the question points to a guide
        (`flow`, `title`), `answer` chunks, one `citation` each, then `done` (with `composer`). A generated
        answer sends each sentence once it is verified; if generation then falls back, a `fallback` event says
        the chunks so far are withdrawn and the extractive text follows."""
        question, masked = prepare_question(body.question)
        engine = res(request).engine
        scope = engine.scope_ids(bindings.narrow(body.scope, who.scopes))
        pieces = engine.ask_stream(question, scope, body.k)  # searches now: errors become JSON, not a broken stream

        suggested = _suggestion(res(request).flows.library, engine, question, who.scopes)

        def events() -> Iterator[str]:
            yield _sse("meta", {"question": question, "scope": scope})
            if suggested:
                yield _sse("suggest", suggested)
            streamed, answer = 0, None
            for piece in pieces:
                if isinstance(piece, str):
                    streamed += 1
                    yield _sse("answer", {"text": piece})
                else:
                    answer = piece
            data = answer.to_dict()
            if data.get("composer_note"):
                yield _sse("fallback", {"composer_note": data["composer_note"], "withdrawn": streamed})
            if not streamed or data.get("composer_note"):
                for sentence in _sentences(data["answer"]):
                    yield _sse("answer", {"text": sentence})
            for citation in data["citations"]:
                yield _sse("citation", citation)
            done = {"abstained": data["abstained"], "composer": data["composer"], "timings_ms": data["timings_ms"]}
            if data.get("composer_note"):
                done["composer_note"] = data["composer_note"]
            _log_answer(answer, masked)
            res(request).metrics.answered(answer)
            yield _sse("done", done)

        return StreamingResponse(events(), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})

    @app.get("/api/clauses/{key}", tags=["clauses"], response_model=models.ClauseOut, responses=STANDARD_ERRORS)
    def clause(key: str, request: Request, who: Principal = Depends(reader)) -> models.ClauseOut:
        """One clause by key (e.g. koriyama-kijun:23:1), verbatim, with its label and the clauses its text
        cites (`references`, in order of appearance), so that a cited clause can be opened in turn. With a
        token of a site key bound to some documents, a clause of another document is not found."""
        corpus = res(request).engine.corpus
        if len(key) > 200:
            raise UnknownClauseError("key too long")
        unit = corpus.unit(key)
        if who.scopes is not None and unit.doc not in who.scopes:
            raise UnknownClauseError(f"{key}: document {unit.doc} is outside the site key's binding")
        reg = corpus.doc(unit.doc)
        return models.ClauseOut(key=unit.key, doc=unit.doc, label=corpus.label(unit), heading=unit.heading,
                                text=clause_text(reg, unit), municipality=str(reg.meta.get("municipality", "")),
                                references=_references(reg, unit))

    @app.get("/api/flows", tags=["flows"], response_model=list[models.FlowInfo])
    def flows(request: Request, who: Principal = Depends(reader)) -> list[models.FlowInfo]:
        """The guided dialogues and the regulations each one is available for (with a token of a bound site
        key, only the documents it is bound to)."""
        library = res(request).flows.library
        return [models.FlowInfo(name=f.name, title=f.title, description=f.description,
                                scopes=[{"id": o.value, "label": o.label} for o in f.scope_step().options])
                for f in (flow.bound_to(who.scopes) for flow in library.flows.values())]

    def own_session(request: Request, session_id: str, who: Principal) -> FlowService:
        service = res(request).flows
        if len(session_id) > 64:
            raise SessionNotFound("session id too long")
        row = service.store.get_session(session_id)
        if not who.admin and row.owner != who.owner:
            raise SessionNotFound(f"session {session_id} belongs to someone else")  # do not reveal it exists
        return service

    def view(v: View) -> dict[str, Any]:
        return v.to_dict()

    @app.post("/api/flows/{name}/sessions", tags=["flows"], response_model=models.FlowView,
              responses=STANDARD_ERRORS)
    def start_flow(name: str, body: models.StartFlowRequest, request: Request,
                   who: Principal = Depends(principal)) -> dict[str, Any]:
        """Start a dialogue (incident or consignment); the first question comes back. A token of a site key
        bound to one document starts it for that document without asking; bound to several, only those."""
        bindings.narrow([body.scope] if body.scope else None, who.scopes)  # a scope outside the binding: 403
        return view(res(request).flows.start(name, body.scope, owner=who.owner or "admin", bound=who.scopes))

    @app.get("/api/flows/sessions/{session_id}", tags=["flows"], response_model=models.FlowView,
             responses=STANDARD_ERRORS)
    def get_flow(session_id: str, request: Request, who: Principal = Depends(principal)) -> dict[str, Any]:
        return view(own_session(request, session_id, who).get(session_id))

    @app.post("/api/flows/sessions/{session_id}/answer", tags=["flows"], response_model=models.FlowView,
              responses={409: ERRORS, **STANDARD_ERRORS})
    def answer_flow(session_id: str, body: models.AnswerRequest, request: Request,
                    who: Principal = Depends(principal)) -> dict[str, Any]:
        """Answer a step. A Japanese message with 422 says what to fix; nothing is stored then."""
        service = own_session(request, session_id, who)
        return view(service.answer(session_id, body.step_id, body.value, body.request_id))

    @app.post("/api/flows/sessions/{session_id}/back", tags=["flows"], response_model=models.FlowView,
              responses={409: ERRORS, **STANDARD_ERRORS})
    def back_flow(session_id: str, body: models.BackRequest, request: Request,
                  who: Principal = Depends(principal)) -> dict[str, Any]:
        service = own_session(request, session_id, who)
        return view(service.back(session_id, body.from_step, body.request_id))

    @app.post("/api/flows/sessions/{session_id}/cancel", tags=["flows"], response_model=models.FlowView,
              responses={409: ERRORS, **STANDARD_ERRORS})
    def cancel_flow(session_id: str, request: Request, who: Principal = Depends(principal)) -> dict[str, Any]:
        """Abandon an unfinished dialogue (start over): it stops being offered for resuming."""
        service = own_session(request, session_id, who)
        return view(service.cancel(session_id))

    @app.post("/api/flows/sessions/{session_id}/finish", tags=["flows"], response_model=models.ReportOut,
              responses={409: ERRORS, **STANDARD_ERRORS})
    def finish_flow(session_id: str, request: Request, who: Principal = Depends(principal)) -> models.ReportOut:
        """Confirm the summary: the report is decided, stored and returned (finishing twice returns it again).
        An incident report comes with its `case` (受付 until the privacy office moves it on)."""
        service = own_session(request, session_id, who)
        row = service.finish(session_id)
        return _report(row).model_copy(update={"case": request.app.state.desk.cases.progress(row)})

    @app.get("/api/reports", tags=["reports"], response_model=list[models.OwnReportOut], responses=STANDARD_ERRORS)
    def own_reports(request: Request, who: Principal = Depends(principal)) -> list[models.OwnReportOut]:
        """The caller's own incident reports, newest first (at most 50), each with the privacy office's handling
        of it: status, the day it last changed and the dated steps with the office's note for the reporter.
        Only reports made with this visitor's token are listed; the admin token has `/api/admin/reports`."""
        if who.owner is None:
            raise ForbiddenError("the admin token has no reports of its own",
                                 "報告者本人のセッションでのみ利用できます。")
        cases = request.app.state.desk.cases.owned_by(who.owner)
        return [models.OwnReportOut(id=c.id, flow=c.report.flow, scope=c.report.scope, title=c.report.title,
                                    created_at=c.report.created_at.isoformat(),
                                    case=models.CaseOut.model_validate(c.summary())) for c in cases]

    def own_report(request: Request, report_id: str, who: Principal) -> ReportRow:
        if len(report_id) > 64:
            raise ReportNotFound("report id too long")
        row = res(request).flows.store.get_report(report_id)
        if not who.admin and row.owner != who.owner:
            raise ReportNotFound(f"report {report_id} belongs to someone else")
        return row

    @app.get("/api/reports/{report_id}", tags=["reports"], response_model=models.ReportOut,
             responses=STANDARD_ERRORS)
    def report(report_id: str, request: Request, who: Principal = Depends(principal)) -> models.ReportOut:
        """A finished report: visible to the session that made it, or with the admin token. An incident report
        carries the privacy office's handling of it (`case`: status and dated steps)."""
        row = own_report(request, report_id, who)
        return _report(row).model_copy(update={"case": request.app.state.desk.cases.progress(row)})

    @app.get("/api/reports/{report_id}/markdown", tags=["reports"], response_class=PlainTextResponse,
             responses={200: {"content": {"text/markdown": {}}}, **STANDARD_ERRORS})
    def report_markdown(report_id: str, request: Request, who: Principal = Depends(principal)) -> Response:
        row = own_report(request, report_id, who)
        return Response(row.markdown, media_type="text/markdown; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="hogo-report-{row.id}.md"'})

    @app.get("/api/admin/reports", tags=["admin"], response_model=list[models.ReportSummary],
             responses=STANDARD_ERRORS)
    def list_reports(request: Request, flow: str | None = None, who: Principal = Depends(admin_only)
                     ) -> list[models.ReportSummary]:
        """Every stored report, newest first (admin token only)."""
        rows = res(request).flows.store.list_reports(flow=flow)
        return [models.ReportSummary(id=r.id, flow=r.flow, scope=r.scope, title=r.title,
                                     created_at=r.created_at.isoformat()) for r in rows]

    @app.post("/api/feedback", tags=["feedback"], response_model=models.FeedbackOut, responses=STANDARD_ERRORS)
    def feedback(body: models.FeedbackRequest, request: Request,
                 who: Principal = Depends(principal)) -> models.FeedbackOut:
        """👍/👎 on an answer, stored with the clause keys it cited."""
        corpus = res(request).engine.corpus
        for key in body.cited_keys:
            corpus.unit(key)
        question, _ = mask_my_numbers(body.question)
        comment, _ = mask_my_numbers(body.comment or "")
        new_id = res(request).flows.store.add_feedback(question, 1 if body.rating == "up" else -1, comment or None,
                                                       body.cited_keys, "web")
        return models.FeedbackOut(id=new_id)

    @app.get("/reports/{report_id}.md", include_in_schema=False)
    def signed_report(report_id: str, request: Request, sig: str = "") -> Response:
        """A read-only report link for Slack messages, signed with the server's secret."""
        limit_ip(request)
        from bot.slack.app import sign_report

        if len(report_id) > 64 or not hmac.compare_digest(sig, sign_report(res(request).secret, report_id)):
            raise ReportNotFound("bad report link signature")
        row = res(request).flows.store.get_report(report_id)
        return Response(row.markdown, media_type="text/markdown; charset=utf-8")

    @app.post("/slack/events", include_in_schema=False)
    async def slack_events(request: Request) -> Response:
        """Slack's Events API, slash commands and interactivity (HTTP transport), verified by signature."""
        handler = res(request).slack
        if handler is None:
            return JSONResponse({"error": {"code": "slack_not_configured",
                                           "message": "Slack 連携は設定されていません。"}}, status_code=404)
        return await handler.handle(request)

    # the widget and its demo page ---------------------------------------------------------------------
    @app.get("/widget.js", include_in_schema=False)
    def widget() -> FileResponse:
        return FileResponse(STATIC / "widget.js", media_type="text/javascript; charset=utf-8",
                            headers={"Cache-Control": "public, max-age=300",
                                     "Cross-Origin-Resource-Policy": "cross-origin"})

    @app.get("/", include_in_schema=False)
    def demo() -> FileResponse:
        return FileResponse(STATIC / "demo.html", media_type="text/html; charset=utf-8",
                            headers={"Cache-Control": "no-cache"})


def _report(row: ReportRow) -> models.ReportOut:
    return models.ReportOut(id=row.id, flow=row.flow, scope=row.scope, title=row.title,
                            created_at=row.created_at.isoformat(), data=row.data, markdown=row.markdown)


def _references(reg: Regulation, unit: Unit) -> list[models.ReferenceOut]:
    """The clause's citations, as each citation of it in an answer lists them."""
    return [models.ReferenceOut(**reference_json(ref)) for ref in references_in(reg, unit)]


def _log_answer(answer: Any, masked: int) -> None:
    log.info("ask: %d chars, masked=%d, abstained=%s, %d citations, composer=%s%s, %.1f ms", len(answer.question),
             masked, answer.abstained, len(answer.citations), answer.composer,
             f" ({answer.composer_note})" if answer.composer_note else "", sum(answer.timings_ms.values()))


def _suggestion(library: Any, engine: Any, question: str, scopes: list[str] | None) -> dict[str, str] | None:
    """The stream's ``suggest`` event: the guide the question points to, with its title for the button."""
    from bot.dialogue.suggest import offered_guide

    name = offered_guide(library, engine.searcher.expander, question, scopes)
    return {"flow": name, "title": library.flows[name].title} if name else None


def _sse(event: str, data: dict[str, Any]) -> str:
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


def _sentences(answer: str) -> list[str]:
    parts, current = [], ""
    for ch in answer:
        current += ch
        if ch in "。\n":
            parts.append(current)
            current = ""
    return [*parts, current] if current else parts


def factory() -> FastAPI:
    """Entry point for `uvicorn --factory bot.web.app:factory` (several workers): settings from the env."""
    settings = Settings()
    configure_logging(settings)  # each worker is a process of its own
    return create_app(settings)


__all__ = ["Principal", "create_app", "factory"]
