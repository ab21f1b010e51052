"""The case list and a case's page through the app factory: deadlines and days left on a frozen clock,
filters and sorting, the status timeline the office advances, the reporter's view of it through the API,
the audit log, and report text that must stay text."""

from __future__ import annotations

import html
import re
from datetime import datetime

from bot.dialogue.values import JST
from bot.privacy import MASK, is_my_number
from tests.desk.conftest import DeskClient, csrf, frozen

PAYLOAD = '<script>alert(1)</script><img src=x onerror="window.__pwned=1">'


def rows(page: str) -> dict[str, str]:
    """Each case row's text, by case id."""
    found = re.findall(r'<tr data-case="([0-9a-f]+)">(.*?)</tr>', page, re.S)
    return {case: " ".join(re.sub(r"<[^>]+>", " ", body).split()) for case, body in found}


def my_number() -> str:
    return next(f"12345678901{d}" for d in range(10) if is_my_number(f"12345678901{d}"))


def three_cases(desk_client: DeskClient) -> tuple[str, str, str]:
    koriyama = desk_client.report()  # 120 people: a report to the PPC; known 2026-04-01, 確報 by 2026-05-01
    mima = desk_client.report(scope="mima-kitei", affected_count=3, discovered_at="2026-03-25T09:00+09:00")
    theft = desk_client.report(event_type="theft", affected_count=12, discovered_at="2026-03-20T09:00+09:00",
                               copy_exists="yes", media=["pc"], strongly_encrypted="no")  # 60 days: by 2026-05-19
    return koriyama, mima, theft


def test_the_list_shows_each_case_with_its_deadlines_and_days_left(desk_client):
    koriyama, mima, theft = three_cases(desk_client)
    desk_client.user("tanaka")
    desk_client.login("tanaka")
    desk_client.set_clock(frozen(2026, 4, 3))
    page = desk_client.client.get("/desk")
    assert page.status_code == 200 and "本日: 2026-04-03" in page.text
    shown = rows(page.text)
    assert shown[koriyama].split()[1:] == ["郡山市", "誤送付（郵送）", "120人", "必要", "2026-04-06", "あと3日",
                                           "2026-05-01", "あと28日", "受付", shown[koriyama].split()[-1]]
    assert "美馬市" in shown[mima] and "3人" in shown[mima] and "不要" in shown[mima]
    assert "盗難" in shown[theft] and "2026-05-19" in shown[theft] and "あと46日" in shown[theft]
    assert list(shown) == [koriyama, theft, mima]  # by 確報 due date; none due last

    desk_client.set_clock(frozen(2026, 5, 3))  # days left follow the clock
    shown = rows(desk_client.client.get("/desk").text)
    assert "2日超過" in shown[koriyama] and "あと16日" in shown[theft]
    assert 'class="due urgent"' in desk_client.client.get("/desk").text


def test_filters_and_sorting(desk_client):
    koriyama, mima, theft = three_cases(desk_client)
    desk_client.user("tanaka")
    desk_client.login("tanaka")
    get = lambda **q: list(rows(desk_client.client.get("/desk", params=q).text))  # noqa: E731
    assert get(ppc="no") == [mima]
    assert set(get(ppc="yes")) == {koriyama, theft}
    assert get(city="美馬市") == [mima]
    assert get(sort="created") == [theft, mima, koriyama]  # newest first
    token = desk_client.csrf(f"/desk/cases/{koriyama}")
    desk_client.client.post(f"/desk/cases/{koriyama}/status",
                            data={"csrf": token, "status": "preliminary", "done_on": desk_client.desk.cases.today()})
    assert get(status="preliminary") == [koriyama]
    assert set(get(status="received")) == {mima, theft}
    assert get(status="<b>") == get()  # an unknown value is ignored, not echoed
    page = desk_client.client.get("/desk", params={"city": PAYLOAD})
    assert PAYLOAD not in page.text and "該当する事案はありません" in page.text


def japan_day(created_at: str) -> str:
    """The date in Japan of a report's ``created_at``, as the desk dates its receipt."""
    return datetime.fromisoformat(created_at).astimezone(JST).date().isoformat()


