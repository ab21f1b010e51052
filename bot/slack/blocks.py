"""Block Kit for hogo in Slack: answers, the guided-dialogue modal, report messages and App Home.

Slack limits: a section's text ≤ 3000 characters, a message ≤ 50 blocks, a modal title ≤ 24 characters,
an option's or a button's text ≤ 75, a button's value ≤ 2000, an actions block ≤ 25 elements. Everything here
stays inside them.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

from bot.dialogue.engine import View
from bot.dialogue.values import JST

SECTION_LIMIT = 2900
CLAUSE_BUTTONS = 5  # 条文を表示 for the first citations
REFERENCE_BUTTONS = 10  # at most this many clauses cited inside them get a button (an actions block takes 25)
MODAL_CLAUSES = 10  # a button for a range opens this many of its clauses
CITY = re.compile(r"^【[^】]+】$")
MODAL_CALLBACK = "hogo_flow"
TITLES = {"incident": "漏えい等事案の報告", "consignment": "業務委託チェック"}


def plain(text: str, limit: int = 3000) -> dict[str, Any]:
    return {"type": "plain_text", "text": _cut(text, limit), "emoji": True}


def mrkdwn(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": _cut(text, 3000)}


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def escape(text: str) -> str:
    """Slack mrkdwn treats &, < and > as control characters: regulation and user text is escaped."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def split_text(text: str, limit: int = SECTION_LIMIT) -> list[str]:
    """Split at line ends so each piece fits one section block."""
    chunks, current = [], ""
    for line in text.splitlines(keepends=True):
        while len(line) > limit:
            chunks.append(current + line[: limit - len(current)])
            line, current = line[limit - len(current):], ""
        if len(current) + len(line) > limit:
            chunks.append(current)
            current = ""
        current += line
    if current.strip():
        chunks.append(current)
    return chunks or [""]


# answers ------------------------------------------------------------------------------------------------

GUIDE_BUTTONS = {"incident": ("漏えい等事案を報告", "danger"), "consignment": ("業務委託チェック", None)}


def answer_blocks(answer: dict[str, Any], guide: str | None = None) -> list[dict[str, Any]]:
    """The answer in a thread: its lead (bold) as the first section, the quoted clauses after it, the
    citations, 条文を表示 buttons, buttons for the clauses those citations cite (前項 → 第23条第3項), the
    ``guide`` the question points to (the App Home's button: the dialogue opens in a modal), 👍/👎."""
    lead, rest = answer_lines(answer)
    blocks: list[dict[str, Any]] = []
    if lead:
        blocks.append({"type": "section", "text": mrkdwn(lead)})
    blocks += [{"type": "section", "text": mrkdwn(chunk)} for chunk in split_text(rest) if chunk.strip()]
    citations = answer["citations"]
    if citations:
        blocks.append({"type": "divider"})
        for n, c in enumerate(citations, 1):
            heading = f"（{c['heading']}）" if c.get("heading") else ""
            blocks.append({"type": "context", "elements": [mrkdwn(f"*[{n}]* {escape(c['label'])}{escape(heading)}")]})
        blocks.append({"type": "actions", "block_id": "clauses", "elements": [
            {"type": "button", "action_id": f"show_clause_{n}", "text": plain(f"[{n}] 条文を表示", 75),
             "value": c["key"]} for n, c in enumerate(citations[:CLAUSE_BUTTONS], 1)]})
        references = reference_buttons(citations[:CLAUSE_BUTTONS])
        if references:
            blocks.append({"type": "context", "elements": [mrkdwn("条文中で引用している条項:")]})
            blocks.append({"type": "actions", "block_id": "references", "elements": references})
    if guide in GUIDE_BUTTONS:
        label, style = GUIDE_BUTTONS[guide]
        button = {"type": "button", "action_id": f"home_{guide}", "text": plain(label), "value": guide}
        blocks.append({"type": "actions", "block_id": "guide",
                       "elements": [{**button, "style": style} if style else button]})
    feedback = json.dumps({"q": answer["question"][:500], "k": [c["key"] for c in citations[:10]]},
                          ensure_ascii=False)[:1990]
    blocks.append({"type": "actions", "block_id": "feedback", "elements": [
        {"type": "button", "action_id": "feedback_up", "text": plain("👍 役に立った"), "value": feedback},
        {"type": "button", "action_id": "feedback_down", "text": plain("👎 違う"), "value": feedback},
    ]})
    return blocks[:50]


