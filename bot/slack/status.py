"""What a reporter in Slack reads of the privacy office's handling of their incident reports: the DM sent when
the office moves a case on, and the list `/hogo status` answers with. Status, days and the office's note for
the reporter (the desk's form says it is shown to them); never the account that recorded a step."""

from __future__ import annotations

from typing import Any

from bot.desk.cases import Case, Step
from bot.slack.blocks import escape, mrkdwn, plain

MAX_LISTED = 10  # the newest reports /hogo status shows (a message takes 50 blocks)
MORE = "これまでの経過は `/hogo status` で確認できます。"


def status_line(case: Case) -> str:
    return f"{case.status_label}（{case.updated_on.isoformat()} 更新）"


def _step_line(step: Step) -> str:
    note = step.reporter_note
    return f"• {step.done_on.isoformat()} *{step.label}*" + (f"：{escape(note)}" if note else "")


def change_notice(case: Case, status: str) -> tuple[str, list[dict[str, Any]]]:
    """The DM for the step ``status`` of ``case``: its fallback text and its blocks."""
    step = next(s for s in case.timeline if s.status == status)
    text = f"ご報告の事案の対応状況が「{step.label}」になりました（{case.report.title}）"
    lines = [":information_source: ご報告いただいた事案について、個人情報保護担当が対応状況を更新しました。",
             f"*{escape(case.report.title)}*（報告ID `{case.id}`）",
             f"状況: *{step.label}*（{step.done_on.isoformat()}）"]
    if step.reporter_note:
        lines.append(f"担当からのメモ: {escape(step.reporter_note)}")
    return text, [{"type": "section", "text": mrkdwn("\n".join(lines))},
                  {"type": "context", "elements": [mrkdwn(MORE)]}]


def status_blocks(cases: list[Case]) -> tuple[str, list[dict[str, Any]]]:
    """The reply to `/hogo status`: the user's incident reports, newest first, each with its timeline."""
    if not cases:
        text = "あなたが報告した漏えい等事案はまだありません。`/hogo incident` で報告できます。"
        return text, [{"type": "section", "text": mrkdwn(text)}]
    shown = cases[:MAX_LISTED]
    blocks: list[dict[str, Any]] = [{"type": "header", "text": plain("報告の状況", 150)}]
    for case in shown:
        head = (f"*{escape(case.report.title)}*（報告ID `{case.id}`・報告日 {case.timeline[0].done_on.isoformat()}）\n"
                f"現在の状況: *{status_line(case)}*")
        blocks.append({"type": "section", "text": mrkdwn("\n".join([head, *map(_step_line, case.timeline)]))})
    if len(cases) > len(shown):
        blocks.append({"type": "context", "elements": [mrkdwn(f"新しい{len(shown)}件を表示しています。")]})
    return f"報告の状況（{len(cases)}件）", blocks
