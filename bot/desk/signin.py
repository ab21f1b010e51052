"""Desk sign-in sessions: a random id in a signed, HttpOnly, SameSite=Strict cookie; the table keeps only its
hash, the account and a CSRF token, so signing out (or disabling the account) ends the session at once.

Failed sign-ins are counted from the audit log, so the limit holds across server processes.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, insert, select
from sqlalchemy.engine import Engine

from bot.desk.accounts import Account, get_user
from bot.desk.tables import audit, sessions
from bot.store import _utc

FAILURES_PER_NAME = 5  # failed sign-ins for one account name ...
FAILURES_PER_IP = 20  # ... or from one address ...
FAILURE_WINDOW = timedelta(minutes=15)  # ... within this window lock further attempts out


@dataclass(frozen=True)
class SignedIn:
    account: Account
    id_hash: str
    csrf: str


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class Sessions:
    def __init__(self, engine: Engine, secret: bytes, ttl: int) -> None:
        self.engine, self.ttl = engine, ttl
        self.key = hmac.new(secret, b"hogo-desk-session", hashlib.sha256).digest()  # not the widget's key

    # the cookie --------------------------------------------------------------------------------------
    def _sign(self, raw: str) -> str:
        return hmac.new(self.key, raw.encode(), hashlib.sha256).hexdigest()[:32]

    def cookie_value(self, raw: str) -> str:
        return f"{raw}.{self._sign(raw)}"

    def _raw(self, cookie: str | None) -> str | None:
        if not cookie or "." not in cookie or len(cookie) > 200:
            return None
        raw, signature = cookie.rsplit(".", 1)
        return raw if hmac.compare_digest(signature, self._sign(raw)) else None

    # sessions ------------------------------------------------------------------------------------------
    def start(self, account: Account, at: datetime) -> str:
        """A new session for ``account``; returns the cookie value."""
        raw = secrets.token_urlsafe(32)
        with self.engine.begin() as conn:
            conn.execute(delete(sessions).where(sessions.c.expires_at < at))  # forget expired ones
            conn.execute(insert(sessions).values(id_hash=_hash(raw), user_name=account.name,
                                                 csrf=secrets.token_urlsafe(24), created_at=at,
                                                 expires_at=at + timedelta(seconds=self.ttl)))
        return self.cookie_value(raw)

    def find(self, cookie: str | None, at: datetime) -> SignedIn | None:
        raw = self._raw(cookie)
        if raw is None:
            return None
        with self.engine.connect() as conn:
            row = conn.execute(select(sessions).where(sessions.c.id_hash == _hash(raw))).mappings().first()
        if row is None or _utc(row["expires_at"]) <= at:
            return None
        account = get_user(self.engine, row["user_name"])
        if account is None or not account.active:
            return None
        return SignedIn(account, row["id_hash"], row["csrf"])

    def end(self, signed_in: SignedIn) -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(sessions).where(sessions.c.id_hash == signed_in.id_hash))

    # the sign-in form's own CSRF token (before any session): bound to a random cookie ---------------------
    def login_token(self, nonce: str) -> str:
        return hmac.new(self.key, f"login:{nonce}".encode(), hashlib.sha256).hexdigest()[:32]

    # sign-in limits -------------------------------------------------------------------------------------------
    def locked_out(self, name: str, ip: str, at: datetime) -> bool:
        since = at - FAILURE_WINDOW
        failed = select(func.count()).select_from(audit).where(audit.c.action == "login_failure", audit.c.at >= since)
        with self.engine.connect() as conn:
            by_name = conn.execute(failed.where(audit.c.target == name[:128])).scalar_one()
            by_ip = conn.execute(failed.where(audit.c.ip == ip[:64])).scalar_one()
        return by_name >= FAILURES_PER_NAME or by_ip >= FAILURES_PER_IP
