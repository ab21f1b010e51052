"""Faults of the machine, not of the request: a crash keeps the connection, a database that cannot be
written answers 503 with Retry-After (and /ready says so), on SQLite and on PostgreSQL."""

from __future__ import annotations

import contextlib
import http.client
import json
import socket
import threading
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient

from bot.settings import Settings
from bot.web.app import create_app

ORIGIN = "http://testserver"
UNAVAILABLE_JA = "ただいま記録を保存できません。しばらく待ってからもう一度お試しください。"


def boom(*args, **kwargs):
    raise RuntimeError("index exploded")


def test_a_crash_is_a_json_500_and_the_connection_stays_open(make_server, engine, monkeypatch):
    live = make_server(engine=engine)
    monkeypatch.setattr(engine, "ask", boom)
    port = urlsplit(live.url).port
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("POST", "/api/session", body=json.dumps({"site_key": "demo"}),
                 headers={"Origin": live.url, "Content-Type": "application/json"})
    token = json.loads(conn.getresponse().read())["token"]
    sock = conn.sock

    conn.request("POST", "/api/ask", body=json.dumps({"question": "委託"}),
                 headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    crashed = conn.getresponse()
    body = json.loads(crashed.read())
    assert crashed.status == 500 and body["error"]["code"] == "internal_error"

    conn.request("GET", "/health")  # the same keep-alive connection
    again = conn.getresponse()
    assert again.status == 200 and json.loads(again.read()) == {"status": "ok"}
    assert conn.sock is sock, "the server closed the connection after the 500"
    conn.close()
    assert crashed.getheader("x-content-type-options") == "nosniff"  # the 500 has the security headers too


# a database that cannot be written -------------------------------------------------------------------

class Proxy:
    """A TCP relay to PostgreSQL that can be cut, as when the database server goes away."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.sockets: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            self.sockets += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        for s in (source, sink):
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)

    def cut(self) -> None:
        self.server.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept(); close() alone would not
        self.server.close()
        for s in self.sockets:
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
            s.close()


@pytest.fixture(params=["sqlite read-only", pytest.param("postgres read-only", marks=pytest.mark.postgres),
                        pytest.param("postgres gone", marks=pytest.mark.postgres)])
def broken(request, engine, tmp_path) -> Iterator[TestClient]:
    """A running app whose database has stopped taking writes, and a dialogue started before that
    (``client.session_id``)."""
    kind = request.param
    proxy = None
    if kind == "sqlite read-only":
        path = tmp_path / "hogo.sqlite3"
        writable = f"sqlite:///{path}"
        url = f"sqlite:///file:{path}?mode=ro&uri=true"  # the same file, opened read-only
    else:
        writable = request.getfixturevalue("pg_url")
        if kind == "postgres read-only":
            url = writable + "%20-cdefault_transaction_read_only%3Don"
        else:
            parts = urlsplit(writable)
            proxy = Proxy(parts.hostname, parts.port or 5432)
            url = writable.replace(parts.netloc, f"{parts.username}@127.0.0.1:{proxy.port}")

    def app(database_url: str):
        settings = Settings(data_dir=tmp_path, database_url=database_url, rate_per_ip=0, rate_per_token=0)
        return TestClient(create_app(settings, engine=engine), headers={"Origin": ORIGIN},
                          raise_server_exceptions=False)

    with app(writable) as before:  # while the database still takes writes
        t = before.post("/api/session", json={"site_key": "demo"}).json()["token"]
        session_id = before.post("/api/flows/incident/sessions", json={"scope": "koriyama-kijun"},
                                 headers={"Authorization": f"Bearer {t}"}).json()["id"]
    with app(url) as client:
        client.headers["Authorization"] = f"Bearer {t}"
        client.session_id = session_id
        if proxy is not None:
            assert client.get("/ready").status_code == 200
            proxy.cut()
        yield client


def unavailable(response):
    assert response.status_code == 503, response.text
    assert int(response.headers["retry-after"]) >= 1
    body = response.json()["error"]
    assert body == {"code": "unavailable", "message": UNAVAILABLE_JA}
    return body


def test_a_database_that_cannot_be_written_answers_503(broken):
    unavailable(broken.post("/api/feedback", json={"question": "USB", "rating": "up"}))
    unavailable(broken.post("/api/flows/incident/sessions", json={"scope": "koriyama-kijun"}))
    unavailable(broken.post(f"/api/flows/sessions/{broken.session_id}/answer",
                            json={"step_id": "discovered_at", "value": "2026-04-01T10:00"}))
    assert broken.get("/health").status_code == 200
    assert broken.post("/api/ask", json={"question": "委託先の監督"}).status_code == 200  # no database needed


def test_ready_fails_when_writes_fail(broken):
    ready = broken.get("/ready")
    assert ready.status_code == 503 and ready.json()["error"]["code"] == "not_ready"
