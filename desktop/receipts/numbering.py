"""Receipt numbers: ``<designated-institution code>-<YYYYMMDD>-<sequence>``, unique and increasing per pharmacy.

A number is taken inside the caller's transaction, together with the history row that uses it; the
transaction commits before any PDF is drawn (``desktop.receipts.issue``). So a number that could have
reached paper is on disk, and a crash at any later point can never hand it out again.

The sequence restarts at 1 each day. If the PC clock goes back (a wrong date set, a time-zone change),
the counter keeps the last day it used rather than issuing a number smaller than one already printed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlite_utils import Database

from desktop.storage import receipts as storage

#: Digits of the daily sequence (wider numbers still sort correctly within a day by ``seq``).
SEQ_DIGITS = 4


@dataclass(frozen=True, order=True)
class Number:
    day: date
    seq: int
    pharmacy_code: str

    def __str__(self) -> str:
        return format_number(self.pharmacy_code, self.day, self.seq)


def format_number(pharmacy_code: str, day: date, seq: int) -> str:
    """
    >>> format_number("P22010200123", date(2025, 3, 1), 7)
    'P22010200123-20250301-0007'
    """
    return f"{pharmacy_code}-{day:%Y%m%d}-{seq:0{SEQ_DIGITS}d}"


def next_number(db: Database, pharmacy_code: str, today: date) -> Number:
    """Take the next number for ``pharmacy_code`` (must run inside the caller's ``db.atomic()``).

    >>> from desktop.storage.catalogue import open_db
    >>> db = open_db(":memory:")
    >>> [str(next_number(db, "P1", date(2025, 3, d))) for d in (1, 1, 2, 1)]
    ['P1-20250301-0001', 'P1-20250301-0002', 'P1-20250302-0001', 'P1-20250302-0002']
    """
    day, seq = storage.take_number(db, pharmacy_code, today)
    return Number(day, seq, pharmacy_code)
