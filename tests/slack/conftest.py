"""A small local HTTP server that plays Slack's Web API (and response_url) and records every call, and
a signer for requests as Slack sends them. The bolt app itself is real and reached over HTTP."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlencode

import pytest
from fastapi.testclient import TestClient

from bot.settings import Settings
from bot.web.app import create_app

SIGNING_SECRET = "test-signing-secret"


class FakeSlack:
    def __init__(self) -> None:
        self.calls: list[tuple[str, dict]] = []
        self.replies: dict[str, dict] = {}  # method -> canned reply, e.g. apps.connections.open
        self.lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                raw = self.rfile.read(int(self.headers.get("content-length") or 0)).decode()
                if "json" in (self.headers.get("content-type") or ""):
                    params = json.loads(raw or "{}")
                else:
                    params = dict(parse_qsl(raw))
                for key in ("blocks", "view"):
                    if isinstance(params.get(key), str):
                        params[key] = json.loads(params[key])
                method = self.path.strip("/").removeprefix("api/")
                with fake.lock:
                    fake.calls.append((method, params))
                body = json.dumps(fake.reply(method, params)).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def reply(self, method: str, params: dict) -> dict:
        if method in self.replies:
            return self.replies[method]
        if method == "auth.test":
            return {"ok": True, "user_id": "UBOT", "bot_id": "BBOT", "team_id": "T1", "user": "hogo", "team": "city"}
        if method.startswith("views."):
            return {"ok": True, "view": {"id": "V1", "hash": f"h{len(self.calls)}"}}
        if method == "chat.postMessage":
            return {"ok": True, "channel": params.get("channel"), "ts": f"{time.time():.6f}"}
        return {"ok": True}

    def named(self, method: str) -> list[dict]:
        with self.lock:
            return [params for name, params in self.calls if name == method]

    def wait_for(self, method: str, count: int = 1, timeout: float = 30) -> list[dict]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.named(method)
            if len(found) >= count:
                return found
            time.sleep(0.05)
        raise AssertionError(f"Slack never got {count} x {method}; calls: {[n for n, _ in self.calls]}")

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def fake_slack():
    fake = FakeSlack()
    yield fake
    fake.close()


@pytest.fixture
def slack(engine, tmp_path, fake_slack):
    settings = Settings(data_dir=tmp_path, slack_bot_token="xoxb-test", slack_signing_secret=SIGNING_SECRET,
                        slack_api_url=f"{fake_slack.url}/api/", slack_report_channel="CPRIVACY",
                        public_url="https://hogo.city.example")
    with TestClient(create_app(settings, engine=engine)) as client:
        yield Slack(client, fake_slack)


class Slack:
    """Sends requests to /slack/events signed as Slack signs them."""

    def __init__(self, client: TestClient, fake: FakeSlack) -> None:
        self.client, self.fake = client, fake

    @property
    def flows(self):
        return self.client.app.state.res.flows

    def post(self, body: str, content_type: str, secret: str = SIGNING_SECRET, retry: int | None = None):
        stamp = str(int(time.time()))
        signature = "v0=" + hmac.new(secret.encode(), f"v0:{stamp}:{body}".encode(), hashlib.sha256).hexdigest()
        headers = {"Content-Type": content_type, "X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": signature}
        if retry is not None:
            headers.update({"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"})
        return self.client.post("/slack/events", content=body.encode(), headers=headers)

    def event(self, event: dict, event_id: str = "Ev1", retry: int | None = None, **kwargs):
        body = {"type": "event_callback", "team_id": "T1", "api_app_id": "A1", "event_id": event_id,
                "event_time": int(time.time()), "event": event,
                "authorizations": [{"team_id": "T1", "user_id": "UBOT", "is_bot": True}]}
        return self.post(json.dumps(body, ensure_ascii=False), "application/json", retry=retry, **kwargs)

    def command(self, text: str, user: str = "U1", channel: str = "C1"):
        form = {"token": "x", "team_id": "T1", "channel_id": channel, "user_id": user, "command": "/hogo",
                "text": text, "trigger_id": "trig-1", "response_url": f"{self.fake.url}/respond/1",
                "api_app_id": "A1"}
        return self.post(urlencode(form), "application/x-www-form-urlencoded")

    def interaction(self, payload: dict):
        payload = {"team": {"id": "T1"}, "user": {"id": "U1", "team_id": "T1"}, "api_app_id": "A1",
                   "token": "x", "trigger_id": "trig-2", **payload}
        return self.post(urlencode({"payload": json.dumps(payload, ensure_ascii=False)}),
                         "application/x-www-form-urlencoded")
