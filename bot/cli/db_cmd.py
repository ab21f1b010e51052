"""`hogo db …`: the database schema (its revision, and the upgrade a new release may need)."""

from __future__ import annotations

import typer
from sqlalchemy.engine import Engine
from sqlalchemy.exc import ArgumentError, DBAPIError

from bot import migrations
from bot.faults import Unavailable, one_line
from bot.services import open_database
from bot.settings import Settings

app = typer.Typer(help="The database schema: where it stands and the upgrade to this release.", no_args_is_help=True)


@app.command("upgrade")
def upgrade() -> None:
    """Bring the database (HOGO_DATABASE_URL, or SQLite in the data dir) to this release's schema; print its revision.

    Run it once after installing a new release, before starting the servers; a database already at the
    release's revision is left as it is, and one made before migrations is taken in with its data.
    Example: hogo db upgrade
    """
    engine = _database()
    try:
        before, after = migrations.upgrade(engine)
    finally:
        engine.dispose()
    if before.revision != after:
        typer.echo(f"hogo: database upgraded from revision {before.label} to {after}", err=True)
    typer.echo(after)


@app.command("current")
def current() -> None:
    """Print the database's revision; exit 1 when this release cannot start on it before hogo db upgrade.

    Example: hogo db current
    """
    engine = _database()
    try:
        with engine.connect() as conn:
            state = migrations.read_state(conn)
    finally:
        engine.dispose()
    if state.at_head:
        typer.echo(f"{state.label} (head)")
    elif state.empty:
        typer.echo(f"{state.label}: the first start creates it at {state.head}")
    else:
        typer.echo(state.problem())
        raise typer.Exit(1)


def _database() -> Engine:
    """The configured database, reached once: a mistyped URL or a server that refuses is one line."""
    engine = None
    try:
        engine = open_database(Settings())
        with engine.connect():
            pass
    except (ArgumentError, DBAPIError, ImportError, OSError) as exc:
        if engine is not None:
            engine.dispose()
        raise Unavailable(f"cannot open the database ({one_line(exc)}): check HOGO_DATABASE_URL and that the "
                          "database runs") from None
    return engine
