"""The JSON API through the app factory: contracts, sessions and ownership, limits, headers and errors."""

from __future__ import annotations

import json
import time

import pytest
from fastapi.testclient import TestClient

from bot.settings import Settings
from bot.web.app import create_app

ORIGIN = "http://testserver"  # the TestClient's own origin: allowed for the "demo" site key ("self")


def make_client(engine, tmp_path, **overrides):
    settings = Settings(data_dir=tmp_path, admin_token="admin-secret-token", **overrides)
    return TestClient(create_app(settings, engine=engine), headers={"Origin": ORIGIN})


@pytest.fixture
def client(engine, tmp_path):
    with make_client(engine, tmp_path) as c:
        yield c


def token(client, site_key="demo", origin=ORIGIN, previous=None):
    response = client.post("/api/session", json={"site_key": site_key, "previous": previous},
                           headers={"Origin": origin})
    assert response.status_code == 200, response.text
    return response.json()


def auth(t):
    return {"Authorization": f"Bearer {t['token'] if isinstance(t, dict) else t}"}


def error(response, status):
    assert response.status_code == status, response.text
    body = response.json()["error"]
    assert body["code"] and body["message"]
    assert "Traceback" not in response.text
    return body


def test_health_and_readiness(client):
    assert client.get("/health").json() == {"status": "ok"}
    ready = client.get("/ready").json()
    assert ready["status"] == "ready" and ready["regulations"] == ["koriyama-kijun", "mima-kitei"]


# sessions --------------------------------------------------------------------------------------------

def test_site_key_exchange_needs_an_allowed_origin(client):
    assert token(client)["expires_in"] == 1800
    assert error(client.post("/api/session", json={"site_key": "nope"}), 403)["message"].startswith(
        "このサイトでは利用できません")
    assert error(client.post("/api/session", json={"site_key": "demo"}, headers={"Origin": "https://evil.example"}),
                 403)["message"] == "このサイトでは利用できません（許可されていない接続元です）。"
    configured = client.app.state.res.settings
    assert configured.site_keys == {"demo": ["self"]}


def test_tokens_are_signed_short_lived_and_renewable(engine, tmp_path):
    with make_client(engine, tmp_path, token_ttl=1) as client:
        first = token(client)
        assert client.post("/api/ask", json={"question": "委託先の監督"}, headers=auth(first)).status_code == 200
        tampered = first["token"][:-2] + ("AA" if not first["token"].endswith("AA") else "BB")
        assert error(client.post("/api/ask", json={"question": "委託"}, headers=auth(tampered)), 401)
        time.sleep(2.1)
        assert error(client.post("/api/ask", json={"question": "委託"}, headers=auth(first)), 401)["code"] == \
            "unauthorized"
        renewed = token(client, previous=first["token"])
        assert renewed["visitor"] == first["visitor"]
        assert error(client.post("/api/ask", json={"question": "委託"}), 401)["message"].startswith("セッションがありません")


# ask -----------------------------------------------------------------------------------------------

def test_ask_returns_the_answer_contract(client):
    response = client.post("/api/ask", json={"question": "USBをなくした。誰に報告？", "scope": ["koriyama-kijun"]},
                           headers=auth(token(client)))
    data = response.json()
    assert response.status_code == 200 and response.headers["content-type"] == "application/json"
    assert set(data) == {"question", "scope", "answer", "abstained", "citations", "composer", "composer_note",
                         "timings_ms"}
    assert data["composer"] == "extractive" and data["composer_note"] is None  # HOGO_LLM is off by default
    assert data["scope"] == ["koriyama-kijun"] and not data["abstained"] and len(data["citations"]) == 5
    first = data["citations"][0]
    assert set(first) == {"key", "doc", "article", "paragraph", "item", "subitem", "label", "heading", "text", "score",
                          "references"}
    assert any(c["key"].startswith("koriyama-kijun:23:") for c in data["citations"][:3])


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"question": "   "}, "質問を入力してください。"),
        ({"question": "あ" * 1001}, "質問が長すぎます（1000文字以内で入力してください）。"),
        ({"question": "委託", "scope": ["nowhere"]}, "指定された規程は登録されていません。"),
        ({"q": "委託"}, "入力内容を確認してください。"),
    ],
)
def test_bad_questions_get_a_japanese_message(client, body, message):
    response = client.post("/api/ask", json=body, headers=auth(token(client)))
    assert error(response, response.status_code)["message"] == message
    assert response.status_code in (404, 422)


