"""Telling the reporter that the privacy office moved their case on.

A report made in Slack (owner ``slack:<user>``) gets a DM from the hogo bot with the new status, its day and the
office's note for the reporter, through the same Web API client the reminders use (``HOGO_SLACK_BOT_TOKEN``,
``HOGO_SLACK_API_URL``). A report made in the web widget is read there (「報告の状況」, ``GET /api/reports``).
The desk posts after it has answered the clerk, so a slow Slack never holds the page; a failed post is logged
and written to the audit log, and the reporter still finds the status with ``/hogo status``.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from bot.desk import audit_log
from bot.desk.cases import STATUSES
from bot.settings import Settings

if TYPE_CHECKING:
    from bot.desk.service import Desk

log = logging.getLogger("hogo.desk")


def slack_client(settings: Settings) -> Any:
    """A Slack Web API client for the bot token, or None when Slack is not configured."""
    if not settings.slack_bot_token:
        return None
    from slack_sdk import WebClient

    kwargs = {"base_url": settings.slack_api_url} if settings.slack_api_url else {}
    return WebClient(token=settings.slack_bot_token, **kwargs)


def slack_user(owner: str | None) -> str | None:
    """The Slack user id of a report made in Slack."""
    user = owner.removeprefix("slack:") if owner and owner.startswith("slack:") else ""
    return user or None


def tell_reporter(desk: Desk, report_id: str, status: str, client: Any = None) -> bool:
    """DM the Slack reporter of a case about its step ``status``; False when there is no one to tell (a web
    report, Slack not configured) or the post failed."""
    from bot.slack.status import change_notice

    case = desk.cases.get(report_id)
    user = slack_user(case.report.owner)
    if user is None:
        return False
    client = client or slack_client(desk.settings)
    if client is None:
        log.info("case %s moved to %s; Slack is not configured, so its reporter is not told", report_id, status)
        return False
    from slack_sdk.errors import SlackApiError

    text, blocks = change_notice(case, status)
    try:
        client.chat_postMessage(channel=user, text=text, blocks=blocks, unfurl_links=False)
    except Exception as exc:  # Slack's error code only: the message itself stays out of the log
        reason = exc.response.get("error") if isinstance(exc, SlackApiError) else type(exc).__name__
        log.warning("telling the reporter of case %s about %s failed: %s", report_id, status, reason)
        audit_log.record(desk.store.engine, desk.now(), "hogo", "reporter_notice_failed", report_id,
                         f"Slack: {STATUSES[status]}（{reason}）")
        return False
    audit_log.record(desk.store.engine, desk.now(), "hogo", "reporter_notified", report_id,
                     f"Slack: {STATUSES[status]}")
    return True


def tell_reporter_later(desk: Desk, report_id: str, status: str) -> None:
    """``tell_reporter`` as a background task: whatever goes wrong stays in the log."""
    try:
        tell_reporter(desk, report_id, status)
    except Exception:
        log.exception("telling the reporter of case %s failed", report_id)
