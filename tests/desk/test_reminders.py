"""Reminders to the privacy-office channel on a frozen clock, posted through the real Slack WebClient to the
local fake of Slack's Web API: the 速報 guide date, then 5, 2 and 0 days before the 確報 is due, each once,
across workers and restarts; none once the step is recorded; a failed post is tried again."""

from __future__ import annotations

import threading

import pytest
from fastapi.testclient import TestClient
from slack_sdk import WebClient

from bot.desk import reminders
from bot.desk.service import Desk, open_desk
from bot.dialogue.engine import FlowService
from bot.dialogue.spec import FlowLibrary
from bot.services import open_store
from bot.settings import Settings
from bot.web.app import create_app
from tests.desk.conftest import BASE_ANSWERS, frozen
from tests.slack.conftest import FakeSlack


@pytest.fixture
def fake_slack():
    fake = FakeSlack()
    yield fake
    fake.close()


@pytest.fixture
def world(tmp_path, db_url, corpus, fake_slack):
    settings = Settings(data_dir=tmp_path, database_url=db_url, slack_bot_token="xoxb-test",
                        slack_api_url=f"{fake_slack.url}/api/", slack_report_channel="CPRIVACY",
                        public_url="https://hogo.city.example")
    store = open_store(settings)
    flows = FlowService(store, FlowLibrary.load(corpus, settings.flows_dir), corpus)
    desks: list[Desk] = []

    def worker() -> Desk:
        """One server process's desk (its own clock, same database)."""
        desk = open_desk(settings, store, None, b"secret", schedule=False)
        desks.append(desk)
        return desk

    def report(**answers) -> str:
        return flows.run("incident", {**BASE_ANSWERS, **answers}, owner="web:v")[0].id

    yield worker, report, fake_slack
    store.close()


def posts(fake: FakeSlack) -> list[str]:
    return [call["text"] for call in fake.named("chat.postMessage")]


def on(desk: Desk, *day: int) -> list[str]:
    desk.clock = lambda: frozen(*day)
    return reminders.run(desk)


def test_each_reminder_goes_out_once_on_its_day(world):
    worker, report, fake = world
    desk = worker()
    case_id = report()  # known 2026-04-01: 速報 guide 04-04..04-06, 確報 by 2026-05-01
    report(scope="mima-kitei", affected_count=3)  # no report to the PPC: never reminded
    assert on(desk, 2026, 4, 3) == []
    assert on(desk, 2026, 4, 4) == [f"{case_id}:preliminary"]
    assert on(desk, 2026, 4, 5) == []  # once
    text = posts(fake)[0]
    assert "速報の目安日です" in text and "郡山市・誤送付（郵送）・本人120人" in text
    assert f"https://hogo.city.example/desk/cases/{case_id}" in text
    assert fake.named("chat.postMessage")[0]["channel"] == "CPRIVACY"
    assert on(desk, 2026, 4, 25) == []
    assert on(desk, 2026, 4, 26) == [f"{case_id}:final-5"]
    assert on(desk, 2026, 4, 28) == []
    assert on(desk, 2026, 4, 29) == [f"{case_id}:final-2"]
    assert on(desk, 2026, 5, 1) == [f"{case_id}:final-0"]
    assert on(desk, 2026, 5, 2) == []
    assert "確報の期限 2026-05-01（あと5日）" in posts(fake)[1]
    assert "（本日）" in posts(fake)[3]
    restarted = worker()  # a restart, or another worker: the table remembers
    assert on(restarted, 2026, 5, 1) == []
    assert len(posts(fake)) == 4


def test_a_recorded_step_stops_its_reminders(world):
    worker, report, _ = world
    desk = worker()
    case_id = report()
    desk.clock = lambda: frozen(2026, 4, 3)
    desk.cases.advance(case_id, "preliminary", frozen(2026, 4, 3).date(), "tanaka", None)
    assert on(desk, 2026, 4, 4) == []
    assert on(desk, 2026, 4, 26) == [f"{case_id}:final-5"]
    desk.cases.advance(case_id, "final", frozen(2026, 4, 26).date(), "tanaka", None)
    assert on(desk, 2026, 4, 29) == [] and on(desk, 2026, 5, 1) == []


