"""The embeddable widget in a real browser (Debian Chromium through Playwright) against a real server.

Covers what a clerk does: ask and read the cited clause, rate the answer, run the incident report to its
download, reload mid-way, use it on a phone and from the keyboard, read a generated answer as it streams
in (a fake chat model) or the extractive one when generation falls back; and what must never happen:
markup from a question or a clause running, the host page's CSS breaking the panel. Screenshots are kept
in test-artifacts/ at the repository root.
"""

from __future__ import annotations

import itertools
import json
import re
import threading
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from playwright.sync_api import Browser, Locator, Page, expect, sync_playwright

from bot import llm
from bot.store import feedback
from bot.web.security import PAGE_CSP

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"  # Debian's build; Playwright's own browser download is not used
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
TITLE = "個人情報ルール案内"
KORIYAMA = "郡山市（郡山市保有個人情報等の取扱基準）"
PAYLOAD = '<img src=x onerror="window.__pwned=1">'
# A page without the demo's CSP, so that markup injected by the widget would really run there.
PLAIN_PAGE = ('<!doctype html><html lang="ja"><head><meta charset="utf-8"><title>host</title></head><body>'
              "<p>埋め込み先のページ</p><script>window.__inlineRan = 1</script>"
              '<script src="/widget.js" data-site-key="demo" defer></script></body></html>')
# A page bound to one regulation, under the demo page's strict CSP.
KORIYAMA_PAGE = ('<!doctype html><html lang="ja"><head><meta charset="utf-8"><title>郡山市</title></head><body>'
                 '<script src="/widget.js" data-site-key="demo" data-scope="koriyama-kijun" defer></script>'
                 "</body></html>")
# What a fake chat model writes for the USB question: two sentences citing a clause it was given; one citing
# a clause it was not given, and one quoting words the clause does not have (both dropped).
GENERATED = ["職員は「直ちに当該保有個人情報等を管理する保護管理者に報告する」必要があります[koriyama-kijun:23:1]。\n",
             "報告するのは、その事案等を認識した職員です[koriyama-kijun:23:1]。"]
UNVERIFIABLE = "報告は24時間以内に行います[koriyama-kijun:99:1]。\n職員は「直ちに警察に届け出る」ものとされています[koriyama-kijun:23:1]。"
USB = "USBをなくした。誰に報告？"
GENERATED_NOTE = "生成AIによる要約（引用は検証済み）"
FALLBACK_NOTE = "生成AIの回答を確認できなかったため、該当する条文の抜粋を表示しています。"


# fixtures ---------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def chromium() -> Browser:
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        yield browser
        browser.close()


class Tab:
    """One browser context and page, recording page errors and console errors (CSP violations)."""

    def __init__(self, browser: Browser, **options) -> None:
        self.context = browser.new_context(accept_downloads=True, locale="ja-JP", **options)
        self.context.set_default_timeout(15_000)
        self.page = self.context.new_page()
        self.problems: list[str] = []
        self.page.on("pageerror", lambda exc: self.problems.append(f"page error: {exc}"))
        self.page.on("console", self._console)

    def _console(self, message) -> None:
        if message.type == "error" and "Failed to load resource" not in message.text:  # 404 favicon, 422 on purpose
            self.problems.append(f"console: {message.text}")


class PacedChatModel(GenericFakeChatModel):
    """Streams its answer token by token (cut at whitespace). With a ``gate`` it waits after the first line
    until the test opens the gate, so that the widget can be seen mid-answer; with ``fail`` it then breaks
    off as a lost connection would."""

    gate: Any = None
    fail: bool = False

    def _stream(self, *args, **kwargs):
        for chunk in super()._stream(*args, **kwargs):
            yield chunk
            if chunk.message.content == "\n" and self.gate is not None:
                self.gate.wait(10)
                if self.fail:
                    raise ConnectionError("the endpoint went away")


@pytest.fixture
def fake_llm(monkeypatch):
    """``fake_llm(text, gate=None, fail=False)``: the HOGO_LLM value of a PacedChatModel writing ``text``."""
    monkeypatch.setattr(llm, "_FACTORIES", dict(llm._FACTORIES))

    def use(text: str, gate: threading.Event | None = None, fail: bool = False) -> str:
        llm.register_chat_model("paced", lambda _, settings: PacedChatModel(
            messages=itertools.cycle([text]), gate=gate, fail=fail))
        return "paced:browser"

    return use


