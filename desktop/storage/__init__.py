"""All SQL of Yaomu, one module per aggregate; functions take a connection and return records."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # importing this package must not import sqlite-utils (yaomu search starts without it)
    from sqlite_utils.db import Table


def last_pk(table: Table) -> int:
    """The primary key of the row ``table`` inserted last (an integer key in every Yaomu table)."""
    pk = table.last_pk
    if pk is None:  # pragma: no cover - insert() always sets it
        raise RuntimeError(f"no row inserted into {table.name}")
    return int(pk)
