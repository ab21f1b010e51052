"""Desk accounts: privacy-office staff (``office``: may change cases) and auditors (``auditor``: read only).

Passwords are hashed with Argon2id (argon2-cffi); a hash made with weaker parameters is upgraded at the
next sign-in. Nothing here knows about HTTP.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from bot.desk.tables import sessions, users
from bot.store import _utc, now
from corpus.errors import HogoError

ROLES = {"office": "個人情報保護担当", "auditor": "監査担当（閲覧のみ）"}
NAME = re.compile(r"^[a-z][a-z0-9._-]{1,31}$")
MIN_PASSWORD = 10
_hasher = PasswordHasher()
NO_PASSWORD = "!"  # stored for an account that signs in through the identity provider only: never verifies
_DUMMY = _hasher.hash("hogo-desk-dummy-password")  # verified against for unknown names: same timing


class AccountError(HogoError):
    code = "account_error"
    exit_code = 2
    http_status = 422
    default_ja = "アカウントの内容を確認してください。"


@dataclass(frozen=True)
class Account:
    name: str
    role: str
    active: bool
    created_at: datetime

    @property
    def can_change(self) -> bool:
        return self.role == "office"

    @property
    def role_label(self) -> str:
        return ROLES.get(self.role, self.role)


def _account(row) -> Account:
    return Account(row["name"], row["role"], bool(row["active"]), _utc(row["created_at"]))


def add_user(engine: Engine, name: str, role: str, password: str | None) -> Account:
    """A new account; the name is a short lowercase login id (tanaka, k.sato). Without a password it signs in
    through the identity provider only (OpenID Connect) until one is set."""
    if not NAME.match(name):
        raise AccountError(f"account name {name!r}: use 2-32 lowercase letters, digits, '.', '_' or '-', "
                           "starting with a letter (e.g. tanaka)")
    if role not in ROLES:
        raise AccountError(f"role {role!r}: use one of {', '.join(ROLES)}")
    if password is not None:
        check_password(password)
    stamp = now()
    try:
        with engine.begin() as conn:
            stored = _hasher.hash(password) if password is not None else NO_PASSWORD
            conn.execute(insert(users).values(name=name, role=role, password_hash=stored,
                                              active=1, created_at=stamp))
    except IntegrityError:
        raise AccountError(f"account {name!r} exists already; choose another name") from None
    return Account(name, role, True, stamp)


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"the password needs at least {MIN_PASSWORD} characters",
                           f"パスワードは{MIN_PASSWORD}文字以上にしてください。")


def set_password(engine: Engine, name: str, password: str) -> None:
    """A new password; the account's open sessions end (a password is changed when it may have leaked)."""
    check_password(password)
    with engine.begin() as conn:
        if not conn.execute(update(users).where(users.c.name == name)
                            .values(password_hash=_hasher.hash(password))).rowcount:
            raise AccountError(f"no account {name!r}; see hogo desk user list")
        conn.execute(delete(sessions).where(sessions.c.user_name == name))


def set_active(engine: Engine, name: str, active: bool) -> None:
    with engine.begin() as conn:
        if not conn.execute(update(users).where(users.c.name == name).values(active=int(active))).rowcount:
            raise AccountError(f"no account {name!r}; see hogo desk user list")


def list_users(engine: Engine) -> list[Account]:
    with engine.connect() as conn:
        return [_account(r) for r in conn.execute(select(users).order_by(users.c.name)).mappings()]


def get_user(engine: Engine, name: str) -> Account | None:
    with engine.connect() as conn:
        row = conn.execute(select(users).where(users.c.name == name)).mappings().first()
    return _account(row) if row else None


def authenticate(engine: Engine, name: str, password: str) -> Account | None:
    """The active account whose password this is, else None (unknown names cost the same time)."""
    with engine.connect() as conn:
        row = conn.execute(select(users).where(users.c.name == name[:64])).mappings().first()
    usable = row is not None and row["password_hash"] != NO_PASSWORD
    try:  # unknown names and accounts without a password cost the same time as a wrong password
        _hasher.verify(row["password_hash"] if usable else _DUMMY, password)
    except (VerificationError, InvalidHashError):
        return None
    if not usable or not row["active"]:
        return None
    if _hasher.check_needs_rehash(row["password_hash"]):
        with engine.begin() as conn:
            conn.execute(update(users).where(users.c.name == row["name"]).values(password_hash=_hasher.hash(password)))
    return _account(row)
