"""Through the API, a My Number in any spelling never reaches an answer, the database or the log."""

from __future__ import annotations

import json
import logging

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from bot.privacy import MASK
from bot.settings import Settings
from bot.web.app import create_app
from tests.bot.test_privacy import SPELLINGS, leaked

ORIGIN = "http://testserver"


@pytest.fixture
def client(engine, tmp_path, database_url):
    settings = Settings(data_dir=tmp_path, database_url=database_url, rate_per_ip=0, rate_per_token=0)
    with TestClient(create_app(settings, engine=engine), headers={"Origin": ORIGIN}) as c:
        t = c.post("/api/session", json={"site_key": "demo"}).json()["token"]
        c.headers["Authorization"] = f"Bearer {t}"
        yield c


def stored(client) -> str:
    """Every value of every row the app wrote, as one text."""
    store = client.app.state.res.flows.store
    with store.engine.connect() as conn:
        return " ".join(str(value) for table in ("hogo_feedback", "hogo_flow_sessions", "hogo_reports")
                        for row in conn.execute(sa.text(f"SELECT * FROM {table}")) for value in row)


def test_ask_masks_every_spelling(client, caplog):
    with caplog.at_level(logging.INFO):
        for spelling in SPELLINGS.values():
            data = client.post("/api/ask", json={"question": f"番号{spelling}の書類を廃棄したい"}).json()
            assert MASK in data["question"], spelling
            assert not leaked(json.dumps(data, ensure_ascii=False))
    assert not leaked(caplog.text)


def test_feedback_and_flow_free_text_are_stored_masked(client, caplog):
    view = client.post("/api/flows/incident/sessions", json={"scope": "koriyama-kijun"}).json()
    for step_id, value in (("discovered_at", "2026-04-01T10:00"), ("event_type", "leak"), ("media", ["paper"])):
        view = client.post(f"/api/flows/sessions/{view['id']}/answer", json={"step_id": step_id, "value": value}).json()
    with caplog.at_level(logging.INFO):
        for spelling in SPELLINGS.values():
            response = client.post("/api/feedback", json={"question": f"番号{spelling}", "rating": "down",
                                                          "comment": f"本人の番号は{spelling}です"})
            assert response.status_code == 200, response.text
            answered = client.post(f"/api/flows/sessions/{view['id']}/answer",
                                   json={"step_id": "summary", "value": f"番号{spelling}の通知書を誤送付"}).json()
            assert answered["step"]["id"] == "data_items" and any("伏せ字" in n for n in answered["notices"])
            assert not leaked(json.dumps(answered, ensure_ascii=False))
            client.post(f"/api/flows/sessions/{view['id']}/back", json={"from_step": "data_items"})
    dump = stored(client)
    assert not leaked(dump) and dump.count(MASK) >= 2 * len(SPELLINGS)
    assert not leaked(caplog.text)


def test_a_crash_log_never_shows_the_number(client, monkeypatch, caplog):
    def boom(question, *args, **kwargs):
        raise RuntimeError(f"cannot answer {question!r}")

    monkeypatch.setattr(client.app.state.res.engine, "ask", boom)
    crashing = TestClient(client.app, raise_server_exceptions=False, headers=client.headers)
    with caplog.at_level(logging.INFO):
        for spelling in SPELLINGS.values():
            assert crashing.post("/api/ask", json={"question": f"番号{spelling}"}).status_code == 500
    assert "cannot answer" in caplog.text and not leaked(caplog.text)