@pytest.fixture
def tab(chromium):
    opened = Tab(chromium, viewport={"width": 1280, "height": 800})
    yield opened
    opened.context.close()


@pytest.fixture
def phone(chromium):
    opened = Tab(chromium, viewport={"width": 375, "height": 740}, device_scale_factor=2)
    yield opened
    opened.context.close()


# helpers ----------------------------------------------------------------------------------------------

def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name))


def fetch(url: str, token: str | None = None) -> dict | str:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"} if token else {})
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(request, timeout=10) as response:
        body = response.read().decode("utf-8")
    return json.loads(body) if response.headers.get_content_type() == "application/json" else body


def open_widget(page: Page, url: str) -> None:
    page.goto(url)
    page.get_by_role("button", name="hogo に質問する").click()
    expect(page.get_by_role("dialog", name=TITLE)).to_be_visible()


def ask(page: Page, question: str) -> None:
    before = page.locator(".msg.bot").count()
    box = page.get_by_role("textbox", name="質問")
    box.fill(question)
    box.press("Enter")
    # A renewed token costs a second round trip; allow what the page's own default allows.
    expect(page.locator(".msg.bot")).to_have_count(before + 1, timeout=15_000)


def rendered(answer: Locator) -> str:
    """An answer's markup without the ids the widget numbers as it renders."""
    return re.sub(r'(id|aria-controls)="hogo-[a-z]+-\d+"', r'\1=""', answer.inner_html())


def koriyama_page(page: Page, url: str) -> None:
    page.route(f"{url}/koriyama.html", lambda route: route.fulfill(
        status=200, content_type="text/html; charset=utf-8", body=KORIYAMA_PAGE,
        headers={"Content-Security-Policy": PAGE_CSP}))
    open_widget(page, f"{url}/koriyama.html")


def send(page: Page, question: str) -> None:
    box = page.get_by_role("textbox", name="質問")
    box.fill(question)
    box.press("Enter")


def at(page: Page, step_id: str):
    step = page.locator(f'[data-step-id="{step_id}"]')
    expect(step).to_be_visible()
    return step


def choose(page: Page, step_id: str, label: str) -> None:
    at(page, step_id).get_by_role("button", name=label, exact=True).click()


def type_in(page: Page, step_id: str, value: str) -> None:
    step = at(page, step_id)
    step.locator("[data-field]").fill(value)
    step.get_by_role("button", name="次へ").click()


def skip(page: Page, step_id: str) -> None:
    at(page, step_id).get_by_role("button", name="スキップ").click()


def tick(page: Page, step_id: str, *labels: str) -> None:
    step = at(page, step_id)
    for label in labels:
        step.get_by_label(label, exact=True).check()
    step.get_by_role("button", name="次へ").click()


def stored_session(page: Page) -> dict:
    return json.loads(page.evaluate("sessionStorage.getItem('hogo:demo:session')"))


def shadow_count(page: Page, selector: str) -> int:
    return page.evaluate("s => document.querySelector('hogo-widget').shadowRoot.querySelectorAll(s).length", selector)


def start_incident(page: Page) -> None:
    page.get_by_role("tab", name="事案を報告（漏えい等）").click()
    page.get_by_role("button", name=KORIYAMA).click()


# tests ------------------------------------------------------------------------------------------------

