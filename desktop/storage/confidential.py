"""All SQL of the confidential payment standards ("*"): keyed by entry key + specification + agreement period.

The amount leaves this module only towards the arithmetic of the estimate (``desktop.rules``);
``status`` gives what may be shown: whether a value is entered and until when it is valid.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from desktop.storage import memo

if TYPE_CHECKING:  # importing storage must not import sqlite-utils (yaomu search starts without it)
    from sqlite_utils import Database


@dataclass(frozen=True)
class Stored:
    entry_key: str
    spec: str
    spec_key: str
    agreement_start: date
    agreement_end: date
    amount: Decimal  # never shown
    source: str

    def __repr__(self) -> str:  # a stray log line or traceback never carries the secret
        return f"Stored({self.entry_key!r}, {self.spec!r}, {self.agreement_start}..{self.agreement_end}, amount=***)"


def _row(row: dict[str, Any]) -> Stored:
    return Stored(
        row["entry_key"],
        row["spec"],
        row["spec_key"],
        date.fromisoformat(row["agreement_start"]),
        date.fromisoformat(row["agreement_end"]),
        Decimal(row["amount"]),
        row["source"],
    )


def put(db: Database, values: list[Stored]) -> int:
    """Insert or replace values (same entry, spec and agreement period), in one transaction."""
    now = datetime.now().isoformat(timespec="seconds")
    with db.atomic():
        for v in values:
            db.execute(
                "insert into confidential_standard (entry_key, spec, spec_key, agreement_start, agreement_end, "
                "amount, source, entered_at) values (?, ?, ?, ?, ?, ?, ?, ?) "
                "on conflict (entry_key, spec_key, agreement_start, agreement_end) do update set "
                "spec = excluded.spec, amount = excluded.amount, source = excluded.source, "
                "entered_at = excluded.entered_at",
                [
                    v.entry_key,
                    v.spec,
                    v.spec_key,
                    v.agreement_start.isoformat(),
                    v.agreement_end.isoformat(),
                    str(v.amount),
                    v.source,
                    now,
                ],
            )
    return len(values)


def _has_table(db: Database) -> bool:
    """The table exists (a database opened read-only, without migrating, may predate it): asked once per
    generation of the connection, as sqlite-utils lists every table to answer."""
    return memo.cached(db, "table", "confidential_standard", lambda: bool(db["confidential_standard"].exists()))


def for_entry(db: Database, entry_key: str, start: date, end: date) -> list[Stored]:
    """The values of this drug for exactly this agreement period (another period's value never answers);
    read once per generation of the connection (entering a value is a write: ``storage.memo``)."""
    return list(
        memo.cached(db, "confidential", (entry_key, start, end), lambda: tuple(_for_entry(db, entry_key, start, end)))
    )


def _for_entry(db: Database, entry_key: str, start: date, end: date) -> list[Stored]:
    if not _has_table(db):
        return []
    return [
        _row(row)
        for row in db.query(
            "select * from confidential_standard where entry_key = ? and agreement_start = ? and agreement_end = ? "
            "order by spec_key",
            [entry_key, start.isoformat(), end.isoformat()],
        )
    ]


def entered(db: Database) -> dict[tuple[str, str, str], list[tuple[str, str]]]:
    """What is entered, without amounts: (entry key, start, end) -> [(spec, source)]."""
    out: dict[tuple[str, str, str], list[tuple[str, str]]] = {}
    if not _has_table(db):
        return out
    for row in db.query(
        "select entry_key, agreement_start, agreement_end, spec, source from confidential_standard order by id"
    ):
        out.setdefault((row["entry_key"], row["agreement_start"], row["agreement_end"]), []).append(
            (row["spec"], row["source"])
        )
    return out


def delete(db: Database, entry_key: str, start: date, end: date, spec_key: str | None = None) -> int:
    with db.atomic():
        cur = db.execute(
            "delete from confidential_standard where entry_key = ? and agreement_start = ? and agreement_end = ?"
            + (" and spec_key = ?" if spec_key is not None else ""),
            [entry_key, start.isoformat(), end.isoformat()] + ([spec_key] if spec_key is not None else []),
        )
    return cur.rowcount