def answer_lines(answer: dict[str, Any]) -> tuple[str, str]:
    """The answer as mrkdwn: (its first part, up to and including the lead, and the rest). Each city's
    first line is its lead and is bold, as are the 【city】 headers; a generated or abstaining answer is
    left as one text."""
    text = answer["answer"]
    if answer.get("abstained") or answer.get("composer") == "llm":
        return "", escape(text)
    lines, first, lead_next = [], 0, True
    for line in text.split("\n"):
        if CITY.match(line):
            lines.append(_bold(line))
            lead_next = True
        elif lead_next and line and not line.startswith(("・", " ", "関連: ")):
            lines.append(_bold(line))
            first = first or len(lines)
            lead_next = False
        else:
            lines.append(escape(line))
            lead_next = False
    return "\n".join(lines[:first]), "\n".join(lines[first:])


def _bold(line: str) -> str:
    # A whole line between asterisks renders bold next to Japanese text; an asterisk inside would end it.
    return f"*{escape(line).replace('*', '＊')}*"


def reference_buttons(citations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One button per distinct clause of this regulation that the citations' texts cite (前項, 第5条 …);
    it opens that clause (several for a range) like 条文を表示 does."""
    buttons: list[dict[str, Any]] = []
    seen: set[tuple[str, ...]] = set()
    for n, c in enumerate(citations, 1):
        for ref in c.get("references") or []:
            keys = tuple(ref.get("keys") or ([ref["key"]] if ref.get("key") else []))
            if ref.get("external") or not ref.get("key") or not keys or keys in seen or c["key"] in keys:
                continue
            seen.add(keys)
            written = " ".join(ref["text"].split())
            shown = ref["label"] if written == ref["label"] else f"{written} → {ref['label']}"
            value = ",".join(keys)
            while len(value) > 2000:  # a long range: as many of its clauses as a value holds
                value = value.rsplit(",", 1)[0]
            buttons.append({"type": "button", "action_id": f"show_clause_ref_{len(buttons) + 1}",
                            "text": plain(f"[{n}] {shown}", 75), "value": value})
            if len(buttons) == REFERENCE_BUTTONS:
                return buttons
    return buttons


def clause_modal(*clauses: tuple[str, str]) -> dict[str, Any]:
    """One or more clauses, each a (label, verbatim text), in a modal (≤ 100 blocks)."""
    shown: list[dict[str, Any]] = []
    for label, text in clauses:
        shown.append({"type": "header", "text": plain(label, 150)})
        shown += [{"type": "section", "text": plain(chunk)} for chunk in split_text(text)][:40]
    return {"type": "modal", "title": plain("条文", 24), "close": plain("閉じる"), "blocks": shown[:100]}


# the dialogue modal ---------------------------------------------------------------------------------------

def _option(value: str, label: str) -> dict[str, Any]:
    return {"text": plain(label, 75), "value": value[:150]}


def _element(step: dict[str, Any]) -> dict[str, Any]:
    kind, default = step["kind"], step.get("default")
    options = [_option(o["value"], o["label"]) for o in step["options"]]
    initial = [o for o in options if o["value"] == default or (isinstance(default, dict)
                                                                and o["value"] == default.get("status"))]
    if kind in ("choice", "yesno", "check"):
        element: dict[str, Any] = ({"type": "radio_buttons", "options": options} if len(options) <= 10
                                   else {"type": "static_select", "options": options[:100]})
        if initial:
            element["initial_option"] = initial[0]
        return element
    if kind == "multiselect":
        element = {"type": "checkboxes", "options": options[:10]}
        chosen = [o for o in options if isinstance(default, list) and o["value"] in default]
        if chosen:
            element["initial_options"] = chosen
        return element
    if kind == "datetime":
        element = {"type": "datetimepicker"}
        if default:
            element["initial_date_time"] = int(datetime.fromisoformat(default).timestamp())
        return element
    element = {"type": "plain_text_input", "multiline": kind == "text",
               "max_length": 3000 if kind == "text" else 30}
    if kind == "number":
        element["placeholder"] = plain("数字（わからなければ「わからない」）")
    if default not in (None, "", []):
        element["initial_value"] = str(default)
    return element


def step_modal(view: View, error_notice: str | None = None) -> dict[str, Any]:
    """The modal for the current step, or the summary to confirm. Only the session id travels with it."""
    flow_title = TITLES.get(view.flow, view.title)
    blocks: list[dict[str, Any]] = []
    for notice in view.notices:
        blocks.append({"type": "context", "elements": [mrkdwn(f":information_source: {escape(notice)}")]})
    if view.step is not None:
        step = view.step
        progress = f"ステップ {view.progress['n']} / {view.progress['m']}"
        blocks.append({"type": "context", "elements": [mrkdwn(progress)]})
        label = step["title"] or step["prompt"]
        answer_block: dict[str, Any] = {"type": "input", "block_id": "answer", "label": plain(label, 2000),
                                        "element": {**_element(step), "action_id": "value"},
                                        "optional": not step["required"] or step["kind"] == "check"}
        if step["kind"] == "check" or step["help"]:
            answer_block["hint"] = plain(step["prompt"] if step["kind"] == "check" else step["help"], 2000)
        blocks.append(answer_block)
        if step["kind"] == "multiselect" and step["allow_other"]:
            blocks.append({"type": "input", "block_id": "other", "optional": True, "label": plain("その他（自由記入）"),
                           "element": {"type": "plain_text_input", "action_id": "value", "max_length": 500}})
        if step["kind"] == "check":
            note = (step.get("default") or {}).get("note", "") if isinstance(step.get("default"), dict) else ""
            element = {"type": "plain_text_input", "action_id": "value", "max_length": 1000}
            if note:
                element["initial_value"] = note
            blocks.append({"type": "input", "block_id": "note", "optional": True, "label": plain("メモ"),
                           "element": element})
        basis = step["cite_labels"] + step["basis"]
        if basis:
            blocks.append({"type": "context", "elements": [mrkdwn("根拠: " + escape("、".join(basis)))]})
        submit = "次へ"
    else:
        blocks.append({"type": "header", "text": plain("回答の確認", 150)})
        lines = [f"*{escape(item['prompt'])}*\n{escape(item['display'])}" for item in view.summary]
        for chunk in split_text("\n".join(lines)):
            blocks.append({"type": "section", "text": mrkdwn(chunk)})
        submit = "確定する"
    if view.progress.get("answered", 0) > 1:
        blocks.append({"type": "actions", "block_id": "nav", "elements": [
            {"type": "button", "action_id": "flow_back", "text": plain("← 戻る"),
             "value": view.step["id"] if view.step else "confirm"}]})
    return {"type": "modal", "callback_id": MODAL_CALLBACK, "private_metadata": view.id,
            "title": plain(flow_title, 24), "submit": plain(submit, 24), "close": plain("中断", 24),
            "notify_on_close": True, "blocks": blocks[:100]}


def read_answer(step: dict[str, Any], values: dict[str, Any]) -> Any:
    """The submitted value of the modal's input for this step, in the form FlowService.answer takes."""
    state = values.get("answer", {}).get("value", {})
    kind = step["kind"]
    if kind in ("choice", "yesno"):
        return (state.get("selected_option") or {}).get("value")
    if kind == "check":
        status = (state.get("selected_option") or {}).get("value")
        note = values.get("note", {}).get("value", {}).get("value") or ""
        return {"status": status, "note": note} if status else None
    if kind == "multiselect":
        chosen = [o["value"] for o in state.get("selected_options") or []]
        other = values.get("other", {}).get("value", {}).get("value")
        return chosen + ([other] if other else [])
    if kind == "datetime":
        stamp = state.get("selected_date_time")
        return datetime.fromtimestamp(int(stamp), JST).isoformat(timespec="minutes") if stamp else None
    return state.get("value")


def finished_modal(report: dict[str, Any], link: str) -> dict[str, Any]:
    return {"type": "modal", "title": plain(TITLES.get(report["flow"], "hogo"), 24), "close": plain("閉じる"),
            "blocks": [{"type": "section", "text": mrkdwn(f"*報告書を保存しました*（ID `{report['id']}`）\n{link}")},
                       *report_summary_blocks(report)[:40]]}


# reports ----------------------------------------------------------------------------------------------------

def report_summary_blocks(report: dict[str, Any]) -> list[dict[str, Any]]:
    if report["flow"] != "incident":
        c = report["counts"]
        lines = [f"*{escape(report['title'])}*",
                 f"未対応 {c['gaps']} 件 / 済 {c['done']} 件 / 該当なし {c['not_applicable']} 件"]
        lines += [f"• 未: {escape(g['title'])}（{escape(g['label'])}）" for g in report["gaps"][:15]]
        return [{"type": "section", "text": mrkdwn(chunk)} for chunk in split_text("\n".join(lines))]
    final = report["deadlines"]["final"]
    lines = [f"*{escape(report['title'])}*"]
    if report.get("legal_category"):  # what happened in staff words, and the legal category derived from it
        event = report["answers"].get("event_type", {}).get("display", "未回答")
        lines.append(f"事案の種類: {escape(event)} / 法令上の区分: *{escape(report['legal_category']['label'])}*")
    lines += [f"個人情報保護委員会への報告: *{'必要' if report['ppc_report_required'] else '不要'}*"
              + (f"（{'、'.join(t['label'] for t in report['triggers'])}）" if report["triggers"] else ""),
              f"本人への通知: *{'必要' if report['notify_individuals'] else '不要'}*"]
    if report["ppc_report_required"]:
        lines.append(f"速報: {report['deadlines']['preliminary']['note']} / 確報: *{final['by'] or '要確認'}まで*"
                     f"（{final['days']}日）")
    lines.append("*報告の流れ*")
    lines += [f"{n}. {escape(c['role'])}: {escape(c['action'])}（{escape(c['label'])}）"
              for n, c in enumerate(report["internal_chain"], 1)]
    if report["missing_items"]:
        lines.append("未記入: " + "、".join(report["missing_items"]))
    return [{"type": "section", "text": mrkdwn(chunk)} for chunk in split_text("\n".join(lines))]


def home_view(reports: list[dict[str, Any]]) -> dict[str, Any]:
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": plain("hogo（保護）", 150)},
        {"type": "section", "text": mrkdwn("個人情報の取扱いについて、自治体の規程から条文つきで答えます。"
                                           "チャンネルで @hogo にメンションするか、ここにDMしてください。")},
        {"type": "actions", "block_id": "home", "elements": [
            {"type": "button", "action_id": "home_incident", "style": "danger", "text": plain("漏えい等事案を報告"),
             "value": "incident"},
            {"type": "button", "action_id": "home_consignment", "text": plain("業務委託チェック"),
             "value": "consignment"},
        ]},
        {"type": "header", "text": plain("最近の報告", 150)},
    ]
    if not reports:
        blocks.append({"type": "context", "elements": [mrkdwn("まだ報告はありません。")]})
    for r in reports[:10]:  # an incident report carries the privacy office's status (`status`)
        status = f"・状況: *{escape(r['status'])}*" if r.get("status") else ""
        blocks.append({"type": "section",
                       "text": mrkdwn(f"{escape(r['title'])}\n`{r['id']}` {r['created_at'][:16]}{status}")})
    return {"type": "home", "blocks": blocks}


HELP = """*hogo の使い方*
• `@hogo USBをなくした。誰に報告？` — 規程から条文つきで答えます（スレッドに返信）
• `/hogo 質問` — 同じく質問に答えます
• `/hogo incident` — 漏えい等事案の報告をモーダルで案内します（途中で閉じても続きから再開）
• `/hogo itaku` — 業務委託チェックリスト
• `/hogo status` — 自分が報告した事案の対応状況（受付・速報済・確報済…）と経過
• `/hogo bind <規程ID>` — このチャンネルの質問を1つの規程に限定します
• `/hogo help` — この説明"""
