"""Workspaces and channels bound to some cities, through the real bolt app (signed requests, the local fake
of Slack's Web API): answers, clause buttons, /hogo bind and the dialogues stay within the binding."""

from __future__ import annotations

import json
import time
from urllib.parse import urlencode

import pytest
from fastapi.testclient import TestClient

from bot.bindings import BindingConfigError
from bot.settings import Settings
from bot.web.app import create_app
from tests.slack.conftest import SIGNING_SECRET, Slack

pytestmark = pytest.mark.slow

TEAMS = {"TMIMA": ["mima-kitei"], "TPREF": ["koriyama-kijun", "mima-kitei"]}
CHANNELS = {"CMIMA": ["mima-kitei"], "CKORI": "koriyama-kijun"}
QUESTION = "USBをなくした。誰に報告？"  # unbound, the best clauses are 郡山市's


def settings_for(tmp_path, fake_slack, **overrides) -> Settings:
    return Settings(data_dir=tmp_path, slack_bot_token="xoxb-test", slack_signing_secret=SIGNING_SECRET,
                    slack_api_url=f"{fake_slack.url}/api/", **overrides)


@pytest.fixture
def slack(engine, tmp_path, fake_slack):
    settings = settings_for(tmp_path, fake_slack, slack_team_scopes=TEAMS, slack_channel_scopes=CHANNELS)
    with TestClient(create_app(settings, engine=engine)) as client:
        yield Slack(client, fake_slack)


def mention(slack: Slack, team: str, channel: str, ts: str, text: str = QUESTION) -> list[str]:
    """Mention hogo in a channel of a workspace; the clause keys its answer cites."""
    body = {"type": "event_callback", "team_id": team, "api_app_id": "A1", "event_id": f"Ev{team}{channel}{ts}",
            "event_time": int(time.time()),
            "event": {"type": "app_mention", "user": "U1", "text": f"<@UBOT> {text}", "ts": ts, "channel": channel},
            "authorizations": [{"team_id": team, "user_id": "UBOT", "is_bot": True}]}
    assert slack.post(json.dumps(body, ensure_ascii=False), "application/json").status_code == 200
    post = answer_in(slack, ts)
    feedback = next(e for b in post["blocks"] if b.get("block_id") == "feedback" for e in b["elements"])
    return json.loads(feedback["value"])["k"]


def answer_in(slack: Slack, ts: str) -> dict:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        for post in slack.fake.named("chat.postMessage"):
            if post.get("thread_ts") == ts:
                return post
        time.sleep(0.05)
    raise AssertionError(f"no answer in thread {ts}")


def command(slack: Slack, team: str, channel: str, text: str):
    form = {"token": "x", "team_id": team, "channel_id": channel, "user_id": "U1", "command": "/hogo", "text": text,
            "trigger_id": "trig-1", "response_url": f"{slack.fake.url}/respond/1", "api_app_id": "A1"}
    return slack.post(urlencode(form), "application/x-www-form-urlencoded")


def docs(keys: list[str]) -> set[str]:
    return {key.split(":")[0] for key in keys}


def test_a_message_in_a_workspace_bound_to_mima_cites_only_mima(slack):
    keys = mention(slack, "TMIMA", "CANY", "100.1")
    assert len(keys) == 5 and docs(keys) == {"mima-kitei"}
    post = answer_in(slack, "100.1")
    assert "郡山市" not in json.dumps(post["blocks"], ensure_ascii=False)
    # the same question in a workspace bound to both cities reaches 郡山市's clauses
    assert "koriyama-kijun" in docs(mention(slack, "TPREF", "CANY", "100.2"))


def test_a_channel_binding_narrows_the_workspace_binding_and_never_widens_it(slack):
    assert docs(mention(slack, "TPREF", "CMIMA", "200.1")) == {"mima-kitei"}  # narrowed to 美馬市
    assert docs(mention(slack, "TPREF", "CKORI", "200.2")) == {"koriyama-kijun"}
    assert docs(mention(slack, "TMIMA", "CKORI", "200.3")) == {"mima-kitei"}  # 郡山市 lies outside the workspace


def test_bind_stays_within_the_workspace(slack):
    refused = command(slack, "TMIMA", "CNEW", "bind koriyama-kijun").text
    assert refused == "規程IDを指定してください（mima-kitei）。"
    assert slack.flows.store.channel_scope("CNEW") is None
    assert "美馬市職員等の特定個人情報等取扱規程" in command(slack, "TMIMA", "CNEW", "bind mima-kitei").text
    assert slack.flows.store.channel_scope("CNEW") == "mima-kitei"
    assert "郡山市" in command(slack, "TPREF", "CPREF", "bind koriyama-kijun").text
    assert docs(mention(slack, "TPREF", "CPREF", "300.1")) == {"koriyama-kijun"}


def test_a_clause_button_of_another_city_shows_nothing(slack):
    slack.post(urlencode({"payload": json.dumps({
        "type": "block_actions", "team": {"id": "TMIMA"}, "user": {"id": "U1", "team_id": "TMIMA"},
        "api_app_id": "A1", "token": "x", "trigger_id": "trig-2", "channel": {"id": "CANY"},
        "container": {"type": "message"},
        "actions": [{"action_id": "show_clause_1", "type": "button", "value": "koriyama-kijun:23:1",
                     "block_id": "clauses"}]})}), "application/x-www-form-urlencoded")
    modal = json.dumps(slack.fake.wait_for("views.open")[0]["view"], ensure_ascii=False)
    assert "指定された条項は見つかりませんでした" in modal and "漏えい" not in modal


def test_dialogues_pick_the_bound_city_without_asking(slack):
    assert command(slack, "TMIMA", "CANY", "incident").status_code == 200
    session_id = slack.fake.wait_for("views.open")[0]["view"]["private_metadata"]
    view = slack.flows.get(session_id)
    assert view.scope == "mima-kitei" and view.step["id"] == "discovered_at"
    command(slack, "TPREF", "CKORI", "itaku")  # a channel of the prefecture bound to 郡山市
    session_id = slack.fake.wait_for("views.open", 2)[1]["view"]["private_metadata"]
    view = slack.flows.get(session_id)
    assert view.scope == "koriyama-kijun" and view.step["id"] == "work"


def test_unknown_document_ids_in_the_slack_bindings_fail_at_start_up(engine, tmp_path, fake_slack):
    settings = settings_for(tmp_path, fake_slack, slack_team_scopes={"T1": ["mima"]},
                            slack_channel_scopes={"C1": ["koriyama"]})
    with pytest.raises(BindingConfigError) as failed, TestClient(create_app(settings, engine=engine)):
        pass
    message = str(failed.value)
    assert "\n" not in message
    assert "HOGO_SLACK_TEAM_SCOPES names unknown document ids: mima" in message
    assert "HOGO_SLACK_CHANNEL_SCOPES names unknown document ids: koriyama" in message
