"""Dialogue fixtures: the real flow files, and the store on SQLite and on PostgreSQL.

PostgreSQL runs at 127.0.0.1:5432 (trust auth, database `test`) on these machines and in CI; each test
session works in its own schema, dropped at the end. A PostgreSQL that cannot be reached fails the
postgres tests instead of skipping them (tests/postgres.py says how to point elsewhere).
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from bot.dialogue.engine import FlowService
from bot.dialogue.spec import FlowLibrary
from bot.store import Store
from tests.postgres import pg_schema


@pytest.fixture(scope="session")
def library(corpus) -> FlowLibrary:
    return FlowLibrary.load(corpus)


@pytest.fixture(scope="session")
def pg_schema_url():
    with pg_schema("hogo_test") as url:
        yield url


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_db_url(request, tmp_path):
    """A database with nothing in it: a new SQLite file, or a PostgreSQL schema of its own, dropped after."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.sqlite3'}"
        return
    with pg_schema("hogo_empty") as url:
        yield url


def _url(kind: str, tmp_path, request) -> str:
    if kind == "sqlite":
        return f"sqlite:///{tmp_path / 'hogo.sqlite3'}"
    return request.getfixturevalue("pg_schema_url")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request, tmp_path) -> str:
    url = _url(request.param, tmp_path, request)
    if request.param == "postgres":  # a clean slate per test inside the session schema
        store = Store(url)
        with store.engine.begin() as conn:
            for table in ("hogo_reports", "hogo_flow_sessions", "hogo_feedback"):
                conn.execute(sa.text(f"DELETE FROM {table}"))
        store.close()
    return url


@pytest.fixture
def store(db_url):
    store = Store(db_url)
    yield store
    store.close()


@pytest.fixture
def service(store, library, corpus) -> FlowService:
    return FlowService(store, library, corpus)
