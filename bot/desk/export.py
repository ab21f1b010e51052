"""Exports: a case's report items for the PPC (the nine items with the case's particulars) as CSV or .xlsx,
and the list of cases as CSV. CSV is UTF-8 with a BOM so that Excel opens it in Japanese; a cell a
spreadsheet would take for a formula (=, +, -, @ first) is written as text."""

from __future__ import annotations

import csv
import io

from bot.desk.cases import Case

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def case_rows(case: Case) -> list[tuple[str, str, str]]:
    """(項目, 内容, 記入状況) rows: the case's particulars, then the PPC's nine report items."""
    data = case.data
    category = (data.get("legal_category") or {}).get("label") or "未確定"
    rows = [
        ("事案ID", case.id, ""),
        ("報告者（団体）", data.get("body_name") or case.city, ""),
        ("規程", data.get("regulation") or "", ""),
        ("発覚日", case.known_on.isoformat() if case.known_on else "未入力", ""),
        ("事案の種類", case.event_label, ""),
        ("法令上の区分", category, ""),
        ("個人情報保護委員会への報告", "必要" if case.ppc_required else "不要", ""),
        ("速報（目安）", f"{case.preliminary_from}〜{case.preliminary.on}" if case.preliminary.on else "", ""),
        ("確報の期限", case.final.on.isoformat() if case.final.on else "", ""),
        ("状況", case.status_label, ""),
    ]
    for item in data.get("report_items") or []:
        rows.append((item["name"], item.get("value") or "", "記入済" if item.get("filled") else "未記入"))
    return rows


def case_csv(case: Case) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["項目", "内容", "記入状況"])
    writer.writerows([[_cell(v) for v in row] for row in case_rows(case)])
    return out.getvalue().encode("utf-8-sig")


def case_xlsx(case: Case) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill

    book = Workbook()
    sheet = book.active
    sheet.title = "報告事項"
    sheet.append(["項目", "内容", "記入状況"])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    missing = PatternFill("solid", fgColor="FFF2CC")
    for number, row in enumerate(case_rows(case), start=2):
        for column, value in enumerate(row, start=1):
            cell = sheet.cell(row=number, column=column)
            cell.value = value
            cell.data_type = "s"  # report text is never a formula
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        if row[2] == "未記入":
            for cell in sheet[number]:
                cell.fill = missing
    sheet.column_dimensions["A"].width = 34
    sheet.column_dimensions["B"].width = 80
    sheet.column_dimensions["C"].width = 10
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


LIST_COLUMNS = ["事案ID", "受付日", "団体", "事案の種類", "本人の数", "委員会への報告", "速報（目安の最終日）", "速報",
                "確報の期限", "確報", "状況", "未記入の項目"]


def cases_csv(cases: list[Case]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(LIST_COLUMNS)
    for case in cases:
        writer.writerow([_cell(v) for v in (
            case.id, case.timeline[0].done_on.isoformat(), case.city, case.event_label, case.affected,
            "必要" if case.ppc_required else "不要",
            case.preliminary.on.isoformat() if case.preliminary.on and case.ppc_required else "",
            case.preliminary.text, case.final.on.isoformat() if case.final.on and case.ppc_required else "",
            case.final.text, case.status_label, "、".join(case.missing_items))])
    return out.getvalue().encode("utf-8-sig")
