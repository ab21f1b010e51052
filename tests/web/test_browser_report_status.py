"""The reporter follows their incident report in the widget (Debian Chromium through Playwright, a real server):
the report made in the panel shows its status on its card; the privacy office moves the case on at the desk;
the reporter reads the new status, its day and the office's note (My Number masked, no staff account) in
「報告の状況」 from the keyboard; another visitor neither lists nor opens it."""

from __future__ import annotations

import re
import urllib.error

import httpx
import pytest
from playwright.sync_api import Page, expect

from bot.desk.accounts import add_user
from bot.privacy import MASK
from tests.desk.conftest import PASSWORD, csrf
from tests.desk.test_cases import my_number
from tests.web.test_browser import (  # noqa: F401  (chromium: the browser fixture)
    KORIYAMA,
    TITLE,
    Tab,
    at,
    choose,
    chromium,
    fetch,
    open_widget,
    shot,
    skip,
    stored_session,
    tick,
    type_in,
)

pytestmark = pytest.mark.slow


@pytest.fixture
def tabs(chromium):  # noqa: F811
    opened: list[Tab] = []

    def new() -> Tab:
        opened.append(Tab(chromium, viewport={"width": 1280, "height": 800}))
        return opened[-1]

    yield new
    for each in opened:
        each.context.close()


def report_an_incident(page: Page) -> None:
    page.get_by_role("tab", name="事案を報告（漏えい等）").click()
    page.get_by_role("button", name=KORIYAMA).click()
    type_in(page, "discovered_at", "2026-04-01T10:30")
    choose(page, "event_type", "紛失・置き忘れ")
    choose(page, "third_party_may_have_seen", "はい")
    choose(page, "copy_exists", "いいえ")
    tick(page, "media", "USBメモリ等の記録媒体")
    type_in(page, "summary", "USBメモリ1本を庁舎外で紛失した。")
    tick(page, "data_items", "氏名", "住所")
    type_in(page, "affected_count", "150")
    for step_id in ("contains_my_number", "sensitive", "ordinance_sensitive", "financial_risk", "malicious",
                    "publicly_viewable", "strongly_encrypted", "contractor_involved"):
        choose(page, step_id, "いいえ")
    type_in(page, "containment", "警察に遺失届を出した。")
    skip(page, "cause")
    skip(page, "secondary_damage")
    choose(page, "individuals_notified", "いいえ")
    choose(page, "publication", "いいえ")
    skip(page, "prevention")
    at(page, "confirm")
    page.get_by_role("button", name="確定する").click()
    expect(page.locator(".report")).to_contain_text("個人情報保護委員会への報告: 必要")


def office_records(url: str, case_id: str, status: str, done_on: str, note: str) -> None:
    """A clerk of the privacy office signs in to the desk and records a step, as its form posts it."""
    with httpx.Client(base_url=url, trust_env=False, follow_redirects=False) as desk:
        page = desk.get("/desk/login")
        signed = desk.post("/desk/login", data={"name": "tanaka", "password": PASSWORD, "csrf": csrf(page.text),
                                                "next": "/desk"})
        assert signed.status_code == 303 and signed.headers["location"] == "/desk"
        form = desk.get(f"/desk/cases/{case_id}")
        done = desk.post(f"/desk/cases/{case_id}/status",
                         data={"csrf": csrf(form.text), "status": status, "done_on": done_on, "note": note})
        assert done.headers["location"] == f"/desk/cases/{case_id}?done=recorded", done.text


