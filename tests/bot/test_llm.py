"""HOGO_LLM: the chat-model registry, the openai: path through the real client against a small local server
that answers like an OpenAI chat-completions endpoint, and the one-line errors of a bad configuration."""

from __future__ import annotations

import json
import os
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel

from bot import llm
from bot.llm import LLMConfigError, chat_model, open_composer, register_chat_model
from bot.settings import Settings
from retrieval.answer import compose
from retrieval.passages import build_passages
from retrieval.search import Hit, SearchResult
from tests.test_cli import run

REPORT = "職員は「直ちに当該保有個人情報等を管理する保護管理者に報告する」必要があります[koriyama-kijun:23:1]。"
FAKE_LIST = "langchain_core.language_models.fake_chat_models:FakeListChatModel"


class FakeOpenAI:
    """Plays an OpenAI-compatible /v1/chat/completions endpoint on loopback (streamed or not) and records
    each request. ``status`` other than 200 answers with an error body."""

    def __init__(self, reply: str, status: int = 200) -> None:
        self.reply, self.status = reply, status
        self.requests: list[tuple[dict, dict]] = []  # (headers, JSON body)
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers.get("content-length") or 0)) or b"{}")
                fake.requests.append(({k.lower(): v for k, v in self.headers.items()}, body))
                if self.path != "/v1/chat/completions" or fake.status != 200:
                    self._send(fake.status if fake.status != 200 else 404, "application/json",
                               json.dumps({"error": {"message": "unavailable", "type": "server_error"}}).encode())
                    return
                if not body.get("stream"):
                    message = {"role": "assistant", "content": fake.reply}
                    self._send(200, "application/json", json.dumps(
                        {"id": "c1", "object": "chat.completion", "created": 0, "model": body["model"],
                         "choices": [{"index": 0, "message": message, "finish_reason": "stop"}]}).encode())
                    return
                pieces = [fake.reply[i:i + 7] for i in range(0, len(fake.reply), 7)]
                chunks = [{"role": "assistant", "content": ""}] + [{"content": p} for p in pieces] + [{}]
                events = []
                for n, delta in enumerate(chunks):
                    finish = "stop" if n == len(chunks) - 1 else None
                    events.append("data: " + json.dumps(
                        {"id": "c1", "object": "chat.completion.chunk", "created": 0, "model": body["model"],
                         "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}) + "\n\n")
                events.append("data: [DONE]\n\n")
                self._send(200, "text/event-stream", "".join(events).encode())

            def _send(self, status, content_type, payload):
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FakeOpenAI:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(autouse=True)
def _own_registry(monkeypatch):
    """Registrations made by a test end with it; no proxy stands between the client and loopback."""
    monkeypatch.setattr(llm, "_FACTORIES", dict(llm._FACTORIES))
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="module")
def incident(corpus):
    """Retrieval for a lost-USB question (23:1 first) and its extractive answer."""
    passages = {p.key: p for p in build_passages(corpus)}
    keys = ["koriyama-kijun:23:1", "koriyama-kijun:23:2", "koriyama-kijun:23:3"]
    result = SearchResult([Hit(passages[k], 1.0, 0.0, 0.0) for k in keys], relevance=1.0)
    return result, compose(corpus, "USBをなくした", result, ["koriyama-kijun"], 3, abstain=False)


def generated(corpus, incident, settings):
    result, extractive = incident
    return open_composer(settings).compose(corpus, "USBをなくした", result, ["koriyama-kijun"], 3, extractive)


def test_off_by_default():
    assert Settings().llm is None and open_composer(Settings()) is None


def test_openai_path_streams_from_an_openai_compatible_endpoint(corpus, incident):
    with FakeOpenAI(REPORT + "根拠のない文です。") as endpoint:
        settings = Settings(llm="openai:city-llm", llm_base_url=endpoint.url, llm_timeout=5,
                            llm_options={"temperature": 0})
        answer = generated(corpus, incident, settings)
    assert answer.composer == "llm" and answer.answer == REPORT
    (headers, body), = endpoint.requests
    assert body["model"] == "city-llm" and body["stream"] is True and body["temperature"] == 0
    assert headers["authorization"] == "Bearer unused"  # a keyless endpoint inside the city's network
    system, user = body["messages"]
    assert system["role"] == "system" and "[koriyama-kijun:23:1]" in system["content"]
    assert "[koriyama-kijun:23:2] 郡山市保有個人情報等の取扱基準 第23条第2項" in user["content"]


def test_openai_path_sends_the_configured_key():
    with FakeOpenAI(REPORT) as endpoint:
        model = chat_model(Settings(llm="openai:m", llm_base_url=endpoint.url, llm_api_key="city-secret"))
        assert model.invoke("こんにちは").content == REPORT
    assert endpoint.requests[0][0]["authorization"] == "Bearer city-secret"
    assert "city-secret" not in repr(Settings(llm_api_key="city-secret"))


def test_an_endpoint_error_falls_back_after_one_request(corpus, incident):
    with FakeOpenAI(REPORT, status=503) as endpoint:
        answer = generated(corpus, incident, Settings(llm="openai:m", llm_base_url=endpoint.url, llm_timeout=5))
    assert answer.composer == "extractive" and answer.composer_note.startswith("llm: error ")
    assert answer.answer == incident[1].answer and len(endpoint.requests) == 1  # max_retries=0


def test_a_missing_langchain_openai_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "langchain_openai", None)  # as if not installed
    with pytest.raises(LLMConfigError) as raised:
        chat_model(Settings(llm="openai:m", llm_base_url="http://127.0.0.1:9/v1"))
    assert "pip install -e '.[llm]'" in raised.value.message and "\n" not in raised.value.message


def test_registered_factories_are_found_by_prefix(corpus, incident):
    seen = []

    def fake(model_id, settings):
        seen.append(model_id)
        return FakeListChatModel(responses=[REPORT])

    register_chat_model("fake", fake)
    answer = generated(corpus, incident, Settings(llm="fake:good", llm_timeout=3))
    assert seen == ["good"] and answer.composer == "llm"


def test_any_langchain_chat_model_by_module_path_and_options(monkeypatch):
    monkeypatch.setenv("HOGO_LLM", FAKE_LIST)
    monkeypatch.setenv("HOGO_LLM_OPTIONS", json.dumps({"responses": [REPORT]}))
    model = chat_model(Settings())
    assert isinstance(model, FakeListChatModel) and model.responses == [REPORT]


@pytest.mark.parametrize(("spec", "options", "says"), [
    ("gpt-4o", {}, "expected 'openai:MODEL' or 'module.path:ClassName'"),
    ("no_such_package_hogo:ChatModel", {}, "cannot import no_such_package_hogo"),
    ("json:Nothing", {}, "json has no Nothing"),
    ("json:JSONDecoder", {}, "is not a LangChain chat model"),
    (FAKE_LIST, {"responses": "not-a-list-secret"}, "HOGO_LLM_OPTIONS do not fit FakeListChatModel: check responses"),
])
def test_a_bad_configuration_is_one_line_that_says_what_to_fix(spec, options, says):
    with pytest.raises(LLMConfigError) as raised:
        chat_model(Settings(llm=spec, llm_options=options))
    assert says in raised.value.message and "secret" not in raised.value.message


@pytest.mark.slow
def test_hogo_ask_json_says_which_composer_wrote_the_answer(engine, data_dir):
    env = {**os.environ, "HOGO_DATA_DIR": str(data_dir), "HOGO_LLM": FAKE_LIST,
           "HOGO_LLM_OPTIONS": json.dumps({"responses": [REPORT]})}
    result = run("ask", "USBをなくした。誰に報告？", "--scope", "koriyama-kijun", "--json", env=env)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["composer"] == "llm" and data["answer"] == REPORT
    assert data["citations"][0]["key"] == "koriyama-kijun:23:1"
    result = run("ask", "USB", "--json", env={**env, "HOGO_LLM": "openai"})
    assert result.returncode == 2 and result.stderr.startswith("error: HOGO_LLM='openai'")