def test_an_answer_cites_the_clause_verbatim_and_takes_feedback(live_server, tab):
    page = tab.page
    open_widget(page, live_server.url + "/")
    expect(page.get_by_role("textbox", name="質問")).to_be_focused()
    ask(page, "USBをなくした。誰に報告？")

    answer = page.locator(".msg.bot").last
    expect(answer.locator(".answer-text")).to_contain_text("第23条第1項")
    assert answer.locator(".answer-text").evaluate("e => getComputedStyle(e).whiteSpace") == "pre-wrap"
    chip = answer.get_by_role("button", name="郡山市保有個人情報等の取扱基準 第23条第1項", exact=True)
    expect(chip).to_have_attribute("aria-expanded", "false")
    chip.click()
    expect(chip).to_have_attribute("aria-expanded", "true")
    clause = fetch(f"{live_server.url}/api/clauses/koriyama-kijun:23:1")
    shown = page.locator(f"#{chip.get_attribute('aria-controls')}")
    expect(shown.locator(".clause-text")).to_have_text(clause["text"])  # the verbatim clause, whole
    expect(shown).to_contain_text("事案の報告及び再発防止措置")

    box = page.get_by_role("dialog", name=TITLE).bounding_box()
    assert box["width"] == pytest.approx(400, abs=2) and box["height"] == pytest.approx(600, abs=2)
    assert box["x"] + box["width"] == pytest.approx(1280 - 20, abs=2)  # bottom-right
    shot(page, "widget-answer.png")

    with page.expect_response(lambda r: r.url.endswith("/api/feedback")) as sent:
        answer.get_by_role("button", name="👍 役に立った").click()
    assert sent.value.status == 200 and sent.value.json()["stored"] is True
    expect(answer.get_by_role("status")).to_have_text("ご評価ありがとうございました。")
    expect(answer.get_by_role("button", name="👎 役に立たなかった")).to_be_disabled()

    db = sa.create_engine(live_server.settings.db_url)
    try:
        with db.connect() as conn:
            rows = conn.execute(sa.select(feedback.c.question, feedback.c.rating, feedback.c.cited_keys,
                                          feedback.c.channel)).all()
    finally:
        db.dispose()
    assert len(rows) == 1
    question, rating, cited, channel = rows[0]
    assert (question, rating, channel) == ("USBをなくした。誰に報告？", 1, "web")
    assert "koriyama-kijun:23:1" in cited

    ask(page, "今日の天気は？")  # not in the rules: the answer says so, without citations
    abstained = page.locator(".msg.bot").last
    expect(abstained).to_have_class("msg bot abstained")
    expect(abstained.locator(".answer-text")).to_contain_text("該当する定めが見当たりませんでした")
    expect(abstained.locator(".chip")).to_have_count(0)
    assert tab.problems == []


def test_an_answer_about_an_incident_opens_the_incident_guide(live_server, tab):
    page = tab.page
    open_widget(page, live_server.url + "/")
    ask(page, "USBをなくした。誰に報告？")
    guide = page.locator(".msg.bot").last.get_by_role("button", name="「漏えい等事案の報告」を始める")
    expect(guide).to_be_visible()
    guide.click()
    expect(page.get_by_role("tab", name="事案を報告（漏えい等）")).to_have_attribute("aria-selected", "true")
    expect(page.get_by_role("button", name=KORIYAMA)).to_be_visible()  # the guide's first question: which city
    page.get_by_role("tab", name="質問する").click()
    ask(page, "保存期間は何年？")
    expect(page.locator(".msg.bot").last.locator(".suggest-button")).to_have_count(0)
    page.reload()  # the panel stays open, and the stored conversation keeps the offer
    expect(page.get_by_role("dialog", name=TITLE)).to_be_visible()
    expect(page.locator(".msg.bot").first.get_by_role("button", name="「漏えい等事案の報告」を始める")).to_be_visible()
    assert tab.problems == []


