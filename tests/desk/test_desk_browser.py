"""The case desk in a real browser (Debian Chromium through Playwright) against a real server: a clerk of
the privacy office signs in, filters the list, opens a case and its clause, records its 速報 from the
keyboard, downloads its report items, reviews a 👎 answer and marks its topic as not covered, and signs out.
No page may break its CSP. Screenshots are kept in test-artifacts/ at the repository root."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from openpyxl import load_workbook
from playwright.sync_api import Browser, Page, expect, sync_playwright

from bot.desk.accounts import add_user
from tests.desk.conftest import BASE_ANSWERS, PASSWORD, frozen
from tests.web.conftest import make_server  # noqa: F401  (the live-server fixture)

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"  # Debian's build; Playwright's own browser download is not used
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
UNCOVERED = "庁内のパソコンのパスワードは何文字以上？"


@pytest.fixture(scope="module")
def chromium() -> Browser:
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def desk_server(make_server, engine):  # noqa: F811
    from bot.desk import vocabulary

    live = make_server(engine=engine)
    res = live.app.state.res
    add_user(res.flows.store.engine, "tanaka", "office", PASSWORD)
    live.cases = {
        "koriyama": res.flows.run("incident", {**BASE_ANSWERS, "prevention": None}, owner="web:v")[0].id,
        "mima": res.flows.run("incident", {**BASE_ANSWERS, "scope": "mima-kitei", "affected_count": 3},
                              owner="web:w")[0].id,
    }
    res.flows.store.add_feedback(UNCOVERED, -1, "規程に文字数の定めはないはず", ["koriyama-kijun:17:2"], "web")
    live.app.state.desk.clock = lambda: frozen(2026, 4, 3)
    yield live
    vocabulary.apply(engine, live.settings.data_dir / "nothing-here")  # the shared engine as it was


@pytest.fixture
def page(chromium):
    context = chromium.new_context(accept_downloads=True, locale="ja-JP", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    opened = context.new_page()
    problems: list[str] = []
    opened.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
    opened.on("console", lambda m: problems.append(m.text)
              if m.type == "error" and "Failed to load resource" not in m.text else None)  # 401 on purpose
    opened.problems = problems  # type: ignore[attr-defined]
    yield opened
    context.close()
    assert problems == []  # no CSP violation, no script error


def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name), full_page=True)


def sign_in(page: Page, url: str) -> None:
    page.goto(f"{url}/desk")
    expect(page).to_have_url(f"{url}/desk/login?next=/desk")
    expect(page.get_by_role("heading", name="事案デスクにサインイン")).to_be_visible()
    page.get_by_label("アカウント名").fill("tanaka")
    page.get_by_label("パスワード").fill("wrong-password-1")
    page.get_by_role("button", name="サインイン").click()
    expect(page.get_by_role("alert")).to_have_text("アカウント名またはパスワードが違います。")
    page.get_by_label("パスワード").fill(PASSWORD)
    shot(page, "desk-login.png")
    page.get_by_label("パスワード").press("Enter")
    expect(page.get_by_role("heading", name="漏えい等事案の一覧")).to_be_visible()


def test_the_office_works_a_case_from_sign_in_to_export(desk_server, page, tmp_path):
    url, cases = desk_server.url, desk_server.cases
    sign_in(page, url)
    rows = page.locator("tbody tr")
    expect(rows).to_have_count(2)
    expect(page.locator(f'tr[data-case="{cases["koriyama"]}"]')).to_contain_text("あと28日")
    page.get_by_label("委員会への報告").select_option(label="不要")
    page.get_by_role("button", name="表示する").click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("美馬市")
    page.get_by_label("委員会への報告").select_option(label="すべて")
    page.get_by_role("button", name="表示する").click()
    expect(rows).to_have_count(2)
    shot(page, "desk-cases.png")

    page.get_by_role("link", name=cases["koriyama"]).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("漏えい等事案報告（郡山市）")
    expect(page.locator("tr.missing")).to_have_count(1)
    expect(page.locator("tr.missing")).to_contain_text("再発防止のための措置")
    clause = page.locator("details").filter(has_text="第23条第1項").first
    clause.locator("summary").focus()
    page.keyboard.press("Enter")  # a clause opens from the keyboard
    expect(clause.locator("blockquote")).to_contain_text("保護管理者に報告")

    page.get_by_label("次の状況").select_option(label="速報済")
    page.get_by_label("実施日").fill("2026-04-02")
    note = page.get_by_label("メモ（報告者にも表示されます。住民の氏名などは書かないでください）")
    note.fill("個人情報保護委員会へ速報を提出しました。")
    note.focus()
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="記録する")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_have_text("対応状況を記録しました。")
    expect(page.locator(".timeline li")).to_have_count(2)
    expect(page.locator(".timeline li").last).to_contain_text("速報済 2026-04-02・tanaka")
    expect(page.get_by_label("次の状況").locator("option")).to_have_text(["確報済", "本人通知済", "完了"])
    shot(page, "desk-case.png")

    with page.expect_download() as got:
        page.get_by_role("link", name="報告事項をExcel（.xlsx）で出力").click()
    saved = tmp_path / got.value.suggested_filename
    got.value.save_as(saved)
    assert saved.name == f"hogo-case-{cases['koriyama']}.xlsx"
    sheet = load_workbook(saved)["報告事項"]
    values = {row[0]: row[1:] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert values["状況"][0] == "速報済" and values["再発防止のための措置"][1] == "未記入"
    with page.expect_download() as got:
        page.get_by_role("link", name="報告事項をCSVで出力").click()
    text = Path(got.value.path()).read_bytes().decode("utf-8-sig")
    assert ["本人の数", "120", "記入済"] in list(csv.reader(io.StringIO(text)))

    page.get_by_role("link", name="監査ログ").click()
    expect(page.locator('tr[data-action="case_status"]')).to_contain_text("速報済（2026-04-02）")
    expect(page.locator('tr[data-action="case_export"]')).to_have_count(2)

    page.get_by_role("button", name="サインアウト").click()
    expect(page.get_by_role("status")).to_have_text("サインアウトしました。")
    page.goto(f"{url}/desk")
    expect(page.get_by_role("heading", name="事案デスクにサインイン")).to_be_visible()


def test_the_office_reviews_a_thumbs_down_answer(desk_server, page):
    sign_in(page, desk_server.url)
    page.get_by_role("link", name="回答へのフィードバック").click()
    expect(page.locator("tbody tr")).to_have_count(1)
    expect(page.locator("tbody tr")).to_contain_text("郡山市保有個人情報等の取扱基準 第17条第2項")
    expect(page.locator("tbody tr")).to_contain_text("規程に文字数の定めはないはず")
    page.get_by_role("link", name=UNCOVERED).click()
    expect(page.get_by_role("heading", name="今の回答")).to_be_visible()
    expect(page.locator(".warn")).to_have_count(0)  # answered, though the rules say nothing of it
    page.get_by_label("対象外の話題（質問ではなく話題を短く）").fill("庁内のパソコンのパスワードの文字数")
    page.get_by_role("button", name="対象外として登録して回答し直す").click()
    expect(page.get_by_role("status")).to_have_text("対象外の話題として登録しました。下は登録後の回答です。")
    expect(page.locator(".warn")).to_have_text("回答を控えました（対象外と判断）。")
    shot(page, "desk-feedback.png")
    page.get_by_role("link", name="← フィードバック一覧").click()
    expect(page.locator("tbody tr")).to_contain_text("対象外として登録")
