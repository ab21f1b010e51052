"""HOGO_LOG_FORMAT=json: one JSON object per line, every line of a request with its id (the caller's
X-Request-ID or a new one, echoed in the response), My Numbers masked as in every log."""

from __future__ import annotations

import io
import json
import logging

import pytest
from fastapi.testclient import TestClient

from bot.logs import configure_logging
from bot.privacy import MASK
from bot.settings import Settings
from bot.web.app import create_app

ORIGIN = "http://testserver"
MY_NUMBER = "1234 5678 9018"  # passes the check digit


@pytest.fixture
def restore_logging():
    """configure_logging replaces the root logger's handlers: put pytest's back afterwards."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(level)


def lines(stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_a_request_logs_json_lines_with_its_id(engine, tmp_path, restore_logging):
    stream = io.StringIO()
    settings = Settings(data_dir=tmp_path, log_format="json")
    configure_logging(settings, stream)
    with TestClient(create_app(settings, engine=engine), headers={"Origin": ORIGIN}) as client:
        token = client.post("/api/session", json={"site_key": "demo"}).json()["token"]
        stream.truncate(0)
        stream.seek(0)
        response = client.post("/api/ask", json={"question": f"マイナンバー{MY_NUMBER}を誤送信した"},
                               headers={"Authorization": f"Bearer {token}", "X-Request-ID": "proxy-7f3a.1"})
    assert response.status_code == 200 and response.headers["x-request-id"] == "proxy-7f3a.1"
    logged = lines(stream)
    ours = [entry for entry in logged if entry.get("request_id") == "proxy-7f3a.1"]
    assert {entry["logger"] for entry in ours} >= {"hogo.web", "hogo.access"}
    answer = next(entry for entry in ours if entry["logger"] == "hogo.web")
    assert answer["message"].startswith("ask: ") and "masked=1" in answer["message"]
    assert answer["method"] == "POST" and answer["path"] == "/api/ask" and answer["level"] == "INFO"
    access = next(entry for entry in ours if entry["logger"] == "hogo.access")
    assert (access["method"], access["path"], access["status"]) == ("POST", "/api/ask", 200)
    assert isinstance(access["ms"], float) and access["ms"] > 0
    assert set(access) == {"time", "level", "logger", "message", "request_id", "method", "path", "status", "ms"}
    assert access["time"].endswith("+00:00")
    assert "9018" not in stream.getvalue()


def test_a_request_without_an_id_gets_one_and_a_forged_one_is_replaced(engine, tmp_path, restore_logging):
    stream = io.StringIO()
    settings = Settings(data_dir=tmp_path, log_format="json")
    configure_logging(settings, stream)
    with TestClient(create_app(settings, engine=engine)) as client:
        first, second = client.get("/health"), client.get("/health")
        forged = client.get("/health", headers={"X-Request-ID": 'x" , "level": "ERROR'})
        too_long = client.get("/health", headers={"X-Request-ID": "a" * 129})
    ids = [r.headers["x-request-id"] for r in (first, second, forged, too_long)]
    assert len(set(ids)) == 4 and all(len(i) == 16 and int(i, 16) >= 0 for i in ids)
    assert [e["request_id"] for e in lines(stream) if e["logger"] == "hogo.access"] == ids


def test_my_numbers_are_masked_in_the_path_and_in_tracebacks(engine, tmp_path, restore_logging, capsys):
    settings = Settings(data_dir=tmp_path, log_format="json")
    configure_logging(settings)  # to stderr
    with TestClient(create_app(settings, engine=engine)) as client:
        assert client.get("/api/clauses/123456789018").status_code == 404
    try:
        raise ValueError(f"個人番号 {MY_NUMBER} の照合に失敗")
    except ValueError:
        logging.getLogger("hogo.test").exception("照合エラー %s", MY_NUMBER)
    err = capsys.readouterr().err
    assert "9018" not in err
    logged = [json.loads(line) for line in err.splitlines()]
    access = next(e for e in logged if e["logger"] == "hogo.access")
    assert access["path"] == f"/api/clauses/{MASK}" and access["status"] == 404
    failure = next(e for e in logged if e["logger"] == "hogo.test")
    assert failure["level"] == "ERROR" and failure["message"] == f"照合エラー {MASK}"
    assert "ValueError" in failure["exception"] and MASK in failure["exception"]
    assert "request_id" not in failure  # not written while a request was handled


def test_text_lines_carry_the_request_id_too(engine, tmp_path, restore_logging):
    stream = io.StringIO()
    settings = Settings(data_dir=tmp_path)  # text, the default
    configure_logging(settings, stream)
    with TestClient(create_app(settings, engine=engine)) as client:
        client.get("/health", headers={"X-Request-ID": "abc123"})
    access = [line for line in stream.getvalue().splitlines() if "hogo.access" in line]
    assert len(access) == 1 and " INFO [abc123] hogo.access: GET /health 200 " in access[0]


def test_a_line_break_in_the_path_cannot_forge_a_text_line(engine, tmp_path, restore_logging):
    stream = io.StringIO()
    settings = Settings(data_dir=tmp_path)
    configure_logging(settings, stream)
    with TestClient(create_app(settings, engine=engine)) as client:
        assert client.get("/api/clauses/x%0A2026-01-01 ERROR forged").status_code == 404
    logged = stream.getvalue().splitlines()
    assert not any(line.startswith("2026-01-01") for line in logged)
    assert any("/api/clauses/x\\x0a2026-01-01 ERROR forged 404" in line for line in logged)
