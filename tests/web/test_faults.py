"""Faults, not of the request: a crash is a JSON 500 and keeps the connection."""

from __future__ import annotations

import http.client
import json
from urllib.parse import urlsplit


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
