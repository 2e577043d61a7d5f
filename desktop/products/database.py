"""The product database: atomic import with history, a drug-by-drug diff, and rollback.

An import reads a whole file first (bad rows are reported, never imported), then in one
transaction compares it with what is installed, code by code (a digest per row): new codes
are added, codes whose fields differ are changed, codes absent from the file are removed —
or *replaced* when a new row names them in its 曾用码. Each change keeps the old row, so the
latest import can be rolled back exactly. Products are then linked to catalogue entries and
every store mapping is re-checked (``items.recheck``).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlite_utils import Database

from desktop.errors import NotFound, UserFacingError
from desktop.products import adapters
from desktop.products.adapters import FIELDS, Problem

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


def _db_row(row: dict[str, str | None], import_id: int, dig: str | None = None) -> tuple[object, ...]:
    values: list[object] = [row[f] for f in FIELDS]
    values[_NUMBER] = int(row["number"]) if row["number"] else None
    values[_STAR] = 1 if row["star"] else 0
    return (*values, dig or digest(row), import_id)


_INSERT = (
    f"insert into product ({', '.join(FIELDS)}, digest, import_id, entry_key, link_method, link_problem) "
    f"values ({', '.join('?' * (len(FIELDS) + 5))})"
)


def _as_row(db_row: dict) -> dict[str, str | None]:
    """A stored product back as an adapter row (strings), for digests and rollback."""
    out: dict[str, str | None] = {f: db_row[f] for f in FIELDS}
    out["number"] = str(db_row["number"]) if db_row["number"] is not None else None
    out["star"] = "1" if db_row["star"] else None
    return out


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
    read = adapters.read(path)
    on_progress("read", 1, 1)
    if cancelled():
        raise Cancelled("已取消导入，数据库未改变。")
    return apply_rows(
        db, read, source=path.name, checksum=_sha256(path), on_progress=on_progress, cancelled=cancelled, link=link
    )


def apply_rows(
    db: Database,
    read: adapters.Read,
    *,
    source: str,
    checksum: str,
    on_progress: ProgressFn = _ignore,
    cancelled: Callable[[], bool] = lambda: False,
    link: bool = True,
) -> ImportReport:
    """Make the installed products equal to ``read.rows``, in one transaction, recording the diff."""
    report = ImportReport(None, source, read.format, read.rows_read, len(read.rows), read.problems, read.repairs)
    if not read.rows:
        raise UserFacingError(
            f"文件“{source}”中没有可导入的药品行（{len(read.problems)} 行有误），数据库未改变。",
            hint="请检查是否选错了文件；有误的行可用 --json 查看行号和原因。",
        )
    conn = db.conn
    installed = {code: (pid, dig) for pid, code, dig in conn.execute("select id, code, digest from product")}
    new_codes = {row["code"] for _, row in read.rows}
    digests: dict[str, str] = {}
    added_rows: list[dict[str, str | None]] = []
    changed_rows: list[dict[str, str | None]] = []
    for _, row in sorted(read.rows, key=lambda r: r[1]["code"]):  # code order: the unique index appends
        dig = digests[row["code"]] = digest(row)  # type: ignore[index]
        have = installed.get(row["code"])  # type: ignore[arg-type]
        if have is None:
            added_rows.append(row)
        elif have[1] != dig:
            changed_rows.append(row)
    removed = [code for code in installed if code not in new_codes]
    successor: dict[str, str] = {}
    for _, row in read.rows:
        for old in (row["former_codes"] or "").split(";"):
            if old and old not in new_codes:
                successor.setdefault(old, row["code"])  # type: ignore[arg-type]
    if cancelled():
        raise Cancelled("已取消导入，数据库未改变。")
    from desktop.products import link as linker
    from desktop.products import search as product_search

    on_progress("link", 0, 1)
    links = linker.link_rows(db, [*added_rows, *changed_rows]) if link else {}
    on_progress("link", 1, 1)
    now = datetime.now().isoformat(timespec="seconds")
    total = len(added_rows) + len(changed_rows) + len(removed)
    conn.execute("PRAGMA cache_size = -65536")  # 64 MB: a full import rebuilds large indexes
    with db.atomic():
        cur = conn.execute(
            "insert into product_import (source, format, checksum, imported_at, rows_read, rows_bad, added, changed,"
            " removed, replaced, problems) values (?,?,?,?,?,?,?,?,?,?,?)",
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
        import_id = int(cur.lastrowid or 0)
        report.import_id = import_id
        changes: list[tuple[object, ...]] = []
        old_rows = _rows_by_code(conn, [*removed, *(r["code"] for r in changed_rows)]) if installed else {}
        for code in removed:
            action = "replaced" if code in successor else "removed"
            old = _as_row(old_rows[code])
            changes.append((import_id, code, action, successor.get(code), None, json.dumps(old, ensure_ascii=False)))
            if action == "replaced":
                report.replaced[code] = successor[code]
            else:
                report.removed.append(code)
        product_search.drop_terms(
            conn, (_term_row(old_rows[c]) for c in [*removed, *(r["code"] for r in changed_rows)])
        )  # type: ignore[index]
        conn.executemany("delete from product where id = ?", [(installed[c][0],) for c in removed])
        on_progress("write", len(removed), total)
        for i, row in enumerate(changed_rows):
            old = _as_row(old_rows[row["code"]])  # type: ignore[index]
            fields = [f for f in FIELDS if (old[f] or None) != (row[f] or None)]
            report.changed[row["code"]] = fields  # type: ignore[index]
            changes.append(
                (import_id, row["code"], "changed", None, json.dumps(fields), json.dumps(old, ensure_ascii=False))
            )
            if i % 5000 == 0 and cancelled():
                raise Cancelled("已取消导入，数据库未改变。")
        conn.executemany(
            f"update product set {', '.join(f'{f} = ?' for f in FIELDS)}, digest = ?, import_id = ?, "
            "entry_key = ?, link_method = ?, link_problem = ? where id = ?",
            [
                (*_db_row(r, import_id, digests[r["code"]]), *links.get(r["code"], _NO_LINK), installed[r["code"]][0])  # type: ignore[index]
                for r in changed_rows
            ],
        )
        product_search.add_terms(conn, ((installed[r["code"]][0], *_term_values(r)) for r in changed_rows))  # type: ignore[index]
        on_progress("write", len(removed) + len(changed_rows), total)
        # A first import fills an empty table: build the secondary indexes once, after the rows.
        rebuild = _drop_indexes(conn) if not installed else []
        chunk = 20000
        for start in range(0, len(added_rows), chunk):
            if cancelled():
                raise Cancelled("已取消导入，数据库未改变。")
            conn.executemany(
                _INSERT,
                [
                    (*_db_row(r, import_id, digests[r["code"]]), *links.get(r["code"], _NO_LINK))  # type: ignore[index]
                    for r in added_rows[start : start + chunk]
                ],
            )
            on_progress("write", len(removed) + len(changed_rows) + start + chunk, total)
        for sql in rebuild:
            conn.execute(sql)
        report.added = [r["code"] for r in added_rows]  # type: ignore[misc]
        conn.executemany("insert into product_change values (?,?,?,?,?,?)", changes)
        conn.executemany(
            "insert into product_change (import_id, code, action) values (?,?,'added')",
            [(import_id, c) for c in report.added],
        )
        on_progress("index", 0, 1)
        if not installed:
            product_search.index_all(conn)
        elif added_rows:
            by_code = {r["code"]: r for r in added_rows}
            ids = conn.execute("select id, code from product where import_id = ?", [import_id])
            product_search.add_terms(conn, ((pid, *_term_values(by_code[c])) for pid, c in ids if c in by_code))
        on_progress("index", 1, 1)
        _finish(db, report, link)
    return report


_NO_LINK = (None, None, None)


def _drop_indexes(conn) -> list[str]:  # type: ignore[no-untyped-def]
    """Drop product's secondary indexes; returns the statements that recreate them exactly."""
    rows = conn.execute(
        "select name, sql from sqlite_master where type = 'index' and tbl_name = 'product' and sql is not null"
    ).fetchall()
    for name, _ in rows:
        conn.execute(f'drop index "{name}"')
    return [sql for _, sql in rows]