def test_my_number_in_a_question_is_masked(client):
    data = client.post("/api/ask", json={"question": "個人番号 123456789018 の書類を廃棄したい"},
                       headers=auth(token(client))).json()
    assert "123456789018" not in json.dumps(data, ensure_ascii=False)
    assert "[個人番号のため伏せ字]" in data["question"]


def test_html_in_a_question_comes_back_as_json_text(client):
    payload = '<img src=x onerror="alert(1)">'
    response = client.post("/api/ask", json={"question": payload}, headers=auth(token(client)))
    assert response.headers["content-type"] == "application/json"
    assert response.json()["question"] == payload  # data, not markup: the widget renders it as text


def test_ask_stream_sends_answer_citations_and_done(client):
    t = token(client)
    plain = client.post("/api/ask", json={"question": "委託先の監督", "k": 3}, headers=auth(t)).json()
    with client.stream("POST", "/api/ask/stream", json={"question": "委託先の監督", "k": 3}, headers=auth(t)) as r:
        assert r.headers["content-type"].startswith("text/event-stream")
        raw = "".join(r.iter_text())
    events = [(block.split("\n")[0][7:], json.loads(block.split("\n")[1][6:]))
              for block in raw.strip().split("\n\n")]
    names = [name for name, _ in events]
    assert names[0] == "meta" and names[-1] == "done" and names.count("citation") == 3
    assert "".join(d["text"] for n, d in events if n == "answer") == plain["answer"]
    assert [d["key"] for n, d in events if n == "citation"] == [c["key"] for c in plain["citations"]]


def stream_events(client, t, question: str) -> list[tuple[str, dict]]:
    with client.stream("POST", "/api/ask/stream", json={"question": question}, headers=auth(t)) as r:
        raw = "".join(r.iter_text())
    return [(block.split("\n")[0][7:], json.loads(block.split("\n")[1][6:])) for block in raw.strip().split("\n\n")]


def test_a_question_about_an_incident_or_a_consignment_suggests_its_guide(client):
    t = token(client)
    lost = stream_events(client, t, "USBをなくした。誰に報告？")
    assert lost[1] == ("suggest", {"flow": "incident", "title": "漏えい等事案の報告"})  # before the answer
    outsourced = stream_events(client, t, "印刷を業者に委託したい。何を確認する？")
    assert ("suggest", {"flow": "consignment", "title": "業務委託チェックリスト"}) in outsourced
    leaked = stream_events(client, t, "委託先から名簿が流出した")  # reported first, not checked
    assert [d["flow"] for n, d in leaked if n == "suggest"] == ["incident"]
    assert [n for n, _ in stream_events(client, t, "保存期間は何年？") if n == "suggest"] == []


def test_a_clause_lists_the_clauses_its_text_cites(client):
    data = client.get("/api/clauses/koriyama-kijun:23:4").json()
    assert "前項の規定に基づく報告" in data["text"]
    before = {"key": "koriyama-kijun:23:3", "keys": ["koriyama-kijun:23:3"], "label": "第23条第3項", "text": "前項",
              "external": False, "instrument": None}
    assert before in data["references"]
    for ref in data["references"]:  # each span is written in the text, in order
        assert ref["text"] in data["text"]
    law = client.get("/api/clauses/koriyama-kijun:11:2").json()  # 番号法第29条の2: another instrument's
    assert {"key": None, "keys": [], "label": "番号法第29条の2", "text": "番号法第29条の2", "external": True,
            "instrument": "番号法"} in law["references"]


def test_clause_lookup(client):
    data = client.get("/api/clauses/koriyama-kijun:23:1").json()
    assert data["label"] == "郡山市保有個人情報等の取扱基準 第23条第1項" and data["municipality"] == "郡山市"
    assert data["text"].startswith("保有個人情報等の漏えい等")
    assert error(client.get("/api/clauses/koriyama-kijun:99"), 404)["code"] == "unknown_clause"


