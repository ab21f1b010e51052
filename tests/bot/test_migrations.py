"""The schema under migrations, on SQLite and PostgreSQL: a new database is made at head, the migrations make
exactly the tables of bot/store.py, `hogo db upgrade` takes in a database of the release before migrations with
its data, and every command that opens the database refuses one that is not at head, in one line."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from bot import migrations
from bot.store import Store, connect

HOGO = str(Path(sys.executable).with_name("hogo"))

# The tables of the release before migrations, frozen as bot/store.py defined them then (created by
# metadata.create_all at every start, no version table).
previous_release = sa.MetaData()
old_sessions = sa.Table(
    "hogo_flow_sessions", previous_release,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("flow", sa.String(64), nullable=False),
    sa.Column("scope", sa.String(128)),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("owner", sa.String(256)),
    sa.Column("state", sa.JSON, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)
old_reports = sa.Table(
    "hogo_reports", previous_release,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("flow", sa.String(64), nullable=False),
    sa.Column("scope", sa.String(128)),
    sa.Column("owner", sa.String(256)),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("data", sa.JSON, nullable=False),
    sa.Column("markdown", sa.Text, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)
sa.Table(
    "hogo_feedback", previous_release,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("question", sa.Text, nullable=False),
    sa.Column("rating", sa.Integer, nullable=False),
    sa.Column("comment", sa.Text),
    sa.Column("cited_keys", sa.JSON, nullable=False),
    sa.Column("channel", sa.String(32)),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)
sa.Table(
    "hogo_slack_events", previous_release,
    sa.Column("event_id", sa.String(128), primary_key=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)
sa.Table(
    "hogo_slack_channels", previous_release,
    sa.Column("channel", sa.String(64), primary_key=True),
    sa.Column("scope", sa.String(128), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)
sa.Table(
    "hogo_heartbeat", previous_release,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("beat_at", sa.DateTime(timezone=True), nullable=False),
)

STAMP = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
STATE = {"step": "summary", "answers": {"event_type": "loss", "summary": "USBメモリを紛失した", "media": ["usb"]}}
REPORT = {"id": "0123456789ab", "legal_category": {"label": "漏えいのおそれ"}, "citations": ["koriyama-kijun:23:1"]}
MARKDOWN = "# 漏えい等事案 報告書\n\n- 発覚日時: 2026-12-01\n"


def made_by_previous_release(url: str, tables: list[str] | None = None) -> None:
    """A database as the release before migrations left it: its tables, a dialogue session and a report."""
    engine = connect(url)
    previous_release.create_all(engine, tables=[previous_release.tables[t] for t in tables] if tables else None)
    with engine.begin() as conn:
        conn.execute(sa.insert(old_sessions).values(
            id="0123456789ab", flow="incident", scope="koriyama-kijun", status="finished", owner="web:visitor",
            state=STATE, version=7, created_at=STAMP, updated_at=STAMP))
        conn.execute(sa.insert(old_reports).values(
            id="0123456789ab", flow="incident", scope="koriyama-kijun", owner="web:visitor",
            title="漏えい等事案 報告書（郡山市）", data=REPORT, markdown=MARKDOWN, created_at=STAMP))
    engine.dispose()


def hogo(*args: str, url: str, tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    environ = {**os.environ, "HOGO_DATA_DIR": str(tmp_path / "data"), "HOGO_DATABASE_URL": url, **env}
    return subprocess.run([HOGO, *args], capture_output=True, text=True, timeout=120, env=environ)


def differences(url: str) -> list:
    """What Alembic's autogenerate finds between the database and bot/store.py's tables."""
    engine = connect(url)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"version_table": migrations.VERSION_TABLE,
                                                         "compare_type": True})
        found = compare_metadata(context, migrations.all_tables())
    engine.dispose()
    return found


def revision_of(url: str) -> str | None:
    engine = connect(url)
    with engine.connect() as conn:
        state = migrations.read_state(conn)
    engine.dispose()
    return state.revision


def test_a_new_database_is_made_at_head_with_exactly_the_store_tables(empty_db_url):
    Store(empty_db_url).close()
    assert revision_of(empty_db_url) == migrations.head()
    found = differences(empty_db_url)  # a table or column added to bot.store.metadata without its migration
    assert found == [], f'draft the migration: python -m bot.migrations revision "what changed" ({found})'


def test_db_upgrade_takes_in_a_database_of_the_previous_release(empty_db_url, tmp_path):
    made_by_previous_release(empty_db_url)
    assert revision_of(empty_db_url) is None

    result = hogo("db", "upgrade", url=empty_db_url, tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"{migrations.head()}\n"
    assert f"from revision none (made before migrations) to {migrations.head()}" in result.stderr
    assert revision_of(empty_db_url) == migrations.head()
    assert differences(empty_db_url) == []

    store = Store(empty_db_url)
    try:
        session = store.get_session("0123456789ab")
        assert (session.flow, session.status, session.version, session.state) == ("incident", "finished", 7, STATE)
        assert session.created_at == STAMP
        report = store.get_report("0123456789ab")
        assert (report.title, report.data, report.markdown) == ("漏えい等事案 報告書（郡山市）", REPORT, MARKDOWN)
        assert [r.id for r in store.list_reports()] == ["0123456789ab"]
        assert store.create_session("consignment", None, {"answers": {}}, None).version == 1
    finally:
        store.close()

    again = hogo("db", "upgrade", url=empty_db_url, tmp_path=tmp_path)
    assert (again.returncode, again.stdout, again.stderr) == (0, f"{migrations.head()}\n", "")
    current = hogo("db", "current", url=empty_db_url, tmp_path=tmp_path)
    assert (current.returncode, current.stdout) == (0, f"{migrations.head()} (head)\n")


@pytest.mark.parametrize("command", [("serve",), ("slack",), ("flow", "list"), ("reports", "list")])
def test_start_up_refuses_a_database_made_before_migrations_in_one_line(command, tmp_path):
    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    made_by_previous_release(url)
    result = hogo(*command, url=url, tmp_path=tmp_path, HOGO_SLACK_BOT_TOKEN="xoxb-test",
                  HOGO_SLACK_SIGNING_SECRET="secret", HOGO_SLACK_APP_TOKEN="xapp-test")
    assert result.returncode == 2
    assert result.stderr == (f"error: database is at revision none (made before migrations), this release needs "
                             f"{migrations.head()}: run 'hogo db upgrade'\n")
    assert revision_of(url) is None  # refused, not changed


def test_a_database_migrated_by_a_later_release_is_refused(empty_db_url, tmp_path):
    Store(empty_db_url).close()
    engine = connect(empty_db_url)
    with engine.begin() as conn:
        conn.execute(sa.text(f"UPDATE {migrations.VERSION_TABLE} SET version_num = '9999'"))
    engine.dispose()
    for command in (("reports", "list"), ("db", "upgrade")):
        result = hogo(*command, url=empty_db_url, tmp_path=tmp_path)
        assert result.returncode == 2
        assert result.stderr == (f"error: database is at revision 9999, which this release does not know (it needs "
                                 f"{migrations.head()}): a newer release migrated it; run that release or a later "
                                 f"one\n")
    current = hogo("db", "current", url=empty_db_url, tmp_path=tmp_path)
    assert current.returncode == 1 and current.stdout.startswith("database is at revision 9999")
    assert revision_of(empty_db_url) == "9999"


def test_an_empty_data_dir_needs_no_upgrade_step(tmp_path):
    """The README's run command on a fresh data dir: the database appears at head by itself."""
    environ = {k: v for k, v in os.environ.items() if k != "HOGO_DATABASE_URL"}
    environ["HOGO_DATA_DIR"] = str(tmp_path / "fresh")
    before = subprocess.run([HOGO, "db", "current"], capture_output=True, text=True, timeout=120, env=environ)
    assert before.returncode == 0 and before.stdout.startswith("none (empty database)")
    listed = subprocess.run([HOGO, "reports", "list"], capture_output=True, text=True, timeout=120, env=environ)
    assert listed.returncode == 0, listed.stderr
    after = subprocess.run([HOGO, "db", "current"], capture_output=True, text=True, timeout=120, env=environ)
    assert after.stdout == f"{migrations.head()} (head)\n"


