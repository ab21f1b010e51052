"""Faults of the machine rather than of the request: a full disk, a database that is gone or read-only.

They are nobody's mistake in the request and pass once the machine is fixed, so the web answers them with
503 and Retry-After (never a generic 500) and the command line with one line.
"""

from __future__ import annotations

import errno
import os
import sqlite3
from pathlib import Path

from sqlalchemy import exc as sa
from sqlalchemy.engine import make_url
from sqlalchemy.pool import PoolProxiedConnection, QueuePool

from corpus.errors import HogoError

RETRY_AFTER = 30  # seconds: long enough for a database restart, short enough for staff to try again
STORAGE_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EIO, errno.EACCES, errno.EPERM}
# PostgreSQL: read-only transaction, insufficient resources (disk full, out of memory, too many connections),
# connection exceptions, operator intervention (shutdown, cannot connect now)
SQLSTATES = ("25006", "53", "08", "57P")
SQLITE_FAULTS = ("disk i/o", "full", "readonly", "read-only", "unable to open", "locked", "busy", "malformed",
                 "not a database")


class Unavailable(HogoError):
    code = "unavailable"
    exit_code = 2
    http_status = 503
    default_ja = "ただいま記録を保存できません。しばらく待ってからもう一度お試しください。"
    retry_after = RETRY_AFTER


def as_unavailable(exc: BaseException) -> Unavailable | None:
    """The fault behind ``exc`` (or its causes) as Unavailable, or None when ``exc`` is an ordinary bug."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, Unavailable):
            return current
        if _is_fault(current):
            return Unavailable(f"the database or the disk is unavailable: {one_line(current)}")
        current = current.__cause__ or current.__context__
    return None


def _is_fault(exc: BaseException) -> bool:
    if isinstance(exc, sqlite3.OperationalError):  # also "no such table" and syntax errors: bugs, not faults
        return any(word in str(exc).lower() for word in SQLITE_FAULTS)
    if isinstance(exc, sa.DBAPIError) and isinstance(exc.orig, sqlite3.OperationalError):
        return _is_fault(exc.orig)
    if isinstance(exc, sa.OperationalError | sa.TimeoutError):
        return True  # PostgreSQL: connection refused or lost, server shutting down; the pool exhausted
    if isinstance(exc, sa.DBAPIError):
        state = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None) or ""
        return exc.connection_invalidated or state.startswith(SQLSTATES)
    return isinstance(exc, OSError) and exc.errno in STORAGE_ERRNOS


def writable(path: str | Path) -> bool:
    """Whether this process may write ``path`` (an immutable file or a read-only mount is not, even for root)."""
    return os.access(path, os.W_OK, effective_ids=os.access in os.supports_effective_ids)


def sqlite_file_pool(url: str) -> dict[str, type[QueuePool]]:
    """For a SQLite file database, ``{"poolclass": ...}``: a pool that hands out no connection while the file,
    its WAL or its shared memory cannot be written (for any other URL, nothing).

    SQLite maps the shared-memory file into memory; once that file turns read-only under a running process
    (chmod, chattr +i, a remount), its next write to the mapping, even while a connection closes, kills the
    process with SIGBUS: no exception, no log line. A few stat calls before each checkout turn that into a
    503 instead, and the open connections are left alone until the files can be written again (the files
    turning read-only during one request's own use of a connection is not covered)."""
    database = make_url(url).database if url.startswith("sqlite") else None
    if not database or database == ":memory:" or database.startswith("file:"):
        return {}
    files = [database, f"{database}-wal", f"{database}-shm"]

    class WatchedPool(QueuePool):
        _sqla_logger_namespace = "sqlalchemy.pool.impl.QueuePool"  # logs as the pool it is (quiet)

        def connect(self) -> PoolProxiedConnection:
            for path in files:
                if os.path.exists(path) and not writable(path):
                    raise Unavailable(f"{path} is not writable; make the data dir's files writable for hogo again")
            return super().connect()

    return {"poolclass": WatchedPool}


def one_line(exc: BaseException) -> str:
    """The driver's own message, first line only (SQLAlchemy appends the statement and its parameters)."""
    text = str(getattr(exc, "orig", None) or exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