# flows and reports -----------------------------------------------------------------------------------

CONSIGNMENT = [("work", "印刷業務"), ("handles_my_number", "no"), ("reconsignment_planned", "no"),
               ("dispatched_workers", "no")]


def run_consignment(client, headers):
    view = client.post("/api/flows/consignment/sessions", json={"scope": "mima-kitei"}, headers=headers).json()
    for step_id, value in CONSIGNMENT:
        view = client.post(f"/api/flows/sessions/{view['id']}/answer",
                           json={"step_id": step_id, "value": value}, headers=headers).json()
    while view["step"]:
        view = client.post(f"/api/flows/sessions/{view['id']}/answer",
                           json={"step_id": view["step"]["id"], "value": {"status": "済", "note": ""}},
                           headers=headers).json()
    return view


def test_a_flow_through_the_api_and_its_report(client):
    me = auth(token(client))
    flows = client.get("/api/flows").json()
    assert {f["name"] for f in flows} == {"incident", "consignment"}
    view = client.post("/api/flows/incident/sessions", json={"scope": "koriyama-kijun"}, headers=me).json()
    assert view["step"]["id"] == "discovered_at" and view["progress"] == {"n": 2, "m": 20, "answered": 1}
    bad = client.post(f"/api/flows/sessions/{view['id']}/answer", json={"step_id": "discovered_at", "value": "昨日"},
                      headers=me)
    assert error(bad, 422)["message"] == "日時は「2026-04-01 10:30」のように入力してください。"
    once = client.post(f"/api/flows/sessions/{view['id']}/answer",
                       json={"step_id": "discovered_at", "value": "2026-12-20T09:00", "request_id": "r1"}, headers=me)
    twice = client.post(f"/api/flows/sessions/{view['id']}/answer",
                        json={"step_id": "discovered_at", "value": "2026-12-20T09:00", "request_id": "r1"}, headers=me)
    assert once.json()["step"]["id"] == twice.json()["step"]["id"] == "event_type"
    back = client.post(f"/api/flows/sessions/{view['id']}/back", json={"from_step": "event_type"}, headers=me).json()
    assert back["step"]["id"] == "discovered_at" and back["step"]["default"] == "2026-12-20T09:00+09:00"

    done = run_consignment(client, me)
    assert done["status"] == "confirm" and done["summary"]
    report = client.post(f"/api/flows/sessions/{done['id']}/finish", headers=me).json()
    assert report["data"]["counts"]["gaps"] == 0 and report["markdown"].startswith("# 業務委託チェックリスト（美馬市）")
    assert client.get(f"/api/reports/{report['id']}", headers=me).json()["data"] == report["data"]
    md = client.get(f"/api/reports/{report['id']}/markdown", headers=me)
    assert md.headers["content-type"].startswith("text/markdown")
    assert md.headers["content-disposition"] == f'attachment; filename="hogo-report-{report["id"]}.md"'


def test_cancel_abandons_a_draft(client):
    me = auth(token(client))
    view = client.post("/api/flows/incident/sessions", json={"scope": "mima-kitei"}, headers=me).json()
    assert view["step"]["max_length"] == 2000
    cancelled = client.post(f"/api/flows/sessions/{view['id']}/cancel", headers=me).json()
    assert cancelled["status"] == "cancelled"
    again = client.post(f"/api/flows/sessions/{view['id']}/answer", json={"value": "2026-04-01"}, headers=me)
    assert error(again, 409)["code"] == "session_cancelled"


def test_sessions_and_reports_belong_to_their_visitor(client):
    mine, theirs = auth(token(client)), auth(token(client))
    done = run_consignment(client, mine)
    report = client.post(f"/api/flows/sessions/{done['id']}/finish", headers=mine).json()
    assert error(client.get(f"/api/flows/sessions/{done['id']}", headers=theirs), 404)
    assert error(client.get(f"/api/reports/{report['id']}", headers=theirs), 404)
    assert error(client.get("/api/admin/reports", headers=mine), 403)["message"] == "管理者のみが利用できます。"
    admin = {"Authorization": "Bearer admin-secret-token"}
    assert report["id"] in {r["id"] for r in client.get("/api/admin/reports", headers=admin).json()}
    assert client.get(f"/api/reports/{report['id']}", headers=admin).status_code == 200


