"""Draft the next revision from the difference between bot/store.py's tables and the schema at head.

    python -m bot.migrations revision "add the case desk tables"

writes bot/migrations/versions/000N_add_the_case_desk_tables.py (batch operations, which run on SQLite and
PostgreSQL alike); read it and fix what autogenerate cannot know (renames, data to move) before committing.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from bot import migrations
from bot.store import connect


def revision(message: str) -> Path:
    from alembic import command

    migrations.all_tables()  # autogenerate compares the tables defined outside bot/store.py too
    with tempfile.TemporaryDirectory() as tmp:
        engine = connect(f"sqlite:///{Path(tmp) / 'head.sqlite3'}")
        try:
            with engine.begin() as conn:
                command.upgrade(migrations.config(conn), "head")
                script = command.revision(migrations.config(conn), message=message, autogenerate=True,
                                          rev_id=f"{int(migrations.head()) + 1:04d}")
        finally:
            engine.dispose()
    return Path(script.path)  # type: ignore[union-attr]


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] != "revision" or not argv[1].strip():
        print('usage: python -m bot.migrations revision "what changed"', file=sys.stderr)
        return 2
    print(revision(argv[1]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
