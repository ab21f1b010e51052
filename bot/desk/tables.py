"""The desk's tables, on the same MetaData as ``bot.store`` so that table creation and migrations see them."""

from __future__ import annotations

import time

from sqlalchemy import JSON, Column, Date, DateTime, Index, Integer, String, Table, Text, UniqueConstraint
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

from bot.store import metadata

users = Table(
    "hogo_desk_users", metadata,  # privacy-office staff (office: may change cases) and auditors (read only)
    Column("name", String(64), primary_key=True),
    Column("role", String(16), nullable=False),
    Column("password_hash", String(256), nullable=False),
    Column("active", Integer, nullable=False, default=1),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

sessions = Table(
    "hogo_desk_sessions", metadata,  # signed-in browsers; the cookie holds the id, the table only its hash
    Column("id_hash", String(64), primary_key=True),
    Column("user_name", String(64), nullable=False),
    Column("csrf", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
)

case_events = Table(
    "hogo_desk_case_events", metadata,  # the status timeline of an incident case (受付 is the report itself)
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("report_id", String(32), nullable=False, index=True),
    Column("status", String(16), nullable=False),
    Column("done_on", Date, nullable=False),  # the day the step was taken (e.g. the 速報 was sent)
    Column("by", String(64), nullable=False),
    Column("note", Text),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("report_id", "status", name="uq_hogo_desk_case_events_step"),  # each step once
)

audit = Table(
    "hogo_desk_audit", metadata,  # who did what, when, to what: sign-ins, case views, changes, exports
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("actor", String(64), nullable=False),
    Column("action", String(32), nullable=False),
    Column("target", String(128)),
    Column("detail", Text),
    Column("ip", String(64)),
    Index("ix_hogo_desk_audit_action_at", "action", "at"),
)

reminders = Table(
    "hogo_desk_reminders", metadata,  # one row per reminder claimed: sent once across workers and restarts
    Column("report_id", String(32), primary_key=True),
    # preliminary | final-5 | final-2 | final-0, or notice-<status>: a reporter's DM kept for another try
    Column("kind", String(32), primary_key=True),
    # claimed | sent | skipped; a notice also failed | refused | superseded | gave_up
    Column("state", String(16), nullable=False),
    Column("claimed_at", DateTime(timezone=True), nullable=False),
    Column("detail", JSON),
)

feedback_actions = Table(
    "hogo_desk_feedback_actions", metadata,  # what the office did about a 👎 answer
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("feedback_id", Integer, nullable=False, index=True),
    Column("action", String(16), nullable=False),  # expansion | off_topic
    Column("line", Text, nullable=False),
    Column("by", String(64), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
)

DESK_TABLES = [users, sessions, case_events, audit, reminders, feedback_actions]


def create_desk_tables(engine: Engine, attempts: int = 5) -> None:
    """Create the desk's tables where missing, as ``Store`` does for its own: processes starting at once on a
    new database race here, and the losers check again."""
    for attempt in range(attempts):
        try:
            metadata.create_all(engine, tables=DESK_TABLES)
            return
        except DBAPIError:
            if attempt == attempts - 1:
                raise
            time.sleep(0.1 * (attempt + 1))
