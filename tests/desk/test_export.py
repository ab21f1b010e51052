"""Exports through the app factory: a case's PPC report items as CSV and .xlsx, its Markdown, and the case
list as CSV; text a spreadsheet would run as a formula stays text."""

from __future__ import annotations

import csv
import io

from openpyxl import load_workbook

from tests.desk.conftest import DeskClient

FORMULA = '=HYPERLINK("http://evil.example","開く")'
ITEMS = ["概要", "漏えい等が発生し又は発生したおそれがある保有個人情報の項目", "本人の数", "原因",
         "二次被害又はそのおそれの有無及びその内容", "本人への対応の実施状況", "公表の実施状況", "再発防止のための措置",
         "その他参考となる事項"]


def signed_in(desk_client: DeskClient, role: str = "office") -> None:
    desk_client.user("tanaka", role)
    desk_client.login("tanaka")


def test_a_case_as_csv(desk_client):
    case_id = desk_client.report(cause=FORMULA, prevention=None)
    signed_in(desk_client)
    response = desk_client.client.get(f"/desk/cases/{case_id}/export.csv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert f'filename="hogo-case-{case_id}.csv"' in response.headers["content-disposition"]
    assert response.content.startswith(b"\xef\xbb\xbf")  # a BOM: Excel opens it as UTF-8
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == ["項目", "内容", "記入状況"]
    table = {name: (value, state) for name, value, state in rows[1:]}
    assert table["事案ID"][0] == case_id and table["報告者（団体）"][0] == "郡山市長"
    assert table["個人情報保護委員会への報告"][0] == "必要" and table["確報の期限"][0] == "2026-05-01"
    assert [r[0] for r in rows[-9:]] == ITEMS
    assert table["原因"] == ("'" + FORMULA, "記入済")  # never a formula
    assert table["再発防止のための措置"] == ("", "未記入")
    assert table["本人の数"][0] == "120"


def test_a_case_as_xlsx_and_markdown(desk_client):
    case_id = desk_client.report(cause=FORMULA, prevention=None)
    signed_in(desk_client, role="auditor")  # reading and exporting need no right to change
    response = desk_client.client.get(f"/desk/cases/{case_id}/export.xlsx")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    sheet = load_workbook(io.BytesIO(response.content))["報告事項"]
    cells = {row[0].value: row for row in sheet.iter_rows(min_row=2)}
    assert [c.value for c in sheet[1]] == ["項目", "内容", "記入状況"]
    assert cells["原因"][1].value == FORMULA and cells["原因"][1].data_type == "s"
    assert cells["再発防止のための措置"][2].value == "未記入"
    assert cells["再発防止のための措置"][0].fill.fgColor.rgb.endswith("FFF2CC")  # marked, as on the page
    markdown = desk_client.client.get(f"/desk/cases/{case_id}/export.md")
    stored = desk_client.client.get(f"/api/reports/{case_id}/markdown",
                                    headers={"Authorization": "Bearer admin-secret-token"})
    assert markdown.text == stored.text and markdown.text.startswith("# 漏えい等事案報告（郡山市）")
    assert desk_client.client.get(f"/desk/cases/{case_id}/export.pdf").status_code == 404


def test_all_cases_as_csv_with_the_list_filters(desk_client):
    koriyama = desk_client.report()
    mima = desk_client.report(scope="mima-kitei", affected_count=3)
    signed_in(desk_client)
    page = desk_client.client.get("/desk", params={"ppc": "no"})
    assert 'href="/desk/export/cases.csv?ppc=no&amp;sort=due"' in page.text
    every = list(csv.reader(io.StringIO(desk_client.client.get("/desk/export/cases.csv").content.decode("utf-8-sig"))))
    assert every[0][:6] == ["事案ID", "受付日", "団体", "事案の種類", "本人の数", "委員会への報告"]
    assert {row[0] for row in every[1:]} == {koriyama, mima}
    some = desk_client.client.get("/desk/export/cases.csv", params={"ppc": "no"}).content.decode("utf-8-sig")
    assert [row[0] for row in list(csv.reader(io.StringIO(some)))[1:]] == [mima]
    desk_client.client.cookies.clear()
    assert desk_client.client.get("/desk/export/cases.csv", follow_redirects=False).status_code == 303
