"""The migrations produce exactly the schema snapshot in db/schema.sql (regenerate it with
``python -m tests.test_migrations``)."""

from __future__ import annotations

import sys
from pathlib import Path

from desktop.storage import catalogue as store

SNAPSHOT = Path(__file__).resolve().parent.parent / "db" / "schema.sql"


def current_schema() -> str:
    db = store.open_db(":memory:")
    rows = db.execute(
        "select sql from sqlite_master where sql is not null and name not like 'sqlite_%' "
        "and name not like '%_fts_%' order by type desc, name"
    ).fetchall()
    return "-- Generated from db/migrations/ by tests/test_migrations.py; do not edit.\n\n" + "".join(
        f"{sql};\n\n" for (sql,) in rows
    )


def test_schema_snapshot_is_current() -> None:
    assert SNAPSHOT.read_text(encoding="utf-8") == current_schema(), (
        "db/schema.sql is stale: run `.venv/bin/python -m tests.test_migrations`"
    )


def test_every_migration_is_recorded() -> None:
    db = store.open_db(":memory:")
    applied = [row["name"] for row in db.query("select name from _sqlite_migrations order by id")]
    assert applied == store.known_migrations()


if __name__ == "__main__":
    SNAPSHOT.write_text(current_schema(), encoding="utf-8")
    sys.exit(0)
