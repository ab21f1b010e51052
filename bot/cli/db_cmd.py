"""`hogo db …`: the database schema (its revision, and the upgrade a new release may need)."""

from __future__ import annotations

import typer

from bot import migrations
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
    engine = open_database(Settings())
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
    engine = open_database(Settings())
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
