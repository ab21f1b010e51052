"""Web fixtures: the real app served by uvicorn on a free loopback port, in a background thread."""

from __future__ import annotations

import os
import socket
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from bot.settings import Settings
from bot.web.app import create_app
from tests.postgres import pg_schema


@dataclass
class LiveServer:
    url: str  # http://127.0.0.1:<port>, no trailing slash
    settings: Settings
    app: Any


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def serve(app: Any, settings: Settings, timeout: float = 120.0) -> Iterator[LiveServer]:
    """Run ``app`` with uvicorn until the block ends; ready once /health answers (a server that builds its own
    index may take a minute on a loaded 2-core machine: the wait is for readiness, not a speed check)."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, name=f"uvicorn-{port}", daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback: never via a proxy
    deadline = time.monotonic() + timeout
    while True:
        try:
            with direct.open(f"{url}/health", timeout=2) as response:
                if response.status == 200:
                    break
        except OSError:
            pass
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            raise RuntimeError(f"the test server on port {port} did not start")
        time.sleep(0.05)
    try:
        yield LiveServer(url=url, settings=settings, app=app)
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def make_server(tmp_path_factory) -> Iterator[Callable[..., LiveServer]]:
    """Start a real server: ``make_server(engine=engine, **settings)``; each gets a fresh data dir (and
    SQLite database) unless ``data_dir`` is given. Servers stop at the end of the test."""
    stack: list[Any] = []

    def start(engine: Any = None, **overrides: Any) -> LiveServer:
        overrides.setdefault("data_dir", Path(tmp_path_factory.mktemp("web")))
        overrides.setdefault("database_url", None)
        settings = Settings(**overrides)
        ctx = serve(create_app(settings, engine=engine), settings)
        live = ctx.__enter__()
        stack.append(ctx)
        return live

    yield start
    for ctx in reversed(stack):
        ctx.__exit__(None, None, None)


@pytest.fixture
def live_server(make_server, engine) -> LiveServer:
    """The app on the bundled corpus (the shared session engine), with a fresh database."""
    return make_server(engine=engine)


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A schema of its own on the test PostgreSQL for this test session, dropped at the end."""
    with pg_schema("hogo_web") as url:
        yield url


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request) -> str | None:
    """Run a web test on both databases: None (SQLite in the data dir) or the PostgreSQL schema URL."""
    return None if request.param == "sqlite" else request.getfixturevalue("pg_url")


REDIS_URL = os.environ.get("HOGO_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture
def redis_url() -> Iterator[str]:
    """The test database of the local Redis (db 15 unless HOGO_TEST_REDIS_URL says otherwise), emptied
    before and after the test; no other database is touched."""
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    client.flushdb()
    yield REDIS_URL
    client.flushdb()
    client.close()
