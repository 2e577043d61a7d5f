"""All SQL of the pharmacy settings: one row per field, its value as JSON.

``desktop.settings`` owns the ``Settings`` record and its validation; this module only reads and
writes the stored values, so the record can change without touching SQL.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # sqlite-utils is imported by whoever opens the database
    from sqlite_utils import Database


def load(db: Database) -> dict[str, object]:
    """Every stored setting by field name (empty for a database that never saved any)."""
    if not db.table("settings").exists():
        return {}
    return {row["key"]: json.loads(row["value"]) for row in db.query("select key, value from settings")}


def save(db: Database, values: Mapping[str, object]) -> None:
    """Store the values (field name -> JSON-able value) in one transaction."""
    now = datetime.now().isoformat(timespec="seconds")
    with db.atomic():
        for key, value in values.items():
            db.table("settings").upsert(
                {"key": key, "value": json.dumps(value, ensure_ascii=False), "updated_at": now}, pk="key"
            )