def test_the_lead_stands_out_and_a_reference_in_a_clause_opens_the_clause_it_cites(live_server, engine, tab):
    page = tab.page
    koriyama_page(page, live_server.url)
    question = "前項の報告を受けた総括保護管理者は何をする？"
    with page.expect_response("**/api/ask/stream") as sent:  # the answer streams in, generated or not
        ask(page, question)
    assert sent.value.status == 200
    text = engine.ask(question, ["koriyama-kijun"]).answer
    answer = page.locator(".msg.bot").last
    streamed = rendered(answer)

    lead = answer.locator(".answer-text > :first-child")  # the answer in one line, first and bold
    expect(lead).to_have_class("answer-lead")
    expect(lead).to_have_text(text.split("\n")[0])
    expect(lead).to_contain_text("（第23条第4項）")
    assert int(lead.evaluate("e => getComputedStyle(e.firstChild).fontWeight")) >= 700
    expect(answer.locator(".answer-body").first).to_contain_text("・第23条第4項")
    assert answer.locator(".answer-text").evaluate("e => getComputedStyle(e).whiteSpace") == "pre-wrap"
    lead.evaluate("e => e.scrollIntoView({block: 'start'})")
    shot(page, "widget-lead.png")

    chip = answer.get_by_role("button", name="郡山市保有個人情報等の取扱基準 第23条第4項", exact=True)
    chip.click()
    shown = page.locator(f"#{chip.get_attribute('aria-controls')}")
    cited = fetch(f"{live_server.url}/api/clauses/koriyama-kijun:23:4")
    expect(shown.locator(".clause-text")).to_have_text(cited["text"])  # still the verbatim clause, whole
    before = shown.get_by_role("button", name="前項", exact=True)
    expect(before).to_have_attribute("aria-expanded", "false")
    before.click()
    expect(before).to_have_attribute("aria-expanded", "true")
    opened = page.locator(f"#{before.get_attribute('aria-controls')}")
    expect(opened.locator(".ref-title")).to_have_text("「前項」→ 第23条第3項")
    expect(opened.locator(".ref-title")).to_be_focused()
    expect(opened.locator(".clause-head")).to_have_text("郡山市保有個人情報等の取扱基準 第23条第3項")
    referred = fetch(f"{live_server.url}/api/clauses/koriyama-kijun:23:3")
    expect(opened.locator(".clause-text")).to_have_text(referred["text"])
    opened.scroll_into_view_if_needed()
    shot(page, "widget-reference.png")

    page.keyboard.press("Escape")  # closes the referenced clause, not the panel
    expect(opened).to_be_hidden()
    expect(before).to_be_focused()
    expect(page.get_by_role("dialog", name=TITLE)).to_be_visible()
    page.keyboard.press("Enter")  # and from the keyboard it opens again
    expect(opened).to_be_visible()
    opened.get_by_role("button", name="戻る").click()
    expect(opened).to_be_hidden()
    expect(before).to_have_attribute("aria-expanded", "false")

    page.reload()  # the stored conversation shows the answer as it was, and keeps the references
    expect(page.locator(".msg.bot .answer-lead")).to_have_text(text.split("\n")[0])
    assert rendered(page.locator(".msg.bot").last) == streamed
    chip = page.locator(".msg.bot").last.get_by_role("button", name="郡山市保有個人情報等の取扱基準 第23条第4項",
                                                     exact=True)
    chip.click()
    expect(page.locator(f"#{chip.get_attribute('aria-controls')}").get_by_role("button", name="前項")).to_be_visible()
    assert tab.problems == []