def test_feedback_is_stored_with_the_cited_keys(client):
    me = auth(token(client))
    response = client.post("/api/feedback", json={"question": "USBをなくした", "rating": "down", "comment": "古い",
                                                  "cited_keys": ["koriyama-kijun:23:1"]}, headers=me)
    assert response.json()["stored"]
    store = client.app.state.res.flows.store
    from sqlalchemy import select

    from bot.store import feedback

    with store.engine.connect() as conn:
        row = conn.execute(select(feedback).where(feedback.c.id == response.json()["id"])).mappings().one()
    assert (row["rating"], row["cited_keys"], row["channel"]) == (-1, ["koriyama-kijun:23:1"], "web")
    assert error(client.post("/api/feedback", json={"question": "x", "rating": "up", "cited_keys": ["no:1"]},
                             headers=me), 404)


# limits, headers, errors ----------------------------------------------------------------------------------

def test_rate_limit_per_token_gives_429_with_retry_after(engine, tmp_path):
    with make_client(engine, tmp_path, rate_per_token=3) as client:
        me = auth(token(client))
        codes = [client.post("/api/ask", json={"question": "委託"}, headers=me).status_code for _ in range(4)]
        assert codes == [200, 200, 200, 429]
        limited = client.post("/api/ask", json={"question": "委託"}, headers=me)
        assert int(limited.headers["retry-after"]) >= 1
        assert error(limited, 429)["message"].startswith("リクエストが多すぎます")
        assert client.post("/api/ask", json={"question": "委託"}, headers=auth(token(client))).status_code == 200


def test_rate_limit_per_ip(engine, tmp_path):
    with make_client(engine, tmp_path, rate_per_ip=5) as client:
        codes = [client.get("/api/clauses/koriyama-kijun:1").status_code for _ in range(6)]
        assert codes[-1] == 429 and codes[:5] == [200] * 5


def test_body_size_limit(client):
    response = client.post("/api/ask", content=b'{"question": "' + b"a" * 40_000 + b'"}',
                           headers={**auth(token(client)), "Content-Type": "application/json"})
    assert error(response, 413)["message"].startswith("送信された内容が大きすぎます")


def test_security_headers(client):
    page = client.get("/")
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["x-content-type-options"] == "nosniff"
    api = client.get("/api/flows")
    assert api.headers["content-security-policy"] == "default-src 'none'; frame-ancestors 'none'"
    assert client.get("/widget.js").headers["content-type"].startswith("text/javascript")


def test_cors_allows_only_configured_origins(engine, tmp_path):
    portal = "https://portal.city.example.lg.jp"
    with make_client(engine, tmp_path, site_keys={"intranet": [portal]}) as client:
        preflight = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization"}
        ok = client.options("/api/ask", headers={"Origin": portal, **preflight})
        assert ok.headers["access-control-allow-origin"] == portal
        simple = client.get("/api/flows", headers={"Origin": portal})
        assert "retry-after" in simple.headers["access-control-expose-headers"].lower()
        bad = client.options("/api/ask", headers={"Origin": "https://evil.example", **preflight})
        assert "access-control-allow-origin" not in bad.headers
        assert token(client, "intranet", portal)["token"]
        assert error(client.post("/api/session", json={"site_key": "intranet"}), 403)  # own origin not listed


def test_a_crash_is_a_json_500_without_a_stack_trace(client, monkeypatch):
    def boom(*args, **kwargs):
        raise RuntimeError("index exploded at /secret/path")

    monkeypatch.setattr(client.app.state.res.engine, "ask", boom)
    client_no_raise = TestClient(client.app, raise_server_exceptions=False, headers={"Origin": ORIGIN})
    response = client_no_raise.post("/api/ask", json={"question": "委託"}, headers=auth(token(client)))
    body = error(response, 500)
    assert body["message"] == "処理中に問題が発生しました。時間をおいて再度お試しください。"
    assert "secret" not in response.text


def test_unknown_paths_are_json(client):
    assert error(client.get("/api/nothing"), 404)["message"] == "ページが見つかりません。"
    assert error(client.get("/api/ask"), 405)
