"""All SQL of the catalogue: opening and migrating the database, loading editions, reading rows.

Returns ``Edition`` and ``Entry`` records, never cursors. A connection belongs to the
thread that opened it: the GUI holds one for lookups, a worker opens its own to write.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias, overload

from desktop import paths, platform
from desktop.catalogue import records as r
from desktop.catalogue.normalise import drug_key, normalise_name
from desktop.errors import DatabaseError, NotFound, SourceFormatError, db_reason
from desktop.storage import last_pk, memo

if TYPE_CHECKING:  # sqlite-utils costs ~0.1 s of imports: one-shot lookups (yaomu search) use Reader
    from sqlite_utils import Database
    from sqlite_utils.migrations import Migrations

    from desktop.catalogue.fanli import EditionSpec

#: How many back-ups of the database file made before a migration are kept.
KEEP_MIGRATION_BACKUPS = 3

ProgressFn = Callable[[int, int], None]


def _ignore(done: int, total: int) -> None:
    """The default progress callback."""


def _migrations() -> Migrations:
    """One migration per SQL file in db/migrations/, registered under its file name."""
    from sqlite_utils.migrations import Migrations

    migrations = Migrations("yaomu")
    for sql_file in sorted(paths.migrations_dir().glob("*.sql")):
        sql = sql_file.read_text(encoding="utf-8")

        def apply(db: Database, sql: str = sql) -> None:
            db.executescript(sql)

        migrations(name=sql_file.name)(apply)
    return migrations


def known_migrations() -> list[str]:
    return [sql_file.name for sql_file in sorted(paths.migrations_dir().glob("*.sql"))]


def open_db(path: Path | str | None = None, *, readonly: bool = False, migrate: bool = True) -> Database:
    """Open (and create or migrate) the database.

    Args:
        path: the database file; ``None`` for the default location, ``":memory:"`` for a
            throw-away database (tests, benchmarks).
        readonly: open with ``mode=ro`` (a reader beside a writer in another thread).
        migrate: apply pending migrations, backing the file up first.

    Raises:
        DatabaseError: the file is not a database, was made by a newer Yaomu, or is locked.
    """
    from sqlite_utils import Database

    if path is None:
        path = paths.default_db_path()
    try:
        if path == ":memory:":
            db = Database(memory=True, execute_plugins=False)
        elif readonly:
            conn = sqlite3.connect(f"file:{Path(path)}?mode=ro", uri=True, check_same_thread=False)
            db = Database(conn, execute_plugins=False)
        else:
            _prepare_file(Path(path))
            db = Database(Path(path), execute_plugins=False)  # no third-party plugins in our connection
        _refuse_foreign(db, path)
        db.execute("PRAGMA foreign_keys = ON")
        db.execute("PRAGMA busy_timeout = 5000")
        if path != ":memory:" and not readonly:
            db.execute("PRAGMA journal_mode = WAL")
            db.execute("PRAGMA synchronous = NORMAL")
        if migrate and not readonly:
            _migrate(db, None if path == ":memory:" else Path(path))
        else:
            _refuse_newer(db)
    except sqlite3.DatabaseError as err:
        raise DatabaseError(
            f"无法打开数据库文件 {path}：{db_reason(err)}。",
            hint="该文件可能不是药目数据库或已损坏。请检查路径，或从备份恢复。",
        ) from err
    return db


def _prepare_file(path: Path) -> None:
    """A new database file is created 0600 (its folder 0700) before SQLite writes to it; its WAL inherits the mode."""
    try:
        if path.exists():
            platform.make_private(path)
        else:
            platform.private_dir(path.parent)
            platform.create_private(path)
    except OSError as err:
        raise DatabaseError(
            f"无法创建数据库文件 {path}：{err.strerror or err}",
            hint="请确认该文件夹存在且可以写入（不是只读的 U 盘或网络文件夹），或用 --db 指定其他位置。",
        ) from err


def _refuse_foreign(db: Database, path: Path | str) -> None:
    """Refuse (unchanged) a SQLite file that holds tables but was never a Yaomu database."""
    tables = [t for t in db.table_names() if not t.startswith("sqlite_")]
    if not tables:
        return
    ours = (
        "_sqlite_migrations" in tables
        and db.execute("select exists(select 1 from _sqlite_migrations where migration_set = 'yaomu')").fetchone()[0]
    )
    if not ours:
        db.close()
        raise DatabaseError(
            f"{path} 不是药目的数据库（其中已有别的程序的数据表：{'、'.join(sorted(tables)[:5])}），未作任何改动。",
            hint="请用 --db 指定药目自己的数据库文件，或给出一个新的文件名让药目创建。",
        )


def _refuse_newer(db: Database) -> None:
    if not db.table("_sqlite_migrations").exists():
        return
    applied = {row["name"] for row in db.query("select name from _sqlite_migrations")}
    unknown = sorted(applied - set(known_migrations()))
    if unknown:
        raise DatabaseError(
            f"数据库由更新版本的药目创建（包含本版本不认识的结构：{', '.join(unknown)}），无法使用。",
            hint="请安装最新版本的药目，或用 --db 指定另一个数据库文件。数据库未被修改。",
        )


class Reader:
    """A read-only view of an up-to-date database over plain sqlite3, for one-shot lookups.

    It answers the ``execute``/``query`` calls the read functions of this module and the search
    make, without sqlite-utils, whose imports alone cost about 0.1 s: ``yaomu search`` and
    ``yaomu show`` start in well under that (bench/cli_start.py).
    """

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def execute(self, sql: str, params: Sequence[object] = ()) -> sqlite3.Cursor:
        return self.conn.execute(sql, params)

    def query(self, sql: str, params: Sequence[object] = ()) -> Iterator[dict[str, Any]]:
        cur = self.conn.execute(sql, params)
        keys = [d[0] for d in cur.description]
        for row in cur:
            yield dict(zip(keys, row, strict=True))

    def close(self) -> None:
        self.conn.close()


#: What the read functions take: a sqlite-utils connection, or the light ``Reader``.
Connection: TypeAlias = "Database | Reader"


def open_reader(path: Path | str | None = None) -> Reader | None:
    """A ``Reader`` on the database when it exists, is fully migrated and holds a catalogue; else None
    (the caller then opens it with ``open_db``, which creates, migrates or refuses it and says why)."""
    path = Path(path) if path is not None else paths.default_db_path()
    if not path.is_file():
        return None
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error:
        return None
    try:
        conn.execute("PRAGMA busy_timeout = 5000")
        applied = {name for (name,) in conn.execute("select name from _sqlite_migrations")}
        if applied != set(known_migrations()) or conn.execute("select 1 from edition limit 1").fetchone() is None:
            conn.close()
            return None
    except sqlite3.Error:
        conn.close()
        return None
    return Reader(conn)


def _migrate(db: Database, path: Path | None) -> None:
    _refuse_newer(db)
    migrations = _migrations()
    pending = migrations.pending(db)
    if not pending:
        return
    if path is not None and db.table_names() and path.exists():
        _backup(db, path, reason="migrate")
    migrations.apply(db)
    for name in sorted({m.name for m in pending} & REINDEX_AFTER.keys()):
        with db.atomic():
            REINDEX_AFTER[name](db)


def _reindex_products(db: Database) -> None:
    from desktop.storage import product_terms

    product_terms.index_all(db.conn)


#: Migrations whose index is computed in Python: applying one rebuilds that index of the installed rows.
REINDEX_AFTER: dict[str, Callable[[Database], None]] = {
    "0013_search.sql": lambda db: reindex(db) if db["entry"].exists() else None,  # entry_fts recreated empty
    "0015_product_brand_keys.sql": _reindex_products,  # brand pinyin terms
}


def _backup(db: Database, path: Path, *, reason: str, keep: int = KEEP_MIGRATION_BACKUPS) -> Path:
    """Copy the database (consistently, through SQLite's backup API) beside itself, and verify the copy.

    The copy is written under a ``.partial`` name, integrity-checked, and only then renamed to
    ``.bak``: a full disk or a read-only folder leaves no unreadable back-up among the kept ones, and
    a damaged database (its damage is copied too) is refused before anything writes to it.

    Raises:
        DatabaseError: the copy could not be written (disk full, read-only), or the database is damaged.
    """
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S-%f")
    target = path.with_name(f"{path.name}.{reason}-{stamp}.bak")
    partial = target.with_name(target.name + ".partial")
    try:
        platform.create_private(partial)
        dest = sqlite3.connect(partial)
        try:
            with dest:
                db.conn.backup(dest)
            dest.execute("pragma journal_mode = delete")  # a back-up is one self-contained file, never a WAL
            problems = [row[0] for row in dest.execute("pragma integrity_check(5)")]
        finally:
            dest.close()
        if problems != ["ok"]:
            raise DamagedDatabase(path, problems)
        os.replace(partial, target)
    except (sqlite3.Error, OSError) as err:
        raise DatabaseError(
            f"无法备份数据库（{getattr(err, 'strerror', None) or err}），为安全起见没有做任何改动。",
            hint=f"请检查 {path.parent} 所在磁盘的剩余空间和写入权限后重试。",
        ) from err
    finally:
        partial.unlink(missing_ok=True)
    _prune(path, reason, keep)
    return target


def _prune(path: Path, reason: str, keep: int) -> None:
    """Keep the newest ``keep`` back-ups that pass SQLite's quick check; a damaged one never counts."""
    good = 0
    for candidate in sorted(path.parent.glob(f"{path.name}.{reason}-*.bak"), reverse=True):
        if good < keep and _readable(candidate):
            good += 1
            continue
        candidate.unlink(missing_ok=True)


def _readable(path: Path) -> bool:
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True)  # reads only: no -wal/-shm beside it
        try:
            return bool(con.execute("pragma quick_check(1)").fetchone()[0] == "ok")
        finally:
            con.close()
    except sqlite3.Error:
        return False


