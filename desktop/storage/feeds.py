"""All SQL of catalogue feeds (``feed_state``): what each polled feed said last, for the next
conditional request, the older-index check and the status bar. Written by ``desktop.sync.feed``."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # sqlite-utils is imported by whoever opens the database
    from sqlite_utils import Database


@dataclass(frozen=True)
class FeedState:
    source: str  # the feed as configured: URL or folder
    feed_id: str
    key_id: str
    sequence: int  # the newest index sequence accepted
    index_sha256: str
    index_json: bytes  # feed.json as accepted
    index_sig: bytes
    etag: str | None
    last_modified: str | None
    checked_at: str  # ISO time of the last successful poll


_COLUMNS = ", ".join(f.name for f in fields(FeedState))


def get(db: Database, source: str) -> FeedState | None:
    if not db.table("feed_state").exists():
        return None
    rows = list(db.query(f"select {_COLUMNS} from feed_state where source = ?", [source]))
    return FeedState(**rows[0]) if rows else None


def last_checked(db: Database) -> FeedState | None:
    """The feed polled most recently."""
    if not db.table("feed_state").exists():
        return None
    rows = list(db.query(f"select {_COLUMNS} from feed_state order by checked_at desc limit 1"))
    return FeedState(**rows[0]) if rows else None


def accepted_sequence(db: Database, feed_id: str, key_id: str) -> int:
    """The highest index sequence accepted from any source of this feed (0 when none)."""
    row = db.execute(
        "select max(sequence) from feed_state where feed_id = ? and key_id = ?", [feed_id, key_id]
    ).fetchone()
    return int(row[0] or 0)


def save(db: Database, state: FeedState) -> None:
    with db.atomic():
        db.table("feed_state").upsert(asdict(state), pk="source")
