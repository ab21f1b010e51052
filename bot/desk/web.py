"""What every desk page shares: the templates (autoescaped Jinja2), the response headers (a CSP stricter than
the API's: no script at all, forms only to this origin), the signed-in staff member, CSRF checks, and the
HTML answers for sign-in redirects and errors."""

from __future__ import annotations

import hmac
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape

from bot.desk.service import Desk
from bot.desk.signin import SignedIn
from bot.dialogue.values import JST
from bot.plaintext import has_control

HERE = Path(__file__).resolve().parent
DESK_CSP = ("default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; "
            "frame-ancestors 'none'")
COOKIE, SECURE_COOKIE, LOGIN_COOKIE = "hogo_desk", "__Host-hogo_desk", "hogo_desk_login"

templates = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(default=True),
                        trim_blocks=True, lstrip_blocks=True)
templates.filters["jst"] = lambda value: value.astimezone(JST).strftime("%Y-%m-%d %H:%M") if value else ""


class SignInRequired(Exception):
    def __init__(self, next_path: str) -> None:
        self.next_path = next_path


class DeskPage(Exception):
    """A desk request that ends in a Japanese message page (not found, not allowed, bad form)."""

    def __init__(self, status: int, heading: str, message: str) -> None:
        super().__init__(message)
        self.status, self.heading, self.message = status, heading, message


def desk(request: Request) -> Desk:
    return request.app.state.desk


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def limit_ip(request: Request) -> None:
    """The app's per-address limit, as for the API."""
    resources = getattr(request.app.state, "res", None)
    if getattr(resources, "limits", None) is not None:
        resources.limits.hit("ip", client_ip(request))
    elif getattr(resources, "per_ip", None) is not None:
        resources.per_ip.hit(client_ip(request))


def cookie_name(d: Desk) -> str:
    return SECURE_COOKIE if d.secure_cookies else COOKIE


def signed_in(request: Request) -> SignedIn | None:
    d = desk(request)
    return d.sessions.find(request.cookies.get(cookie_name(d)), d.now())


def staff(request: Request) -> SignedIn:
    """The signed-in staff member, or a redirect to the sign-in page that comes back here."""
    limit_ip(request)
    me = signed_in(request)
    if me is None:
        path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise SignInRequired(path if request.method == "GET" else "/desk")
    return me


def office(me: SignedIn) -> None:
    if not me.account.can_change:
        raise DeskPage(403, "権限がありません",
                       "このアカウントは閲覧のみです。変更は個人情報保護担当のアカウントで行ってください。")


def check_form(request: Request, me: SignedIn | None, token: str, expected: str | None = None) -> None:
    """A form post must come from this site (Origin, when sent) and carry the session's CSRF token."""
    origin = request.headers.get("origin")
    if origin and origin != "null" and origin.rstrip("/") not in own_origins(request):
        raise DeskPage(403, "送信できませんでした", "別のサイトからの送信は受け付けません。")
    expected = expected if expected is not None else (me.csrf if me else "")
    if not token or not expected or not hmac.compare_digest(token.encode(), expected.encode()):
        raise DeskPage(400, "送信できませんでした",
                       "画面の有効期限が切れました。ページを開き直してから、もう一度操作してください。")


def own_origins(request: Request) -> set[str]:
    origins = {str(request.base_url).rstrip("/")}
    public = desk(request).settings.public_url
    if public:
        parts = urlsplit(public)
        origins.add(f"{parts.scheme}://{parts.netloc}")
    return origins


def clean(value: str | None, limit: int) -> str:
    """A form field: control characters refused, length capped."""
    value = (value or "").strip()
    if has_control(value):
        raise DeskPage(422, "入力を確認してください", "入力に使えない制御文字が含まれています。")
    if len(value) > limit:
        raise DeskPage(422, "入力を確認してください", f"入力は{limit}文字以内にしてください。")
    return value


def render(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    context.setdefault("me", None)
    context.setdefault("flash", None)
    context.setdefault("error", None)
    context.setdefault("section", None)
    html = templates.get_template(template).render(**context)
    return HTMLResponse(html, status_code=status, headers=PAGE_HEADERS)


PAGE_HEADERS = {"Content-Security-Policy": DESK_CSP, "Cache-Control": "no-store"}


def download(content: bytes, media_type: str, filename: str) -> Response:
    disposition = f"attachment; filename=\"{filename}\"; filename*=UTF-8''{quote(filename)}"  # ASCII names
    return Response(content, media_type=media_type, headers={**PAGE_HEADERS, "Content-Disposition": disposition})


def redirect(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=303, headers=PAGE_HEADERS)


def safe_next(path: str | None) -> str:
    """Only a path of the desk itself: never another site after signing in."""
    if not path or not path.startswith("/desk") or path.startswith("//") or "\\" in path or has_control(path):
        return "/desk"
    return path


def install(app: FastAPI) -> None:
    """Mount the desk on the app: its routes and its HTML answers for sign-in redirects and errors."""
    from bot.desk.routes import router
    from bot.desk.routes_oidc import router as oidc_router

    app.include_router(router)
    app.include_router(oidc_router)  # sign-in through the city's identity provider, when configured

    @app.exception_handler(SignInRequired)
    async def sign_in(request: Request, exc: SignInRequired) -> Response:
        return redirect(f"/desk/login?next={quote(exc.next_path, safe='/')}")

    @app.exception_handler(DeskPage)
    async def page(request: Request, exc: DeskPage) -> Response:
        me = None
        try:
            me = signed_in(request)
        except Exception:  # the page must render even when the session cannot be read
            me = None
        return render(request, "message.html", status=exc.status, me=me, heading=exc.heading, message=exc.message)

