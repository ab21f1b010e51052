"""Shared fixtures. Nothing here reaches the network: a socket to a non-local host fails the test."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from corpus.loader import BUNDLED_DIR, Corpus

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _no_internet(monkeypatch):
    real_connect = socket.socket.connect

    def guarded(self, address):
        host = address[0] if isinstance(address, tuple) else address
        if (
            isinstance(host, str)
            and host not in {"127.0.0.1", "localhost", "::1", "0.0.0.0"}
            and not host.startswith("/")
        ):
            raise RuntimeError(f"test tried to reach the network: {address!r}")
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)


@pytest.fixture(scope="session")
def corpus() -> Corpus:
    return Corpus.load(BUNDLED_DIR)


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("data")


@pytest.fixture(scope="session")
def chroma_url(tmp_path_factory) -> Iterator[str]:
    """A Chroma server for the tests marked chroma_server: HOGO_TEST_CHROMA_URL, or `chroma run` started for
    this session on a free loopback port (tests.chroma_server) and stopped at its end."""
    from tests.chroma_server import chroma_server

    with chroma_server(tmp_path_factory.mktemp("chroma-server")) as url:
        yield url


@pytest.fixture(scope="session")
def engine(data_dir, corpus):
    """The real engine: real parser, Sudachi, bm25s, Chroma and the bundled e5 model, in a temp data dir."""
    from retrieval.engine import AskEngine

    return AskEngine.open(corpus, data_dir)
