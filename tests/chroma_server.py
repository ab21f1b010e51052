"""A Chroma server for the tests marked ``chroma_server``: the one at HOGO_TEST_CHROMA_URL, or `chroma run`
started as a subprocess on a free loopback port with its data in a temp folder, stopped when the block ends."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

URL_ENV = "HOGO_TEST_CHROMA_URL"
HEARTBEATS = ("/api/v2/heartbeat", "/api/v1/heartbeat", "/api/v2/version")
_direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback: never via a proxy


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def answers(url: str) -> bool:
    """Whether a Chroma server answers its heartbeat (or version) endpoint at ``url``."""
    for path in HEARTBEATS:
        try:
            with _direct.open(f"{url}{path}", timeout=2) as response:
                if response.status == 200:
                    return True
        except OSError:
            continue
    return False


def chroma_command() -> str:
    """The `chroma` console script of this environment, else the one on PATH; none fails the test."""
    beside = Path(sys.executable).with_name("chroma")
    found = str(beside) if beside.exists() else shutil.which("chroma")
    if found is None:
        pytest.fail(f"no `chroma` command to start a Chroma server with (install chromadb, or set {URL_ENV})")
    return found


@contextmanager
def chroma_server(folder: Path, timeout: float = 90.0) -> Iterator[str]:
    """Yield the base URL of a Chroma server (no trailing slash)."""
    given = os.environ.get(URL_ENV, "").rstrip("/")
    if given:
        if not answers(given):
            pytest.fail(f"{URL_ENV}={given} does not answer its heartbeat")
        yield given
        return
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = folder / "chroma.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [chroma_command(), "run", "--path", str(folder / "db"), "--port", str(port), "--host", "127.0.0.1"],
            stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            env={**os.environ, "ANONYMIZED_TELEMETRY": "False"},
        )
    try:
        deadline = time.monotonic() + timeout
        while not answers(url):
            if process.poll() is not None or time.monotonic() > deadline:
                tail = log.read_text(encoding="utf-8", errors="replace")[-2000:]
                pytest.fail(f"the Chroma server on port {port} did not start (exit {process.poll()}):\n{tail}")
            time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)


def close_http(client: object) -> None:
    """Close the connections of a chromadb ``HttpClient`` (it keeps them until the interpreter exits, each as
    an unclosed socket then): its own and those of the admin client it made itself."""
    for holder in (client, getattr(client, "_admin_client", None)):
        session = getattr(getattr(holder, "_server", None), "_session", None)
        if session is not None:
            session.close()
