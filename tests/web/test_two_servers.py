"""Scale-out as the README's "Several servers" runs it: two `hogo serve` processes, each building its own
data dir, sharing one Chroma server, one PostgreSQL database, one Redis and one secret. One incident
dialogue is answered on both in turn; the rate limit of a token and a cached answer are shared."""

from __future__ import annotations

import os
import secrets
import subprocess
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
import sqlalchemy as sa

from tests.bot.test_incident_scenarios import BASE
from tests.postgres import PG_URL
from tests.test_cli import HOGO
from tests.web.conftest import REDIS_URL, free_port

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.redis, pytest.mark.chroma_server]

ORIGIN = "https://intranet.example"  # the page the widget is on; a load balancer sends it to either server
SITE_KEYS = '{"demo": ["https://intranet.example"]}'
REDIS_DB = 14  # this test's own database of the test Redis (the other Redis tests use 15), emptied
QUESTION = {"question": "USBをなくした。誰に報告？", "scope": ["koriyama-kijun"]}


@dataclass
class Server:
    name: str
    url: str
    data_dir: Path
    process: subprocess.Popen
    log: Path

    def stderr(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")[-3000:]


@pytest.fixture
def database_url() -> Iterator[str]:
    """A PostgreSQL database of this test's own (hogo_two_<random>) on the test server, dropped after."""
    name = f"hogo_two_{secrets.token_hex(4)}"
    admin = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f"CREATE DATABASE {name}"))
    yield sa.make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(sa.text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    admin.dispose()


@pytest.fixture
def shared_redis_url() -> Iterator[str]:
    import redis

    url = urlsplit(REDIS_URL)._replace(path=f"/{REDIS_DB}").geturl()
    client = redis.Redis.from_url(url)
    client.flushdb()
    yield url
    client.flushdb()
    client.close()


@contextmanager
def hogo_serve(name: str, data_dir: Path, env: dict[str, str], workdir: Path) -> Iterator[Server]:
    """`hogo serve` on a free port as its own process; stopped (SIGTERM, then SIGKILL) when the block ends."""
    port = free_port()
    log = workdir / f"serve-{name}.log"
    with log.open("ab") as out:
        process = subprocess.Popen([*HOGO, "serve", "--port", str(port)], env={**env, "HOGO_DATA_DIR": str(data_dir)},
                                   cwd=workdir, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT)
    server = Server(name, f"http://127.0.0.1:{port}", data_dir, process, log)
    try:
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=30)


def wait_ready(servers: list[Server], timeout: float = 900.0) -> float:
    """Wait until every server answers /ready (a fresh data dir is built first); the seconds it took."""
    started = time.monotonic()
    waiting = list(servers)
    with httpx.Client(trust_env=False, timeout=5) as http:
        while waiting:
            for server in list(waiting):
                if server.process.poll() is not None:
                    pytest.fail(f"hogo serve {server.name} exited with {server.process.returncode}:\n{server.stderr()}")
                try:
                    if http.get(f"{server.url}/ready").status_code == 200:
                        waiting.remove(server)
                except httpx.TransportError:
                    pass
            if waiting and time.monotonic() - started > timeout:
                pytest.fail(f"hogo serve {waiting[0].name} was not ready in {timeout:.0f} s:\n{waiting[0].stderr()}")
            time.sleep(0.5)
    return time.monotonic() - started


def ok(response: httpx.Response) -> dict:
    assert response.status_code == 200, (response.request.url, response.status_code, response.text[:500])
    return response.json()


