"""The desk's audit log: every sign-in (success and failure, by password or through the city's identity
provider), sign-out, case view, change and export, with who, when, what and the target. Free text is masked
(My Numbers) before it is stored, as everywhere in hogo."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select
from sqlalchemy.engine import Engine

from bot.desk.tables import audit
from bot.privacy import mask_my_numbers
from bot.store import _utc

ACTIONS = {
    "login_success": "サインイン",
    "login_failure": "サインイン失敗",
    "login_locked": "サインイン制限",
    "oidc_login_success": "サインイン（組織のアカウント）",
    "oidc_login_failure": "サインイン失敗（組織のアカウント）",
    "logout": "サインアウト",
    "case_list": "事案一覧の閲覧",
    "case_view": "事案の閲覧",
    "case_status": "状況の更新",
    "case_export": "事案の出力",
    "cases_export": "事案一覧の出力",
    "audit_view": "監査ログの閲覧",
    "feedback_view": "フィードバックの閲覧",
    "feedback_expansion": "言い換えの追加",
    "feedback_off_topic": "対象外として登録",
    "reminder_sent": "リマインダー送信",
    "reporter_notified": "報告者への通知",
    "reporter_notice_failed": "報告者への通知失敗",
}


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: datetime
    actor: str
    action: str
    target: str | None
    detail: str | None
    ip: str | None

    @property
    def action_label(self) -> str:
        return ACTIONS.get(self.action, self.action)


def record(engine: Engine, at: datetime, actor: str, action: str, target: str | None = None,
           detail: str | None = None, ip: str | None = None) -> None:
    """One line of the audit log; the actor, target and detail are masked and cut to their columns."""
    with engine.begin() as conn:
        conn.execute(insert(audit).values(
            at=at, actor=mask_my_numbers(actor)[0][:64], action=action,
            target=mask_my_numbers(target)[0][:128] if target else None,
            detail=mask_my_numbers(detail)[0][:2000] if detail else None, ip=(ip or "")[:64] or None))


def entries(engine: Engine, limit: int = 200, action: str | None = None, actor: str | None = None,
            before: int | None = None) -> list[AuditEntry]:
    """Newest first; ``before`` (an id) pages back."""
    query = select(audit).order_by(audit.c.id.desc()).limit(limit)
    if action:
        query = query.where(audit.c.action == action)
    if actor:
        query = query.where(audit.c.actor == actor)
    if before:
        query = query.where(audit.c.id < before)
    with engine.connect() as conn:
        return [AuditEntry(**{**row, "at": _utc(row["at"])}) for row in conn.execute(query).mappings()]