def test_the_incident_report_is_made_in_the_panel_and_downloaded(live_server, tab):
    page = tab.page
    open_widget(page, live_server.url + "/")
    start_incident(page)

    step = at(page, "discovered_at")
    expect(page.get_by_text("ステップ 2 / 20")).to_be_visible()
    expect(step.get_by_role("button", name="郡山市保有個人情報等の取扱基準 第23条第1項")).to_be_visible()
    step.get_by_role("button", name="次へ").click()  # empty: the server says what is missing, inline
    alert = step.get_by_role("alert")
    expect(alert).to_have_text("この質問には回答が必要です。")
    field = step.locator("[data-field]")
    expect(field).to_have_attribute("aria-invalid", "true")
    assert alert.get_attribute("id") in field.get_attribute("aria-describedby").split()
    type_in(page, "discovered_at", "2026-04-01T10:30")

    choose(page, "event_type", "紛失・置き忘れ")
    choose(page, "third_party_may_have_seen", "はい")  # the follow-ups the legal category rests on
    choose(page, "copy_exists", "いいえ")
    tick(page, "media", "USBメモリ等の記録媒体")
    type_in(page, "summary", f"USBメモリ1本を庁舎外で紛失した。住民150名分の名簿。{PAYLOAD}")
    tick(page, "data_items", "氏名", "住所")

    type_in(page, "affected_count", "たくさん")
    count = at(page, "affected_count")
    expect(count.get_by_role("alert")).to_contain_text("人数を数字で入力してください")
    expect(count.locator("[data-field]")).to_be_focused()
    shot(page, "widget-flow-error.png")
    type_in(page, "affected_count", "150")

    choose(page, "contains_my_number", "いいえ")
    at(page, "sensitive").get_by_role("button", name="戻る").click()  # back: the answer is offered again
    expect(at(page, "contains_my_number").locator(".option.was")).to_have_text("いいえ")
    choose(page, "contains_my_number", "いいえ")
    for step_id in ("sensitive", "ordinance_sensitive", "financial_risk", "malicious", "publicly_viewable",
                    "strongly_encrypted", "contractor_involved"):
        choose(page, step_id, "いいえ")
    type_in(page, "containment", "警察に遺失届を出した。")
    skip(page, "cause")
    skip(page, "secondary_damage")
    choose(page, "individuals_notified", "いいえ")
    choose(page, "publication", "いいえ")
    skip(page, "prevention")

    confirm = at(page, "confirm")
    expect(confirm).to_be_focused()
    summary = page.locator("dl.summary")
    expect(summary).to_contain_text("150")
    expect(summary).to_contain_text(PAYLOAD)  # shown as text
    page.get_by_role("button", name="確定する").click()

    report = page.locator(".report")
    expect(report).to_contain_text("個人情報保護委員会への報告: 必要")
    expect(report).to_contain_text(PAYLOAD)
    assert shadow_count(page, "img") == 0
    shot(page, "widget-report.png")

    session = stored_session(page)
    flow_id = json.loads(page.evaluate("sessionStorage.getItem('hogo:demo:flow:incident')"))
    with page.expect_download() as download:
        page.get_by_role("button", name="ダウンロード").click()
    assert download.value.suggested_filename == f"hogo-report-{flow_id}.md"
    saved = Path(download.value.path()).read_text(encoding="utf-8")
    assert saved == fetch(f"{live_server.url}/api/reports/{flow_id}/markdown", session["token"])
    assert "個人情報保護委員会への報告" in saved

    page.reload()  # the finished report is still there
    expect(page.locator(".report")).to_contain_text("個人情報保護委員会への報告: 必要")
    expect(page.get_by_role("button", name="ダウンロード")).to_be_visible()
    assert tab.problems == []


def test_a_reload_keeps_the_conversation_and_resumes_the_flow(live_server, tab):
    page = tab.page
    open_widget(page, live_server.url + "/")
    ask(page, "委託先に再委託を認めるときの条件は？")
    start_incident(page)
    type_in(page, "discovered_at", "2026-04-01T10:30")
    choose(page, "event_type", "誤送信（メール・FAX）")
    choose(page, "recovered_unopened", "いいえ")
    at(page, "media").get_by_label("メール", exact=True).check()
    visitor = stored_session(page)["visitor"]

    page.reload()
    dialog = page.get_by_role("dialog", name=TITLE)
    expect(dialog).to_be_visible()  # it stays open on the tab that was in use
    expect(page.get_by_role("tab", name="事案を報告（漏えい等）")).to_have_attribute("aria-selected", "true")
    at(page, "media")
    expect(page.get_by_text("ステップ 5 / 21")).to_be_visible()
    tick(page, "media", "メール")
    at(page, "summary")

    page.get_by_role("tab", name="質問する").click()
    log = page.get_by_role("log")
    expect(log.locator(".msg.user .bubble")).to_have_text(["委託先に再委託を認めるときの条件は？"])
    expect(log.locator(".msg.bot")).to_have_count(1)
    chip = log.locator(".chip").first
    chip.click()
    expect(page.locator(f"#{chip.get_attribute('aria-controls')}")).to_be_visible()
    assert stored_session(page)["visitor"] == visitor
    assert tab.problems == []


def test_the_consignment_checklist_keeps_status_and_note_and_masks_my_numbers(live_server, tab):
    page = tab.page
    open_widget(page, live_server.url + "/")
    page.get_by_role("tab", name="委託チェックリスト").click()
    page.get_by_role("button", name=KORIYAMA).click()
    type_in(page, "work", "納税通知書の印刷（照会用 1234 5678 9018）")
    expect(page.get_by_role("status").filter(has_text="伏せ字にして保存しました")).to_be_visible()
    for step_id in ("handles_my_number", "reconsignment_planned", "dispatched_workers"):
        choose(page, step_id, "いいえ")

    item = at(page, "koriyama-kijun:22:1")
    expect(item).to_contain_text("契約前")
    expect(item.get_by_role("heading")).to_have_text("委託先の選定")
    item.get_by_role("textbox").fill("選定委員会で確認予定")
    item.get_by_role("button", name="未（まだ）").click()
    at(page, "koriyama-kijun:22:1:1").get_by_role("button", name="戻る").click()
    again = at(page, "koriyama-kijun:22:1")
    expect(again.get_by_role("textbox")).to_have_value("選定委員会で確認予定")
    expect(again.locator(".option.was")).to_have_text("未（まだ）")
    shot(page, "widget-checklist.png")

    page.get_by_role("tab", name="質問する").click()
    ask(page, "個人番号123456789018の書類を誤送付した")
    expect(page.locator(".msg.user .bubble")).to_have_text(["個人番号[個人番号のため伏せ字]の書類を誤送付した"])
    assert "123456789018" not in page.evaluate("sessionStorage.getItem('hogo:demo:messages')")
    assert tab.problems == []