def latest_backup(path: Path | str) -> Path | None:
    """The newest readable back-up beside a database file (any reason), for the restore hint."""
    path = Path(path)
    for candidate in sorted(path.parent.glob(f"{path.name}.*.bak"), key=lambda p: p.stat().st_mtime, reverse=True):
        if _readable(candidate):
            return candidate
    return None


class DamagedDatabase(DatabaseError):
    """The database fails SQLite's integrity check: nothing may write to it; restore a back-up."""

    def __init__(self, path: Path, problems: list[str]) -> None:
        good = latest_backup(path)
        how = (
            f"恢复方法：关闭药目，把损坏的 {path.name} 另存到别处留作检查，然后把备份 {good.name} 复制为 {path.name}"
            f"（同一文件夹 {path.parent}），再重新打开药目。"
            if good
            else f"没有找到可用的备份（{path.name}.*.bak）。请联系技术支持，勿再使用该文件。"
        )
        super().__init__(
            f"数据库文件 {path} 已损坏（完整性检查未通过：{'；'.join(problems[:2])}），为防止损坏扩散，已拒绝写入。",
            hint=how,
        )


def check_intact(db: Database) -> None:
    """Refuse to write to a database file with damaged pages (SQLite's quick check).

    Raises:
        DamagedDatabase: naming the newest good back-up and how to restore it.
    """
    path = next(
        (Path(f) for _s, name, f in db.execute("pragma database_list").fetchall() if name == "main" and f), None
    )
    if path is None:
        return
    try:
        problems = [row[0] for row in db.execute("pragma quick_check(5)")]
    except sqlite3.DatabaseError as err:
        problems = [str(err)]
    if problems != ["ok"]:
        raise DamagedDatabase(path, problems)


