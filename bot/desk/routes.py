"""The desk's pages: sign-in and sign-out, the case list, a case with its timeline, exports and the audit log.
The feedback review is in ``routes_feedback``. Every page is server-rendered Japanese HTML."""

from __future__ import annotations

import secrets
from datetime import date
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import FileResponse, Response
from markdown_it import MarkdownIt
from markupsafe import Markup
from starlette.background import BackgroundTask

from bot.desk import audit_log, export, notify
from bot.desk.accounts import authenticate
from bot.desk.cases import SORTS, STATUSES, Case, StatusError
from bot.desk.routes_feedback import router as feedback_router
from bot.desk.signin import FAILURE_WINDOW, SignedIn
from bot.desk.web import (
    HERE,
    LOGIN_COOKIE,
    DeskPage,
    check_form,
    clean,
    client_ip,
    cookie_name,
    desk,
    download,
    limit_ip,
    office,
    redirect,
    render,
    safe_next,
    signed_in,
    staff,
)
from bot.store import ReportNotFound
from corpus.errors import HogoError, UnknownClauseError
from corpus.model import clause_text

router = APIRouter(prefix="/desk", include_in_schema=False)
Staff = Annotated[SignedIn, Depends(staff)]
FormText = Annotated[str, Form()]
_markdown = MarkdownIt("commonmark", {"html": False}).enable("table")  # raw HTML in a report is shown as text
FLASH = {"signed_out": "サインアウトしました。", "recorded": "対応状況を記録しました。"}


@router.get("/static/desk.css")
def stylesheet() -> FileResponse:
    return FileResponse(HERE / "static" / "desk.css", media_type="text/css; charset=utf-8",
                        headers={"Cache-Control": "public, max-age=300"})


# sign-in ---------------------------------------------------------------------------------------------------

def login_page(request: Request, status: int = 200, error: str | None = None, name: str = "",
               next_path: str = "/desk", flash: str | None = None) -> Response:
    d = desk(request)
    nonce = request.cookies.get(LOGIN_COOKIE) or secrets.token_urlsafe(16)
    page = render(request, "login.html", status=status, csrf=d.sessions.login_token(nonce), next=safe_next(next_path),
                  name=name, error=error, flash=flash, oidc=d.oidc is not None,
                  password=d.settings.desk_password_signin)
    page.set_cookie(LOGIN_COOKIE, nonce, max_age=3600, path="/desk", httponly=True, samesite="strict",
                    secure=d.secure_cookies)
    return page


@router.get("/login")
def login_form(request: Request, next: str = "/desk", done: str = "") -> Response:
    limit_ip(request)
    if signed_in(request) is not None:
        return redirect(safe_next(next))
    return login_page(request, next_path=next, flash=FLASH.get(done))


