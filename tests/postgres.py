"""The test PostgreSQL: 127.0.0.1:5432 (trust auth, database `test`) on these machines and in CI, or the URL in
HOGO_TEST_POSTGRES_URL / HOGO_TEST_PG_URL. A PostgreSQL that cannot be reached fails the postgres tests."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa

PG_URL = os.environ.get("HOGO_TEST_POSTGRES_URL") or os.environ.get(
    "HOGO_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


@contextmanager
def pg_schema(prefix: str) -> Iterator[str]:
    """The URL of a schema of its own (``<prefix>_<random>``) on the test PostgreSQL, dropped afterwards."""
    schema = f"{prefix}_{secrets.token_hex(4)}"
    admin = sa.create_engine(PG_URL)
    try:
        with admin.begin() as conn:
            conn.execute(sa.text(f"CREATE SCHEMA {schema}"))
        yield f"{PG_URL}?options=-csearch_path%3D{schema}"
        with admin.begin() as conn:
            conn.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
    finally:
        admin.dispose()
