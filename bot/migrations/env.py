"""Alembic's environment for hogo's schema. bot.migrations runs it with an open connection (no alembic.ini):
the tables of bot/store.py are the target, and SQLite gets batch mode (it cannot alter most columns in place)."""

from alembic import context

from bot.migrations import VERSION_TABLE
from bot.store import metadata

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=metadata,
    version_table=VERSION_TABLE,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