def test_data_scope_binds_one_regulation_and_data_title_names_the_panel(live_server, tab):
    page = tab.page
    scoped = PLAIN_PAGE.replace('data-site-key="demo"', 'data-site-key="demo" data-scope="mima-kitei" data-title="美馬市 個人情報ヘルプ"')
    page.route(f"{live_server.url}/scoped.html", lambda route: route.fulfill(
        status=200, content_type="text/html; charset=utf-8", body=scoped))
    page.goto(f"{live_server.url}/scoped.html")
    page.get_by_role("button", name="hogo に質問する").click()
    expect(page.get_by_role("dialog", name="美馬市 個人情報ヘルプ")).to_be_visible()
    with page.expect_request("**/api/ask/stream") as sent:
        ask(page, "個人番号を含む書類の廃棄方法は？")
    assert sent.value.post_data_json["scope"] == ["mima-kitei"]
    labels = page.locator(".msg.bot .chip > span:not(.caret)").all_inner_texts()
    assert labels and all(label.startswith("美馬市職員等の特定個人情報等取扱規程 ") for label in labels), labels
    page.get_by_role("tab", name="事案を報告（漏えい等）").click()
    expect(page.get_by_text("対象: 美馬市（美馬市職員等の特定個人情報等取扱規程）")).to_be_visible()
    page.get_by_role("button", name="開始する").click()
    at(page, "discovered_at")
    assert tab.problems == []


def test_markup_in_a_question_is_shown_as_text_and_never_runs(live_server, tab):
    page = tab.page
    page.route(f"{live_server.url}/plain.html", lambda route: route.fulfill(
        status=200, content_type="text/html; charset=utf-8", body=PLAIN_PAGE))
    open_widget(page, f"{live_server.url}/plain.html")
    assert page.evaluate("window.__inlineRan") == 1  # no CSP here: injected markup would run
    ask(page, PAYLOAD)
    expect(page.locator(".msg.user .bubble")).to_have_text([PAYLOAD])
    page.wait_for_timeout(300)
    assert page.evaluate("window.__pwned") is None
    assert shadow_count(page, "img") == 0


def test_markup_inside_a_clause_is_shown_as_text_and_never_runs(make_server, tmp_path, tab):
    corpus = tmp_path / "regulations"
    corpus.mkdir()
    (corpus / "xss-kitei.txt").write_text(
        "---\nid: xss-kitei\ntitle: テスト市個人情報取扱規程\nmunicipality: テスト市\n---\n"
        "○テスト市個人情報取扱規程\n"
        "(紛失時の報告<img src=x onerror=window.__pwned=2>)\n"
        "第1条 職員は、USBメモリを紛失したときは、直ちに課長に報告する。<img src=x onerror=window.__pwned=1>\n"
        "(目的)\n第2条 この規程は、個人情報の取扱いを定める。\n",
        encoding="utf-8",
    )
    live = make_server(corpus_dir=corpus)  # its own engine: the tiny corpus is indexed in seconds
    page = tab.page
    page.route(f"{live.url}/plain.html", lambda route: route.fulfill(
        status=200, content_type="text/html; charset=utf-8", body=PLAIN_PAGE))
    open_widget(page, f"{live.url}/plain.html")
    ask(page, "USBメモリを紛失したら誰に報告？")
    chip = page.get_by_role("button", name="テスト市個人情報取扱規程 第1条", exact=True)
    chip.click()
    shown = page.locator(f"#{chip.get_attribute('aria-controls')}")
    expect(shown.locator(".clause-text")).to_have_text(
        "職員は、USBメモリを紛失したときは、直ちに課長に報告する。<img src=x onerror=window.__pwned=1>")
    expect(shown.locator(".clause-head")).to_contain_text("<img src=x onerror=window.__pwned=2>")
    page.wait_for_timeout(300)
    assert page.evaluate("window.__pwned") is None
    assert shadow_count(page, "img") == 0