def backup(db: Database, path: Path, *, reason: str, keep: int = 3) -> Path:
    """Public back-up helper (used before applying catalogue packages)."""
    return _backup(db, path, reason=reason, keep=keep)


def db_file(db: Database) -> Path | None:
    """The file behind a connection (None for an in-memory database)."""
    for _seq, name, filename in db.execute("pragma database_list").fetchall():
        if name == "main" and filename:
            return Path(filename)
    return None


def has_content(db: Database) -> bool:
    """True when any edition or overlay is installed (a first start has nothing worth a back-up)."""
    return bool(db.execute("select exists(select 1 from edition) or exists(select 1 from overlay)").fetchone()[0])


@contextmanager
def durable(db: Database) -> Iterator[None]:
    """Commit with ``synchronous=FULL``: in WAL mode NORMAL may lose the last commit on power loss."""
    previous = db.execute("PRAGMA synchronous").fetchone()[0]
    db.execute("PRAGMA synchronous = FULL")
    try:
        yield
    finally:
        db.execute(f"PRAGMA synchronous = {int(previous)}")


def content_hash(db: Database) -> str:
    """A hash over every user table's rows: equal before and after a refused change."""
    import hashlib

    import sqlite_utils

    h = hashlib.sha256()
    for table in sorted(db.table_names()):
        if table.startswith(("sqlite_", "entry_fts_")) or table == "entry_category_key":  # derived from entry
            continue
        h.update(table.encode())
        # Rows in a stable order without rowid: WITHOUT ROWID tables (entry_category_key) have none.
        for row in sorted(repr(row) for row in db.execute(f"select * from {sqlite_utils.db.quote_identifier(table)}")):
            h.update(row.encode())
    return h.hexdigest()


# --- loading ---------------------------------------------------------------------------------


def _entry_rows(
    data: r.EditionData, spec: EditionSpec | None, known_pinyin: dict[str, tuple[str, str]] | None = None
) -> list[dict[str, object]]:
    from desktop.catalogue import derive, pinyin

    info = data.info
    known = known_pinyin or {}
    rows = []
    for src in data.rows:
        name = normalise_name(src.name_published)
        key = drug_key(name, src.dosage_form)
        start, end = derive.parse_period(src.agreement_text)
        standards = _standards(src)
        full, initials = known.get(name) or pinyin.keys(name)
        flags = derive.flags(
            src,
            spec.inpatient_nutrition if spec else None,
            spec.nutrition_screening if spec else None,
        )
        rows.append(
            {
                "id": derive.entry_id(info.name, key, src.section),
                "key": key,
                "seq": src.seq,
                "section": src.section,
                "subsection": src.subsection,
                "number": src.number,
                "star_of": src.star_of,
                "name": name,
                "name_published": src.name_published,
                "dosage_form": src.dosage_form,
                "class": src.drug_class,
                "category_code": src.category_code,
                "category_path": src.category_path,
                "remark": src.remark,
                "flags": json.dumps(list(flags), ensure_ascii=False),
                "payment_standard": src.payment_standard,
                "standards": json.dumps([s.__dict__ for s in standards], ensure_ascii=False),
                "agreement_text": src.agreement_text,
                "agreement_start": start.isoformat() if start else None,
                "agreement_end": end.isoformat() if end else None,
                "ethnic": int(src.ethnic),
                "pinyin": full,
                "initials": initials,
            }
        )
    # Shortest names first: FTS results come back in rowid order, i.e. already ranked.
    rows.sort(key=lambda row: (len(str(row["name"])), row["seq"]))
    return rows


def _standards(src: r.SourceRow) -> tuple[r.PaymentStandard, ...]:
    """The row's standards read whole; an unreadable one stops the import naming the row."""
    from desktop.catalogue import derive

    try:
        derive.check_standards(src.payment_standard, src.name_published)
    except derive.StandardError as err:
        raise SourceFormatError(
            f"{src.section}第 {src.seq} 行“{src.name_published}”：{err}。",
            hint="导入已停止，数据库未改动。请核对官方文件中该行的医保支付标准。",
        ) from None
    return derive.parse_standards(src.payment_standard, src.name_published)


#: Entry primary keys encode the search order (see 0001_catalogue.sql).
PK_EDITION = 10**10
PK_LENGTH = 10**6


