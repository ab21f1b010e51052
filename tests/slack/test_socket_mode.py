"""`hogo slack` as a real process over Socket Mode: a local WebSocket server plays Slack's Socket Mode
endpoint and the fake Web API hands out its URL, as apps.connections.open does."""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from websockets.sync.server import serve

HOGO = str(Path(sys.executable).with_name("hogo"))


class FakeSocketMode:
    def __init__(self) -> None:
        self.connections: queue.Queue = queue.Queue()
        self.received: queue.Queue = queue.Queue()

        def handler(ws):
            ws.send(json.dumps({"type": "hello", "num_connections": 1, "connection_info": {"app_id": "A1"}}))
            self.connections.put(ws)
            for message in ws:
                self.received.put(json.loads(message))

        self.server = serve(handler, "127.0.0.1", 0)
        self.url = f"ws://127.0.0.1:{self.server.socket.getsockname()[1]}/link"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()


@pytest.fixture
def socket_mode():
    fake = FakeSocketMode()
    yield fake
    fake.close()


@pytest.mark.slow
def test_hogo_slack_answers_a_mention_over_socket_mode(fake_slack, socket_mode, engine, data_dir):
    fake_slack.replies["apps.connections.open"] = {"ok": True, "url": socket_mode.url}
    env = {**os.environ, "HOGO_DATA_DIR": str(data_dir), "HOGO_SLACK_BOT_TOKEN": "xoxb-test",
           "HOGO_SLACK_SIGNING_SECRET": "unused-in-socket-mode", "HOGO_SLACK_APP_TOKEN": "xapp-test",
           "HOGO_SLACK_API_URL": f"{fake_slack.url}/api/"}
    process = subprocess.Popen([HOGO, "slack"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True)
    try:
        ws = socket_mode.connections.get(timeout=60)
        ws.send(json.dumps({
            "envelope_id": "env-1", "type": "events_api", "accepts_response_payload": False, "retry_attempt": 0,
            "payload": {"type": "event_callback", "team_id": "T1", "api_app_id": "A1", "event_id": "EvSock",
                        "event": {"type": "app_mention", "user": "U1", "text": "<@UBOT> 委託先の監督は？",
                                  "ts": "9.0", "channel": "C9"}},
        }))
        assert socket_mode.received.get(timeout=30)["envelope_id"] == "env-1"  # acknowledged
        post = fake_slack.wait_for("chat.postMessage")[0]
        assert post["channel"] == "C9" and post["thread_ts"] == "9.0"
        assert "第22条" in json.dumps(post["blocks"], ensure_ascii=False) or "第25条" in json.dumps(
            post["blocks"], ensure_ascii=False)
    finally:
        process.terminate()
        output = process.communicate(timeout=30)[0]
    assert "Traceback" not in output, output
