"""All SQL of the update history (``sync_history``): every apply and rollback, with its snapshot.

Returns ``HistoryEntry`` records. The snapshot (what an apply replaced) is an opaque blob here;
``desktop.sync.snapshot`` makes and restores it from domain records.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from desktop.storage import last_pk

if TYPE_CHECKING:  # sqlite-utils is imported by whoever opens the database
    from sqlite_utils import Database

_COLUMNS = (
    "id, at, who, action, package_id, sha256, kind, target, sequence, publisher, key_id, summary, rolled_back_by, "
    "feed_url, package_url"
)


@dataclass(frozen=True)
class HistoryEntry:
    id: int
    at: str
    who: str
    action: str
    package_id: str
    sha256: str
    kind: str
    target: str
    sequence: int
    publisher: str | None
    key_id: str | None
    summary: dict[str, Any]
    rolled_back_by: int | None
    feed_url: str | None = None  # the feed whose signed index listed the package (issue 14)
    package_url: str | None = None  # where its bytes came from

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class NewEntry:
    """What an apply or rollback records (the history assigns the id and time)."""

    who: str
    action: str
    package_id: str
    sha256: str
    kind: str
    target: str
    sequence: int
    publisher: str | None
    key_id: str | None
    summary: dict[str, Any]
    feed_url: str | None = None
    package_url: str | None = None


def _entry(row: dict[str, Any]) -> HistoryEntry:
    return HistoryEntry(**{**row, "summary": json.loads(row["summary"])})


def entries(db: Database) -> list[HistoryEntry]:
    """Every apply and rollback, newest first."""
    return [_entry(row) for row in db.query(f"select {_COLUMNS} from sync_history order by id desc")]


def get(db: Database, history_id: int) -> HistoryEntry:
    return _entry(next(iter(db.query(f"select {_COLUMNS} from sync_history where id = ?", [history_id]))))


#: Kinds whose packages share one sequence per target; any other kind is a namespace of its own.
_EDITION_KINDS = ("edition", "revision")


def namespace(kind: str) -> tuple[str, ...]:
    """The kinds whose sequences are compared with ``kind``'s: editions and revisions order one
    sequence per edition name; overlays (one per overlay id) and products are apart.

    An overlay whose id is "2024" never blocks (or is blocked by) the 2024 edition.
    """
    return _EDITION_KINDS if kind in _EDITION_KINDS else (kind,)


def current(db: Database, target: str, kind: str = "edition") -> HistoryEntry | None:
    """The latest apply of a target of ``kind``'s namespace that has not been rolled back."""
    kinds = namespace(kind)
    rows = db.query(
        f"select {_COLUMNS} from sync_history where target = ? and action = 'apply' and rolled_back_by is null "
        f"and kind in ({', '.join('?' for _ in kinds)}) order by id desc limit 1",
        [target, *kinds],
    )
    return next((_entry(row) for row in rows), None)


def latest_apply(db: Database) -> HistoryEntry | None:
    """The latest apply of any target that has not been rolled back."""
    rows = db.query(
        f"select {_COLUMNS} from sync_history where action = 'apply' and rolled_back_by is null "
        "order by id desc limit 1"
    )
    return next((_entry(row) for row in rows), None)


def applied(db: Database, package_id: str, sha256: str) -> bool:
    """True when this package (by id or content) is applied and not rolled back."""
    row = db.execute(
        "select 1 from sync_history where action = 'apply' and rolled_back_by is null "
        "and (package_id = ? or sha256 = ?) limit 1",
        [package_id, sha256],
    ).fetchone()
    return row is not None


def ever_seen(db: Database, package_id: str, sha256: str) -> bool:
    """True when this package (by id or content) was ever applied or rolled back here."""
    row = db.execute(
        "select 1 from sync_history where package_id = ? or sha256 = ? limit 1", [package_id, sha256]
    ).fetchone()
    return row is not None


def snapshot(db: Database, history_id: int) -> bytes | None:
    """The snapshot an apply kept of what it replaced."""
    row = db.execute("select snapshot from sync_history where id = ?", [history_id]).fetchone()
    return row[0] if row else None


def record(db: Database, entry: NewEntry, *, snapshot: bytes | None = None) -> int:
    """Add a history row (inside the caller's transaction); returns its id."""
    return last_pk(
        db.table("sync_history").insert(
            {
                "at": datetime.now().isoformat(timespec="seconds"),
                **{k: v for k, v in entry.__dict__.items() if k != "summary"},
                "summary": json.dumps(entry.summary, ensure_ascii=False),
                "snapshot": snapshot,
            }
        )
    )


def mark_rolled_back(db: Database, history_id: int, by: int) -> None:
    db.execute("update sync_history set rolled_back_by = ? where id = ?", [by, history_id])


def seen_and_current(db: Database) -> tuple[set[str], set[str], dict[str, int]]:
    """Package ids and hashes ever applied (rolled back too) and the sequence in force per target (feeds)."""
    ids: set[str] = set()
    hashes: set[str] = set()
    current: dict[str, int] = {}
    for row in db.query(
        "select package_id, sha256, target, sequence, rolled_back_by from sync_history where action = 'apply' "
        "order by id"
    ):
        ids.add(row["package_id"])
        hashes.add(row["sha256"])
        if row["rolled_back_by"] is None:
            current[row["target"]] = max(current.get(row["target"], 0), row["sequence"])
    return ids, hashes, current
