"""The issued-estimate history: every receipt with its request, result, catalogue version, number, time and staff.

All SQL of receipts lives here: the history, the daily number counter and the check-value key. History
rows are never updated except for their print status, so a 补打 is drawn from exactly what the original
was drawn from.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from desktop.errors import NotFound
from desktop.storage import last_pk

if TYPE_CHECKING:  # sqlite-utils is imported by whoever opens the database
    from sqlite_utils import Database

#: Characters that make a spreadsheet treat a cell as a formula (or strip it into one).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Record:
    """One issued receipt as kept in the history."""

    id: int
    number: str
    pharmacy_code: str
    day: str
    seq: int
    issued_at: str
    staff: str | None
    counter: str | None
    format: str
    edition: str | None
    catalogue_version: str | None
    profile: str | None
    total: str | None
    fund: str | None
    patient_total: str | None
    patient_name: str | None
    patient_id_masked: str | None
    request: dict[str, Any]
    result: dict[str, Any]
    meta: dict[str, Any]
    check_value: str
    status: str
    reprints: int

    def summary(self) -> dict[str, Any]:
        """The listing fields (no request/result bodies), for ``receipts list --json`` and the GUI."""
        return {
            "number": self.number,
            "issued_at": self.issued_at,
            "staff": self.staff,
            "counter": self.counter,
            "format": self.format,
            "edition": self.edition,
            "catalogue_version": self.catalogue_version,
            "profile": self.profile,
            "patient_name": self.patient_name,
            "patient_id_masked": self.patient_id_masked,
            "total": self.total,
            "fund": self.fund,
            "patient_total": self.patient_total,
            "status": self.status,
            "reprints": self.reprints,
        }


def insert(
    db: Database,
    *,
    number: str,
    pharmacy_code: str,
    day: date,
    seq: int,
    issued_at: datetime,
    fmt: str,
    request: dict[str, Any],
    result: dict[str, Any],
    meta: dict[str, Any],
    check_value: str,
) -> int:
    """Record a receipt as ``reserved`` (inside the caller's transaction); returns its row id."""
    return last_pk(
        db.table("receipt").insert(
            {
                "number": number,
                "pharmacy_code": pharmacy_code,
                "day": day.isoformat(),
                "seq": seq,
                "issued_at": issued_at.isoformat(sep=" ", timespec="seconds"),
                "staff": meta.get("staff") or None,
                "counter": meta.get("counter") or None,
                "format": fmt,
                "edition": result.get("edition"),
                "catalogue_version": meta.get("catalogue_version") or None,
                "profile": result.get("profile"),
                "total": result.get("total"),
                "fund": result.get("fund"),
                "patient_total": result.get("patient_total"),
                "patient_name": meta.get("patient_name") or None,
                "patient_id_masked": meta.get("patient_id_masked") or None,
                "request": json.dumps(request, ensure_ascii=False, sort_keys=True),
                "result": json.dumps(result, ensure_ascii=False, sort_keys=True),
                "meta": json.dumps(meta, ensure_ascii=False, sort_keys=True),
                "check_value": check_value,
                "status": "reserved",
            }
        )
    )


def mark_printed(db: Database, receipt_id: int, *, kind: str, staff: str | None, when: datetime) -> None:
    """Log a drawing of the receipt (``original`` or ``reprint``) and set its status to printed."""
    with db.atomic():
        db.execute(
            "insert into receipt_print (receipt_id, printed_at, kind, staff) values (?, ?, ?, ?)",
            [receipt_id, when.isoformat(sep=" ", timespec="seconds"), kind, staff or None],
        )
        db.execute("update receipt set status = 'printed' where id = ?", [receipt_id])


_SELECT = (
    "select r.*, (select count(*) from receipt_print p where p.receipt_id = r.id and p.kind = 'reprint') "
    "as reprints from receipt r"
)


def _record(row: dict[str, Any]) -> Record:
    data = dict(row)
    data.pop("chain", None)  # the hash-chain link is checked by desktop.receipts.check, not shown
    for key in ("request", "result", "meta"):
        data[key] = json.loads(data[key])
    return Record(**data)


def get(db: Database, number: str) -> Record:
    """The receipt with this number.

    Raises:
        NotFound: no such receipt in this database.
    """
    rows = list(db.query(f"{_SELECT} where r.number = ?", [number.strip()]))
    if not rows:
        raise NotFound(
            f"本店记录中没有单号为 {number.strip()} 的收据。",
            hint="请核对单号（可用 yaomu receipts list 按日期查找）；其他药店开具的收据无法在此查到。",
        )
    return _record(rows[0])


def search(
    db: Database, *, day: date | None = None, number: str | None = None, limit: int | None = None
) -> list[Record]:
    """Receipts, newest first; ``day`` matches the issue date, ``number`` any part of the number."""
    where: list[str] = []
    params: list[str] = []
    if day is not None:
        where.append("(r.day = ? or substr(r.issued_at, 1, 10) = ?)")
        params += [day.isoformat(), day.isoformat()]
    if number:
        where.append("r.number like ? escape '\\'")
        escaped = number.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        params.append(f"%{escaped}%")
    sql = _SELECT + (" where " + " and ".join(where) if where else "") + " order by r.id desc"
    if limit is not None:
        sql += f" limit {int(limit)}"
    return [_record(row) for row in db.query(sql, params)]


def take_number(db: Database, pharmacy_code: str, today: date) -> tuple[date, int]:
    """The day and sequence of the next receipt number (inside the caller's ``db.atomic()``)."""
    # One statement that writes first: it takes the write lock (waiting on busy_timeout) before it
    # reads the counter, so two counters sharing the database can never read the same last number.
    # In an UPDATE every expression sees the old row, hence last_day in both CASEs is the old day.
    row = db.execute(
        """
        insert into receipt_counter (pharmacy_code, last_day, last_seq) values (?, ?, 1)
        on conflict (pharmacy_code) do update set
            last_seq = case when excluded.last_day > last_day then 1 else last_seq + 1 end,
            last_day = case when excluded.last_day > last_day then excluded.last_day else last_day end
        returning last_day, last_seq
        """,
        [pharmacy_code, today.isoformat()],
    ).fetchone()
    return date.fromisoformat(row[0]), int(row[1])


def key_ref(db: Database) -> str | None:
    """The id of the check-value key kept outside the database (migration 0006), or None before the first receipt."""
    row = db.execute("select key_id from receipt_key_ref where id = 1").fetchone()
    return str(row[0]) if row else None


def create_key_ref(db: Database, key_id: str, when: datetime, keep: Callable[[str | None], None]) -> str:
    """The key id in force, recording ``key_id`` (after ``keep`` has stored its secret) if none is.

    Runs under the database's write lock (``BEGIN IMMEDIATE``), so two counters starting together
    cannot both create a key: the second waits (busy_timeout), then finds the first one's id.
    ``keep`` receives the secret an older version kept in the database (or None) and stores the
    new key outside it before the id is recorded; that old secret is then deleted.
    """
    conn = db.conn
    if conn.in_transaction:  # never inside another unit of work: the key must outlive it
        raise RuntimeError("create_key_ref inside a transaction")
    conn.execute("BEGIN IMMEDIATE")
    try:
        row = conn.execute("select key_id from receipt_key_ref where id = 1").fetchone()
        if row is None:
            legacy = conn.execute("select secret from receipt_key where id = 1").fetchone()
            keep(str(legacy[0]) if legacy else None)
            conn.execute(
                "insert into receipt_key_ref (id, key_id, created_at) values (1, ?, ?)",
                [key_id, when.isoformat(timespec="seconds")],
            )
            conn.execute("delete from receipt_key")
            row = (key_id,)
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return str(row[0])


@dataclass(frozen=True)
class ChainRow:
    """What the hash chain covers of one receipt, exactly as stored."""

    id: int
    number: str
    check_value: str
    request: str
    result: str
    meta: str
    chain: str | None


_CHAIN_COLUMNS = "id, number, check_value, request, result, meta, chain"


def chain_row(db: Database, receipt_id: int) -> ChainRow:
    return ChainRow(*db.execute(f"select {_CHAIN_COLUMNS} from receipt where id = ?", [receipt_id]).fetchone())


def chain_rows(db: Database) -> Iterable[ChainRow]:
    """Every chained receipt (issued since migration 0006), oldest first."""
    for row in db.execute(f"select {_CHAIN_COLUMNS} from receipt where chain is not null order by id"):
        yield ChainRow(*row)


def chain_head(db: Database) -> tuple[int, str, str] | None:
    """(count, last link, mac) of the chain, or None before the first chained receipt."""
    row = db.execute("select count, last, mac from receipt_chain_head where id = 1").fetchone()
    return (int(row[0]), str(row[1]), str(row[2])) if row else None


def set_chain(db: Database, receipt_id: int, link: str, count: int, mac: str) -> None:
    """Store a receipt's link and move the head to it (inside the caller's transaction)."""
    db.execute("update receipt set chain = ? where id = ?", [link, receipt_id])
    db.execute(
        "insert into receipt_chain_head (id, count, last, mac) values (1, ?, ?, ?) "
        "on conflict (id) do update set count = excluded.count, last = excluded.last, mac = excluded.mac",
        [count, link, mac],
    )


def safe_cell(value: Any) -> str:
    """A CSV cell a spreadsheet will not run as a formula (OWASP CSV injection).

    >>> safe_cell("=HYPERLINK(\\"http://x\\")")
    '\\'=HYPERLINK("http://x")'
    >>> safe_cell("-1+2"), safe_cell("@SUM(A1)"), safe_cell("\\tx"), safe_cell("12.50"), safe_cell(None)
    ("'-1+2", "'@SUM(A1)", "'\\tx", '12.50', '')
    """
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


CSV_COLUMNS = (
    ("number", "单号"),
    ("issued_at", "开具时间"),
    ("staff", "经办人"),
    ("counter", "收款台"),
    ("format", "纸张"),
    ("edition", "目录"),
    ("catalogue_version", "目录版本"),
    ("profile", "政策"),
    ("patient_name", "患者"),
    ("patient_id_masked", "证件号（已遮蔽）"),
    ("total", "总费用"),
    ("fund", "统筹支付"),
    ("patient_total", "个人负担合计"),
    ("status", "状态"),
    ("reprints", "补打次数"),
    ("trace_codes", "追溯码"),
)
STATUS_LABELS = {"printed": "已打印", "reserved": "已登记未打印"}


def to_csv(records: Iterable[Record]) -> str:
    """The history as CSV text (UTF-8 with BOM when written, so Excel reads the Chinese)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow([label for _, label in CSV_COLUMNS])
    for record in records:
        summary = record.summary()
        summary["status"] = STATUS_LABELS.get(record.status, record.status)
        lines = record.result.get("lines") or [] if isinstance(record.result, dict) else []
        summary["trace_codes"] = " ".join(c for line in lines for c in (line.get("trace_codes") or []))
        writer.writerow([safe_cell(summary[key]) for key, _ in CSV_COLUMNS])
    return buf.getvalue()
