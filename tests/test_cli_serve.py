"""`hogo serve` as a real process: what cannot work is said in one line at start-up (exit 2), and files
that stop being writable while it runs give 503, never a dead server."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.test_cli import HOGO
from tests.web.conftest import free_port


@contextmanager
def unwritable(*paths: Path) -> Iterator[None]:
    """Make files or folders unwritable even for root (immutable), or by mode for anyone else."""
    root = os.geteuid() == 0
    if root and (shutil.which("chattr") is None or subprocess.run(["chattr", "+i", *map(str, paths)],
                                                                 capture_output=True).returncode != 0):
        pytest.skip("running as root on a file system without immutable files: nothing is unwritable")
    modes = {p: p.stat().st_mode for p in paths}
    if not root:
        for p in paths:
            p.chmod(modes[p] & 0o555)
    try:
        yield
    finally:
        if root:
            subprocess.run(["chattr", "-i", *map(str, paths)], check=True)
        else:
            for p, mode in modes.items():
                p.chmod(mode)


def env_for(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOGO_")}
    return {**env, "HOGO_DATA_DIR": str(data_dir), **extra}


def hogo(*args: str, env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([*HOGO, *args], capture_output=True, text=True, env=env, timeout=timeout)


def serve_fails(env: dict[str, str], timeout: float = 120) -> str:
    """Run `hogo serve` expecting it to stop at start-up; return its one line."""
    try:
        result = hogo("serve", "--port", str(free_port()), env=env, timeout=timeout)
    except subprocess.TimeoutExpired:
        pytest.fail("hogo serve started instead of refusing to")
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    return lines[0]


def test_a_wrong_database_url_is_one_line(tmp_path):
    for url, words in [("postgresql+psycopg://postgres@127.0.0.1:1/test", "Connection refused"),
                       ("not a url", "HOGO_DATABASE_URL"),
                       ("nosuchdb://user@127.0.0.1/x", "HOGO_DATABASE_URL")]:
        line = serve_fails(env_for(tmp_path, HOGO_DATABASE_URL=url), timeout=60)
        assert line.startswith("error: ") and words in line, line


def test_an_unreachable_chroma_on_a_fresh_data_dir_is_one_line(tmp_path):
    closed = f"http://127.0.0.1:{free_port()}"
    env = env_for(tmp_path / "fresh", HOGO_CHROMA_URL=closed)
    assert hogo("flow", "list", env=env).returncode == 0  # a database, but no index yet
    line = serve_fails(env)
    assert closed in line and "HOGO_CHROMA_URL" in line, line


def test_an_unwritable_data_dir_is_one_line(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    with unwritable(data):
        line = serve_fails(env_for(data), timeout=60)
    assert str(data) in line and "not writable" in line, line


@pytest.fixture
def served_copy(data_dir, engine, tmp_path) -> Path:
    """A copy of the test session's built data dir (index and vectors), with its own database."""
    copy = tmp_path / "data"
    shutil.copytree(data_dir, copy, ignore=shutil.ignore_patterns("hogo.sqlite3*"))
    assert hogo("flow", "list", env=env_for(copy)).returncode == 0  # creates the database
    return copy


def test_an_unwritable_database_file_is_one_line(served_copy):
    database = served_copy / "hogo.sqlite3"
    assert database.exists()
    with unwritable(database):
        line = serve_fails(env_for(served_copy), timeout=60)
    assert str(database) in line and "not writable" in line, line


@pytest.mark.slow
def test_files_made_unwritable_while_serving_give_503_not_a_dead_server(served_copy):
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen([*HOGO, "serve", "--port", str(port)], env=env_for(served_copy),
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def call(path: str, body: dict | None = None, token: str | None = None) -> tuple[int, dict]:
        headers = {"Content-Type": "application/json", "Origin": url}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        data = json.dumps(body).encode() if body is not None else None
        try:
            with direct.open(urllib.request.Request(url + path, data=data, headers=headers), timeout=30) as r:
                return r.status, json.loads(r.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read())

    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if call("/health")[0] == 200:
                    break
            except OSError:
                pass
            assert server.poll() is None and time.monotonic() < deadline, server.stderr.read() if server.poll() else ""
            time.sleep(0.2)
        token = call("/api/session", {"site_key": "demo"})[1]["token"]
        feedback = {"question": "USBをなくした", "rating": "up"}
        assert call("/api/feedback", feedback, token)[0] == 200  # the database files are open and mapped now
        files = sorted(served_copy.glob("hogo.sqlite3*"))
        assert len(files) == 3  # the database, its WAL and its shared memory
        with unwritable(*files):
            for _ in range(3):
                status, body = call("/api/feedback", feedback, token)
                assert status == 503 and body["error"]["code"] == "unavailable", body
            assert call("/ready")[0] == 503
            assert call("/health")[0] == 200
        assert server.poll() is None, f"the server died with exit code {server.returncode}"
        assert call("/api/feedback", feedback, token)[0] == 200  # writable again: back to work
        assert call("/ready")[0] == 200
    finally:
        server.terminate()
        try:
            server.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.communicate()