def _assign_pks(rows: list[dict[str, object]], edition_id: int, used: dict[int, int] | None = None) -> None:
    """Give rows (sorted shortest name first) primary keys after those already ``used`` per length."""
    last = dict(used or {})
    for row in rows:
        length = min(len(str(row["name"])), PK_EDITION // PK_LENGTH - 1)
        n = last.get(length, -1) + 1
        if n >= PK_LENGTH:  # pragma: no cover - a million names of one length
            raise DatabaseError("同一长度的药品名称过多，无法建立检索顺序。")
        last[length] = n
        row["pk"] = edition_id * PK_EDITION + length * PK_LENGTH + n


def _edition_fields(info: r.EditionInfo, package_id: str | None, loaded_at: str | None = None) -> dict[str, object]:
    return {
        "name": info.name,
        "variant": info.variant,
        "title": info.title,
        "document": info.document,
        "published": info.published.isoformat() if info.published else None,
        "effective_start": info.effective_start.isoformat(),
        "effective_end": info.effective_end.isoformat() if info.effective_end else None,
        "source": info.source,
        "checksum": info.checksum,
        "package_id": package_id,
        "loaded_at": loaded_at or datetime.now().isoformat(timespec="seconds"),
    }


def _insert_entries(db: Database, rows: list[dict[str, object]], edition_id: int, on_progress: ProgressFn) -> None:
    if not rows:
        return
    columns = [*rows[0].keys(), "edition_id"]
    insert = f"insert into entry ({', '.join(columns)}) values ({', '.join('?' for _ in columns)})"
    step = 1000
    for start in range(0, len(rows), step):
        db.conn.executemany(insert, [[*row.values(), edition_id] for row in rows[start : start + step]])
        on_progress(min(start + step, len(rows)), len(rows))


def fts_chars(name: str) -> str:
    """The text indexed for Chinese search: characters separated by spaces, ASCII runs kept whole."""
    out: list[str] = []
    run = ""
    for ch in name.lower():
        if ch.isascii() and ch.isalnum():
            run += ch
            continue
        if run:
            out.append(run)
            run = ""
        if ch.isalnum():
            out.append(ch)
    if run:
        out.append(run)
    return " ".join(out)


#: Name prefixes up to this many letters are indexed as tokens (longer ones use a phrase).
PREFIX_TOKENS = 8


def fts_folded(text: str) -> str:
    """Letters and digits only, lower case: the form prefix tokens are built and matched in."""
    return "".join(ch for ch in text.lower() if ch.isalnum())


def fts_prefixes(name: str) -> str:
    """The name's first 1..PREFIX_TOKENS letters as space-separated tokens."""
    folded = fts_folded(name)
    return " ".join(folded[:i] for i in range(1, min(len(folded), PREFIX_TOKENS) + 1))


def fts_grams(folded: str, n: int) -> str:
    """The ``n``-grams of a folded name, in order, as space-separated tokens (the name itself when shorter)."""
    if len(folded) <= n:
        return folded
    return " ".join(folded[i : i + n] for i in range(len(folded) - n + 1))


def category_keys(code: str | None) -> list[str]:
    """Search keys of a category code: ``=XJ01CA`` for the code, ``XJ``, ``XJ0`` … ``XJ01CA`` for its prefixes."""
    if not code:
        return []
    code = code.upper()
    return ["=" + code, *(code[:i] for i in range(2, len(code) + 1))]


IndexRow = tuple[int, str, str, str, "str | None"]  # pk, name, initials, pinyin, category code


def index_entries(db: Database, edition_id: int) -> None:
    """Add an edition's entries to the search index (inside the caller's transaction)."""
    cur = db.execute("select pk, name, initials, pinyin, category_code from entry where edition_id = ?", [edition_id])
    _index(db, edition_id, cur.fetchall())


def reindex(db: Database) -> None:
    """Rebuild the whole search index from the entries (inside the caller's transaction)."""
    db.execute("delete from entry_fts")
    db.execute("delete from entry_category_key")
    for (edition_id,) in db.execute("select id from edition").fetchall():
        index_entries(db, edition_id)


def _index(db: Database, edition_id: int, rows: list[IndexRow]) -> None:
    fts = []
    keys: list[tuple[object, ...]] = []
    for pk, name, ini, py, code in rows:
        folded = fts_folded(name)
        fts.append((pk, fts_chars(name), fts_grams(folded, 2), fts_grams(folded, 3), fts_prefixes(name), ini, py))
        keys.extend((edition_id, key, pk) for key in category_keys(code))
    db.conn.executemany("insert into entry_fts(rowid, chars, g2, g3, pre, ini, py) values (?, ?, ?, ?, ?, ?, ?)", fts)
    db.conn.executemany("insert or ignore into entry_category_key(edition_id, key, pk) values (?, ?, ?)", keys)


def _unindex(db: Database, edition_id: int, pks: list[int]) -> None:
    db.conn.executemany("delete from entry_fts where rowid = ?", [(pk,) for pk in pks])
    _unindex_categories(db, edition_id, pks)


def _unindex_categories(db: Database, edition_id: int, pks: list[int]) -> None:
    for start in range(0, len(pks), 500):
        chunk = pks[start : start + 500]
        db.execute(
            f"delete from entry_category_key where edition_id = ? and pk in ({', '.join('?' * len(chunk))})",
            [edition_id, *chunk],
        )


def delete_edition(db: Database, name: str) -> None:
    """Remove an edition and its rows (inside the caller's transaction)."""
    row = db.execute("select id from edition where name = ?", [name]).fetchone()
    if row is not None:
        edition_id = int(row[0])
        db.execute(
            "delete from entry_fts where rowid between ? and ?",
            [edition_id * PK_EDITION, (edition_id + 1) * PK_EDITION - 1],
        )
        db.execute("delete from entry_category_key where edition_id = ?", [edition_id])
    db.execute("delete from edition where name = ?", [name])


def load_edition(
    db: Database,
    data: r.EditionData,
    spec: EditionSpec | None,
    *,
    package_id: str | None = None,
    on_progress: ProgressFn = _ignore,
    loaded_at: str | None = None,
    known_pinyin: dict[str, tuple[str, str]] | None = None,
) -> int:
    """Store an edition, replacing any installed variant of the same edition, in one transaction.

    ``loaded_at`` keeps the time an edition was first loaded when a rollback restores it;
    ``known_pinyin`` gives ``(full, initials)`` already worked out per normalised name (benchmarks).

    Returns:
        The new edition's id.
    """
    rows = _entry_rows(data, spec, known_pinyin)
    with db.atomic():
        delete_edition(db, data.info.name)
        edition_id = last_pk(db.table("edition").insert(_edition_fields(data.info, package_id, loaded_at)))
        _insert_sections(db, edition_id, data)
        _assign_pks(rows, edition_id)
        _insert_entries(db, rows, edition_id, on_progress)
        index_entries(db, edition_id)
    return edition_id


def _insert_sections(db: Database, edition_id: int, data: r.EditionData) -> None:
    db.execute("delete from edition_section where edition_id = ?", [edition_id])
    db.table("edition_section").insert_all(
        {
            "edition_id": edition_id,
            "section": s.section,
            "complete": int(s.complete),
            "expected": s.expected,
            "note": s.note,
        }
        for s in data.sections.values()
    )


def update_edition(
    db: Database,
    data: r.EditionData,
    spec: EditionSpec | None,
    *,
    package_id: str | None = None,
    on_progress: ProgressFn = _ignore,
) -> int:
    """Bring the installed variant of an edition to ``data`` drug by drug, in one transaction.

    The end state equals ``load_edition``'s, but only rows that change are written, and only
    new or renamed drugs touch the search index: a revision that moves two drugs and
    renumbers the rest costs a fraction of a reload. Without an installed variant it loads.

    Returns:
        The edition's id.
    """
    installed = db.execute("select id from edition where name = ?", [data.info.name]).fetchone()
    if installed is None:
        return load_edition(db, data, spec, package_id=package_id, on_progress=on_progress)
    edition_id = int(installed[0])
    # A drug may be listed in two sections (the format allows it): rows are identified by (key, section).
    old = {
        (row["key"], row["section"]): row for row in db.query("select * from entry where edition_id = ?", [edition_id])
    }
    rows = _entry_rows(data, spec, {row["name"]: (row["pinyin"], row["initials"]) for row in old.values()})
    gone: list[int] = []
    new: list[dict[str, object]] = []
    changed: list[tuple[dict[str, object], tuple[str, ...]]] = []
    for row in rows:
        prev = old.pop((str(row["key"]), str(row["section"])), None)
        if prev is None or prev["name"] != row["name"]:  # a new drug, or a respelt one: re-index it
            new.append(row)
            if prev is not None:
                gone.append(prev["pk"])
        else:
            columns = tuple(column for column, value in row.items() if prev[column] != value)
            if columns:
                changed.append(({**row, "pk": prev["pk"]}, columns))
    gone += [prev["pk"] for prev in old.values()]
    with db.atomic():
        db.table("edition").update(edition_id, _edition_fields(data.info, package_id))
        _insert_sections(db, edition_id, data)
        recoded = [row for row, columns in changed if "category_code" in columns]
        _unindex(db, edition_id, gone)
        _unindex_categories(db, edition_id, [int(row["pk"]) for row in recoded])  # type: ignore[call-overload]
        db.conn.executemany("delete from entry where pk = ?", [(pk,) for pk in gone])
        # SQLite maintains every index whose column is SET, changed or not: set only what changed.
        by_columns: dict[tuple[str, ...], list[list[object]]] = {}
        for row, columns in changed:
            by_columns.setdefault(columns, []).append([*(row[c] for c in columns), row["pk"]])
        for columns, values in by_columns.items():
            db.conn.executemany(f"update entry set {', '.join(f'{c} = ?' for c in columns)} where pk = ?", values)
        on_progress(len(changed), len(changed) + len(new))
        used: dict[int, int] = {}
        for (pk,) in db.execute("select pk from entry where edition_id = ?", [edition_id]):
            length, n = divmod(pk - edition_id * PK_EDITION, PK_LENGTH)
            used[length] = max(used.get(length, -1), n)
        _assign_pks(new, edition_id, used)
        _insert_entries(db, new, edition_id, lambda done, total: on_progress(len(changed) + done, len(changed) + total))
        _index(
            db,
            edition_id,
            [(row["pk"], row["name"], row["initials"], row["pinyin"], row["category_code"]) for row in new],  # type: ignore[misc]
        )
        db.conn.executemany(
            "insert or ignore into entry_category_key(edition_id, key, pk) values (?, ?, ?)",
            [(edition_id, key, row["pk"]) for row in recoded for key in category_keys(row["category_code"])],  # type: ignore[arg-type]
        )
    return edition_id


# --- reading ---------------------------------------------------------------------------------


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _edition(db: Connection, row: dict[str, Any], *, details: bool = True) -> r.Edition:
    sections: tuple[r.SectionInfo, ...] = ()
    counts: dict[str, int] = {}
    if details:
        sections = tuple(
            r.SectionInfo(s["section"], bool(s["complete"]), s["expected"], s["note"])
            for s in db.query("select * from edition_section where edition_id = ? order by rowid", [row["id"]])
        )
        counts = dict(
            db.execute("select section, count(*) from entry where edition_id = ? group by section", [row["id"]])
        )
    return r.Edition(
        id=row["id"],
        name=row["name"],
        variant=row["variant"],
        title=row["title"],
        document=row["document"],
        published=_date(row["published"]),
        effective_start=date.fromisoformat(row["effective_start"]),
        effective_end=_date(row["effective_end"]),
        source=row["source"],
        checksum=row["checksum"],
        loaded_at=row["loaded_at"],
        package_id=row["package_id"],
        sections=sections,
        counts=counts,
    )


def edition_named(db: Database, name: str, *, details: bool = False) -> r.Edition | None:
    """The installed variant of edition ``name`` ("2025"), if any."""
    rows = db.query("select * from edition where name = ?", [name])
    return next((_edition(db, row, details=details) for row in rows), None)


def editions(db: Connection, *, details: bool = True) -> list[r.Edition]:
    """Installed editions, oldest first; ``details`` adds sections and row counts (a scan).

    Without details they are read once per generation of the connection (``storage.memo``).
    """
    if details:
        return _read_editions(db, details=True)
    return list(memo.cached(db, "editions", None, lambda: tuple(_read_editions(db, details=False))))


def _read_editions(db: Connection, *, details: bool) -> list[r.Edition]:
    return [_edition(db, row, details=details) for row in db.query("select * from edition order by effective_start")]


@dataclass(frozen=True)
class EditionChoice:
    """The edition that answers a question as of a day, and how well it fits."""

    day: date
    edition: r.Edition | None
    exact: bool  # True when the edition is in force on that day
    note: str | None  # said plainly to staff when not exact

    @property
    def edition_id(self) -> int | None:
        return self.edition.id if self.edition else None


def edition_on(db: Connection, day: date) -> EditionChoice:
    """The edition in force on ``day``; else the nearest one, with a note saying so."""
    installed = editions(db, details=False)
    if not installed:
        return EditionChoice(day, None, False, "数据库中没有任何目录版本，请先导入目录（yaomu init 或更新包）。")
    covering = [e for e in installed if e.covers(day)]
    if covering:
        return EditionChoice(day, max(covering, key=lambda e: e.effective_start), True, None)

    def distance(e: r.Edition) -> int:
        if day < e.effective_start:
            return (e.effective_start - day).days
        return (day - e.effective_end).days if e.effective_end else 0

    nearest = min(installed, key=distance)
    when = "之前" if day < nearest.effective_start else "之后"
    return EditionChoice(
        day,
        nearest,
        False,
        f"{day.isoformat()} 没有已导入的目录版本生效；以下按最近的 {nearest.label}"
        f"（{nearest.effective_start.isoformat()} 起）回答，该日期在其有效期{when}，结果仅供参考。",
    )


def _json_tuple(text: str) -> tuple[Any, ...]:
    """A JSON array column as a tuple (most rows hold "[]": no parse)."""
    return () if text == "[]" else tuple(json.loads(text))


def row_to_entry(row: dict[str, Any]) -> r.Entry:
    return r.Entry(
        id=row["id"],
        edition=row["edition_name"],
        edition_id=row["edition_id"],
        key=row["key"],
        section=row["section"],
        subsection=row["subsection"],
        number=row["number"],
        star_of=row["star_of"],
        name=row["name"],
        name_published=row["name_published"],
        dosage_form=row["dosage_form"],
        drug_class=row["class"],
        category_code=row["category_code"],
        category_path=row["category_path"],
        remark=row["remark"],
        flags=_json_tuple(row["flags"]),
        payment_standard=row["payment_standard"],
        payment_standards=tuple(r.PaymentStandard(**s) for s in _json_tuple(row["standards"])),
        agreement_text=row["agreement_text"],
        agreement_start=_date(row["agreement_start"]),
        agreement_end=_date(row["agreement_end"]),
        ethnic=bool(row["ethnic"]),
        seq=row["seq"],
    )


ENTRY_SELECT = "select e.*, d.name as edition_name from entry e join edition d on d.id = e.edition_id"


def get_entry(db: Database, entry_id: str) -> r.Entry:
    rows = list(db.query(f"{ENTRY_SELECT} where e.id = ?", [entry_id]))
    if not rows:
        raise NotFound(
            f"目录中没有编号为 {entry_id} 的条目。", hint="请先用 yaomu search 查找药品，再使用结果中的 id。"
        )
    return row_to_entry(rows[0])


#: The columns an ``Entry`` is built from, in the order of its fields (``ENTRY_SELECT`` also has pinyin etc.;
#: tests/storage/test_entry_cache.py checks both give the same records).
_ENTRY_COLUMNS = (
    "e.id, d.name, e.edition_id, e.key, e.section, e.subsection, e.number, e.star_of, e.name, e.name_published, "
    "e.dosage_form, e.class, e.category_code, e.category_path, e.remark, e.flags, e.payment_standard, e.standards, "
    "e.agreement_text, e.agreement_start, e.agreement_end, e.ethnic, e.seq"
)


def _entry_of(row: Sequence[Any]) -> r.Entry:
    """An ``Entry`` from a row of ``_ENTRY_COLUMNS`` (a plain tuple in the record's field order: no dict per row)."""
    return r.Entry(
        row[0],
        row[1],
        row[2],
        row[3],
        row[4],
        row[5],
        row[6],
        row[7],
        row[8],
        row[9],
        row[10],
        row[11],
        row[12],
        row[13],
        row[14],
        _flags(row[15]),
        row[16],
        tuple(r.PaymentStandard(**s) for s in _json_tuple(row[17])),
        row[18],
        _date(row[19]),
        _date(row[20]),
        bool(row[21]),
        row[22],
    )


@lru_cache(maxsize=1024)
def _flags(text: str) -> tuple[str, ...]:
    """The markers column (a few dozen distinct values in a whole catalogue)."""
    return _json_tuple(text)


def _read_entries(db: Connection, where: str, params: Sequence[object]) -> list[r.Entry]:
    sql = f"select {_ENTRY_COLUMNS} from entry e join edition d on d.id = e.edition_id where {where}"
    return [_entry_of(row) for row in db.execute(sql, params)]


def entries_by_ids(db: Connection, ids: Iterable[str]) -> dict[str, r.Entry]:
    """The entries with these ids (unknown ids are simply absent).

    Entries change only when a catalogue is applied, rolled back or migrated: each is read once per
    generation of the connection (``storage.memo``), those not yet read in one query.
    """
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    known = memo.kind(db, "entry")
    if known is None:
        missing = wanted
        out: dict[str, r.Entry] = {}
    else:
        out = {i: e for i in wanted if (e := known.get(i)) is not None}
        missing = [i for i in wanted if i not in out]
    if not missing:
        return out
    for entry in _read_entries(db, f"e.id in ({','.join('?' * len(missing))})", missing):
        out[entry.id] = entry
        if known is not None:
            known[entry.id] = entry
    return {i: out[i] for i in wanted if i in out}  # in id order, as one query returns them


#: Entry columns a search looks up by value, each through its own index.
LOOKUP_COLUMNS = ("id", "number", "star_of", "category_code", "initials", "pinyin", "name")


def find_entries(
    db: Database,
    edition_id: int | None,
    column: str,
    value: object,
    limit: int,
    *,
    below: object | None = None,
    by_seq: bool = False,
) -> list[r.Entry]:
    """Entries of an edition (any edition when None) whose ``column`` equals ``value``.

    With ``below``, the column lies in ``[value, below)`` instead (a prefix range). Rows come in
    storage order (shortest name first), or publication order with ``by_seq``.
    """
    if column not in LOOKUP_COLUMNS:
        raise ValueError(f"not a lookup column: {column}")
    where = [f"e.{column} >= ? and e.{column} < ?" if below is not None else f"e.{column} = ?"]
    params: list[object] = [value, below] if below is not None else [value]
    if edition_id is not None:
        where.insert(0, "e.edition_id = ?")
        params.insert(0, edition_id)
    # WORKAROUND: a unary "+" keeps the planner from walking an index in ORDER BY order
    # (e.g. (edition_id, seq) over 270,000 rows) instead of the selective WHERE index.
    order = "e.seq" if by_seq else "e.rowid"
    sql = f"{ENTRY_SELECT} where {' and '.join(where)} order by +{order} limit ?"
    return [row_to_entry(row) for row in db.query(sql, [*params, limit])]


def fts_entries(db: Database, match: str, edition_id: int, limit: int) -> list[r.Entry]:
    """Full-text matches (an FTS5 ``match`` expression) of one edition in rowid order, i.e. shortest name first."""
    return [
        row_to_entry(row)
        for row in db.query(
            "select e.*, d.name as edition_name from entry_fts f join entry e on e.rowid = f.rowid "
            "join edition d on d.id = e.edition_id "
            "where entry_fts match ? and f.rowid between ? and ? order by f.rowid limit ?",
            [match, edition_id * PK_EDITION, (edition_id + 1) * PK_EDITION - 1, limit],
        )
    ]


# --- search: row ids in rank order, rows made entries when read ----------------------------------


class LazyEntries(Sequence[r.Entry]):
    """Entries in a given order, each row made an ``Entry`` when first read (a search returns 100;
    the window shows about 25). Equal to a tuple or list of the same entries."""

    __slots__ = ("_done", "_rows")

    def __init__(self, rows: list[dict[str, Any]]) -> None:
        self._rows = rows
        self._done: list[r.Entry | None] = [None] * len(rows)

    @property
    def pks(self) -> tuple[int, ...]:
        """The row ids, in order (equal for the same rows of the same edition)."""
        return tuple(row["pk"] for row in self._rows)

    def __len__(self) -> int:
        return len(self._rows)

    @overload
    def __getitem__(self, i: int) -> r.Entry: ...
    @overload
    def __getitem__(self, i: slice) -> tuple[r.Entry, ...]: ...
    def __getitem__(self, i: int | slice) -> r.Entry | tuple[r.Entry, ...]:
        if isinstance(i, slice):
            return tuple(self[j] for j in range(*i.indices(len(self._rows))))
        entry = self._done[i]
        if entry is None:
            entry = self._done[i] = row_to_entry(self._rows[i])
        return entry

    def __iter__(self) -> Iterator[r.Entry]:
        return (self[i] for i in range(len(self._rows)))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, LazyEntries | tuple | list):
            return tuple(self) == tuple(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"LazyEntries({len(self._rows)} rows)"


def entries_by_pk(db: Database | Reader, pks: list[int]) -> LazyEntries:
    """The entries with these row ids, in the order given."""
    if not pks:
        return LazyEntries([])
    marks = ", ".join("?" * len(pks))
    by_pk = {row["pk"]: row for row in db.query(f"{ENTRY_SELECT} where e.pk in ({marks})", pks)}
    return LazyEntries([by_pk[pk] for pk in pks if pk in by_pk])


def names_by_pk(db: Database | Reader, pks: list[int]) -> dict[int, str]:
    if not pks:
        return {}
    marks = ", ".join("?" * len(pks))
    return dict(db.execute(f"select pk, name from entry where pk in ({marks})", pks).fetchall())


def find_pks(
    db: Database | Reader, edition_id: int | None, column: str, value: object, limit: int, *, by_seq: bool = False
) -> list[int]:
    """Row ids of an edition's entries (any edition when None) whose ``column`` equals ``value``,
    shortest name first (publication order with ``by_seq``)."""
    if column not in LOOKUP_COLUMNS:
        raise ValueError(f"not a lookup column: {column}")
    where, params = f"{column} = ?", [value]
    if edition_id is not None:
        where, params = f"edition_id = ? and {where}", [edition_id, value]
    # WORKAROUND: a unary "+" keeps the planner from walking the primary key in ORDER BY order
    # (270,000 rows) instead of the selective WHERE index.
    sql = f"select pk from entry where {where} order by +{'seq' if by_seq else 'pk'} limit ?"
    return [pk for (pk,) in db.execute(sql, [*params, limit])]


def fts_pks(db: Database | Reader, match: str, edition_id: int, limit: int) -> list[int]:
    """Row ids of full-text matches (an FTS5 ``match`` expression) of one edition, shortest name first."""
    sql = "select rowid from entry_fts where entry_fts match ? and rowid between ? and ? order by rowid limit ?"
    params = [match, edition_id * PK_EDITION, (edition_id + 1) * PK_EDITION - 1, limit]
    return [pk for (pk,) in db.execute(sql, params)]


def category_pks(db: Database | Reader, edition_id: int, key: str, limit: int) -> list[int]:
    """Row ids of entries with a category key (``category_keys``), shortest name first: a B-tree range."""
    sql = "select pk from entry_category_key where edition_id = ? and key = ? order by pk limit ?"
    return [pk for (pk,) in db.execute(sql, [edition_id, key, limit])]


def entries(db: Database, edition_id: int, section: str | None = None) -> Iterable[r.Entry]:
    """Every row of an edition (optionally one section) in publication order."""
    sql = f"{ENTRY_SELECT} where e.edition_id = ?"
    params: list[object] = [edition_id]
    if section:
        sql += " and e.section = ?"
        params.append(section)
    for row in db.query(sql + " order by e.seq", params):
        yield row_to_entry(row)


_SOURCE_COLUMNS = (
    "section",
    "name_published",
    "seq",
    "subsection",
    "number",
    "star_of",
    "dosage_form",
    "class",
    "category_code",
    "category_path",
    "remark",
    "payment_standard",
    "agreement_text",
    "ethnic",
)


def source_rows(db: Database, edition_id: int) -> list[r.SourceRow]:
    """An installed edition's rows as published, in publication order (what a package carries)."""
    cur = db.execute(f"select {', '.join(_SOURCE_COLUMNS)} from entry where edition_id = ? order by seq", [edition_id])
    fields = [c if c != "class" else "drug_class" for c in _SOURCE_COLUMNS]
    return [r.SourceRow(**{**dict(zip(fields, row, strict=True)), "ethnic": bool(row[-1])}) for row in cur]


def entries_of_keys(db: Connection, edition_id: int, keys: Iterable[str]) -> dict[str, tuple[r.Entry, ...]]:
    """The entries of these drugs (keys) in one edition, by key, in publication order (a key the edition
    does not have maps to ``()``). Read once per generation of the connection, those not yet read in one query."""
    wanted = sorted(set(keys))
    known = memo.kind(db, ("entries_of_key", edition_id))
    out: dict[str, tuple[r.Entry, ...]] = {}
    if known is not None:
        out = {k: v for k in wanted if (v := known.get(k)) is not None}
    missing = [k for k in wanted if k not in out]
    if not missing:
        return out
    found: dict[str, list[r.Entry]] = {k: [] for k in missing}
    # WORKAROUND: a unary "+" keeps the planner on the key index instead of walking the whole edition
    # through an (edition_id, ...) index.
    where = f"+e.edition_id = ? and e.key in ({','.join('?' * len(missing))}) order by e.seq"
    for entry in _read_entries(db, where, [edition_id, *missing]):
        found[entry.key].append(entry)
    for k, entries in found.items():
        out[k] = tuple(entries)
        if known is not None:
            known[k] = out[k]
    return out


def drug_names(db: Connection) -> set[str]:
    """Every distinct normalised drug name of every installed edition."""
    return {name for (name,) in db.execute("select distinct name from entry")}


def section_info(db: Connection, edition_id: int) -> dict[str, r.SectionInfo]:
    return {
        s["section"]: r.SectionInfo(s["section"], bool(s["complete"]), s["expected"], s["note"])
        for s in db.query("select * from edition_section where edition_id = ? order by rowid", [edition_id])
    }