def test_two_servers_answer_one_dialogue_in_turn_and_share_limits_and_answers(
        chroma_url, database_url, shared_redis_url, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOGO_")}
    env.update(HOGO_DATABASE_URL=database_url, HOGO_REDIS_URL=shared_redis_url, HOGO_CHROMA_URL=chroma_url,
               HOGO_SECRET_KEY=secrets.token_urlsafe(32), HOGO_SITE_KEYS=SITE_KEYS,
               HOGO_ENCODER_THREADS="1", HOGO_LOG_LEVEL="WARNING")
    # once per release, before the servers start (an empty database would also be made by the first start)
    upgraded = subprocess.run([*HOGO, "db", "upgrade"], env={**env, "HOGO_DATA_DIR": str(tmp_path / "admin")},
                              cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert upgraded.returncode == 0, upgraded.stderr
    data_a, data_b = tmp_path / "server-a", tmp_path / "server-b"
    http = httpx.Client(trust_env=False, timeout=120, headers={"Origin": ORIGIN})

    # Both start at once on empty data dirs: each builds its own from the vectors on the Chroma server.
    with http, ExitStack() as stack:
        a = stack.enter_context(hogo_serve("a", data_a, env, tmp_path))
        b = stack.enter_context(hogo_serve("b", data_b, env, tmp_path))
        print(f"both servers ready in {wait_ready([a, b]):.1f} s")
        for data in (data_a, data_b):
            assert (data / "vectors").is_dir() and (data / "bm25").is_dir()
            assert not (data / "chroma").exists(), "a server embedded into a local store instead of the server's"

        token = ok(http.post(f"{a.url}/api/session", json={"site_key": "demo"}))["token"]
        me = {"Authorization": f"Bearer {token}"}
        view = ok(http.post(f"{a.url}/api/flows/incident/sessions", json={"scope": "koriyama-kijun"}, headers=me))
        session, turns, servers = view["id"], [], [b, a]
        while view["step"]:
            server = servers[len(turns) % 2]  # B, A, B, A …
            step = view["step"]["id"]
            turns.append((server.name, step))
            view = ok(http.post(f"{server.url}/api/flows/sessions/{session}/answer",
                                json={"step_id": step, "value": BASE.get(step, "unknown")}, headers=me))
        assert view["status"] == "confirm" and len(turns) >= 10, turns
        assert {name for name, _ in turns} == {"a", "b"}
        assert ok(http.get(f"{a.url}/api/flows/sessions/{session}", headers=me))["status"] == "confirm"
        finished = ok(http.post(f"{b.url}/api/flows/sessions/{session}/finish", headers=me))
        report = ok(http.get(f"{a.url}/api/reports/{finished['id']}", headers=me))
        assert report["data"] == finished["data"] and report["markdown"] == finished["markdown"]
        assert report["data"]["answers"]["summary"]["value"] == BASE["summary"]
        assert "koriyama-kijun:23:1" in report["data"]["citations"]
        assert ok(http.get(f"{b.url}/api/reports/{finished['id']}", headers=me))["id"] == finished["id"]
        stranger = {"Authorization": f"Bearer {ok(http.post(f'{b.url}/api/session', json={'site_key': 'demo'}))['token']}"}
        assert http.get(f"{a.url}/api/reports/{finished['id']}", headers=stranger).status_code == 404

    # Restarted with a tiny budget per token (their data dirs are built now): one budget, one answer cache.
    env["HOGO_RATE_PER_TOKEN"] = "3"
    http = httpx.Client(trust_env=False, timeout=120, headers={"Origin": ORIGIN})
    with http, ExitStack() as stack:
        a = stack.enter_context(hogo_serve("a", data_a, env, tmp_path))
        b = stack.enter_context(hogo_serve("b", data_b, env, tmp_path))
        print(f"both servers ready again in {wait_ready([a, b]):.1f} s")
        me = {"Authorization": f"Bearer {ok(http.post(f'{b.url}/api/session', json={'site_key': 'demo'}))['token']}"}
        first = ok(http.post(f"{a.url}/api/ask", json=QUESTION, headers=me))
        assert "retrieve" in first["timings_ms"] and first["citations"][0]["key"] == "koriyama-kijun:23:1"
        cached = ok(http.post(f"{b.url}/api/ask", json=QUESTION, headers=me))
        assert set(cached["timings_ms"]) == {"cache"}  # answered by A, taken from Redis by B
        assert {**cached, "timings_ms": None} == {**first, "timings_ms": None}
        ok(http.post(f"{a.url}/api/ask", json=QUESTION, headers=me))  # the third request of this minute
        for server in (b, a):  # the budget of the token is spent on both servers
            limited = http.post(f"{server.url}/api/ask", json=QUESTION, headers=me)
            assert limited.status_code == 429, (server.name, limited.text)
            assert limited.json()["error"]["code"] == "rate_limited" and int(limited.headers["retry-after"]) >= 1
        other = {"Authorization": f"Bearer {ok(http.post(f'{a.url}/api/session', json={'site_key': 'demo'}))['token']}"}
        assert set(ok(http.post(f"{b.url}/api/ask", json=QUESTION, headers=other))["timings_ms"]) == {"cache"}