def _term_values(row: dict) -> tuple[object, ...]:
    from desktop.products.search import TERM_FIELDS

    return tuple(row[f] for f in TERM_FIELDS)


def _term_row(row: dict) -> tuple[object, ...]:
    return (row["id"], *_term_values(row))


def _finish(db: Database, report: ImportReport, link: bool) -> None:
    from desktop.products import items
    from desktop.products import link as linker

    if link:
        report.unlinked, report.disagreeing = linker.counts(db)
    report.stale_items = items.recheck(db)


def _rows_by_code(conn, codes: list[str]) -> dict[str, dict]:  # type: ignore[no-untyped-def]
    out: dict[str, dict] = {}
    cols = "id, " + ", ".join(FIELDS)
    for start in range(0, len(codes), 500):
        part = codes[start : start + 500]
        cur = conn.execute(f"select {cols} from product where code in ({','.join('?' * len(part))})", part)
        names = [d[0] for d in cur.description]
        for values in cur:
            row = dict(zip(names, values, strict=True))
            out[row["code"]] = row
    return out


def history(db: Database) -> list[dict]:
    return [
        {k: v for k, v in row.items() if k != "problems"}
        for row in db.query("select * from product_import order by id desc")
    ]


def changes(db: Database, import_id: int) -> list[dict]:
    return list(db.query("select * from product_change where import_id = ? order by code", [import_id]))


