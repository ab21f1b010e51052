"""The database schema under Alembic migrations (versions/ beside this file), on SQLite and PostgreSQL.

The tables of bot/store.py are what the code reads and writes; every change to them comes with a revision
here, drafted from the difference by `python -m bot.migrations revision "what changed"` (a test fails while
the two differ). `hogo db upgrade` brings a database to this release's head; at start-up the store creates
an empty database at head and refuses any other that is not at head, in one line.

Alembic runs with an open connection handed to env.py, configured here (no alembic.ini). Its version table
is `hogo_alembic_version`, like hogo's other tables prefixed, so a PostgreSQL database shared with another
Alembic-managed application keeps the two histories apart.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import MetaData, inspect, text

from corpus.errors import HogoError

if TYPE_CHECKING:
    from alembic.config import Config
    from sqlalchemy.engine import Connection, Engine

log = logging.getLogger("hogo.store")
logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)  # a line per plugin whenever it loads

HERE = Path(__file__).resolve().parent
VERSION_TABLE = "hogo_alembic_version"
BASELINE = "0001"
# What the release before migrations made with metadata.create_all at start: a database holding some of these
# tables and no revision is one of its databases, stamped at BASELINE by `hogo db upgrade`.
BASELINE_TABLES = ("hogo_flow_sessions", "hogo_reports", "hogo_feedback", "hogo_slack_events", "hogo_slack_channels",
                   "hogo_heartbeat")
_LOCK_KEY = 0x686F676F  # "hogo": the PostgreSQL advisory lock that serialises migrations


class DatabaseNotMigrated(HogoError):
    code = "database_not_migrated"
    exit_code = 2
    http_status = 503
    default_ja = "データベースの更新が必要です。管理者に hogo db upgrade の実行を依頼してください。"


@dataclass(frozen=True)
class SchemaState:
    """Where a database stands against this release's migrations."""

    revision: str | None  # what the version table holds
    tables: frozenset[str]  # hogo's tables present
    head: str
    known: frozenset[str]  # every revision this release has

    @property
    def at_head(self) -> bool:
        return self.revision == self.head

    @property
    def empty(self) -> bool:
        return self.revision is None and not self.tables

    @property
    def legacy(self) -> bool:
        """Made before migrations: hogo's tables, no revision."""
        return self.revision is None and bool(self.tables)

    @property
    def label(self) -> str:
        if self.revision is not None:
            return self.revision
        return "none (made before migrations)" if self.legacy else "none (empty database)"

    def problem(self) -> str | None:
        """Why the code of this release cannot run on this database (one line), or None."""
        if self.at_head:
            return None
        if self.revision is not None and self.revision not in self.known:
            return (f"database is at revision {self.revision}, which this release does not know (it needs "
                    f"{self.head}): a newer release migrated it; run that release or a later one")
        return f"database is at revision {self.label}, this release needs {self.head}: run 'hogo db upgrade'"


def read_state(conn: Connection) -> SchemaState:
    names = set(inspect(conn).get_table_names())
    revision = None
    if VERSION_TABLE in names:  # read directly: Alembic's own reader logs two lines at every start
        revision = conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalar()
    head, known = _revisions()
    return SchemaState(revision, frozenset(names & set(BASELINE_TABLES)), head, known)


def check(engine: Engine) -> None:
    """Start-up: pass a database at head and create an empty one at head; refuse any other in one line."""
    with engine.connect() as conn:
        state = read_state(conn)
    if state.at_head:
        return
    if not state.empty:
        raise DatabaseNotMigrated(state.problem() or "")
    with _locked(engine) as conn:
        state = read_state(conn)  # another process may have created it meanwhile
        if state.empty:
            _command(conn, "upgrade", "head")
            log.info("created the database tables at revision %s", state.head)
        elif not state.at_head:
            raise DatabaseNotMigrated(state.problem() or "")


def upgrade(engine: Engine) -> tuple[SchemaState, str]:
    """Bring the database to head; return where it stood and the revision it is at now.

    A database made before migrations is taken in at the baseline first: stamped when it holds every baseline
    table, otherwise (a build older than that release) given the missing ones by the baseline revision."""
    with _locked(engine) as conn:
        before = read_state(conn)
        if before.revision is not None and before.revision not in before.known:
            raise DatabaseNotMigrated(before.problem() or "")
        if before.legacy:
            if before.tables == set(BASELINE_TABLES):
                _command(conn, "stamp", BASELINE)
            else:
                _command(conn, "upgrade", BASELINE)
            log.info("database made before migrations taken in at revision %s", BASELINE)
        if not before.at_head:
            _command(conn, "upgrade", "head")
        after = read_state(conn)
    return before, after.revision or ""


def head() -> str:
    return _revisions()[0]


def all_tables() -> MetaData:
    """bot.store's MetaData with every table defined on it anywhere: other modules add theirs when imported,
    and the two entry points, the command line and the web app, import them all."""
    import bot.cli
    import bot.web.app  # noqa: F401
    from bot.store import metadata

    return metadata


def config(connection: Connection | None = None) -> Config:
    """Alembic's configuration for hogo, with ``connection`` for env.py to run on."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(HERE).replace("%", "%%"))
    cfg.set_main_option("file_template", "%%(rev)s_%%(slug)s")
    cfg.attributes["connection"] = connection
    return cfg


@functools.cache
def _revisions() -> tuple[str, frozenset[str]]:
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(config())
    return script.get_current_head() or "", frozenset(s.revision for s in script.walk_revisions())


def _command(conn: Connection, name: str, revision: str, **kwargs: Any) -> None:
    from alembic import command

    getattr(command, name)(config(conn), revision, **kwargs)


@contextmanager
def _locked(engine: Engine) -> Iterator[Connection]:
    """A transaction holding the database's migration lock: a second process migrating at the same moment
    waits, then finds the work done. SQLite takes its write lock at BEGIN IMMEDIATE (and its DDL then commits
    or rolls back with the rest); PostgreSQL takes an advisory lock."""
    with engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        elif conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})
        yield conn
