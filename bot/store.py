"""Durable state through SQLAlchemy: flow sessions, finished reports and feedback.

SQLite (WAL) in the data dir by default, PostgreSQL by URL; the same code runs on both. Writers use
optimistic concurrency: every session row has a version, an update applies only to the version it read,
and a loser re-reads and re-applies its change. Two processes answering one session therefore never
overwrite each other, and nothing is held in memory between requests: a process can die between two
answers and the next one resumes from the row.
"""

from __future__ import annotations

import json
import logging
import random
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    delete,
    event,
    insert,
    select,
    update,
)
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from bot import migrations
from bot.faults import sqlite_file_pool
from corpus.errors import HogoError

log = logging.getLogger("hogo.store")

metadata = MetaData()

sessions = Table(
    "hogo_flow_sessions", metadata,
    Column("id", String(32), primary_key=True),
    Column("flow", String(64), nullable=False),
    Column("scope", String(128)),
    Column("status", String(16), nullable=False),  # active | finished
    Column("owner", String(256)),
    Column("state", JSON, nullable=False),
    Column("version", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

reports = Table(
    "hogo_reports", metadata,
    Column("id", String(32), primary_key=True),  # the id of the session that produced it
    Column("flow", String(64), nullable=False),
    Column("scope", String(128)),
    Column("owner", String(256)),
    Column("title", Text, nullable=False),
    Column("data", JSON, nullable=False),
    Column("markdown", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

feedback = Table(
    "hogo_feedback", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("question", Text, nullable=False),
    Column("rating", Integer, nullable=False),  # +1 / -1
    Column("comment", Text),
    Column("cited_keys", JSON, nullable=False),
    Column("channel", String(32)),
    Column("created_at", DateTime(timezone=True), nullable=False),
)


slack_events = Table(
    "hogo_slack_events", metadata,  # Slack event ids already handled: a retried delivery is answered once
    Column("event_id", String(128), primary_key=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

slack_channels = Table(
    "hogo_slack_channels", metadata,  # a channel bound to one regulation
    Column("channel", String(64), primary_key=True),
    Column("scope", String(128), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

heartbeat = Table(
    "hogo_heartbeat", metadata,  # one row, written by readiness checks: a database that reads but cannot write
    Column("id", Integer, primary_key=True, autoincrement=False),  # is not ready
    Column("beat_at", DateTime(timezone=True), nullable=False),
)


class SessionNotFound(HogoError):
    code = "session_not_found"
    exit_code = 2
    http_status = 404
    default_ja = "指定されたセッションが見つかりません。IDを確認するか、最初からやり直してください。"


class ReportNotFound(HogoError):
    code = "report_not_found"
    exit_code = 2
    http_status = 404
    default_ja = "指定された報告書が見つかりません。"


class ConflictError(HogoError):
    code = "conflict"
    exit_code = 1
    http_status = 409
    default_ja = "同じセッションへの操作が重なりました。もう一度お試しください。"


@dataclass
class SessionRow:
    id: str
    flow: str
    scope: str | None
    status: str
    owner: str | None
    state: dict[str, Any]
    version: int
    created_at: datetime
    updated_at: datetime


@dataclass
class ReportRow:
    id: str
    flow: str
    scope: str | None
    owner: str | None
    title: str
    data: dict[str, Any]
    markdown: str
    created_at: datetime


def new_id() -> str:
    """12 hex characters: short enough to type after `hogo flow resume`, 48 random bits."""
    return secrets.token_hex(6)


def now() -> datetime:
    return datetime.now(UTC)


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)  # SQLite returns naive datetimes


def _session(row: Any) -> SessionRow:
    return SessionRow(**{**row, "created_at": _utc(row["created_at"]), "updated_at": _utc(row["updated_at"])})


def connect(url: str, echo: bool = False) -> Engine:
    """The engine for a database URL, set up as the store uses it (SQLite: WAL and a 30 s busy timeout)."""
    kwargs: dict[str, Any] = {"echo": echo, "json_serializer": _to_json}
    if url.startswith("sqlite"):
        kwargs["connect_args"] = {"timeout": 30}
        kwargs.update(sqlite_file_pool(url))  # no connection while its files are read-only: SIGBUS otherwise
    else:
        kwargs.update(pool_pre_ping=True, pool_size=5, max_overflow=10)
    engine = create_engine(url, **kwargs)
    if url.startswith("sqlite"):
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


class Store:
    def __init__(self, url: str, echo: bool = False) -> None:
        self.url = url
        self.engine: Engine = connect(url, echo)
        try:
            with self.engine.connect():  # a database that cannot be reached fails now, not after the retries below
                pass
            self._check_schema()
        except BaseException:
            self.engine.dispose()
            raise

    def _check_schema(self, attempts: int = 5) -> None:
        """Refuse a database not at this release's revision; create an empty one at head (bot.migrations).
        Several processes starting at once on a new database wait on one another there; a busy database
        that outlasts the wait is simply checked again."""
        for attempt in range(attempts):
            try:
                migrations.check(self.engine)
                return
            except DBAPIError as exc:
                if attempt == attempts - 1:
                    raise
                log.info("schema check raced with another process (%s); checking again", type(exc.orig).__name__)
                time.sleep(0.1 * (attempt + 1))

    def close(self) -> None:
        self.engine.dispose()

    # sessions ---------------------------------------------------------------------------------
    def create_session(self, flow: str, scope: str | None, state: dict[str, Any], owner: str | None) -> SessionRow:
        stamp = now()
        row = SessionRow(new_id(), flow, scope, "active", owner, state, 1, stamp, stamp)
        with self.engine.begin() as conn:
            conn.execute(insert(sessions).values(
                id=row.id, flow=flow, scope=scope, status=row.status, owner=owner, state=state, version=1,
                created_at=stamp, updated_at=stamp,
            ))
        return row

    def get_session(self, session_id: str) -> SessionRow:
        with self.engine.connect() as conn:
            found = conn.execute(select(sessions).where(sessions.c.id == session_id)).mappings().first()
        if found is None:
            raise SessionNotFound(f"no flow session {session_id!r}")
        return _session(found)

    def list_sessions(self, status: str | None = None, limit: int = 50, owner: str | None = None,
                      flow: str | None = None) -> list[SessionRow]:
        query = select(sessions).order_by(sessions.c.updated_at.desc()).limit(limit)
        if status:
            query = query.where(sessions.c.status == status)
        if owner:
            query = query.where(sessions.c.owner == owner)
        if flow:
            query = query.where(sessions.c.flow == flow)
        with self.engine.connect() as conn:
            return [_session(row) for row in conn.execute(query).mappings()]

    def update_session(
        self, session_id: str, change: Callable[[SessionRow], tuple[SessionRow, ReportRow | None]],
        attempts: int = 50,
    ) -> SessionRow:
        """Apply ``change`` to the freshest row; retry when another writer got there first.

        ``change`` gets a copy of the row and returns the new row and, when the session finishes, its
        report, which is inserted in the same transaction. It must be a pure function of the row.
        """
        for attempt in range(attempts):
            current = self.get_session(session_id)
            snapshot = json.loads(json.dumps(current.state))
            new, report = change(SessionRow(**{**current.__dict__, "state": snapshot}))
            if new.state == current.state and new.status == current.status and report is None:
                return current  # nothing changed (a retried request): no write, no version bump
            try:
                with self.engine.begin() as conn:
                    result = conn.execute(
                        update(sessions)
                        .where(sessions.c.id == session_id, sessions.c.version == current.version)
                        .values(state=new.state, status=new.status, scope=new.scope,
                                version=current.version + 1, updated_at=now())
                    )
                    if result.rowcount != 1:
                        raise _Lost
                    if report is not None:
                        conn.execute(insert(reports).values(**report.__dict__))
            except _Lost:
                pass
            except OperationalError as exc:  # busy beyond its timeout: back off and retry; other faults go up
                if not _busy(exc):
                    raise
                log.warning("session %s update attempt %d failed: %s", session_id, attempt + 1, exc.orig)
            else:
                return SessionRow(**{**new.__dict__, "version": current.version + 1})
            time.sleep(random.uniform(0.001, 0.02) * (attempt + 1))
        raise ConflictError(f"session {session_id}: gave up after {attempts} concurrent update attempts")

    # reports ----------------------------------------------------------------------------------
    def get_report(self, report_id: str) -> ReportRow:
        with self.engine.connect() as conn:
            found = conn.execute(select(reports).where(reports.c.id == report_id)).mappings().first()
        if found is None:
            raise ReportNotFound(f"no report {report_id!r}")
        return ReportRow(**{**found, "created_at": _utc(found["created_at"])})

    def list_reports(self, flow: str | None = None, owner: str | None = None, limit: int = 100) -> list[ReportRow]:
        query = select(reports).order_by(reports.c.created_at.desc()).limit(limit)
        if flow:
            query = query.where(reports.c.flow == flow)
        if owner:
            query = query.where(reports.c.owner == owner)
        with self.engine.connect() as conn:
            return [ReportRow(**{**row, "created_at": _utc(row["created_at"])})
                    for row in conn.execute(query).mappings()]

    # feedback ---------------------------------------------------------------------------------
    def add_feedback(self, question: str, rating: int, comment: str | None, cited_keys: list[str],
                     channel: str | None) -> int:
        with self.engine.begin() as conn:
            result = conn.execute(insert(feedback).values(
                question=question, rating=rating, comment=comment, cited_keys=cited_keys, channel=channel,
                created_at=now(),
            ))
            return int(result.inserted_primary_key[0])


    def check_writable(self) -> None:
        """Write the heartbeat row; raises when the database takes reads but not writes (read-only, disk full)."""
        with self.engine.begin() as conn:
            if conn.execute(update(heartbeat).where(heartbeat.c.id == 1).values(beat_at=now())).rowcount:
                return
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(heartbeat).values(id=1, beat_at=now()))
        except IntegrityError:
            pass  # another process wrote it first: the database takes writes

    # slack ------------------------------------------------------------------------------------------
    def claim_event(self, event_id: str) -> bool:
        """True the first time an event id is seen, False for every retry (across processes)."""
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(slack_events).values(event_id=event_id[:128], created_at=now()))
        except IntegrityError:
            return False
        return True

    def bind_channel(self, channel: str, scope: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(slack_channels).where(slack_channels.c.channel == channel))
            conn.execute(insert(slack_channels).values(channel=channel, scope=scope, updated_at=now()))

    def channel_scope(self, channel: str) -> str | None:
        with self.engine.connect() as conn:
            return conn.execute(select(slack_channels.c.scope).where(slack_channels.c.channel == channel)).scalar()


class _Lost(Exception):
    """Another writer updated the row first."""


def _busy(exc: OperationalError) -> bool:
    """Another writer holds the lock (SQLite) or won a conflict (PostgreSQL): worth trying again."""
    state = getattr(exc.orig, "sqlstate", None) or ""
    return state in ("40001", "40P01", "55P03") or any(w in str(exc.orig).lower() for w in ("locked", "busy"))


def _to_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


WAL_WAIT_S = 30.0  # as long as the busy timeout


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA busy_timeout=30000")
        _set_wal(cursor)
        cursor.execute("PRAGMA synchronous=NORMAL")
    finally:
        cursor.close()


def _set_wal(cursor) -> None:
    """Put the database in WAL mode, once. Switching needs the database to itself and SQLite answers
    "database is locked" at once, busy timeout or not, while another process holds a transaction (the
    first process creating the tables of a new database): wait for it, then find WAL already set."""
    import sqlite3

    deadline = time.monotonic() + WAL_WAIT_S
    delay = 0.01
    while True:
        if cursor.execute("PRAGMA journal_mode").fetchone()[0].lower() == "wal":
            return
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
        time.sleep(delay)
        delay = min(delay * 2, 0.5)