@router.post("/login")
def login(request: Request, name: FormText = "", password: FormText = "", csrf: FormText = "",
          next: FormText = "/desk") -> Response:
    limit_ip(request)
    d = desk(request)
    nonce = request.cookies.get(LOGIN_COOKIE, "")
    check_form(request, None, csrf, d.sessions.login_token(nonce) if nonce else "")
    if not d.settings.desk_password_signin:
        return login_page(request, 403, "この事案デスクには、組織のアカウントでサインインしてください。", "", next)
    name = clean(name, 64).lower()
    ip, at = client_ip(request), d.now()
    if d.sessions.locked_out(name, ip, at):
        audit_log.record(d.store.engine, at, name or "-", "login_locked", name, None, ip)
        minutes = int(FAILURE_WINDOW.total_seconds() // 60)
        message = (f"サインインの失敗が続いたため、一時的に受け付けていません。{minutes}分ほど待ってから"
                   "もう一度お試しください。")
        return login_page(request, 429, message, name, next)
    account = authenticate(d.store.engine, name, password) if name and password else None
    if account is None:
        audit_log.record(d.store.engine, at, name or "-", "login_failure", name, None, ip)
        return login_page(request, 401, "アカウント名またはパスワードが違います。", name, next)
    audit_log.record(d.store.engine, at, account.name, "login_success", account.name, account.role, ip)
    response = redirect(safe_next(next))
    response.set_cookie(cookie_name(d), d.sessions.start(account, at), max_age=d.sessions.ttl, path="/",
                        httponly=True, samesite="strict", secure=d.secure_cookies)
    response.delete_cookie(LOGIN_COOKIE, path="/desk")
    return response


@router.post("/logout")
def logout(request: Request, me: Staff, csrf: FormText = "") -> Response:
    check_form(request, me, csrf)
    d = desk(request)
    d.sessions.end(me)
    audit_log.record(d.store.engine, d.now(), me.account.name, "logout", me.account.name, None, client_ip(request))
    response = redirect("/desk/login?done=signed_out")
    response.delete_cookie(cookie_name(d), path="/", httponly=True, samesite="strict", secure=d.secure_cookies)
    return response


# cases ---------------------------------------------------------------------------------------------------------

@router.get("")
def cases(request: Request, me: Staff, status: str = "", city: str = "", ppc: str = "", sort: str = "due") -> Response:
    d = desk(request)
    status = status if status in STATUSES else ""
    ppc = ppc if ppc in ("yes", "no") else ""
    sort = sort if sort in SORTS else "due"
    city = clean(city, 100)
    found = d.cases.list(status or None, city or None, {"yes": True, "no": False}.get(ppc), sort)
    filters = {"status": status, "city": city, "ppc": ppc, "sort": sort}
    chosen = {k: v for k, v in filters.items() if v}
    return render(request, "cases.html", me=me, section="cases", cases=found, cities=d.cases.cities(),
                  statuses=STATUSES, sorts=SORTS, filters=filters, today=d.cases.today(),
                  query=f"?{urlencode(chosen)}" if chosen else "")


def _case(request: Request, case_id: str) -> Case:
    try:
        return desk(request).cases.get(case_id)
    except ReportNotFound:
        raise DeskPage(404, "事案が見つかりません",
                       "指定された事案は見つかりません。一覧から選び直してください。") from None


def _citations(request: Request, keys: list[str]) -> list[dict[str, str | None]]:
    corpus = desk(request).engine.corpus
    out = []
    for key in keys:
        try:
            unit = corpus.unit(key)
            out.append({"key": key, "label": corpus.label(unit), "heading": unit.heading,
                        "text": clause_text(corpus.doc(unit.doc), unit)})
        except (UnknownClauseError, HogoError):  # amended away since the report was made
            out.append({"key": key, "label": key, "heading": None, "text": None})
    return out


def _case_page(request: Request, me: SignedIn, case: Case, status: int = 200, error: str | None = None,
               flash: str | None = None) -> Response:
    return render(request, "case.html", status=status, me=me, section="cases", case=case, data=case.data,
                  statuses=STATUSES, next_statuses=case.next_statuses(), today=case.today, error=error, flash=flash,
                  citations=_citations(request, case.data.get("citations") or []),
                  markdown_html=report_html(case.report.markdown))


def report_html(markdown: str) -> Markup:
    """The report's Markdown as HTML inside the case page: raw HTML stays text, headings start at h3."""
    tokens = _markdown.parse(markdown)
    for token in tokens:
        if token.type in ("heading_open", "heading_close"):
            token.tag = f"h{min(6, int(token.tag[1]) + 2)}"
    return Markup(_markdown.renderer.render(tokens, _markdown.options, {}))


@router.get("/cases/{case_id}")
def case_page(case_id: str, request: Request, me: Staff, done: str = "") -> Response:
    d = desk(request)
    case = _case(request, case_id)
    audit_log.record(d.store.engine, d.now(), me.account.name, "case_view", case.id, None, client_ip(request))
    return _case_page(request, me, case, flash=FLASH.get(done))


@router.post("/cases/{case_id}/status")
def advance(case_id: str, request: Request, me: Staff, csrf: FormText = "", status: FormText = "",
            done_on: FormText = "", note: FormText = "") -> Response:
    check_form(request, me, csrf)
    office(me)
    d = desk(request)
    case = _case(request, case_id)
    note = clean(note, 1000)
    try:
        day = date.fromisoformat(clean(done_on, 10))
    except ValueError:
        return _case_page(request, me, case, 422, "実施日を YYYY-MM-DD の形で入力してください。")
    try:
        case = d.cases.advance(case.id, status, day, me.account.name, note)
    except StatusError as exc:
        return _case_page(request, me, case, 422, exc.message_ja)
    audit_log.record(d.store.engine, d.now(), me.account.name, "case_status", case.id,
                     f"{STATUSES[status]}（{day.isoformat()}）" + (f": {note}" if note else ""), client_ip(request))
    response = redirect(f"/desk/cases/{case.id}?done=recorded")
    response.background = BackgroundTask(notify.tell_reporter_later, d, case.id, status)  # after the answer
    return response


# exports ---------------------------------------------------------------------------------------------------------

@router.get("/cases/{case_id}/export.{fmt}")
def export_case(case_id: str, fmt: str, request: Request, me: Staff) -> Response:
    d = desk(request)
    case = _case(request, case_id)
    if fmt == "csv":
        out = download(export.case_csv(case), "text/csv; charset=utf-8", f"hogo-case-{case.id}.csv")
    elif fmt == "xlsx":
        out = download(export.case_xlsx(case),
                       "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", f"hogo-case-{case.id}.xlsx")
    elif fmt == "md":
        out = download(case.report.markdown.encode("utf-8"), "text/markdown; charset=utf-8",
                       f"hogo-report-{case.id}.md")
    else:
        raise DeskPage(404, "出力できません", "CSV・Excel・Markdown のいずれかを選んでください。")
    audit_log.record(d.store.engine, d.now(), me.account.name, "case_export", case.id, fmt, client_ip(request))
    return out


@router.get("/export/cases.csv")
def export_cases(request: Request, me: Staff, status: str = "", city: str = "", ppc: str = "",
                 sort: str = "due") -> Response:
    d = desk(request)
    found = d.cases.list(status if status in STATUSES else None, clean(city, 100) or None,
                         {"yes": True, "no": False}.get(ppc), sort if sort in SORTS else "due")
    audit_log.record(d.store.engine, d.now(), me.account.name, "cases_export", None, f"{len(found)}件",
                     client_ip(request))
    return download(export.cases_csv(found), "text/csv; charset=utf-8", f"hogo-cases-{d.cases.today().isoformat()}.csv")


# audit log ----------------------------------------------------------------------------------------------------

@router.get("/audit")
def audit_page(request: Request, me: Staff, action: str = "", actor: str = "", before: int | None = None) -> Response:
    d = desk(request)
    action = action if action in audit_log.ACTIONS else ""
    actor = clean(actor, 64)
    audit_log.record(d.store.engine, d.now(), me.account.name, "audit_view", None, None, client_ip(request))
    rows = audit_log.entries(d.store.engine, 200, action or None, actor or None, before)
    return render(request, "audit.html", me=me, section="audit", entries=rows, actions=audit_log.ACTIONS,
                  action=action, actor=actor, older=rows[-1].id if len(rows) == 200 else None)


router.include_router(feedback_router)