def test_a_case_met_late_gets_the_most_urgent_reminder_only(world):
    worker, report, fake = world
    desk = worker()
    case_id = report()
    assert sorted(on(desk, 2026, 4, 30)) == [f"{case_id}:final-2", f"{case_id}:preliminary"]
    assert any("あと1日" in text for text in posts(fake))
    assert on(desk, 2026, 5, 1) == [f"{case_id}:final-0"]


def test_workers_running_at_once_send_one_reminder(world):
    worker, report, fake = world
    case_id = report()
    desks = [worker() for _ in range(4)]
    for d in desks:
        d.clock = lambda: frozen(2026, 4, 4)
    results: list[list[str]] = []
    threads = [threading.Thread(target=lambda d=d: results.append(reminders.run(d))) for d in desks]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(sent for result in results for sent in result) == [f"{case_id}:preliminary"]
    assert len(posts(fake)) == 1


def test_a_failed_post_is_tried_again(world):
    worker, report, fake = world
    desk = worker()
    case_id = report()
    fake.replies["chat.postMessage"] = {"ok": False, "error": "channel_not_found"}
    assert on(desk, 2026, 4, 4) == []
    del fake.replies["chat.postMessage"]
    assert on(desk, 2026, 4, 4) == [f"{case_id}:preliminary"]


def test_no_channel_no_reminders(tmp_path, corpus):
    settings = Settings(data_dir=tmp_path)
    store = open_store(settings)
    desk = open_desk(settings, store, None, b"secret", schedule=False)
    FlowService(store, FlowLibrary.load(corpus, settings.flows_dir), corpus).run("incident", BASE_ANSWERS)
    desk.clock = lambda: frozen(2026, 4, 4)
    assert reminders.run(desk) == []
    assert reminders.run(desk, client=WebClient(token="x", base_url="http://127.0.0.1:9/")) == []
    store.close()


def test_hogo_serve_runs_the_scheduler(engine, tmp_path):
    with TestClient(create_app(Settings(data_dir=tmp_path), engine=engine)) as client:
        scheduler = client.app.state.desk.scheduler
        assert scheduler.running and scheduler.get_job("hogo-desk") is not None
    assert client.app.state.desk.scheduler is None  # stopped with the app


def test_the_scheduler_run_reloads_the_vocabulary_and_posts(world, monkeypatch):
    worker, report, fake = world
    desk = worker()
    case_id = report()
    desk.clock = lambda: frozen(2026, 4, 4)
    reminders.tick(desk)  # what the scheduler calls every ten minutes
    assert len(posts(fake)) == 1 and case_id in posts(fake)[0]
    monkeypatch.setattr(reminders, "run", lambda desk: 1 / 0)
    reminders.tick(desk)  # a failing run is logged, and the scheduler keeps going


def test_hogo_desk_remind(world, tmp_path, db_url, monkeypatch, fake_slack):
    from typer.testing import CliRunner

    from bot.cli import app as cli

    _, report, _ = world
    case_id = report()  # known 2026-04-01: long overdue on the real clock
    monkeypatch.setenv("HOGO_DATA_DIR", str(tmp_path))
    if db_url:
        monkeypatch.setenv("HOGO_DATABASE_URL", db_url)
    for name, value in {"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_API_URL": f"{fake_slack.url}/api/",
                        "SLACK_REPORT_CHANNEL": "CPRIVACY"}.items():
        monkeypatch.setenv(f"HOGO_{name}", value)
    first = CliRunner().invoke(cli, ["desk", "remind"])
    assert first.exit_code == 0, first.output
    assert first.output.strip() == f"2 reminder(s) posted: {case_id}:preliminary, {case_id}:final-0"
    assert CliRunner().invoke(cli, ["desk", "remind"]).output.strip() == "0 reminder(s) posted"
