"""Web security pieces: signed short-lived session tokens, the rate-limit error (the limits themselves:
bot.web.ratelimit), and the origin allow-list.

A page embeds the widget with a public *site key*. The widget exchanges it, from an allowed origin, for a
token signed with the server's secret that names a visitor id and expires in minutes. The token is all the
page ever holds; no long-lived secret reaches the browser.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import math
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from corpus.errors import HogoError


class AuthError(HogoError):
    code = "unauthorized"
    http_status = 401
    default_ja = "セッションの有効期限が切れました。画面を再読み込みしてください。"


class ForbiddenError(HogoError):
    code = "forbidden"
    http_status = 403
    default_ja = "この操作は許可されていません。"


class RateLimited(HogoError):
    code = "rate_limited"
    http_status = 429
    default_ja = "リクエストが多すぎます。しばらく待ってからもう一度お試しください。"

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"rate limited; retry after {retry_after}s")
        self.retry_after = retry_after


@dataclass(frozen=True)
class Token:
    visitor: str
    origin: str
    site_key: str
    expires: int
    scopes: tuple[str, ...] | None = None  # the documents the site key is bound to; None: every document


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class TokenSigner:
    def __init__(self, secret: bytes, ttl: int) -> None:
        self.secret, self.ttl = secret, ttl

    def issue(self, origin: str, site_key: str, visitor: str | None = None,
              now: float | None = None, scopes: list[str] | None = None) -> tuple[str, Token]:
        """A signed token; ``scopes`` (a site key's binding) travel inside the signature, so a client
        cannot widen them. The expiry is rounded up, so a token is good for at least ``ttl`` seconds."""
        token = Token(visitor or secrets.token_hex(12), origin, site_key, math.ceil((now or time.time()) + self.ttl),
                      tuple(scopes) if scopes is not None else None)
        claims: dict[str, object] = {"v": token.visitor, "o": token.origin, "k": token.site_key, "e": token.expires}
        if token.scopes is not None:
            claims["s"] = list(token.scopes)
        payload = _b64(json.dumps(claims, separators=(",", ":")).encode())
        return f"{payload}.{self._sign(payload)}", token

    def verify(self, raw: str, now: float | None = None, grace: int = 0) -> Token:
        """The token's claims, or AuthError. ``grace`` accepts a recently expired token (for renewal only)."""
        try:
            payload, signature = raw.split(".", 1)
            if not hmac.compare_digest(signature, self._sign(payload)):
                raise ValueError("bad signature")
            claims = json.loads(_unb64(payload))
            scopes = tuple(str(doc) for doc in claims["s"]) if claims.get("s") is not None else None
            token = Token(str(claims["v"]), str(claims["o"]), str(claims["k"]), int(claims["e"]), scopes)
        except (ValueError, KeyError, TypeError) as exc:
            raise AuthError(f"invalid session token: {exc}") from None
        if token.expires + grace < (now or time.time()):
            raise AuthError("session token expired")
        return token

    def _sign(self, payload: str) -> str:
        return _b64(hmac.new(self.secret, payload.encode(), hashlib.sha256).digest())


def load_secret(configured: str | None, data_dir: Path) -> bytes:
    """HOGO_SECRET_KEY when set (required when several servers share sessions); otherwise a random key
    kept in the data dir, created once with owner-only permissions."""
    if configured:
        return configured.encode()
    path = data_dir / "secret.key"
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(secrets.token_hex(32), encoding="utf-8")
    return path.read_text(encoding="utf-8").strip().encode()


def origin_allowed(origin: str, allowed: list[str], own_origin: str) -> bool:
    """Exact match against the allow-list; ``self`` stands for the server's own origin."""
    origin = origin.rstrip("/")
    return any(origin == (own_origin if entry == "self" else entry.rstrip("/")) for entry in allowed)


SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}
PAGE_CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
            "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
API_CSP = "default-src 'none'; frame-ancestors 'none'"
