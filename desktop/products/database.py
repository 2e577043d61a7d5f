"""The product database: atomic import with history, a drug-by-drug diff, and rollback.

An import reads a whole file first (bad rows are reported, never imported), then in one
transaction compares it with what is installed, code by code (a digest per row): new codes
are added, codes whose fields differ are changed, codes absent from the file are removed —
or *replaced* when a new row names them in its 曾用码. Each change keeps the old row, so the
latest import can be rolled back exactly. Products are then linked to catalogue entries and
every store mapping is re-checked (``items.recheck``).

Re-importing costs little more than reading the file: each product keeps the *source digest* of
the row it came from (``adapters.source_digest``), and a row of the new file with an installed
product's source digest is that product unchanged, so it is not parsed, validated, compared,
linked, written or re-indexed (``Read.unchanged``). Only new and different rows take the full path.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import cast

from sqlite_utils import Database

from desktop.errors import NotFound, UserFacingError
from desktop.products import adapters
from desktop.products.adapters import FIELDS, Problem
from desktop.storage import product_terms
from desktop.storage import products as store
from desktop.storage.product_terms import TERM_FIELDS
from desktop.storage.products import Row

ProgressFn = Callable[[str, int, int], None]
#: Columns of ``product`` that come from the file (``star`` stored as 0/1).
COLUMNS = FIELDS


def _ignore(step: str, done: int, total: int) -> None:
    pass


class Cancelled(UserFacingError):
    """The user cancelled a long import; nothing was changed."""


def digest(row: dict[str, str | None]) -> str:
    return hashlib.blake2b("\x1f".join(row[f] or "" for f in FIELDS).encode(), digest_size=12).hexdigest()


@dataclass
class ImportReport:
    import_id: int | None
    source: str
    format: str
    rows_read: int
    rows_good: int
    problems: list[Problem]
    repairs: list[Problem]
    added: list[str] = field(default_factory=list)
    changed: dict[str, list[str]] = field(default_factory=dict)
    removed: list[str] = field(default_factory=list)
    #: old code -> the new code whose 曾用码 names it
    replaced: dict[str, str] = field(default_factory=dict)
    unlinked: int = 0
    disagreeing: int = 0
    stale_items: int = 0

    def to_json(self, *, details: bool = True) -> dict[str, object]:
        out: dict[str, object] = {
            "import_id": self.import_id,
            "source": self.source,
            "format": self.format,
            "rows_read": self.rows_read,
            "rows_good": self.rows_good,
            "rows_bad": len(self.problems),
            "added": len(self.added),
            "changed": len(self.changed),
            "removed": len(self.removed),
            "replaced": len(self.replaced),
            "unlinked": self.unlinked,
            "disagreeing": self.disagreeing,
            "stale_items": self.stale_items,
        }
        if details:
            out["problems"] = [p.to_json() for p in self.problems]
            out["repairs"] = [p.to_json() for p in self.repairs]
            out["diff"] = {
                "added": self.added,
                "changed": self.changed,
                "removed": self.removed,
                "replaced": self.replaced,
            }
        return out


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


_NUMBER, _STAR = FIELDS.index("number"), FIELDS.index("star")


def _code(row: dict[str, str | None]) -> str:
    """The code of a product row (every row an adapter passes, or an import stored, has one)."""
    return cast(str, row["code"])


def _db_row(
    row: dict[str, str | None], import_id: int | None, dig: str | None = None, source: str | None = None
) -> tuple[object, ...]:
    """(*FIELDS, digest, source digest, import id) of a row as ``product`` stores it."""
    values: list[object] = [row[f] for f in FIELDS]
    values[_NUMBER] = int(row["number"]) if row["number"] else None
    values[_STAR] = 1 if row["star"] else 0
    return (*values, dig or digest(row), source, import_id)


def _as_row(db_row: Row) -> dict[str, str | None]:
    """A stored product back as an adapter row (strings), for digests and rollback."""
    out: dict[str, str | None] = {f: db_row[f] for f in FIELDS}
    out["number"] = str(db_row["number"]) if db_row["number"] is not None else None
    out["star"] = "1" if db_row["star"] else None
    return out


def known_sources(db: Database) -> dict[str, str]:
    """source digest -> code of every installed product: rows a reader need not parse again (give the
    same dict to ``apply_rows``: its values are every installed code)."""
    return store.installed_sources(db)


def import_file(
    db: Database,
    path: Path | str,
    *,
    on_progress: ProgressFn = _ignore,
    cancelled: Callable[[], bool] = lambda: False,
    link: bool = True,
) -> ImportReport:
    """Import a product file (format detected). Raises SourceFormatError when it is no product file."""
    path = Path(path)
    on_progress("read", 0, 1)
    known = known_sources(db)
    read = adapters.read(path, known=known)
    on_progress("read", 1, 1)
    if cancelled():
        raise Cancelled("已取消导入，数据库未改变。")
    return apply_rows(
        db,
        read,
        source=path.name,
        checksum=_sha256(path),
        known=known,
        on_progress=on_progress,
        cancelled=cancelled,
        link=link,
    )


def apply_rows(
    db: Database,
    read: adapters.Read,
    *,
    source: str,
    checksum: str,
    known: dict[str, str] | None = None,
    on_progress: ProgressFn = _ignore,
    cancelled: Callable[[], bool] = lambda: False,
    link: bool = True,
) -> ImportReport:
    """Make the installed products equal to the rows read, in one transaction, recording the diff.

    ``read.unchanged`` rows are installed products as they are: only ``read.rows`` are compared.
    ``known``: what ``known_sources`` gave the reader (read again when None).
    """
    report = ImportReport(None, source, read.format, read.rows_read, read.rows_good, read.problems, read.repairs)
    if not read.rows_good:
        raise UserFacingError(
            f"文件“{source}”中没有可导入的药品行（{len(read.problems)} 行有误），数据库未改变。",
            hint="请检查是否选错了文件；有误的行可用 --json 查看行号和原因。",
        )
    if known is None:
        known = known_sources(db)
    first = not known  # an empty table: no diff, and the indexes are built once after the rows
    parsed = [_code(row) for _, row in read.rows]
    if first:
        installed: dict[str, tuple[int, str]] = {}
    elif len(parsed) * 4 > len(known):
        installed = store.installed_digests(db)  # most rows read again: one scan beats index look-ups
    else:
        installed = store.digests_by_code(db, parsed)
    new_codes = {code for _, code in read.unchanged}
    new_codes.update(parsed)
    sources = read.source_digests
    digests: dict[str, str] = {}
    added_rows: list[dict[str, str | None]] = []
    changed_rows: list[dict[str, str | None]] = []
    #: (source digest, id): rows read again whose fields are the same though their cells are not
    refreshed: list[tuple[str | None, int]] = []
    for _, row in sorted(read.rows, key=lambda r: _code(r[1])):  # code order: the unique index appends
        code = _code(row)
        dig = digests[code] = digest(row)
        have = installed.get(code)
        if have is None:
            added_rows.append(row)
        elif have[1] != dig:
            changed_rows.append(row)
        elif code in sources:
            refreshed.append((sources[code], have[0]))
    removed = [code for code in known.values() if code not in new_codes]
    successor = _successors(db, read, new_codes) if removed else {}
    if cancelled():
        raise Cancelled("已取消导入，数据库未改变。")
    from desktop.products import link as linker

    on_progress("link", 0, 1)
    links = linker.link_rows(db, [*added_rows, *changed_rows]) if link else {}
    on_progress("link", 1, 1)
    now = datetime.now().isoformat(timespec="seconds")
    total = len(added_rows) + len(changed_rows) + len(removed)
    store.widen_cache(db)
    with db.atomic():
        import_id = store.insert_import(
            db,
            [
                source,
                read.format,
                checksum,
                now,
                read.rows_read,
                len(read.problems),
                len(added_rows),
                len(changed_rows),
                len(removed),
                sum(1 for c in removed if c in successor),
                json.dumps([p.to_json() for p in read.problems], ensure_ascii=False),
            ],
        )
        report.import_id = import_id
        changes: list[tuple[object, ...]] = []
        changed_codes = [_code(r) for r in changed_rows]
        old_rows = _rows_by_code(db, [*removed, *changed_codes]) if not first else {}
        for code in removed:
            action = "replaced" if code in successor else "removed"
            was = _as_row(old_rows[code])
            changes.append((import_id, code, action, successor.get(code), None, json.dumps(was, ensure_ascii=False)))
            if action == "replaced":
                report.replaced[code] = successor[code]
            else:
                report.removed.append(code)
        product_terms.drop_terms(db.conn, (_term_row(old_rows[c]) for c in [*removed, *changed_codes]))
        store.delete_products(db, [old_rows[c]["id"] for c in removed])
        on_progress("write", len(removed), total)
        for i, row in enumerate(changed_rows):
            was = _as_row(old_rows[_code(row)])
            fields = [f for f in FIELDS if (was[f] or None) != (row[f] or None)]
            report.changed[_code(row)] = fields
            changes.append(
                (import_id, _code(row), "changed", None, json.dumps(fields), json.dumps(was, ensure_ascii=False))
            )
            if i % 5000 == 0 and cancelled():
                raise Cancelled("已取消导入，数据库未改变。")
        store.update_products(
            db,
            FIELDS,
            [
                (
                    *_db_row(r, import_id, digests[_code(r)], sources.get(_code(r))),
                    *links.get(_code(r), _NO_LINK),
                    installed[_code(r)][0],
                )
                for r in changed_rows
            ],
        )
        store.set_source_digests(db, refreshed)
        product_terms.add_terms(db.conn, ((installed[_code(r)][0], *_term_values(r)) for r in changed_rows))
        on_progress("write", len(removed) + len(changed_rows), total)
        # A first import fills an empty table: build the secondary indexes once, after the rows.
        rebuild = store.drop_product_indexes(db) if first else []
        chunk = 20000
        for start in range(0, len(added_rows), chunk):
            if cancelled():
                raise Cancelled("已取消导入，数据库未改变。")
            store.insert_products(
                db,
                FIELDS,
                [
                    (*_db_row(r, import_id, digests[_code(r)], sources.get(_code(r))), *links.get(_code(r), _NO_LINK))
                    for r in added_rows[start : start + chunk]
                ],
            )
            on_progress("write", len(removed) + len(changed_rows) + start + chunk, total)
        store.recreate_indexes(db, rebuild)
        report.added = [_code(r) for r in added_rows]
        store.insert_changes(db, changes, report.added, import_id)
        on_progress("index", 0, 1)
        if first:
            product_terms.index_all(db.conn)
        elif added_rows:
            by_code = {_code(r): r for r in added_rows}
            ids = store.ids_of_import(db, import_id)
            product_terms.add_terms(db.conn, ((pid, *_term_values(by_code[c])) for pid, c in ids if c in by_code))
        on_progress("index", 1, 1)
        _finish(db, report, link)
    return report


_NO_LINK = (None, None, None)


def _successors(db: Database, read: adapters.Read, new_codes: set[str]) -> dict[str, str]:
    """old code -> the first row (in file order) whose 曾用码 names it, for old codes not in the file."""
    named = [(line, row["former_codes"], _code(row)) for line, row in read.rows if row["former_codes"]]
    if read.unchanged:  # an unchanged row's 曾用码 are its installed product's
        former = store.former_codes(db)
        named += [(line, former[code], code) for line, code in read.unchanged if code in former]
        named.sort()
    successor: dict[str, str] = {}
    for _, formers, code in named:
        for old in (formers or "").split(";"):
            if old and old not in new_codes:
                successor.setdefault(old, code)
    return successor


def _term_values(row: Row | dict[str, str | None]) -> tuple[object, ...]:
    return tuple(row[f] for f in TERM_FIELDS)


def _term_row(row: Row) -> tuple[object, ...]:
    return (row["id"], *_term_values(row))


def _finish(db: Database, report: ImportReport, link: bool) -> None:
    from desktop.products import items
    from desktop.products import link as linker

    if link:
        report.unlinked, report.disagreeing = linker.counts(db)
    report.stale_items = items.recheck(db)


def _rows_by_code(db: Database, codes: list[str]) -> dict[str, Row]:
    return store.products_by_code(db, FIELDS, codes)


def history(db: Database) -> list[Row]:
    return [{k: v for k, v in row.items() if k != "problems"} for row in store.import_history(db)]


def changes(db: Database, import_id: int) -> list[Row]:
    return store.import_changes(db, import_id)


def rollback(db: Database) -> dict[str, object]:
    """Undo the latest import that is not rolled back yet: restore every changed or removed row."""
    last = store.last_live_import(db)
    if last is None:
        raise NotFound("没有可以撤销的药品库导入。")
    import_id, source = last
    from desktop.products import items
    from desktop.products import link as linker

    with db.atomic():
        rows = store.change_rows(db, import_id)
        added = [code for code, action, _ in rows if action == "added"]
        restore: list[dict[str, str | None]] = [json.loads(old or "") for _, action, old in rows if action != "added"]
        current = _rows_by_code(db, added + [_code(r) for r in restore])
        product_terms.drop_terms(db.conn, (_term_row(r) for r in current.values()))
        store.delete_products(db, [r["id"] for r in current.values()])
        previous = store.previous_live_import(db, import_id)
        links = linker.link_rows(db, restore)
        store.insert_products(db, FIELDS, [(*_db_row(r, previous), *links[_code(r)]) for r in restore])
        restored = _rows_by_code(db, [_code(r) for r in restore])
        product_terms.add_terms(db.conn, (_term_row(r) for r in restored.values()))
        store.mark_rolled_back(db, import_id, datetime.now().isoformat(timespec="seconds"))
        stale = items.recheck(db)
    return {
        "import_id": import_id,
        "source": source,
        "removed": len(added),
        "restored": len(restore),
        "stale_items": stale,
    }


def get(db: Database, code: str) -> Row:
    row = store.product_by_code(db, code.strip().upper())
    if row is None:
        raise NotFound(f"药品库中没有医保药品代码 {code}。请先导入药品库（yaomu products import），或核对代码。")
    return row


def count(db: Database) -> int:
    return store.product_count(db)


def total_rows(db: Database, edition: str = "2025") -> list[list[str]]:
    """The installed products as sheet 总表 (header first, 26 columns): for a CSV copy or a package."""
    by_field = {f: title for title, f in adapters.TOTAL_COLUMNS.items()}
    header = []
    fields = []
    for title, f in adapters.TOTAL_COLUMNS.items():
        header.append(title)
        fields.append(f)
        if f == "insurance_name":
            header.append(f"{edition}版甲乙类")
            fields.append("class")
    assert len(header) == 26 and set(by_field) <= set(fields)
    out = [header]
    for row in store.all_products(db, FIELDS):
        values = []
        for f in fields:
            v = row[f]
            if f == "number" and v is not None and row["star"]:
                v = f"★({v})"
            values.append("" if v is None else str(v))
        out.append(values)
    return out


def write_total_csv(db: Database, out: Path | str, edition: str = "2025") -> int:
    import csv

    rows = total_rows(db, edition)
    with Path(out).open("w", encoding="utf-8-sig", newline="") as fh:
        csv.writer(fh).writerows(rows)
    return len(rows) - 1
