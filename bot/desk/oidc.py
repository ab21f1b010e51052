"""Desk sign-in through the city's identity provider (OpenID Connect), off unless HOGO_DESK_OIDC_ISSUER is set.

Authorization code flow with PKCE (S256), state and nonce, through authlib's Starlette client. The ID token is
checked for its signature (the provider's JWKS), issuer, audience (our client id), expiry and nonce. Only people
who already have an active desk account may sign in, with that account's role: one claim of the ID token
(``desk_oidc_claim``, e.g. ``preferred_username``) names the account, optionally as ``NAME@DOMAIN`` of the one
domain in ``desk_oidc_domain``. Group claims are not read: the desk's accounts stay the one list of who may
change cases, so a change at the provider can never make an auditor an office clerk.

The state, nonce and PKCE verifier of a sign-in in progress travel in a signed, HttpOnly cookie on
/desk/oidc for ten minutes (SameSite=Lax: it must come back with the provider's redirect).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from dataclasses import dataclass
from typing import Any

from authlib.integrations.base_client.errors import MismatchingStateError, OAuthError
from authlib.integrations.starlette_client import OAuth
from itsdangerous import BadSignature, URLSafeTimedSerializer
from joserfc.errors import JoseError
from sqlalchemy.engine import Engine
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from bot.desk.accounts import NAME, Account, get_user
from bot.settings import Settings

log = logging.getLogger("hogo.desk.oidc")

STATE_COOKIE = "hogo_desk_oidc"
STATE_PATH = "/desk/oidc"
STATE_TTL = 600  # seconds between the button and the provider's answer
TIMEOUT = 10.0  # seconds for each request to the provider
LEEWAY = 60  # seconds of clock difference allowed for exp and iat

UNREACHABLE = ("組織の認証サーバーに接続できませんでした。しばらく待ってからもう一度お試しください。"
               "続く場合は情報システム担当にお問い合わせください。")
STALE = ("サインインの手続きの有効期限が切れたか、別の画面で始められたものです。"
         "もう一度「組織のアカウントでサインイン」を選んでください。")
BAD_TOKEN = ("組織のアカウントを確認できませんでした（認証サーバーの応答が正しくありません）。"
             "もう一度お試しください。続く場合は情報システム担当にお問い合わせください。")
NO_NAME = ("組織のアカウントから事案デスクのアカウント名を確認できませんでした。"
           "管理者に連絡してください。")
MISCONFIGURED = "組織の認証サーバーとの連携設定が正しくありません。情報システム担当にお問い合わせください。"


def _transport_errors() -> tuple[type[Exception], ...]:
    """What the provider being down or slow raises: authlib talks through httpx2 where it is installed,
    else through httpx."""
    import httpx

    try:
        import httpx2
    except ImportError:
        return (httpx.HTTPError,)
    return (httpx.HTTPError, httpx2.HTTPError)


TRANSPORT_ERRORS = _transport_errors()


class SignInRefused(Exception):
    """An OIDC sign-in that did not happen: ``message`` is for the person, ``detail`` for the audit log."""

    def __init__(self, status: int, message: str, detail: str, claimed: str | None = None) -> None:
        super().__init__(detail)
        self.status, self.message, self.detail, self.claimed = status, message, detail, claimed


@dataclass(frozen=True)
class Identity:
    account: Account
    claimed: str  # the claim's value as the provider sent it (tanaka, tanaka@city.example.lg.jp)


def account_name(claims: dict[str, Any], claim: str, domain: str | None) -> str:
    """The desk account name an ID token's claims point to; refuses what cannot name an account safely."""
    value = claims.get(claim)
    if not isinstance(value, str) or not value.strip():
        raise SignInRefused(401, NO_NAME, f"IDトークンに {claim} がありません")
    value = value.strip()
    if claim == "email" and claims.get("email_verified") is False:
        raise SignInRefused(401, NO_NAME, f"メールアドレスが未確認です（{value}）", value)
    name = value.lower()
    if domain:
        local, at, host = name.rpartition("@")
        if not at or host != domain.lower().lstrip("@"):
            raise SignInRefused(401, "このサインインは、組織のドメインのアカウントでのみ使えます。",
                                f"{claim} が {domain} のものではありません（{value}）", value)
        name = local
    if not NAME.match(name):
        raise SignInRefused(401, NO_NAME, f"{claim} はアカウント名として使えません（{value}）", value)
    return name


