"""Incident cases: each stored incident report with its deadlines, days left on a given day, and the status
timeline the privacy office advances (受付 → 速報済 → 確報済 → 本人通知済 → 完了).

受付 is the report itself (its date and its reporter); every later step is a row of ``case_events`` with the
day it was taken, who recorded it and a note. Steps only move forward; one may be skipped (a case that
needs no report to the PPC goes from 受付 to 完了).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from bot.desk.tables import case_events
from bot.dialogue.values import JST
from bot.privacy import mask_my_numbers
from bot.store import ReportNotFound, ReportRow, Store, _utc
from bot.web.models import CaseOut
from corpus.errors import HogoError

STATUSES = {"received": "受付", "preliminary": "速報済", "final": "確報済", "notified": "本人通知済", "closed": "完了"}
ORDER = list(STATUSES)
SORTS = {"due": "確報期限が近い順", "created": "新しい順"}
MAX_NOTE = 1000


class StatusError(HogoError):
    code = "invalid_status"
    exit_code = 2
    http_status = 422
    default_ja = "この状況には進められません。"


@dataclass(frozen=True)
class Step:
    status: str
    done_on: date
    by: str
    note: str | None
    recorded_at: datetime

    @property
    def label(self) -> str:
        return STATUSES[self.status]

    @property
    def reporter_note(self) -> str | None:
        """The note as the reporter reads it: the desk's form says it is shown to them; masked again on the way
        out, whatever wrote it."""
        return mask_my_numbers(self.note)[0] if self.note else None


@dataclass(frozen=True)
class Due:
    """A deadline on a given day: ``days`` left (negative: overdue), or done, or not required."""

    on: date | None
    days: int | None
    done: bool
    required: bool

    @property
    def text(self) -> str:
        if not self.required:
            return "不要"
        if self.done:
            return "済"
        if self.on is None:
            return "未定（発覚日が未入力）"
        if self.days is None:
            return self.on.isoformat()
        if self.days > 0:
            return f"あと{self.days}日"
        return "本日" if self.days == 0 else f"{-self.days}日超過"

    @property
    def urgent(self) -> bool:
        return self.required and not self.done and self.days is not None and self.days <= 2


@dataclass
class Case:
    report: ReportRow
    timeline: list[Step]
    today: date
    data: dict[str, Any] = field(init=False)

    def __post_init__(self) -> None:
        self.data = self.report.data

    @property
    def id(self) -> str:
        return self.report.id

    @property
    def status(self) -> str:
        return self.timeline[-1].status

    @property
    def status_label(self) -> str:
        return STATUSES[self.status]

    @property
    def city(self) -> str:
        return self.data.get("municipality") or self.report.scope or ""

    @property
    def event_label(self) -> str:
        shown = (self.data.get("answers") or {}).get("event_type") or {}
        return shown.get("display") or self.data.get("event_type") or "未入力"

    @property
    def affected(self) -> str:
        shown = (self.data.get("answers") or {}).get("affected_count") or {}
        value = shown.get("value")
        if isinstance(value, int):
            return f"{value:,}人"
        return "不明" if value in (None, "unknown") else str(shown.get("display") or value)

    @property
    def ppc_required(self) -> bool:
        return bool(self.data.get("ppc_report_required"))

    @property
    def known_on(self) -> date | None:
        return _day((self.data.get("deadlines") or {}).get("known_on"))

    def _reached(self, status: str) -> bool:
        return ORDER.index(self.status) >= ORDER.index(status)

    @property
    def preliminary(self) -> Due:
        guide = ((self.data.get("deadlines") or {}).get("preliminary") or {})
        on = _day(guide.get("guide_to"))
        return Due(on, (on - self.today).days if on else None, self._reached("preliminary"), self.ppc_required)

    @property
    def preliminary_from(self) -> date | None:
        return _day(((self.data.get("deadlines") or {}).get("preliminary") or {}).get("guide_from"))

    @property
    def final(self) -> Due:
        on = _day(((self.data.get("deadlines") or {}).get("final") or {}).get("by"))
        return Due(on, (on - self.today).days if on else None, self._reached("final"), self.ppc_required)

    @property
    def missing_items(self) -> list[str]:
        return list(self.data.get("missing_items") or [])

    def next_statuses(self) -> list[str]:
        """The steps this case may move to, the suggested one first: forward only, and 速報 and 確報 only when a
        report to the PPC is required."""
        later = ORDER[ORDER.index(self.status) + 1:]
        if not self.ppc_required:
            later = [s for s in later if s not in ("preliminary", "final")]
        return later

    @property
    def updated_on(self) -> date:
        """The day the case reached its status (the report's own day while it is only 受付)."""
        return self.timeline[-1].done_on

    def summary(self) -> dict[str, Any]:
        """What the reporter sees of the office's handling: status, the day it last changed and the dated steps
        with their notes. Never the account that recorded a step or when it was typed in."""
        return {"status": self.status, "label": self.status_label, "updated_on": self.updated_on.isoformat(),
                "timeline": [{"status": s.status, "label": s.label, "on": s.done_on.isoformat(),
                              "note": s.reporter_note} for s in self.timeline]}


def _day(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


def today_in_japan(moment: datetime) -> date:
    return moment.astimezone(JST).date()


class Cases:
    """The cases over the report store; ``clock`` gives "now" (tests freeze it)."""

    def __init__(self, store: Store, clock) -> None:
        self.store, self.clock = store, clock

    def today(self) -> date:
        return today_in_japan(self.clock())

    @property
    def engine(self) -> Engine:
        return self.store.engine

    def _timelines(self, report_ids: list[str] | None = None) -> dict[str, list[Step]]:
        query = select(case_events).order_by(case_events.c.id)
        if report_ids is not None:
            query = query.where(case_events.c.report_id.in_(report_ids))
        out: dict[str, list[Step]] = {}
        with self.engine.connect() as conn:
            for row in conn.execute(query).mappings():
                out.setdefault(row["report_id"], []).append(
                    Step(row["status"], row["done_on"], row["by"], row["note"], _utc(row["recorded_at"])))
        return out

    def _case(self, report: ReportRow, steps: list[Step], today: date) -> Case:
        received = Step("received", today_in_japan(report.created_at), "報告者", None, report.created_at)
        return Case(report, [received, *sorted(steps, key=lambda s: ORDER.index(s.status))], today)

    def get(self, report_id: str) -> Case:
        if len(report_id) > 64:
            raise ReportNotFound("report id too long")
        report = self.store.get_report(report_id)
        if report.flow != "incident":
            raise ReportNotFound(f"report {report_id} is not an incident report")
        return self._case(report, self._timelines([report_id]).get(report_id, []), today_in_japan(self.clock()))

    def list(self, status: str | None = None, city: str | None = None, ppc: bool | None = None,
             sort: str = "due") -> list[Case]:
        today = today_in_japan(self.clock())
        timelines = self._timelines()
        cases = [self._case(r, timelines.get(r.id, []), today)
                 for r in self.store.list_reports(flow="incident", limit=100_000)]
        if status:
            cases = [c for c in cases if c.status == status]
        if city:
            cases = [c for c in cases if c.city == city]
        if ppc is not None:
            cases = [c for c in cases if c.ppc_required == ppc]
        if sort == "due":  # open cases by their 確報 due date, then those without one, newest first
            cases.sort(key=lambda c: c.report.created_at, reverse=True)
            cases.sort(key=lambda c: (c.status == "closed", c.final.on is None or c.final.done,
                                      c.final.on or date.max))
        else:
            cases.sort(key=lambda c: c.report.created_at, reverse=True)
        return cases

    def cities(self) -> list[str]:
        return sorted({c.city for c in self.list(sort="created") if c.city})

    def owned_by(self, owner: str, limit: int = 50) -> list[Case]:
        """The incident cases one reporter made (``web:<visitor>``, ``slack:<user>``), newest first."""
        if not owner:
            return []
        reports = self.store.list_reports(flow="incident", owner=owner, limit=limit)
        timelines = self._timelines([r.id for r in reports]) if reports else {}
        today = self.today()
        return [self._case(r, timelines.get(r.id, []), today) for r in reports]

    def progress(self, report: ReportRow) -> CaseOut | None:
        """The office's handling of an incident report as its reporter sees it (None for other reports)."""
        if report.flow != "incident":
            return None
        case = self._case(report, self._timelines([report.id]).get(report.id, []), self.today())
        return CaseOut.model_validate(case.summary())

    def advance(self, report_id: str, status: str, done_on: date, by: str, note: str | None) -> Case:
        """Record a step; refused (422) backwards, for a step already taken, or for one the case skips."""
        case = self.get(report_id)
        if status not in STATUSES or status == "received":
            raise StatusError(f"unknown status {status!r}", "状況を選んでください。")
        if status not in case.next_statuses():
            raise StatusError(f"case {report_id} is {case.status}; cannot move to {status}",
                              f"この事案は「{case.status_label}」です。「{STATUSES[status]}」には進められません。")
        if done_on > today_in_japan(self.clock()):
            raise StatusError("a step cannot be dated in the future", "日付に未来の日は指定できません。")
        note = mask_my_numbers((note or "").strip())[0][:MAX_NOTE] or None
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(case_events).values(report_id=report_id, status=status, done_on=done_on,
                                                        by=by, note=note, recorded_at=self.clock()))
        except IntegrityError:
            raise StatusError(f"case {report_id} already has step {status}",
                              f"「{STATUSES[status]}」は既に記録されています。") from None
        return self.get(report_id)