def test_the_office_advances_a_case_and_the_reporter_sees_it(desk_client):
    session = desk_client.client.post("/api/session", json={"site_key": "demo"},
                                      headers={"Origin": "http://testserver"}).json()
    case_id = desk_client.report(owner=f"web:{session['visitor']}")
    reporter = {"Authorization": f"Bearer {session['token']}"}
    before = desk_client.client.get(f"/api/reports/{case_id}", headers=reporter).json()
    day = japan_day(before["created_at"])  # after 15:00 UTC it is already tomorrow in Japan
    assert before["case"] == {"status": "received", "label": "受付", "updated_on": day,
                              "timeline": [{"status": "received", "label": "受付", "on": day, "note": None}]}

    desk_client.user("tanaka")
    desk_client.login("tanaka")
    desk_client.set_clock(frozen(2026, 4, 3))
    page = desk_client.client.get(f"/desk/cases/{case_id}")
    assert re.findall(r'<option value="(\w+)">', page.text) == ["preliminary", "final", "notified", "closed"]
    post = lambda **form: desk_client.client.post(  # noqa: E731
        f"/desk/cases/{case_id}/status", data={"csrf": csrf(page.text), **form}, follow_redirects=False)
    done = post(status="preliminary", done_on="2026-04-02", note=f"委員会へ速報を提出（照会 {my_number()}）")
    assert done.status_code == 303 and done.headers["location"] == f"/desk/cases/{case_id}?done=recorded"
    page = desk_client.client.get(done.headers["location"])
    assert "対応状況を記録しました" in page.text and "速報済" in page.text and MASK in page.text
    assert my_number() not in page.text

    assert post(status="preliminary", done_on="2026-04-02").status_code == 422  # already recorded
    assert post(status="final", done_on="2026-04-04").status_code == 422  # a day after the clock's today
    assert post(status="received", done_on="2026-04-02").status_code == 422
    assert "YYYY-MM-DD" in post(status="final", done_on="4月2日").text
    assert post(status="final", done_on="2026-04-03").status_code == 303
    assert post(status="preliminary", done_on="2026-04-03").status_code == 422  # never backwards

    after = desk_client.client.get(f"/api/reports/{case_id}", headers=reporter).json()["case"]
    assert after["status"] == "final" and after["label"] == "確報済" and after["updated_on"] == "2026-04-03"
    assert [(s["label"], s["on"]) for s in after["timeline"][1:]] == [("速報済", "2026-04-02"), ("確報済", "2026-04-03")]
    assert after["timeline"][1]["note"] == f"委員会へ速報を提出（照会 {MASK}）"
    assert "by" not in after["timeline"][1]  # the office's account names stay inside the office
    other = desk_client.client.post("/api/session", json={"site_key": "demo"}, headers={"Origin": "http://testserver"})
    stranger = {"Authorization": f"Bearer {other.json()['token']}"}
    assert desk_client.client.get(f"/api/reports/{case_id}", headers=stranger).status_code == 404


def test_a_case_without_a_report_to_the_ppc_skips_the_reports(desk_client):
    case_id = desk_client.report(scope="mima-kitei", affected_count=3)
    desk_client.user("tanaka")
    desk_client.login("tanaka")
    page = desk_client.client.get(f"/desk/cases/{case_id}")
    assert re.findall(r'<option value="(\w+)">', page.text) == ["notified", "closed"]
    refused = desk_client.client.post(f"/desk/cases/{case_id}/status", data={
        "csrf": csrf(page.text), "status": "preliminary", "done_on": desk_client.desk.cases.today().isoformat()})
    assert refused.status_code == 422 and "進められません" in refused.text


def test_the_case_page_shows_the_report_its_clauses_and_what_is_missing(desk_client):
    case_id = desk_client.report(summary=PAYLOAD, cause=None, prevention=None)
    desk_client.user("tanaka")
    desk_client.login("tanaka")
    page = desk_client.client.get(f"/desk/cases/{case_id}").text
    assert "<script>alert" not in page and "<img src=x" not in page and "&lt;script&gt;alert(1)" in page
    assert "未記入の項目が2つあります: 原因、再発防止のための措置" in page
    assert len(re.findall(r'<tr class="missing">', page)) == 2
    assert "郡山市保有個人情報等の取扱基準 第23条第1項" in page  # the citations, each opening its clause
    assert 'href="/api/clauses/koriyama-kijun%3A23%3A1"' in page
    assert "保護管理者に報告" in page  # the clause text itself, inside its <details>
    assert len(re.findall("<h1>", page)) == 1 and "<h3>漏えい等事案報告（郡山市）" in page  # the report's own headings
    clause = desk_client.client.get("/api/clauses/koriyama-kijun%3A23%3A1")
    assert clause.status_code == 200 and clause.json()["key"] == "koriyama-kijun:23:1"
    assert desk_client.client.get("/desk/cases/ffffffffffff").status_code == 404
    assert "事案が見つかりません" in desk_client.client.get("/desk/cases/ffffffffffff").text


def test_every_view_and_change_is_in_the_audit_log(desk_client):
    case_id = desk_client.report()
    desk_client.user("tanaka")
    desk_client.user("kansa", role="auditor")
    desk_client.login("tanaka")
    page = desk_client.client.get(f"/desk/cases/{case_id}")
    desk_client.client.post(f"/desk/cases/{case_id}/status", data={
        "csrf": csrf(page.text), "status": "preliminary", "done_on": desk_client.desk.cases.today().isoformat(),
        "note": f"番号 {my_number()} の件"})
    desk_client.client.post("/desk/logout", data={"csrf": csrf(page.text)})
    desk_client.login("kansa", password="wrong-password-0")
    desk_client.login("kansa")
    audit = desk_client.client.get("/desk/audit")
    assert audit.status_code == 200
    entries = re.findall(r'<tr data-action="(\w+)"><td>[^<]*</td><td>([^<]*)</td><td>[^<]*</td><td>([^<]*)</td>'
                         r"<td>([^<]*)</td>", audit.text)
    assert [(a, who, target) for a, who, target, _ in entries][::-1] == [
        ("login_success", "tanaka", "tanaka"), ("case_view", "tanaka", case_id), ("case_status", "tanaka", case_id),
        ("case_view", "tanaka", case_id), ("logout", "tanaka", "tanaka"), ("login_failure", "kansa", "kansa"), ("login_success", "kansa", "kansa"),
        ("audit_view", "kansa", "")]
    change = next(detail for a, _, _, detail in entries if a == "case_status")
    assert change.startswith("速報済（") and MASK in html.unescape(change) and my_number() not in audit.text
    only = desk_client.client.get("/desk/audit", params={"action": "login_failure"})
    assert re.findall(r'data-action="(\w+)"', only.text) == ["login_failure"]