def test_the_reporter_sees_the_offices_handling_of_their_report_and_no_one_else_does(make_server, engine, tabs):
    live = make_server(engine=engine)
    add_user(live.app.state.res.flows.store.engine, "tanaka", "office", PASSWORD)
    reporter = tabs()
    page = reporter.page
    open_widget(page, live.url + "/")
    report_an_incident(page)

    report_id = re.search(r"報告ID: ([0-9a-f]+)", page.get_by_role("status").filter(
        has_text="報告書を作成しました").inner_text()).group(1)
    card = page.get_by_role("group", name="対応状況")
    received_on = fetch(f"{live.url}/api/reports/{report_id}", stored_session(page)["token"])["case"]["updated_on"]
    expect(card).to_have_text(re.compile(rf"対応状況: 受付（{received_on} 更新）"))

    see = card.get_by_role("button", name="報告の状況を見る")
    see.focus()
    page.keyboard.press("Enter")  # from the keyboard: the tab opens with its heading focused
    status_tab = page.get_by_role("tab", name="報告の状況")
    expect(status_tab).to_have_attribute("aria-selected", "true")
    expect(page.get_by_role("heading", name="報告の状況")).to_be_focused()
    reports = page.get_by_role("list", name="報告の一覧")
    item = reports.get_by_role("listitem").filter(has_text=report_id)
    expect(reports.get_by_role("listitem")).to_have_count(1)
    expect(item).to_contain_text("現在の状況: 受付")

    today = live.app.state.desk.cases.today().isoformat()
    office_records(live.url, report_id, "preliminary", today, f"委員会へ速報しました（照会 {my_number()}）")

    refresh = page.get_by_role("button", name="最新の状況に更新")
    refresh.focus()
    page.keyboard.press("Enter")
    expect(item).to_contain_text(f"現在の状況: 速報済（{today} 更新）")
    expect(refresh).to_be_focused()  # the list changed under it; the focus stayed
    summary = item.get_by_text("経過を見る（2件）")
    summary.focus()
    page.keyboard.press("Enter")  # a native disclosure: Enter opens it
    steps = item.get_by_role("listitem")
    expect(steps).to_have_count(2)
    expect(steps.nth(0)).to_have_text(f"{received_on} 受付")
    expect(steps.nth(1)).to_contain_text(f"{today} 速報済")
    expect(steps.nth(1)).to_contain_text(f"担当からのメモ: 委員会へ速報しました（照会 {MASK}）")
    shown = page.get_by_role("dialog", name=TITLE).inner_text()
    assert my_number() not in shown and "tanaka" not in shown  # no My Number, no staff account
    shot(page, "widget-report-status.png")

    page.get_by_role("tab", name="事案を報告（漏えい等）").click()  # the report's card has the new status too
    expect(page.get_by_role("group", name="対応状況")).to_contain_text(f"対応状況: 速報済（{today} 更新）")
    page.reload()  # and after a reload, from the server
    expect(page.get_by_role("group", name="対応状況")).to_contain_text("速報済")

    stranger = tabs()
    other = stranger.page
    open_widget(other, live.url + "/")
    other.get_by_role("tab", name="報告の状況").click()
    expect(other.get_by_text("この画面から送った事案の報告はまだありません。")).to_be_visible()
    expect(other.get_by_role("list", name="報告の一覧")).to_have_count(0)
    token = stored_session(other)["token"]
    assert stored_session(other)["visitor"] != stored_session(page)["visitor"]
    assert fetch(f"{live.url}/api/reports", token) == []
    with pytest.raises(urllib.error.HTTPError) as refused:
        fetch(f"{live.url}/api/reports/{report_id}", token)
    assert refused.value.code == 404
    refused.value.close()
    assert reporter.problems == [] and stranger.problems == []


def test_the_status_tab_is_reached_from_the_keyboard_and_says_when_there_is_nothing_yet(make_server, engine, tabs):
    live = make_server(engine=engine)
    page = tabs().page
    open_widget(page, live.url + "/")
    first = page.get_by_role("tab", name="質問する")
    first.focus()
    page.keyboard.press("End")  # the tab list's own keys: the last tab is 報告の状況
    status_tab = page.get_by_role("tab", name="報告の状況")
    expect(status_tab).to_be_focused()
    expect(status_tab).to_have_attribute("aria-selected", "true")
    panel = page.get_by_role("tabpanel", name="報告の状況")
    expect(panel.get_by_text("この画面から送った事案の報告はまだありません。")).to_be_visible()
    page.reload()  # the panel stays on the tab in use
    expect(page.get_by_role("tab", name="報告の状況")).to_have_attribute("aria-selected", "true")
    expect(panel.get_by_role("button", name="最新の状況に更新")).to_be_visible()
