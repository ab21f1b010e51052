"""The tables of the release before migrations: flow sessions, reports, feedback, Slack event ids and channel
bindings, and the readiness heartbeat.

Revision ID: 0001
Revises:
Create Date: 2026-12-08
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    # if_not_exists: a database made before migrations by a build older than that release lacks the tables added
    # since (bot.migrations runs this revision on it instead of stamping it); on an empty database it changes nothing
    op.create_table(
        "hogo_flow_sessions",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("flow", sa.String(64), nullable=False),
        sa.Column("scope", sa.String(128)),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("owner", sa.String(256)),
        sa.Column("state", sa.JSON, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        if_not_exists=True,
    )
    op.create_table(
        "hogo_reports",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("flow", sa.String(64), nullable=False),
        sa.Column("scope", sa.String(128)),
        sa.Column("owner", sa.String(256)),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("data", sa.JSON, nullable=False),
        sa.Column("markdown", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        if_not_exists=True,
    )
    op.create_table(
        "hogo_feedback",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("question", sa.Text, nullable=False),
        sa.Column("rating", sa.Integer, nullable=False),
        sa.Column("comment", sa.Text),
        sa.Column("cited_keys", sa.JSON, nullable=False),
        sa.Column("channel", sa.String(32)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        if_not_exists=True,
    )
    op.create_table(
        "hogo_slack_events",
        sa.Column("event_id", sa.String(128), primary_key=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        if_not_exists=True,
    )
    op.create_table(
        "hogo_slack_channels",
        sa.Column("channel", sa.String(64), primary_key=True),
        sa.Column("scope", sa.String(128), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        if_not_exists=True,
    )
    op.create_table(
        "hogo_heartbeat",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("beat_at", sa.DateTime(timezone=True), nullable=False),
        if_not_exists=True,
    )


def downgrade() -> None:
    for table in ("hogo_heartbeat", "hogo_slack_channels", "hogo_slack_events", "hogo_feedback", "hogo_reports",
                  "hogo_flow_sessions"):
        op.drop_table(table)
