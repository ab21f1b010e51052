"""A reporter in Slack follows their incident report: when the privacy office moves the case on at the desk, the
reporter gets a DM from hogo through the local fake of Slack's Web API (the office's note masked, never the
account); `/hogo status` (signed as Slack signs it) and App Home show their own reports with status."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from bot.desk import audit_log
from bot.privacy import MASK
from bot.settings import Settings
from bot.web.app import create_app
from tests.desk.conftest import DeskClient, csrf, frozen
from tests.desk.test_cases import my_number
from tests.slack.conftest import SIGNING_SECRET, Slack


@pytest.fixture
def slack(engine, tmp_path, fake_slack):
    """As the Slack tests' own, served over https as its public URL says: the desk's cookie is Secure there."""
    settings = Settings(data_dir=tmp_path, slack_bot_token="xoxb-test", slack_signing_secret=SIGNING_SECRET,
                        slack_api_url=f"{fake_slack.url}/api/", slack_report_channel="CPRIVACY",
                        public_url="https://hogo.city.example")
    with TestClient(create_app(settings, engine=engine), base_url="https://hogo.city.example") as client:
        yield Slack(client, fake_slack)


def office(slack) -> DeskClient:
    desk = DeskClient(slack.client)
    desk.user("tanaka")
    desk.login("tanaka")
    desk.set_clock(frozen(2026, 4, 3))
    return desk


def advance(desk: DeskClient, case_id: str, **form: str):
    page = desk.client.get(f"/desk/cases/{case_id}")
    done = desk.client.post(f"/desk/cases/{case_id}/status", data={"csrf": csrf(page.text), **form},
                            follow_redirects=False)
    assert done.headers["location"] == f"/desk/cases/{case_id}?done=recorded", done.text
    return done


def actions(desk: DeskClient) -> list[tuple[str, str | None, str | None]]:
    return [(e.action, e.target, e.detail) for e in audit_log.entries(desk.store.engine)
            if e.action.startswith("reporter_")]


def test_the_reporter_gets_a_dm_when_the_office_moves_their_case_on(slack):
    desk = office(slack)
    case_id = desk.report(owner="slack:U1")
    from_web = desk.report(owner="web:visitor")
    assert "報告者に Slack のDMでお知らせします" in desk.client.get(f"/desk/cases/{case_id}").text

    done = advance(desk, case_id, status="preliminary", done_on="2026-04-02",
                   note=f"委員会へ速報しました（照会番号 {my_number()}）")
    assert done.status_code == 303
    post = slack.fake.wait_for("chat.postMessage")[0]
    assert post["channel"] == "U1"  # a DM to the reporter
    assert post["text"] == "ご報告の事案の対応状況が「速報済」になりました（漏えい等事案報告（郡山市） 2026-04-01発覚）"
    shown = json.dumps(post["blocks"], ensure_ascii=False)
    assert "状況: *速報済*（2026-04-02）" in shown and f"委員会へ速報しました（照会番号 {MASK}）" in shown
    assert f"`{case_id}`" in shown and "/hogo status" in shown
    assert my_number() not in json.dumps(post, ensure_ascii=False) and "tanaka" not in shown
    assert actions(desk) == [("reporter_notified", case_id, "Slack: 速報済")]

    assert advance(desk, from_web, status="preliminary", done_on="2026-04-03").status_code == 303
    assert advance(desk, case_id, status="final", done_on="2026-04-03").status_code == 303
    posts = slack.fake.wait_for("chat.postMessage", 2)
    assert len(posts) == 2 and posts[1]["channel"] == "U1"  # the web report's reporter reads it in the widget
    assert "「確報済」" in posts[1]["text"]


def test_a_failed_dm_leaves_the_case_moved_on_and_says_so_in_the_audit_log(slack, caplog):
    desk = office(slack)
    case_id = desk.report(owner="slack:U1")
    slack.fake.replies["chat.postMessage"] = {"ok": False, "error": "channel_not_found"}
    with caplog.at_level("WARNING", logger="hogo.desk"):
        done = advance(desk, case_id, status="notified", done_on="2026-04-03", note="本人へ通知済み")
    assert done.status_code == 303 and desk.desk.cases.get(case_id).status == "notified"
    assert actions(desk) == [("reporter_notice_failed", case_id, "Slack: 本人通知済（channel_not_found）")]
    assert "channel_not_found" in caplog.text and "本人へ通知済み" not in caplog.text
    assert kept_notices(desk) == {}  # refused for good: never tried again


def kept_notices(desk: DeskClient) -> dict[tuple[str, str], tuple[str, int]]:
    from sqlalchemy import select

    from bot.desk.tables import reminders

    with desk.store.engine.connect() as conn:
        rows = conn.execute(select(reminders).where(reminders.c.kind.startswith("notice-"))).mappings().all()
    return {(r["report_id"], r["kind"]): (r["state"], (r["detail"] or {}).get("attempts", 0)) for r in rows}


def test_a_dm_that_failed_for_a_passing_reason_is_sent_by_the_next_scheduler_run(slack):
    from bot.desk import notify, reminders

    desk = office(slack)
    case_id = desk.report(owner="slack:U1")
    slack.fake.replies["chat.postMessage"] = {"ok": False, "error": "service_unavailable"}
    advance(desk, case_id, status="preliminary", done_on="2026-04-02", note="速報を提出")
    assert kept_notices(desk) == {(case_id, "notice-preliminary"): ("failed", 1)}
    assert notify.retry_failed(desk.desk) == []  # Slack still down: tried again, kept for the next run
    assert kept_notices(desk) == {(case_id, "notice-preliminary"): ("failed", 2)}

    del slack.fake.replies["chat.postMessage"]
    reminders.tick(desk.desk)  # the scheduler's run: Slack is back
    posts = [p for p in slack.fake.named("chat.postMessage") if p["channel"] == "U1"]
    assert len(posts) == 3 and "「速報済」" in posts[-1]["text"]
    assert kept_notices(desk) == {(case_id, "notice-preliminary"): ("sent", 2)}
    assert actions(desk).count(("reporter_notified", case_id, "Slack: 速報済")) == 1
    assert notify.retry_failed(desk.desk) == [] and len(slack.fake.named("chat.postMessage")) == 3  # sent once


def test_a_failed_dm_is_not_sent_once_the_case_moved_on_nor_forever(slack):
    from bot.desk import notify

    desk = office(slack)
    moved, stuck = desk.report(owner="slack:U1"), desk.report(owner="slack:U2")
    slack.fake.replies["chat.postMessage"] = {"ok": False, "error": "ratelimited"}
    advance(desk, moved, status="preliminary", done_on="2026-04-02")
    advance(desk, stuck, status="preliminary", done_on="2026-04-02")
    advance(desk, moved, status="final", done_on="2026-04-03")  # fails too: only 確報済 is still worth sending
    for _ in range(notify.MAX_ATTEMPTS):
        notify.retry_failed(desk.desk)
    kept = kept_notices(desk)
    assert kept[(moved, "notice-preliminary")][0] == "superseded"
    assert kept[(moved, "notice-final")] == ("gave_up", notify.MAX_ATTEMPTS)
    assert kept[(stuck, "notice-preliminary")] == ("gave_up", notify.MAX_ATTEMPTS)
    assert ("reporter_notice_dropped", stuck, f"Slack: 速報済（{notify.MAX_ATTEMPTS}回失敗）") in actions(desk)
    calls = len(slack.fake.named("chat.postMessage"))
    del slack.fake.replies["chat.postMessage"]
    assert notify.retry_failed(desk.desk) == [] and len(slack.fake.named("chat.postMessage")) == calls


def test_hogo_status_and_app_home_show_the_users_own_reports(slack):
    desk = office(slack)
    case_id = desk.report(owner="slack:U1")
    other = desk.report(owner="slack:U2", scope="mima-kitei", affected_count=3)
    advance(desk, case_id, status="preliminary", done_on="2026-04-02", note="速報を提出")

    reply = slack.command("status", user="U1")
    assert reply.status_code == 200
    body = reply.json()
    shown = json.dumps(body["blocks"], ensure_ascii=False)
    assert body["text"] == "報告の状況（1件）"
    assert f"`{case_id}`" in shown and other not in shown
    assert "現在の状況: *速報済（2026-04-02 更新）*" in shown and "2026-04-02 *速報済*：速報を提出" in shown
    assert "tanaka" not in shown
    assert slack.fake.named("respond/1") == []  # answered in the acknowledgement, not as a question

    assert slack.command("状況", user="U3").json()["text"].startswith("あなたが報告した漏えい等事案はまだありません")
    assert "/hogo status" in slack.command("help").text

    slack.event({"type": "app_home_opened", "user": "U1", "channel": "D1", "tab": "home"}, event_id="EvHomeStatus")
    home = json.dumps(slack.fake.wait_for("views.publish")[0]["view"], ensure_ascii=False)
    assert "状況: *速報済（2026-04-02 更新）*" in home and other not in home
