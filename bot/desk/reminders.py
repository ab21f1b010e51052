"""Reminders to the privacy-office Slack channel (HOGO_SLACK_REPORT_CHANNEL): when a case's 速報 guide date
arrives, and 5, 2 and 0 days before its 確報 is due, each once.

Every reminder is claimed by inserting its (report, kind) row before it is posted: with several workers or
after a restart only the process whose insert succeeded posts it. A post that fails gives its claim back, so
the next run tries again. A case met late (3 days left) gets the most urgent reminder due and the earlier ones
are marked skipped, not sent in a burst. Cases past a step (速報済, 確報済, 完了) get no reminder for it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, insert, update
from sqlalchemy.exc import IntegrityError

from bot.desk import audit_log, notify
from bot.desk.cases import Case
from bot.desk.notify import slack_client
from bot.desk.tables import reminders

if TYPE_CHECKING:
    from bot.desk.service import Desk

log = logging.getLogger("hogo.desk")
FINAL_DAYS = (5, 2, 0)  # days before the 確報 due date
INTERVAL_SECONDS = 600  # how often the scheduler looks


@dataclass(frozen=True)
class Reminder:
    case: Case
    kind: str  # preliminary | final-5 | final-2 | final-0
    skipped: tuple[str, ...] = ()  # earlier kinds of the same deadline, passed before the case was seen

    def text(self, link: str | None) -> str:
        case, where = self.case, f"（{link}）" if link else f"（事案ID {self.case.id}）"
        head = f"{case.city}・{case.event_label}・本人{case.affected}"
        if self.kind == "preliminary":
            return (f":bell: 速報の目安日です: {head}。個人情報保護委員会への速報"
                    f"（速やかに、目安 {case.preliminary_from}〜{case.preliminary.on}）が未記録です{where}")
        days = case.final.days or 0
        when = f"あと{days}日" if days > 0 else ("本日" if days == 0 else f"{-days}日超過")
        return f":alarm_clock: 確報の期限 {case.final.on}（{when}）: {head}。確報が未記録です{where}"


def due_reminders(cases: list[Case]) -> list[Reminder]:
    """The reminders these cases call for on their day (before claims)."""
    out = []
    for case in cases:
        if not case.ppc_required or case.status == "closed":
            continue
        guide = case.preliminary_from
        if not case.preliminary.done and guide is not None and case.today >= guide:
            out.append(Reminder(case, "preliminary"))
        final = case.final
        if not final.done and final.days is not None:
            reached = [d for d in FINAL_DAYS if final.days <= d]
            if reached:
                kinds = [f"final-{d}" for d in reached]
                out.append(Reminder(case, kinds[-1], tuple(kinds[:-1])))
    return out


def _claim(desk: Desk, report_id: str, kind: str, state: str, at: datetime) -> bool:
    try:
        with desk.store.engine.begin() as conn:
            conn.execute(insert(reminders).values(report_id=report_id, kind=kind, state=state, claimed_at=at))
    except IntegrityError:
        return False
    return True


def run(desk: Desk, client: Any = None) -> list[str]:
    """Post the reminders due now; returns '<report id>:<kind>' of those this call sent."""
    settings = desk.settings
    channel = settings.slack_report_channel
    if not channel or not (client or settings.slack_bot_token):
        return []
    if client is None:
        client = slack_client(settings)
    at = desk.now()
    sent = []
    for reminder in due_reminders(desk.cases.list(sort="due")):
        report_id = reminder.case.id
        for kind in reminder.skipped:
            _claim(desk, report_id, kind, "skipped", at)
        if not _claim(desk, report_id, reminder.kind, "claimed", at):
            continue  # another worker has it, or it went out before
        link = f"{settings.public_url.rstrip('/')}/desk/cases/{report_id}" if settings.public_url else None
        text = reminder.text(link)
        try:
            client.chat_postMessage(channel=channel, text=text, unfurl_links=False)
        except Exception:
            log.exception("reminder %s for case %s could not be posted; it will be tried again", reminder.kind,
                          report_id)
            with desk.store.engine.begin() as conn:
                conn.execute(delete(reminders).where(reminders.c.report_id == report_id,
                                                     reminders.c.kind == reminder.kind))
            continue
        with desk.store.engine.begin() as conn:
            conn.execute(update(reminders).where(reminders.c.report_id == report_id, reminders.c.kind == reminder.kind)
                         .values(state="sent", detail={"text": text}))
        audit_log.record(desk.store.engine, at, "hogo", "reminder_sent", report_id, reminder.kind)
        sent.append(f"{report_id}:{reminder.kind}")
    return sent


def tick(desk: Desk) -> None:
    """One scheduler run: the site's vocabulary if another process changed it, then the reminders."""
    from bot.desk import vocabulary

    try:
        vocabulary.refresh(desk.engine, desk.settings.data_dir)
    except Exception:
        log.exception("reloading the site vocabulary failed")
    try:
        run(desk)
    except Exception:
        log.exception("the reminder run failed; the next one tries again")
    try:
        notify.retry_failed(desk)
    except Exception:
        log.exception("trying the failed reporter notices again failed; the next run tries again")


def start_scheduler(desk: Desk, interval: int = INTERVAL_SECONDS) -> Any:
    """An APScheduler background scheduler running ``tick`` every ``interval`` seconds, the first time one interval
    after start (a server restarted in a loop does not post on every start; `hogo desk remind` runs it now)."""
    from apscheduler.schedulers.background import BackgroundScheduler

    scheduler = BackgroundScheduler(timezone="Asia/Tokyo", daemon=True)
    scheduler.add_job(tick, "interval", seconds=interval, args=[desk], id="hogo-desk", max_instances=1,
                      coalesce=True)
    scheduler.start()
    return scheduler
