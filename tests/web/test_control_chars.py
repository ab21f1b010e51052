"""Control characters (NUL and the other C0 codes but tab, line feed and carriage return) are refused at the
edge with a Japanese message, so SQLite and PostgreSQL behave the same and nothing answers 5xx."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bot.settings import Settings
from bot.web.app import create_app
from tests.bot.test_incident_scenarios import BASE

ORIGIN = "http://testserver"
ADMIN = {"Authorization": "Bearer admin-token"}
CONTROL_JA = "制御文字（NULなど）は入力できません。取り除いてからもう一度送信してください。"


@pytest.fixture
def client(engine, tmp_path, database_url):
    settings = Settings(data_dir=tmp_path, database_url=database_url, admin_token="admin-token",
                        rate_per_ip=0, rate_per_token=0)
    app = create_app(settings, engine=engine)
    with TestClient(app, headers={"Origin": ORIGIN}, raise_server_exceptions=False) as c:
        session = c.post("/api/session", json={"site_key": "demo"}).json()
        c.headers["Authorization"] = f"Bearer {session['token']}"
        c.visitor = session["visitor"]
        yield c


def walk(client, stop: str) -> dict:
    """An incident dialogue answered from the scenario table up to the step ``stop``."""
    view = client.post("/api/flows/incident/sessions", json={"scope": "koriyama-kijun"}).json()
    while view["step"] and view["step"]["id"] != stop:
        step = view["step"]["id"]
        view = client.post(f"/api/flows/sessions/{view['id']}/answer",
                           json={"step_id": step, "value": BASE.get(step, "unknown")}).json()
    return view


def refused(response, status=422):
    assert response.status_code == status, response.text
    return response.json()["error"]


def test_nul_is_refused_everywhere_with_a_japanese_message(client):
    body = refused(client.post("/api/feedback", json={"question": "USB\x00", "rating": "up"}))
    assert body["message"] == CONTROL_JA
    assert refused(client.post("/api/feedback", json={"question": "USB", "rating": "up", "comment": "古い\x00"})
                   )["message"] == CONTROL_JA
    assert refused(client.post("/api/ask", json={"question": "委託\x00先"}))["message"] == CONTROL_JA
    assert refused(client.get("/api/reports/ab%00cd"), 404)
    assert refused(client.get("/api/reports/ab%01cd/markdown"), 404)
    assert refused(client.get("/api/flows/sessions/ab%00cd"), 404)
    assert refused(client.get("/api/admin/reports", params={"flow": "incident\x00"}, headers=ADMIN)
                   )["message"] == CONTROL_JA
    assert client.post("/api/feedback", json={"question": "USB", "rating": "up",
                                              "comment": "一行目\r\n\t二行目"}).status_code == 200


def test_an_incident_with_nul_in_free_text_can_still_be_finished(client):
    view = walk(client, "prevention")
    assert view["step"]["id"] == "prevention"
    bad = client.post(f"/api/flows/sessions/{view['id']}/answer", json={"step_id": "prevention", "value": "再発\x00防止"})
    assert refused(bad)["message"] == CONTROL_JA
    view = client.post(f"/api/flows/sessions/{view['id']}/answer",
                       json={"step_id": "prevention", "value": "封入時のダブルチェック"}).json()
    assert view["status"] == "confirm"
    report = client.post(f"/api/flows/sessions/{view['id']}/finish")
    assert report.status_code == 200, report.text


TEXT = st.text(st.one_of(st.characters(codec="utf-8"), st.sampled_from("\x00\x01\x08\x0b\x1b\x1f\x7f\t\n\r")),
               max_size=40)


@pytest.mark.slow
def test_arbitrary_text_never_gets_a_server_error(client):
    template = walk(client, "prevention")
    store = client.app.state.res.flows.store
    state = store.get_session(template["id"]).state

    @given(text=TEXT)
    @example(text="\x00")
    @example(text="番号\x00の件\x1b")
    @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def check(text):
        responses = [
            client.post("/api/ask", json={"question": text}),
            client.post("/api/feedback", json={"question": text or "x", "rating": "down", "comment": text}),
            client.get(f"/api/reports/{quote(text, safe='')}"),
            client.get(f"/api/reports/{quote(text, safe='')}/markdown"),
            client.get(f"/api/flows/sessions/{quote(text, safe='')}"),
            client.get("/api/admin/reports", params={"flow": text}, headers=ADMIN),
        ]
        session = store.create_session("incident", "koriyama-kijun", state, owner=f"web:{client.visitor}")
        answered = client.post(f"/api/flows/sessions/{session.id}/answer", json={"step_id": "prevention", "value": text})
        responses += [answered, client.post(f"/api/flows/sessions/{session.id}/finish")]
        for response in responses:
            assert response.status_code < 500, (text, response.request.url, response.status_code, response.text[:300])

    check()