def test_on_a_phone_the_panel_fills_the_width_and_works_from_the_keyboard(live_server, phone):
    page = phone.page
    page.goto(live_server.url + "/")
    launcher = page.get_by_role("button", name="hogo に質問する")
    for _ in range(10):  # Tab from the top of the page reaches the launcher
        page.keyboard.press("Tab")
        if launcher.evaluate("e => e.getRootNode().activeElement === e"):
            break
    expect(launcher).to_be_focused()
    expect(launcher).to_have_attribute("aria-expanded", "false")
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name=TITLE)
    expect(dialog).to_be_visible()
    expect(launcher).to_have_attribute("aria-expanded", "true")
    expect(page.get_by_role("textbox", name="質問")).to_be_focused()

    page.keyboard.type("個人番号を含む書類の廃棄方法は？")
    page.keyboard.press("Enter")
    expect(page.locator(".msg.bot")).to_have_count(1)
    box = dialog.bounding_box()
    assert box["x"] >= 0 and box["width"] <= 375
    assert box["width"] == pytest.approx(375, abs=1)  # fills the width
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert page.evaluate("""() => [...document.querySelector('hogo-widget').shadowRoot.querySelectorAll('.scroll')]
        .every(e => e.scrollWidth <= e.clientWidth)""")
    shot(page, "widget-phone.png")

    page.get_by_role("textbox", name="質問").focus()
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="送信")).to_be_focused()
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(launcher).to_be_focused()
    expect(launcher).to_have_attribute("aria-expanded", "false")
    assert phone.problems == []


def test_the_host_pages_css_cannot_break_the_widget(live_server, tab):
    page = tab.page
    page.goto(live_server.url + "/")
    # the demo page's deliberately hostile rules are in force on the page itself ...
    assert page.evaluate("getComputedStyle(document.querySelector('p')).color") == "rgb(122, 16, 16)"
    launcher = page.get_by_role("button", name="hogo に質問する")
    expect(launcher).to_be_visible()
    style = launcher.evaluate("e => { const s = getComputedStyle(e); return [s.color, s.fontSize, s.display]; }")
    assert style == ["rgb(255, 255, 255)", "15px", "flex"]  # ... but not inside the widget
    launcher.click()
    expect(page.get_by_role("dialog", name=TITLE)).to_be_visible()
    expect(page.get_by_role("textbox", name="質問")).to_be_visible()
    expect(page.get_by_role("log")).to_be_attached()
    assert tab.problems == []


def test_an_expired_token_is_renewed_for_the_same_visitor_and_failures_are_explained(make_server, engine, tab):
    live = make_server(engine=engine, token_ttl=2)
    page = tab.page
    open_widget(page, live.url + "/")
    ask(page, "USBをなくした。誰に報告？")
    first = stored_session(page)
    # pretend the widget still believes in its token; the server has let it expire
    page.evaluate("s => sessionStorage.setItem('hogo:demo:session', JSON.stringify(s))",
                  {**first, "exp": first["exp"] + 3_600_000})
    page.wait_for_timeout(3100)  # past the two seconds the token was issued for
    statuses: list[tuple[str, int]] = []
    page.on("response", lambda r: statuses.append((urllib.parse.urlsplit(r.url).path, r.status)))
    ask(page, "委託先の監督について")
    assert ("/api/ask/stream", 401) in statuses and statuses[-1] == ("/api/ask/stream", 200)
    renewed = stored_session(page)
    assert renewed["visitor"] == first["visitor"] and renewed["token"] != first["token"]

    asking = re.compile(r".*/api/ask(/stream)?$")
    page.route(asking, lambda route: route.abort())
    send(page, "ネットワークが切れたら？")
    expect(page.locator(".msg.error").last).to_contain_text("通信に失敗しました")
    box = page.get_by_role("textbox", name="質問")
    expect(box).to_have_value("ネットワークが切れたら？")  # ready to send again

    page.unroute(asking)
    page.route("**/api/ask/stream", lambda route: route.abort())  # no stream: the answer comes as one JSON
    with page.expect_response("**/api/ask") as sent:
        ask(page, "ネットワークが切れたら？")
    assert sent.value.status == 200
    expect(page.locator(".msg.bot").last.locator(".chip").first).to_be_visible()