def rollback(db: Database) -> dict[str, object]:
    """Undo the latest import that is not rolled back yet: restore every changed or removed row."""
    last = db.execute(
        "select id, source from product_import where rolled_back_at is null order by id desc limit 1"
    ).fetchone()
    if last is None:
        raise NotFound("没有可以撤销的药品库导入。")
    import_id, source = last
    conn = db.conn
    from desktop.products import items
    from desktop.products import link as linker
    from desktop.products import search as product_search

    with db.atomic():
        rows = list(conn.execute("select code, action, old from product_change where import_id = ?", [import_id]))
        added = [code for code, action, _ in rows if action == "added"]
        restore = [json.loads(old) for _, action, old in rows if action != "added"]
        current = _rows_by_code(conn, added + [r["code"] for r in restore])
        product_search.drop_terms(conn, (_term_row(r) for r in current.values()))
        conn.executemany("delete from product where id = ?", [(r["id"],) for r in current.values()])
        previous = conn.execute(
            "select max(id) from product_import where id < ? and rolled_back_at is null", [import_id]
        ).fetchone()[0]
        links = linker.link_rows(db, restore)
        conn.executemany(_INSERT, [(*_db_row(r, previous), *links[r["code"]]) for r in restore])
        restored = _rows_by_code(conn, [r["code"] for r in restore])
        product_search.add_terms(conn, (_term_row(r) for r in restored.values()))
        conn.execute(
            "update product_import set rolled_back_at = ? where id = ?",
            [datetime.now().isoformat(timespec="seconds"), import_id],
        )
        stale = items.recheck(db)
    return {
        "import_id": import_id,
        "source": source,
        "removed": len(added),
        "restored": len(restore),
        "stale_items": stale,
    }


def get(db: Database, code: str) -> dict:
    row = next(iter(db.query("select * from product where code = ?", [code.strip().upper()])), None)
    if row is None:
        raise NotFound(f"药品库中没有医保药品代码 {code}。请先导入药品库（yaomu products import），或核对代码。")
    return row


def count(db: Database) -> int:
    return int(db.execute("select count(*) from product").fetchone()[0])


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
    for row in db.query(f"select {', '.join(FIELDS)} from product order by code"):
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
