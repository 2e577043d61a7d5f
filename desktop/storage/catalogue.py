"""All SQL of the catalogue: opening and migrating the database, loading editions, reading rows.

Returns ``Edition`` and ``Entry`` records, never cursors. A connection belongs to the
thread that opened it: the GUI holds one for lookups, a worker opens its own to write.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import sqlite_utils
from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from desktop import paths
from desktop.catalogue import derive, pinyin
from desktop.catalogue import records as r
from desktop.catalogue.fanli import EditionSpec
from desktop.catalogue.normalise import drug_key, normalise_name
from desktop.errors import DatabaseError, NotFound, db_reason

#: How many back-ups of the database file made before a migration are kept.
KEEP_MIGRATION_BACKUPS = 3

ProgressFn = Callable[[int, int], None]


def _ignore(done: int, total: int) -> None:
    """The default progress callback."""


def _migrations() -> Migrations:
    """One migration per SQL file in db/migrations/, registered under its file name."""
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
    if path is None:
        path = paths.default_db_path()
    try:
        if path == ":memory:":
            db = Database(memory=True)
        elif readonly:
            conn = sqlite3.connect(f"file:{Path(path)}?mode=ro", uri=True, check_same_thread=False)
            db = Database(conn)
        else:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            db = Database(Path(path))
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


def _refuse_newer(db: Database) -> None:
    if not db["_sqlite_migrations"].exists():
        return
    applied = {row["name"] for row in db.query("select name from _sqlite_migrations")}
    unknown = sorted(applied - set(known_migrations()))
    if unknown:
        raise DatabaseError(
            f"数据库由更新版本的药目创建（包含本版本不认识的结构：{', '.join(unknown)}），无法使用。",
            hint="请安装最新版本的药目，或用 --db 指定另一个数据库文件。数据库未被修改。",
        )


def _migrate(db: Database, path: Path | None) -> None:
    _refuse_newer(db)
    migrations = _migrations()
    pending = migrations.pending(db)
    if not pending:
        return
    if path is not None and db.table_names() and path.exists():
        _backup(db, path, reason="migrate")
    migrations.apply(db)


def _backup(db: Database, path: Path, *, reason: str, keep: int = KEEP_MIGRATION_BACKUPS) -> Path:
    """Copy the database (consistently, through SQLite's backup API) beside itself."""
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S-%f")
    target = path.with_name(f"{path.name}.{reason}-{stamp}.bak")
    dest = sqlite3.connect(target)
    with dest:
        db.conn.backup(dest)
    dest.close()
    old = sorted(path.parent.glob(f"{path.name}.{reason}-*.bak"))
    for stale in old[:-keep]:
        stale.unlink(missing_ok=True)
    return target


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

    h = hashlib.sha256()
    for table in sorted(db.table_names()):
        if table.startswith(("sqlite_", "entry_fts_")):
            continue
        h.update(table.encode())
        for row in db.execute(f"select * from {sqlite_utils.db.quote_identifier(table)} order by rowid"):
            h.update(repr(row).encode())
    return h.hexdigest()


# --- loading ---------------------------------------------------------------------------------


def _entry_rows(
    data: r.EditionData, spec: EditionSpec | None, known_pinyin: dict[str, tuple[str, str]] | None = None
) -> list[dict[str, object]]:
    info = data.info
    known = known_pinyin or {}
    rows = []
    for src in data.rows:
        name = normalise_name(src.name_published)
        key = drug_key(name, src.dosage_form)
        start, end = derive.parse_period(src.agreement_text)
        standards = derive.parse_standards(src.payment_standard)
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


def index_entries(db: Database, edition_id: int) -> None:
    """Add an edition's entries to the search index (inside the caller's transaction)."""
    cur = db.execute("select pk, name, initials, pinyin from entry where edition_id = ?", [edition_id])
    _index(db, cur.fetchall())


def _index(db: Database, rows: list[tuple[int, str, str, str]]) -> None:
    db.conn.executemany(
        "insert into entry_fts(rowid, chars, pre, ini, py) values (?, ?, ?, ?, ?)",
        [(pk, fts_chars(name), fts_prefixes(name), ini, py) for pk, name, ini, py in rows],
    )


def delete_edition(db: Database, name: str) -> None:
    """Remove an edition and its rows (inside the caller's transaction)."""
    db.execute(
        "delete from entry_fts where rowid in (select e.pk from entry e join edition d on d.id = e.edition_id "
        "where d.name = ?)",
        [name],
    )
    db.execute("delete from edition where name = ?", [name])


def load_edition(
    db: Database,
    data: r.EditionData,
    spec: EditionSpec | None,
    *,
    package_id: str | None = None,
    on_progress: ProgressFn = _ignore,
    loaded_at: str | None = None,
) -> int:
    """Store an edition, replacing any installed variant of the same edition, in one transaction.

    ``loaded_at`` keeps the time an edition was first loaded when a rollback restores it.

    Returns:
        The new edition's id.
    """
    rows = _entry_rows(data, spec)
    with db.atomic():
        delete_edition(db, data.info.name)
        edition_id = int(db["edition"].insert(_edition_fields(data.info, package_id, loaded_at)).last_pk)
        _insert_sections(db, edition_id, data)
        _assign_pks(rows, edition_id)
        _insert_entries(db, rows, edition_id, on_progress)
        index_entries(db, edition_id)
    return edition_id


def _insert_sections(db: Database, edition_id: int, data: r.EditionData) -> None:
    db.execute("delete from edition_section where edition_id = ?", [edition_id])
    db["edition_section"].insert_all(
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
    old = {row["key"]: row for row in db.query("select * from entry where edition_id = ?", [edition_id])}
    rows = _entry_rows(data, spec, {row["name"]: (row["pinyin"], row["initials"]) for row in old.values()})
    gone: list[int] = []
    new: list[dict[str, object]] = []
    changed: list[tuple[dict[str, object], tuple[str, ...]]] = []
    for row in rows:
        prev = old.pop(str(row["key"]), None)
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
        db["edition"].update(edition_id, _edition_fields(data.info, package_id))
        _insert_sections(db, edition_id, data)
        db.conn.executemany("delete from entry_fts where rowid = ?", [(pk,) for pk in gone])
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
        _index(db, [(row["pk"], row["name"], row["initials"], row["pinyin"]) for row in new])  # type: ignore[misc]
    return edition_id


# --- reading ---------------------------------------------------------------------------------


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _edition(db: Database, row: dict, *, details: bool = True) -> r.Edition:
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


def editions(db: Database, *, details: bool = True) -> list[r.Edition]:
    """Installed editions, oldest first; ``details`` adds sections and row counts (a scan)."""
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


def edition_on(db: Database, day: date) -> EditionChoice:
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


def row_to_entry(row: dict) -> r.Entry:
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
        flags=tuple(json.loads(row["flags"])),
        payment_standard=row["payment_standard"],
        payment_standards=tuple(r.PaymentStandard(**s) for s in json.loads(row["standards"])),
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


def entries_by_key(db: Database, key: str) -> list[r.Entry]:
    """The same drug in every installed edition, newest edition first."""
    return [
        row_to_entry(row)
        for row in db.query(f"{ENTRY_SELECT} where e.key = ? order by d.effective_start desc, e.seq", [key])
    ]


def section_info(db: Database, edition_id: int) -> dict[str, r.SectionInfo]:
    return {
        s["section"]: r.SectionInfo(s["section"], bool(s["complete"]), s["expected"], s["note"])
        for s in db.query("select * from edition_section where edition_id = ? order by rowid", [edition_id])
    }