def test_a_generated_answer_streams_in_sentence_by_sentence(make_server, engine, fake_llm, tab):
    gate = threading.Event()
    live = make_server(engine=engine, llm=fake_llm("".join(GENERATED) + UNVERIFIABLE, gate=gate), llm_timeout=10)
    page = tab.page
    asked: list[str] = []
    page.on("request", lambda r: asked.append(urllib.parse.urlsplit(r.url).path))
    koriyama_page(page, live.url)
    send(page, USB)

    streaming = page.locator(".msg.live")  # the first sentence is shown while the model still writes
    expect(streaming.locator(".answer-text")).to_have_text(GENERATED[0].strip())
    expect(streaming).to_have_attribute("aria-busy", "true")
    expect(page.locator(".msg.bot")).to_have_count(0)
    expect(page.get_by_role("button", name="👍 役に立った")).to_have_count(0)
    shot(page, "widget-streaming.png")
    gate.set()

    answer = page.locator(".msg.bot")
    expect(answer).to_have_count(1)
    expect(streaming).to_have_count(0)
    expect(answer.locator(".answer-text")).to_have_text("".join(GENERATED))  # the unverifiable ones never show
    expect(answer.locator(".answer-lead")).to_have_count(0)  # a generated answer is one text
    expect(answer.get_by_text(GENERATED_NOTE)).to_be_visible()
    expect(answer.get_by_role("button", name="郡山市保有個人情報等の取扱基準 第23条第1項", exact=True)).to_be_visible()
    expect(answer.get_by_role("button", name="👍 役に立った")).to_be_enabled()
    assert "/api/ask/stream" in asked and "/api/ask" not in asked
    shot(page, "widget-generated.png")

    streamed = rendered(answer)
    page.reload()
    expect(page.locator(".msg.bot").get_by_text(GENERATED_NOTE)).to_be_visible()
    assert rendered(page.locator(".msg.bot")) == streamed
    assert tab.problems == []


@pytest.mark.parametrize("breaks", [False, True], ids=["unverifiable", "cut-off"])
def test_a_fallback_replaces_the_generated_text_with_the_extractive_answer(make_server, engine, fake_llm, tab,
                                                                          breaks):
    plain = engine.ask(USB, ["koriyama-kijun"])
    gate = threading.Event()
    script = "".join(GENERATED) if breaks else UNVERIFIABLE
    live = make_server(engine=engine, llm=fake_llm(script, gate=gate, fail=breaks), llm_timeout=10)
    page = tab.page
    koriyama_page(page, live.url)
    if breaks:  # a sentence is shown, then the model's connection breaks: it is withdrawn
        send(page, USB)
        expect(page.locator(".msg.live .answer-text")).to_have_text(GENERATED[0].strip())
        gate.set()
        expect(page.locator(".msg.bot")).to_have_count(1)
    else:
        ask(page, USB)

    answer = page.locator(".msg.bot")
    lead = answer.locator(".answer-text > :first-child")  # the extractive answer, as it is shown without a model
    expect(lead).to_have_class("answer-lead")
    expect(lead).to_have_text(plain.answer.split("\n")[0])
    expect(answer.locator(".answer-text")).not_to_contain_text("koriyama-kijun:")
    expect(answer.get_by_text(FALLBACK_NOTE)).to_be_visible()
    expect(answer.get_by_text(GENERATED_NOTE)).to_have_count(0)
    expect(answer.locator(".chip")).to_have_count(len(plain.citations))
    shot(page, f"widget-fallback-{'cut-off' if breaks else 'unverifiable'}.png")

    streamed = rendered(answer)
    page.reload()
    expect(page.locator(".msg.bot").get_by_text(FALLBACK_NOTE)).to_be_visible()
    assert rendered(page.locator(".msg.bot")) == streamed
    assert tab.problems == []