def test_a_database_older_than_the_previous_release_gets_its_missing_tables(tmp_path):
    url = f"sqlite:///{tmp_path / 'older.sqlite3'}"
    made_by_previous_release(url, tables=["hogo_flow_sessions", "hogo_reports", "hogo_feedback"])
    engine = connect(url)
    before, after = migrations.upgrade(engine)
    engine.dispose()
    assert (before.legacy, after) == (True, migrations.head())
    assert differences(url) == []
    store = Store(url)
    try:
        assert store.get_report("0123456789ab").data == REPORT
        assert store.claim_event("Ev01") and store.channel_scope("C01") is None
        store.check_writable()
    finally:
        store.close()


def test_processes_starting_together_on_a_new_database_all_start(empty_db_url):
    errors: list[BaseException] = []

    def start() -> None:
        try:
            Store(empty_db_url).close()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=start) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert revision_of(empty_db_url) == migrations.head()


def test_a_process_starting_while_another_holds_the_new_sqlite_file_waits_for_it(tmp_path):
    # SQLite refuses the switch to WAL at once, busy timeout or not, while another connection holds a transaction
    path = tmp_path / "new.sqlite3"
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    errors: list[BaseException] = []

    def start() -> None:
        try:
            Store(f"sqlite:///{path}").close()
        except BaseException as exc:
            errors.append(exc)

    thread = threading.Thread(target=start)
    thread.start()
    time.sleep(0.5)
    other.execute("COMMIT")
    other.close()
    thread.join()
    assert errors == []
    assert revision_of(f"sqlite:///{path}") == migrations.head()


def test_db_upgrade_of_a_database_that_cannot_be_reached_is_one_line(tmp_path):
    result = hogo("db", "upgrade", url="postgresql+psycopg://postgres@127.0.0.1:1/test", tmp_path=tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith("error: cannot open the database (") and result.stderr.count("\n") == 1
    assert "check HOGO_DATABASE_URL" in result.stderr
