"""The issued-estimate history: every receipt with its request, result, catalogue version, number, time and staff.

All SQL of receipts lives here and in ``numbering.py``. Rows are never updated except for their print
status, so a 补打 is drawn from exactly what the original was drawn from.

The ``request`` and ``result`` columns hold JSON with a ``schema_version`` (``SCHEMA_VERSION``): the
result is ``Estimate.to_json()`` plus the ``edition_id`` that answered, the request is
``EstimateRequest.to_json()``. Rows written before the field existed (version 1: the bare estimate
JSON of ``yaomu estimate --json`` and the request as given) load too; ``_load_estimate`` is the one
place that knows the versions.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlite_utils import Database

from desktop.errors import DatabaseError, NotFound
from desktop.rules.contract import Estimate, EstimateRequest

#: The version of the JSON this code writes into ``receipt.request`` / ``receipt.result``.
SCHEMA_VERSION = 2

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
    request: dict[str, Any]  # the request as recorded (JSON, without its schema_version)
    result: Estimate
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
    request: EstimateRequest,
    result: Estimate,
    meta: dict[str, Any],
    check_value: str,
) -> int:
    """Record a receipt as ``reserved`` (inside the caller's transaction); returns its row id."""
    return int(
        db["receipt"]
        .insert(
            {
                "number": number,
                "pharmacy_code": pharmacy_code,
                "day": day.isoformat(),
                "seq": seq,
                "issued_at": issued_at.isoformat(sep=" ", timespec="seconds"),
                "staff": meta.get("staff") or None,
                "counter": meta.get("counter") or None,
                "format": fmt,
                "edition": result.edition,
                "catalogue_version": meta.get("catalogue_version") or None,
                "profile": result.profile,
                "total": str(result.amounts.total),
                "fund": str(result.amounts.fund),
                "patient_total": str(result.amounts.patient_total),
                "patient_name": meta.get("patient_name") or None,
                "patient_id_masked": meta.get("patient_id_masked") or None,
                "request": _dump({"schema_version": SCHEMA_VERSION, **request.to_json()}),
                "result": _dump(
                    {"schema_version": SCHEMA_VERSION, **result.to_json(), "edition_id": result.edition_id}
                ),
                "meta": json.dumps(meta, ensure_ascii=False, sort_keys=True),
                "check_value": check_value,
                "status": "reserved",
            }
        )
        .last_pk
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


def _dump(data: dict[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False, sort_keys=True)


def _version(data: dict[str, Any], number: str) -> int:
    version = data.pop("schema_version", 1)
    if not isinstance(version, int) or not 1 <= version <= SCHEMA_VERSION:
        raise DatabaseError(
            f"收据 {number} 的历史记录格式（版本 {version}）由更新版本的药目写入，本版本无法读取。",
            hint="请安装最新版本的药目后再补打或核验。",
        )
    return version


def _load_estimate(data: dict[str, Any], number: str) -> Estimate:
    """The estimate of a history row, whatever version wrote it (1: bare estimate JSON; 2: plus edition_id)."""
    _version(data, number)
    try:
        return Estimate.from_json(data)
    except (KeyError, ValueError, TypeError, ArithmeticError) as err:
        raise DatabaseError(
            f"收据 {number} 的历史记录已损坏，无法读取（{type(err).__name__}）。",
            hint="请从备份恢复数据库，并联系技术支持。",
        ) from err


def _record(row: dict[str, Any]) -> Record:
    data = dict(row)
    number = str(data["number"])
    request = json.loads(data["request"])
    _version(request, number)
    data["request"] = request
    data["result"] = _load_estimate(json.loads(data["result"]), number)
    data["meta"] = json.loads(data["meta"])
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
        writer.writerow([safe_cell(summary[key]) for key, _ in CSV_COLUMNS])
    return buf.getvalue()
