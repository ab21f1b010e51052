"""Markdown renderings of finished reports, in Japanese, ready to paste into the city's forms."""

from __future__ import annotations

from typing import Any


def markdown(report: dict[str, Any]) -> str:
    return (_incident if report["flow"] == "incident" else _consignment)(report)


def _yes(value: bool) -> str:
    return "必要" if value else "不要"


def _cite(item: dict[str, Any]) -> str:
    return f"（{item['label']}）" if item.get("label") else ""


def _draft(r: dict[str, Any]) -> list[str]:
    """The warning a report carries while the city's part of the flow is an unreviewed draft."""
    return [f"> **下書き**: {r['draft_notice']}", ""] if r.get("draft_flow") else []


def _incident(r: dict[str, Any]) -> str:
    d = r["deadlines"]
    out = [f"# {r['title']}", "", *_draft(r), f"- 報告ID: `{r['id']}`", f"- 規程: {r['regulation']}"]
    if r.get("body_name"):
        out.append(f"- 報告者（機関名）: {r['body_name']}")
    out += ["", "## 判断結果", "", *_category(r),
            f"- 個人情報保護委員会への報告: **{_yes(r['ppc_report_required'])}**",
            f"- 本人への通知: **{_yes(r['notify_individuals'])}**"]
    if r["triggers"]:
        out.append("- 該当する事態:")
        out += [f"  - {t['label']}（{t['basis']}）" + ("　※「わからない」の回答による" if t["from_unknown"] else "")
                + (f"　※事案の種類（{_event(r)}）による" if t.get("implied_by_event_type") else "")
                for t in r["triggers"]]
    if r["encryption_exception"]["applied"] and r["encryption_exception"]["would_have_fired"]:
        out.append("- 高度な暗号化等の措置がされているため、報告対象の事態から除かれます。")
    out.append(f"- 番号法: {r['my_number_route']['note']}")
    out += ["", "## 期限", ""]
    if r["ppc_report_required"]:
        guide = (f"（{d['preliminary']['guide_from']}〜{d['preliminary']['guide_to']}頃）"
                 if d["preliminary"]["guide_from"] else "")
        out.append(f"- 速報: {d['preliminary']['note']}{guide}")
        out.append(f"- 確報: **{d['final']['by'] or '要確認'}まで**（{d['final']['note']}）")
    else:
        out.append(f"- {d['final']['note']}")
    out += ["", "## 規程による報告の流れ（必ず行う）", ""]
    out += [f"{n}. {c['role']}: {c['action']}{_cite(c)}" for n, c in enumerate(r["internal_chain"], 1)]
    if r.get("ppc_report_by"):
        p = r["ppc_report_by"]
        out.append(f"{len(r['internal_chain']) + 1}. {p['role']}: {p['action']}{_cite(p)}")
    out += ["", "## すぐに行うこと", ""]
    out += [f"- {s['action']}{_cite(s)}" for s in r["immediate_steps"]]
    out += [f"- {a['role']}: {a['action']}{_cite(a)}" for a in r["when_not_reportable"]]
    if r["contractor"]["involved"]:
        out += ["", "## 委託先", ""]
        if r["contractor"]["name"]:
            out.append(f"- 委託先: {r['contractor']['name']}")
        out += [f"- {a['action']}{_cite(a)}" for a in r["contractor"]["actions"]]
    out += ["", "## 報告事項（個人情報保護委員会様式の9項目）", "", "| 項目 | 内容 |", "|---|---|"]
    out += [f"| {i['name']} | {_item_cell(i)} |" for i in r["report_items"]]
    if r["missing_items"]:
        out += ["", "未記入の項目は速報では空欄でも構いませんが、確報までに埋めてください: "
                + "、".join(r["missing_items"])]
    if r["unknowns"]:
        out += ["", "## 「わからない」と回答した項目", ""]
        out += [f"- {u['prompt']}" + _drove(u["drove"]) for u in r["unknowns"]]
    out += ["", "## 根拠", ""]
    out += [f"- {b}" for b in r["law_basis"]]
    out += [f"- `{k}`" for k in r["citations"]]
    return "\n".join(out) + "\n"


def _event(r: dict[str, Any]) -> str:
    return r["answers"].get("event_type", {}).get("display") or "未回答"


def _category(r: dict[str, Any]) -> list[str]:
    """事案の種類 as the clerk said it, and the legal category derived from it (with the reason and basis)."""
    c = r.get("legal_category")
    if not c:  # a report stored before the category was derived
        return []
    return [f"- 事案の種類: {_event(r)}",
            f"- 法令上の区分: **{c['label']}**（{c['reason']}）",
            f"  - 根拠: {'、'.join(c['basis'])}"]


def _drove(drove: list[str]) -> str:
    if [d for d in drove if d != "legal_category"]:
        return "（この回答により報告対象と判断）"
    return "（この回答により法令上の区分を慎重に判断）" if drove else ""


def _consignment(r: dict[str, Any]) -> str:
    c = r["counts"]
    out = [f"# {r['title']}", "", *_draft(r), f"- 報告ID: `{r['id']}`", f"- 規程: {r['regulation']}"]
    out += [f"- {v['prompt']} {v['display']}" for v in r["context"].values()]
    out += ["", f"全{c['total']}項目: 未 {c['gaps']} / 済 {c['done']} / 該当なし {c['not_applicable']}", ""]
    if r["gaps"]:
        out += ["## 未対応の項目", ""]
        for g in r["gaps"]:
            out += [f"### {g['title']}（{g['label']}）", "", f"- 確認事項: {g['question']}"]
            if g.get("note"):
                out.append(f"- メモ: {g['note']}")
            out += ["", *[f"> {line}" for line in g["text"].splitlines()], ""]
    out += ["## すべての項目", "", "| 状態 | 項目 | 条項 | メモ・理由 |", "|---|---|---|---|"]
    out += [f"| {i['status']} | {_cell(i['title'])} | {i['label']} | {_cell(i.get('reason') or i.get('note') or '')} |"
            for i in r["items"]]
    return "\n".join(out) + "\n"


def _item_cell(item: dict[str, Any]) -> str:
    if item["filled"]:
        return _cell(item["value"])
    return "**未記入**" + (f" {_cell(item['value'])}" if item["value"] else "")


def _cell(text: str) -> str:
    return str(text).replace("|", "｜").replace("\n", " ")
