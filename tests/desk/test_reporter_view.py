"""What a reporter reads of the office's handling of their own incident reports, through the app factory on
SQLite and PostgreSQL: GET /api/reports lists the visitor's own cases with status, the day it last changed and
the timeline (the office's note, masked; never the account that recorded a step); another visitor neither
lists nor opens them; finishing a report through the API returns it at 受付."""

from __future__ import annotations

from bot.privacy import MASK
from tests.desk.conftest import BASE_ANSWERS, DeskClient, csrf, frozen
from tests.desk.test_cases import japan_day, my_number

ORIGIN = {"Origin": "http://testserver"}


class Visitor:
    def __init__(self, desk_client: DeskClient) -> None:
        session = desk_client.client.post("/api/session", json={"site_key": "demo"}, headers=ORIGIN).json()
        self.owner = f"web:{session['visitor']}"
        self.headers = {"Authorization": f"Bearer {session['token']}"}


def listed(desk_client: DeskClient, who: Visitor) -> list[dict]:
    response = desk_client.client.get("/api/reports", headers=who.headers)
    assert response.status_code == 200, response.text
    return response.json()


def advance(desk_client: DeskClient, case_id: str, **form: str):
    page = desk_client.client.get(f"/desk/cases/{case_id}")
    return desk_client.client.post(f"/desk/cases/{case_id}/status", data={"csrf": csrf(page.text), **form},
                                   follow_redirects=False)


def test_a_visitor_lists_the_status_of_their_own_reports_only(desk_client):
    reporter, stranger = Visitor(desk_client), Visitor(desk_client)
    first = desk_client.report(owner=reporter.owner)
    second = desk_client.report(owner=reporter.owner, scope="mima-kitei", affected_count=3)
    theirs = desk_client.report(owner=stranger.owner)
    desk_client.app.state.res.flows.run("consignment", {"scope": "koriyama-kijun", "work": "印刷"},
                                        owner=reporter.owner)  # a checklist has no case: not listed

    mine = listed(desk_client, reporter)
    assert [r["id"] for r in mine] == [second, first]  # newest first
    assert [r["title"] for r in mine] == ["漏えい等事案報告（美馬市） 2026-04-01発覚", "漏えい等事案報告（郡山市） 2026-04-01発覚"]
    day = japan_day(mine[1]["created_at"])
    assert mine[1]["case"] == {"status": "received", "label": "受付", "updated_on": day,
                               "timeline": [{"status": "received", "label": "受付", "on": day, "note": None}]}
    assert "data" not in mine[1] and "markdown" not in mine[1]  # the list carries no report text

    desk_client.user("tanaka")
    desk_client.login("tanaka")
    desk_client.set_clock(frozen(2026, 4, 3))
    assert "報告者は画面の「報告の状況」で、状況・実施日・メモを確認できます" in desk_client.client.get(
        f"/desk/cases/{first}").text  # the clerk is told who reads the note
    assert advance(desk_client, first, status="preliminary", done_on="2026-04-02",
                   note=f"委員会へ速報しました（照会番号 {my_number()}）").status_code == 303
    assert advance(desk_client, second, status="closed", done_on="2026-04-03").status_code == 303

    response = desk_client.client.get("/api/reports", headers=reporter.headers)
    assert "tanaka" not in response.text and my_number() not in response.text  # no account, no My Number
    cases = {r["id"]: r["case"] for r in response.json()}
    assert cases[first]["label"] == "速報済" and cases[first]["updated_on"] == "2026-04-02"
    assert [(s["label"], s["on"], s["note"]) for s in cases[first]["timeline"][1:]] == [
        ("速報済", "2026-04-02", f"委員会へ速報しました（照会番号 {MASK}）")]
    assert cases[second]["status"] == "closed" and cases[second]["label"] == "完了"

    assert [r["id"] for r in listed(desk_client, stranger)] == [theirs]  # the other visitor's list
    for path in (f"/api/reports/{first}", f"/api/reports/{first}/markdown"):
        assert desk_client.client.get(path, headers=stranger.headers).status_code == 404


def test_the_list_needs_a_visitors_token(desk_client):
    desk_client.report(owner="web:someone")
    assert desk_client.client.get("/api/reports").status_code == 401
    admin = desk_client.client.get("/api/reports", headers={"Authorization": "Bearer admin-secret-token"})
    assert admin.status_code == 403 and admin.json()["error"]["message"] == "報告者本人のセッションでのみ利用できます。"
    assert listed(desk_client, Visitor(desk_client)) == []


def test_a_report_finished_through_the_api_comes_back_at_its_first_status(desk_client):
    reporter = Visitor(desk_client)
    client = desk_client.client
    view = client.post("/api/flows/incident/sessions", json={"scope": "koriyama-kijun"},
                       headers=reporter.headers).json()
    answers = {**BASE_ANSWERS, "discovered_at": "2026-04-01T10:00"}
    while view["step"]:
        step = view["step"]["id"]
        view = client.post(f"/api/flows/sessions/{view['id']}/answer",
                           json={"step_id": step, "value": answers.get(step)}, headers=reporter.headers).json()
        assert "error" not in view, (step, view)
    report = client.post(f"/api/flows/sessions/{view['id']}/finish", headers=reporter.headers).json()
    assert report["case"]["status"] == "received" and report["case"]["label"] == "受付"
    assert [r["id"] for r in listed(desk_client, reporter)] == [report["id"]]
