"""The web API with generative answers on: a fake chat model registered through HOGO_LLM's registry (and the
real OpenAI client against a local endpoint), the real engine and index behind it."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from langchain_core.language_models.fake_chat_models import FakeListChatModel

from bot import llm
from bot.llm import register_chat_model
from bot.settings import Settings
from bot.web.app import create_app
from tests.bot.test_llm import FakeOpenAI

pytestmark = pytest.mark.slow

ORIGIN = "http://testserver"
QUESTION = {"question": "USBをなくした。誰に報告？", "scope": ["koriyama-kijun"]}
REPORT = "職員は「直ちに当該保有個人情報等を管理する保護管理者に報告する」必要があります[koriyama-kijun:23:1]。\n"
INVENTED = "報告は24時間以内に行います[koriyama-kijun:99:1]。\n"
MISQUOTED = "職員は「直ちに警察に届け出る」ものとされています[koriyama-kijun:23:1]。"
SCRIPTS = {"good": REPORT + INVENTED, "invented": INVENTED + MISQUOTED}


class Unreachable(FakeListChatModel):
    def _stream(self, *args, **kwargs):
        raise ConnectionError("no route to the endpoint")


@pytest.fixture(autouse=True)
def _fake_models(monkeypatch):
    monkeypatch.setattr(llm, "_FACTORIES", dict(llm._FACTORIES))
    register_chat_model("fake", lambda script, settings: FakeListChatModel(responses=[SCRIPTS[script]]))
    register_chat_model("down", lambda _, settings: Unreachable(responses=[""]))


@pytest.fixture
def client_for(engine, tmp_path):
    """``client_for(**settings)``: the app on the shared engine with a widget session; closed after the test."""
    clients = []

    def start(**settings):
        app = create_app(Settings(data_dir=tmp_path, database_url=None, **settings), engine=engine)
        client = TestClient(app, headers={"Origin": ORIGIN}).__enter__()
        clients.append(client)
        token = client.post("/api/session", json={"site_key": "demo"}).json()["token"]
        client.headers["Authorization"] = f"Bearer {token}"
        return client

    yield start
    for client in clients:
        client.__exit__(None, None, None)


def stream(client, body):
    with client.stream("POST", "/api/ask/stream", json=body) as response:
        assert response.status_code == 200 and response.headers["content-type"].startswith("text/event-stream")
        raw = "".join(response.iter_text())
    return [(block.split("\n")[0][7:], json.loads(block.split("\n")[1][6:])) for block in raw.strip().split("\n\n")]


def test_ask_returns_the_generated_answer_with_retrievals_citations(engine, client_for):
    plain = engine.ask(QUESTION["question"], QUESTION["scope"])
    client = client_for(llm="fake:good")
    data = client.post("/api/ask", json=QUESTION).json()
    assert data["composer"] == "llm" and data["composer_note"] is None
    assert data["answer"] == REPORT.rstrip()  # the invented key never reaches staff
    assert [c["key"] for c in data["citations"]] == [c.key for c in plain.citations]
    assert engine.composer is None  # the shared engine was not switched over


def test_stream_sends_verified_sentences_then_citations_and_done(client_for):
    client = client_for(llm="fake:good")
    events = stream(client, QUESTION)
    names = [name for name, _ in events]
    assert names[0] == "meta" and names[-1] == "done" and "fallback" not in names
    assert [d["text"] for n, d in events if n == "answer"] == [REPORT]
    assert names.index("citation") > names.index("answer") and names.count("citation") == 5
    assert events[-1][1]["composer"] == "llm" and "generate" in events[-1][1]["timings_ms"]


@pytest.mark.parametrize(("model", "note"), [("fake:invented", "llm: nothing verifiable"),
                                             ("down:any", "llm: error ConnectionError")])
def test_a_fallback_shows_the_extractive_answer_and_says_why(engine, client_for, model, note):
    plain = engine.ask(QUESTION["question"], QUESTION["scope"])
    client = client_for(llm=model)
    data = client.post("/api/ask", json=QUESTION).json()
    events = stream(client, QUESTION)
    assert data["composer"] == "extractive" and data["composer_note"] == note and data["answer"] == plain.answer
    assert ("fallback", {"composer_note": note, "withdrawn": 0}) in events
    assert "".join(d["text"] for n, d in events if n == "answer") == plain.answer
    assert events[-1][1]["composer"] == "extractive" and events[-1][1]["composer_note"] == note


def test_abstentions_are_not_sent_to_the_model(client_for):
    client = client_for(llm="down:any")
    data = client.post("/api/ask", json={"question": "有給休暇は何日取れますか？"}).json()
    assert data["abstained"] and data["composer"] == "extractive" and data["composer_note"] is None


def test_without_hogo_llm_the_stream_is_extractive_as_before(engine, client_for):
    plain = engine.ask(QUESTION["question"], QUESTION["scope"])
    events = stream(client_for(), QUESTION)
    assert "".join(d["text"] for n, d in events if n == "answer") == plain.answer
    assert "fallback" not in [n for n, _ in events] and events[-1][1]["composer"] == "extractive"
    assert "composer_note" not in events[-1][1]


def test_the_real_openai_client_streams_through_the_sse_endpoint(client_for, monkeypatch):
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    with FakeOpenAI(SCRIPTS["good"]) as endpoint:
        client = client_for(llm="openai:city-llm", llm_base_url=endpoint.url, llm_timeout=10)
        events = stream(client, QUESTION)
        assert [d["text"] for n, d in events if n == "answer"] == [REPORT]
    assert events[-1][1]["composer"] == "llm" and len(endpoint.requests) == 1
