"""The desk's sign-in through the city's identity provider (see ``bot.desk.oidc``): /desk/oidc/start sends the
person there, /desk/oidc/callback takes the answer back. Both are not found while it is not configured.

Every sign-in and refusal goes to the audit log. A refusal, or a provider that cannot be reached, shows the
sign-in page with a Japanese message: never a stack trace, never a server error."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from bot.desk import audit_log
from bot.desk.oidc import OidcSignIn, SignInRefused
from bot.desk.routes import login_page
from bot.desk.web import DeskPage, client_ip, cookie_name, desk, limit_ip, redirect, render, safe_next, signed_in

router = APIRouter(prefix="/desk/oidc", include_in_schema=False)


def _oidc(request: Request) -> OidcSignIn:
    found = desk(request).oidc
    if found is None:
        raise DeskPage(404, "ページが見つかりません", "組織のアカウントでのサインインは設定されていません。")
    return found


async def _refused(request: Request, refused: SignInRefused, next_path: str) -> Response:
    d = desk(request)
    await run_in_threadpool(audit_log.record, d.store.engine, d.now(), refused.claimed or "-", "oidc_login_failure",
                            refused.claimed, refused.detail, client_ip(request))
    return login_page(request, refused.status, refused.message, next_path=next_path)


@router.get("/start")
async def oidc_start(request: Request, next: str = "/desk") -> Response:
    """「組織のアカウントでサインイン」: off to the provider's sign-in page."""
    limit_ip(request)
    oidc = _oidc(request)
    next_path = safe_next(next)
    if await run_in_threadpool(signed_in, request) is not None:
        return redirect(next_path)
    try:
        return await oidc.start(request, next_path)
    except SignInRefused as refused:
        return await _refused(request, refused, next_path)


@router.get("/callback", name="desk_oidc_callback")
async def oidc_callback(request: Request) -> Response:
    """The provider's answer: a desk session for the account it names, or the sign-in page with the reason.

    The answer is a page that moves on by itself rather than a redirect: the session cookie is SameSite=Strict,
    and a browser does not send it on a redirect that began at the provider's site."""
    limit_ip(request)
    oidc = _oidc(request)
    d = desk(request)
    try:
        identity, next_path = await oidc.finish(request, d.store.engine)
    except SignInRefused as refused:
        response = await _refused(request, refused, "/desk")
        oidc.forget(response)
        return response
    account, at = identity.account, d.now()
    await run_in_threadpool(audit_log.record, d.store.engine, at, account.name, "oidc_login_success", account.name,
                            f"{account.role}（{oidc.claim}: {identity.claimed}）", client_ip(request))
    cookie = await run_in_threadpool(d.sessions.start, account, at)
    response = render(request, "signed_in.html", next=safe_next(next_path), account=account)
    response.set_cookie(cookie_name(d), cookie, max_age=d.sessions.ttl, path="/", httponly=True, samesite="strict",
                        secure=d.secure_cookies)
    oidc.forget(response)
    return response
