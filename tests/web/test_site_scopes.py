"""One server for several cities: a widget site key bound to some documents never reaches the others'
(answers, streams, clauses, dialogues), and its token cannot be widened."""

from __future__ import annotations

import base64
import json

import pytest
from fastapi.testclient import TestClient

from bot.bindings import BindingConfigError
from bot.settings import Settings
from bot.web.app import create_app

pytestmark = pytest.mark.slow

ORIGIN = "http://testserver"
QUESTION = "委託先の監督は？"  # unbound, the best clauses are 美馬市's
SITES = {"demo": ["self"], "koriyama": {"origins": ["self"], "scopes": ["koriyama-kijun"]}}


def make_client(engine, data_dir, site_keys=SITES):
    settings = Settings(data_dir=data_dir, site_keys=site_keys)
    return TestClient(create_app(settings, engine=engine), headers={"Origin": ORIGIN})


@pytest.fixture
def client(engine, tmp_path):
    with make_client(engine, tmp_path) as c:
        yield c


def token(client, site_key="koriyama", previous=None):
    response = client.post("/api/session", json={"site_key": site_key, "previous": previous})
    assert response.status_code == 200, response.text
    return response.json()["token"]


def auth(raw):
    return {"Authorization": f"Bearer {raw}"}


def error(response, status):
    assert response.status_code == status, response.text
    return response.json()["error"]


def stream(client, body, headers):
    with client.stream("POST", "/api/ask/stream", json=body, headers=headers) as r:
        raw = "".join(r.iter_text())
    return [(block.split("\n")[0][7:], json.loads(block.split("\n")[1][6:])) for block in raw.strip().split("\n\n")]


def test_a_bound_site_key_never_cites_another_city(client):
    unbound = client.post("/api/ask", json={"question": QUESTION}, headers=auth(token(client, "demo"))).json()
    assert any(c["doc"] == "mima-kitei" for c in unbound["citations"])  # the question does reach 美馬市

    me = auth(token(client))
    for scope in (None, [], ["koriyama-kijun"]):
        data = client.post("/api/ask", json={"question": QUESTION, "scope": scope}, headers=me).json()
        assert data["scope"] == ["koriyama-kijun"] and not data["abstained"]
        assert len(data["citations"]) == 5 and {c["doc"] for c in data["citations"]} == {"koriyama-kijun"}
        assert "美馬市" not in data["answer"]
    for scope in (["mima-kitei"], ["koriyama-kijun", "mima-kitei"], ["nowhere"]):
        refused = error(client.post("/api/ask", json={"question": QUESTION, "scope": scope}, headers=me), 403)
        assert refused["code"] == "scope_not_allowed"
        assert refused["message"].startswith("指定された規程") and "利用できる規程: koriyama-kijun" in refused["message"]


def test_a_bound_stream_stays_in_its_city(client):
    me = auth(token(client))
    events = stream(client, {"question": QUESTION, "scope": None}, me)
    assert events[0] == ("meta", {"question": QUESTION, "scope": ["koriyama-kijun"]})
    cited = [d["doc"] for name, d in events if name == "citation"]
    assert len(cited) == 5 and set(cited) == {"koriyama-kijun"}
    refused = client.post("/api/ask/stream", json={"question": QUESTION, "scope": ["mima-kitei"]}, headers=me)
    assert error(refused, 403)["code"] == "scope_not_allowed"


def test_clauses_outside_the_binding_are_not_found(client):
    me = auth(token(client))
    assert client.get("/api/clauses/koriyama-kijun:23:1", headers=me).status_code == 200
    assert error(client.get("/api/clauses/mima-kitei:25:2", headers=me), 404)["code"] == "unknown_clause"
    demo = auth(token(client, "demo"))
    assert client.get("/api/clauses/mima-kitei:25:2", headers=demo).json()["municipality"] == "美馬市"


def test_flows_start_for_the_bound_city_without_asking(client):
    me = auth(token(client))
    listed = client.get("/api/flows", headers=me).json()
    assert {f["name"]: [s["id"] for s in f["scopes"]] for f in listed} == {
        "incident": ["koriyama-kijun"], "consignment": ["koriyama-kijun"]}
    everything = client.get("/api/flows", headers=auth(token(client, "demo"))).json()
    assert all(len(f["scopes"]) == 2 for f in everything)

    view = client.post("/api/flows/incident/sessions", json={}, headers=me).json()
    assert view["scope"] == "koriyama-kijun" and view["step"]["id"] == "discovered_at"
    # going back to the scope question offers the bound city alone, and another city is refused
    back = client.post(f"/api/flows/sessions/{view['id']}/back", json={}, headers=me).json()
    assert back["step"]["id"] == "scope" and [o["value"] for o in back["step"]["options"]] == ["koriyama-kijun"]
    other = client.post(f"/api/flows/sessions/{view['id']}/answer", json={"step_id": "scope", "value": "mima-kitei"},
                        headers=me)
    assert error(other, 422)["code"] == "invalid_answer"
    refused = client.post("/api/flows/consignment/sessions", json={"scope": "mima-kitei"}, headers=me)
    assert error(refused, 403)["code"] == "scope_not_allowed"


def test_a_tampered_token_cannot_widen_its_scopes(client):
    raw = token(client)
    payload, signature = raw.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    assert claims["s"] == ["koriyama-kijun"]  # the binding travels inside the signed token
    for widened in ({**claims, "s": ["koriyama-kijun", "mima-kitei"]}, {k: v for k, v in claims.items() if k != "s"}):
        forged = base64.urlsafe_b64encode(json.dumps(widened).encode()).rstrip(b"=").decode() + "." + signature
        response = client.post("/api/ask", json={"question": QUESTION, "scope": ["mima-kitei"]}, headers=auth(forged))
        assert error(response, 401)["code"] == "unauthorized"
        assert error(client.get("/api/clauses/mima-kitei:25:2", headers=auth(forged)), 401)


def test_a_token_follows_the_site_keys_binding_when_it_changes(engine, tmp_path):
    with make_client(engine, tmp_path) as before:
        old = token(before)
    rebound = {"koriyama": {"origins": ["self"], "scopes": ["mima-kitei"]}}
    with make_client(engine, tmp_path, rebound) as after:  # same data dir: the same signing key
        assert error(after.post("/api/ask", json={"question": QUESTION}, headers=auth(old)), 401)
        renewed = token(after, previous=old)
        data = after.post("/api/ask", json={"question": QUESTION}, headers=auth(renewed)).json()
        assert {c["doc"] for c in data["citations"]} == {"mima-kitei"}


def test_unknown_document_ids_fail_at_start_up(engine, tmp_path):
    sites = {"demo": ["self"], "pref": {"origins": ["self"], "scopes": ["koriyama-kijun", "nowhere", "tokyo"]}}
    with pytest.raises(BindingConfigError) as failed, make_client(engine, tmp_path, sites):
        pass
    message = str(failed.value)
    assert "\n" not in message and "HOGO_SITE_KEYS" in message and "nowhere, tokyo" in message


def test_the_old_site_key_form_still_works(engine, tmp_path):
    with make_client(engine, tmp_path, {"intranet": ["self"]}) as client:
        data = client.post("/api/ask", json={"question": QUESTION}, headers=auth(token(client, "intranet"))).json()
        assert data["scope"] == ["koriyama-kijun", "mima-kitei"]
