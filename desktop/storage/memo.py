"""Per-connection caches of what only a write to the database can change (entries, editions, overlays).

A cached value is kept with the connection's *generation*:

* ``PRAGMA data_version``: changes when any other connection commits (a sync worker's connection in
  another thread, ``yaomu sync apply`` in another process);
* ``PRAGMA schema_version``: changes with every schema change, this connection's own too (migrations);
* ``total_changes`` of the connection: grows with every row this connection inserts, updates or deletes,
  committed or rolled back (an apply or rollback through this very connection).

When the generation differs from the one the values were read under, every value of that connection is
dropped and read again. Inside an open transaction nothing is served from or kept in the cache: what the
transaction reads may still be rolled back. Each check costs one small statement (about 10 µs); inside
``held`` (one estimate, one check) other connections' commits are looked for once, on entry.

Only records that are immutable once built (frozen dataclasses, tuples) may be cached, and callers get the
same objects back: whatever a caller might modify must be copied by the function that returns it.
"""

from __future__ import annotations

import sqlite3
import weakref
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, Protocol, TypeVar

T = TypeVar("T")

_GENERATION = "select data_version, schema_version from pragma_data_version, pragma_schema_version"

#: Beyond this many cached values of one kind (entries of a long day at the counter), the kind starts afresh.
MAX_VALUES = 20_000


class HasConnection(Protocol):
    """A sqlite-utils ``Database`` or the catalogue's light ``Reader``: both hold their sqlite3 connection."""

    @property
    def conn(self) -> sqlite3.Connection: ...


class _Values:
    __slots__ = ("__weakref__", "generation", "kinds")

    def __init__(self, generation: tuple[int, int, int]) -> None:
        self.generation = generation
        self.kinds: dict[Hashable, dict[Hashable, Any]] = {}


#: The values ``held`` in this thread (and async context): a read-only connection may serve two threads,
#: and one thread's answer must not spare another thread the look at other connections' commits.
_HELD: ContextVar[tuple[_Values, ...]] = ContextVar("yaomu_memo_held", default=())


#: Keyed by the connection's wrapper (a sqlite3.Connection takes no weak reference): a closed and
#: collected database takes its values with it, and a new one never sees another's.
_BY_DB: weakref.WeakKeyDictionary[Any, _Values] = weakref.WeakKeyDictionary()


def generation(db: HasConnection) -> tuple[int, int, int]:
    """The connection's generation (see the module's docstring)."""
    conn = db.conn
    data_version, schema_version = conn.execute(_GENERATION).fetchone()
    return data_version, schema_version, conn.total_changes


def _current(db: HasConnection) -> _Values | None:
    """The connection's values of its current generation; None inside a transaction."""
    conn = db.conn
    if conn.in_transaction:
        return None
    values = _BY_DB.get(db)
    if values is not None and values.generation[2] == conn.total_changes and values in _HELD.get():
        return values  # held: this connection wrote nothing since, other connections were looked for on entry
    gen = generation(db)
    if values is None or values.generation != gen:
        values = _Values(gen)
        _BY_DB[db] = values
    return values


def kind(db: HasConnection, name: Hashable) -> dict[Hashable, Any] | None:
    """The cache of one kind of value (``"entry"``: id -> Entry, ...) of this connection, valid now;
    None inside a transaction (read from the database, and keep nothing)."""
    values = _current(db)
    if values is None:
        return None
    found = values.kinds.get(name)
    if found is None or len(found) > MAX_VALUES:
        found = values.kinds[name] = {}
    return found


def cached(db: HasConnection, name: Hashable, key: Hashable, compute: Callable[[], T]) -> T:
    """``compute()``, read once per generation of the connection and kept under (``name``, ``key``)."""
    values = kind(db, name)
    if values is None:
        return compute()
    try:
        found: T = values[key]
    except KeyError:
        found = values[key] = compute()
    return found


@contextmanager
def held(db: HasConnection) -> Iterator[None]:
    """One answer (an estimate, a check): other connections' commits are looked for once, here, not before
    every cached read inside (this connection's own writes still are, and other threads look as usual).
    A commit elsewhere during the block may be seen only by the next answer, as if it had come just after."""
    values = _current(db)
    if values is None:
        yield
        return
    token = _HELD.set((*_HELD.get(), values))
    try:
        yield
    finally:
        _HELD.reset(token)


def forget(db: HasConnection) -> None:
    """Drop every cached value of this connection (benchmarks measuring a cold read; tests)."""
    _BY_DB.pop(db, None)
