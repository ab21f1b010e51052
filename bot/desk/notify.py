"""Telling the reporter that the privacy office moved their case on.

A report made in Slack (owner ``slack:<user>``) gets a DM from the hogo bot with the new status, its day and the
office's note for the reporter, through the same Web API client the reminders use (``HOGO_SLACK_BOT_TOKEN``,
``HOGO_SLACK_API_URL``). A report made in the web widget is read there (「報告の状況」, ``GET /api/reports``).
The desk posts after it has answered the clerk, so a slow Slack never holds the page; a failed post is logged
and written to the audit log, and the reporter still finds the status with ``/hogo status``. A post that failed
for a passing reason (Slack unreachable, rate-limited, an error on Slack's side) is kept in the reminders table
(kind ``notice-<status>``) and tried again by the desk's scheduler (``retry_failed``), at most ``MAX_ATTEMPTS``
times and only while the case is still at that step; one refused for good (no such user, the bot not allowed to
write to them) is not.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, insert, select, update
from sqlalchemy.exc import IntegrityError

from bot.desk import audit_log
from bot.desk.cases import STATUSES
from bot.desk.tables import reminders
from bot.settings import Settings

if TYPE_CHECKING:
    from bot.desk.service import Desk

log = logging.getLogger("hogo.desk")
# Slack's error codes that may pass (the Web API's own list); a connection error counts too.
TRANSIENT = frozenset({"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"})
MAX_ATTEMPTS = 5
NOTICE = "notice-"  # kind prefix of a reporter notice kept for another try


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
        slack_error = isinstance(exc, SlackApiError)
        reason = exc.response.get("error") if slack_error else type(exc).__name__
        again = not slack_error or reason in TRANSIENT
        log.warning("telling the reporter of case %s about %s failed: %s%s", report_id, status, reason,
                    "; it will be tried again" if again else "")
        audit_log.record(desk.store.engine, desk.now(), "hogo", "reporter_notice_failed", report_id,
                         f"Slack: {STATUSES[status]}（{reason}）")
        _keep(desk, report_id, status, reason if again else None)
        return False
    _keep(desk, report_id, status, None, sent=True)
    audit_log.record(desk.store.engine, desk.now(), "hogo", "reporter_notified", report_id,
                     f"Slack: {STATUSES[status]}")
    return True


def _keep(desk: Desk, report_id: str, status: str, reason: str | None, sent: bool = False) -> None:
    """Record a notice for another try (``reason``: why it failed), or settle one kept before (sent, or
    refused for good)."""
    kind = f"{NOTICE}{status}"
    key = and_(reminders.c.report_id == report_id, reminders.c.kind == kind)
    with desk.store.engine.begin() as conn:
        row = conn.execute(select(reminders.c.detail).where(key)).first()
        if reason is None:
            if row is not None:
                conn.execute(update(reminders).where(key).values(state="sent" if sent else "refused"))
            return
        attempts = (row.detail or {}).get("attempts", 0) + 1 if row is not None else 1
        values = {"state": "failed", "claimed_at": desk.now(), "detail": {"attempts": attempts, "error": reason}}
        if row is not None:
            conn.execute(update(reminders).where(key).values(**values))
            return
        try:
            with conn.begin_nested():
                conn.execute(insert(reminders).values(report_id=report_id, kind=kind, **values))
        except IntegrityError:  # another worker kept it meanwhile
            pass


def retry_failed(desk: Desk, client: Any = None) -> list[str]:
    """Try again the reporter notices that failed for a passing reason; returns '<report id>:<status>' of those
    sent. A notice whose case has moved on since, or that failed ``MAX_ATTEMPTS`` times, is dropped."""
    with desk.store.engine.connect() as conn:
        kept = conn.execute(select(reminders).where(reminders.c.kind.startswith(NOTICE),
                                                    reminders.c.state == "failed")).mappings().all()
    sent = []
    for row in kept:
        report_id, status = row["report_id"], row["kind"].removeprefix(NOTICE)
        key = and_(reminders.c.report_id == report_id, reminders.c.kind == row["kind"],
                   reminders.c.state == "failed")
        attempts = (row["detail"] or {}).get("attempts", 0)
        moved_on = desk.cases.get(report_id).status != status
        if moved_on or attempts >= MAX_ATTEMPTS:
            with desk.store.engine.begin() as conn:
                conn.execute(update(reminders).where(key).values(state="superseded" if moved_on else "gave_up"))
            if not moved_on:
                audit_log.record(desk.store.engine, desk.now(), "hogo", "reporter_notice_dropped", report_id,
                                 f"Slack: {STATUSES[status]}（{attempts}回失敗）")
            continue
        with desk.store.engine.begin() as conn:  # one worker takes it
            if not conn.execute(update(reminders).where(key).values(state="claimed")).rowcount:
                continue
        if tell_reporter(desk, report_id, status, client):
            sent.append(f"{report_id}:{status}")
    return sent


def tell_reporter_later(desk: Desk, report_id: str, status: str) -> None:
    """``tell_reporter`` as a background task: whatever goes wrong stays in the log."""
    try:
        tell_reporter(desk, report_id, status)
    except Exception:
        log.exception("telling the reporter of case %s failed", report_id)