class OidcSignIn:
    """The identity provider as the desk sees it: where to send the person and what to accept back."""

    def __init__(self, settings: Settings, secret: bytes) -> None:
        self.issuer = settings.desk_oidc_issuer or ""  # checked by Settings
        self.client_id = settings.desk_oidc_client_id or ""
        self.claim, self.domain = settings.desk_oidc_claim, settings.desk_oidc_domain
        self.public_url = settings.public_url
        secret_value = settings.desk_oidc_client_secret.get_secret_value() if settings.desk_oidc_client_secret else None
        scopes = settings.desk_oidc_scopes.split()
        scope = " ".join(["openid", *[s for s in scopes if s != "openid"]])  # the ID token and its nonce need it
        self.client = OAuth().register(
            "desk", client_id=self.client_id, client_secret=secret_value,
            server_metadata_url=self.issuer.rstrip("/") + "/.well-known/openid-configuration",
            client_kwargs={"scope": scope, "code_challenge_method": "S256", "timeout": TIMEOUT,
                           "token_endpoint_auth_method": "client_secret_basic" if secret_value else "none"})
        key = hmac.new(secret, b"hogo-desk-oidc-state", hashlib.sha256).digest()  # not the session's key
        self.serializer = URLSafeTimedSerializer(key, salt="hogo-desk-oidc")

    # the provider ----------------------------------------------------------------------------------------------
    async def _metadata(self) -> dict[str, Any]:
        metadata = await self.client.load_server_metadata()
        if metadata.get("issuer") != self.issuer:  # OpenID Connect Discovery 4.3: it must be the one configured
            found = metadata.get("issuer")
            self.client.server_metadata.clear()  # read it again next time
            log.warning("desk sign-in: the provider's issuer is %r, not the configured %r", found, self.issuer)
            raise SignInRefused(200, MISCONFIGURED, f"認証サーバーの issuer が設定と違います（{found}）")
        return metadata

    def redirect_uri(self, request: Request) -> str:
        if self.public_url:
            return self.public_url.rstrip("/") + STATE_PATH + "/callback"
        return str(request.url_for("desk_oidc_callback"))

    async def start(self, request: Request, next_path: str) -> Response:
        """The redirect to the provider's sign-in page; the flow's state goes in the cookie."""
        request.scope["session"] = {"next": next_path}
        try:
            await self._metadata()
            response = await self.client.authorize_redirect(request, self.redirect_uri(request))
        except SignInRefused:
            raise
        except TRANSPORT_ERRORS as exc:  # unreachable, too slow, or an error page
            log.warning("desk sign-in: the identity provider could not be reached: %s", exc)
            raise SignInRefused(200, UNREACHABLE, f"認証サーバーに接続できません（{type(exc).__name__}）") from None
        except Exception as exc:  # a discovery document that is not JSON or lacks an endpoint
            log.warning("desk sign-in: the identity provider's discovery document cannot be used", exc_info=True)
            raise SignInRefused(200, MISCONFIGURED, f"認証サーバーの設定を読めません（{type(exc).__name__}）") from None
        self._keep(response, request.scope["session"])
        return response

    async def finish(self, request: Request, engine: Engine) -> tuple[Identity, str]:
        """The provider's answer checked end to end; returns who signed in (an active desk account of
        ``engine``'s database) and the desk page they were going to."""
        session = self._load(request)
        request.scope["session"] = session
        next_path = str(session.get("next") or "/desk")
        error = request.query_params.get("error")
        if error:
            code = "".join(ch for ch in error[:40] if ch.isalnum() or ch in "_-")
            raise SignInRefused(401, f"組織の認証サーバーでサインインが完了しませんでした（{code}）。"
                                "もう一度お試しください。", f"認証サーバーがエラーを返しました: {code}")
        if not request.query_params.get("state") or not request.query_params.get("code"):
            raise SignInRefused(400, STALE, "state または code がありません")
        try:
            await self._metadata()
            token = await self.client.authorize_access_token(request, leeway=LEEWAY, claims_options={
                "iss": {"essential": True, "value": self.issuer},
                "aud": {"essential": True, "value": self.client_id},
                "sub": {"essential": True}})
        except SignInRefused:
            raise
        except MismatchingStateError:
            raise SignInRefused(400, STALE, "state が一致しません（期限切れ・別の画面・再送）") from None
        except OAuthError as exc:
            raise SignInRefused(401, BAD_TOKEN, f"トークンを受け取れませんでした: {exc.error}") from None
        except JoseError as exc:  # signature, iss, aud, exp, nonce, missing claims
            reason = exc.error + (f"（{exc.description}）" if exc.description else "")
            raise SignInRefused(401, BAD_TOKEN, f"IDトークンの検証に失敗: {reason}") from None
        except TRANSPORT_ERRORS as exc:
            log.warning("desk sign-in: the identity provider could not be reached: %s", exc)
            raise SignInRefused(200, UNREACHABLE, f"認証サーバーに接続できません（{type(exc).__name__}）") from None
        except Exception as exc:  # a reply that is not what the protocol says: never a server error page
            log.warning("desk sign-in: unexpected answer from the identity provider", exc_info=True)
            raise SignInRefused(401, BAD_TOKEN, f"認証サーバーの応答を読めません（{type(exc).__name__}）") from None
        claims = token.get("userinfo")
        if not claims:  # no ID token in the answer: nothing was proven about the person
            raise SignInRefused(401, BAD_TOKEN, "IDトークンがありません")
        name = account_name(dict(claims), self.claim, self.domain)
        claimed = str(claims.get(self.claim))
        account = await run_in_threadpool(get_user, engine, name)
        if account is None:
            raise SignInRefused(401, f"組織のアカウント（{claimed}）に対応する事案デスクのアカウントがありません。"
                                "管理者にアカウントの発行を依頼してください。",
                                f"デスクのアカウントがありません（{self.claim}: {claimed}）", claimed)
        if not account.active:
            raise SignInRefused(401, "このアカウントは無効になっています。管理者に確認してください。",
                                f"無効なアカウント（{self.claim}: {claimed}）", claimed)
        return Identity(account, claimed), next_path

    # the cookie that carries the flow ------------------------------------------------------------------------
    def _load(self, request: Request) -> dict[str, Any]:
        raw = request.cookies.get(STATE_COOKIE)
        if not raw or len(raw) > 4000:
            return {}
        try:
            data = self.serializer.loads(raw, max_age=STATE_TTL)
        except (BadSignature, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def _keep(self, response: Response, session: dict[str, Any]) -> None:
        response.set_cookie(STATE_COOKIE, self.serializer.dumps(session), max_age=STATE_TTL,
                            path=STATE_PATH, httponly=True, samesite="lax",
                            secure=(self.public_url or "").lower().startswith("https://"))

    @staticmethod
    def forget(response: Response) -> None:
        response.delete_cookie(STATE_COOKIE, path=STATE_PATH)


def open_oidc(settings: Settings, secret: bytes) -> OidcSignIn | None:
    return OidcSignIn(settings, secret) if settings.desk_oidc_issuer else None
