"""The privacy office desk: staff accounts and their sign-in sessions, the status timeline of incident cases,
the audit log, reminders claimed and what the office did about a 👎 answer (bot/desk/tables.py).

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # if_not_exists: builds before migrations created these tables at start, so a database they made has them
    op.create_table(
        "hogo_desk_users",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("password_hash", sa.String(256), nullable=False),
        sa.Column("active", sa.Integer, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        if_not_exists=True,
    )
    op.create_table(
        "hogo_desk_sessions",
        sa.Column("id_hash", sa.String(64), primary_key=True),
        sa.Column("user_name", sa.String(64), nullable=False),
        sa.Column("csrf", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        if_not_exists=True,
    )
    op.create_table(
        "hogo_desk_case_events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("report_id", sa.String(32), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("done_on", sa.Date, nullable=False),
        sa.Column("by", sa.String(64), nullable=False),
        sa.Column("note", sa.Text),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("report_id", "status", name="uq_hogo_desk_case_events_step"),
        if_not_exists=True,
    )
    op.create_index("ix_hogo_desk_case_events_report_id", "hogo_desk_case_events", ["report_id"],
                    if_not_exists=True)
    op.create_table(
        "hogo_desk_audit",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("target", sa.String(128)),
        sa.Column("detail", sa.Text),
        sa.Column("ip", sa.String(64)),
        if_not_exists=True,
    )
    op.create_index("ix_hogo_desk_audit_action_at", "hogo_desk_audit", ["action", "at"], if_not_exists=True)
    op.create_table(
        "hogo_desk_reminders",
        sa.Column("report_id", sa.String(32), primary_key=True),
        sa.Column("kind", sa.String(32), primary_key=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("detail", sa.JSON),
        if_not_exists=True,
    )
    op.create_table(
        "hogo_desk_feedback_actions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("feedback_id", sa.Integer, nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("line", sa.Text, nullable=False),
        sa.Column("by", sa.String(64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        if_not_exists=True,
    )
    op.create_index("ix_hogo_desk_feedback_actions_feedback_id", "hogo_desk_feedback_actions", ["feedback_id"],
                    if_not_exists=True)


def downgrade() -> None:
    for table in ("hogo_desk_feedback_actions", "hogo_desk_reminders", "hogo_desk_audit", "hogo_desk_case_events",
                  "hogo_desk_sessions", "hogo_desk_users"):
        op.drop_table(table)  # their indexes go with them
