"""Which failures are faults of the machine (503, Retry-After) and which are bugs (500)."""

from __future__ import annotations

import errno
import sqlite3

import pytest
from sqlalchemy.exc import OperationalError, ProgrammingError

from bot.faults import Unavailable, as_unavailable


def wrapped(orig: Exception) -> Exception:
    return OperationalError("INSERT INTO hogo_feedback ...", {"question": "..."}, orig)


@pytest.mark.parametrize("exc", [
    wrapped(sqlite3.OperationalError("disk I/O error")),
    wrapped(sqlite3.OperationalError("database or disk is full")),
    wrapped(sqlite3.OperationalError("attempt to write a readonly database")),
    wrapped(sqlite3.OperationalError("unable to open database file")),
    wrapped(sqlite3.OperationalError("database is locked")),
    OSError(errno.ENOSPC, "No space left on device"),
    OSError(errno.EROFS, "Read-only file system"),
    Unavailable("already known"),
], ids=lambda e: str(e)[:40])
def test_faults_of_the_disk_or_the_database(exc):
    fault = as_unavailable(exc)
    assert fault is not None and fault.http_status == 503 and fault.retry_after > 0
    assert "\n" not in fault.message and "INSERT" not in fault.message  # one line, no statement or parameters


def test_a_fault_behind_another_exception_is_found():
    try:
        try:
            raise wrapped(sqlite3.OperationalError("disk I/O error"))
        except OperationalError as exc:
            raise RuntimeError("while storing feedback") from exc
    except RuntimeError as outer:
        assert as_unavailable(outer) is not None


@pytest.mark.parametrize("exc", [
    wrapped(sqlite3.OperationalError("no such table: hogo_feedback")),
    wrapped(sqlite3.OperationalError('near "SELEC": syntax error')),
    ProgrammingError("SELECT", {}, Exception("syntax error")),
    RuntimeError("a bug"),
    OSError(errno.ENOENT, "No such file or directory"),
], ids=lambda e: str(e)[:40])
def test_bugs_stay_bugs(exc):
    assert as_unavailable(exc) is None
