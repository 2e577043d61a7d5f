"""Confidential payment standards ("*"): the value the province sends, entered once, never shown again.

* Keyed by entry key + specification + agreement period (``desktop.storage.confidential``): 101 "*"
  drugs start a new agreement period in 2025, and an old period's value never answers a new one.
* Entered in the window's form or imported from the province's file (CSV / xlsx: name, dosage
  form, spec, standard, agreement period); every row that matches no "*" entry is reported.
* Not entered: the estimate takes the price as within the standard, as the notices require of the
  listed price (吉医保联〔2023〕45号 四（一）: 谈判药品的挂网价格不高于支付标准), and says so.
* No output but the entry form may show the value or let it follow by subtraction: the estimate
  (``rules.service._fold``) folds a "*" line's components (over the standard, first self-pay,
  policy scope, deductible, coinsurance) into one figure (``confidential_patient``), so the printed
  breakdown still adds up while no difference of printed figures equals the over-standard part.

What remains inferable (docs/rules.md): a reader who knows the public ratios (first self-pay r,
fund ratio) and the deductible can solve a "*" line's fund share for its base min(price, S) × qty;
when the price is above S this gives S. No correct receipt can avoid it: the fund share is the
point of the receipt.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from desktop.catalogue import derive, matching
from desktop.catalogue import records as r
from desktop.catalogue.specs import spec_key
from desktop.errors import UserFacingError
from desktop.storage import catalogue as store
from desktop.storage import confidential as cs

#: The clause behind the assumption made when a "*" value is not entered.
ASSUMED_SOURCE = "吉医保联〔2023〕45号 四（一）"
ASSUMED_TEXT = (
    "保密支付标准未录入：按挂网价格不高于支付标准估算（谈判药品的挂网价格不高于支付标准），未计超支付标准部分；"
    "录入本省下发的支付标准后结果更准确。"
)
_MIN, _MAX = date(1900, 1, 1), date(9999, 12, 31)


class ConfidentialError(UserFacingError):
    """A confidential standard typed or imported that cannot be used."""


def period(entry: r.Entry) -> tuple[date, date]:
    return entry.agreement_start or _MIN, entry.agreement_end or _MAX


def standard_for(db: Database, entry: r.Entry, spec: str | None) -> tuple[Decimal | None, str | None]:
    """The entered standard of a "*" entry for the sold spec, and a note when it was chosen among several."""
    start, end = period(entry)
    values = cs.for_entry(db, entry.key, start, end)
    if not values:
        return None, None
    if spec:
        key = spec_key(spec)
        for v in values:
            if v.spec_key == key:
                return v.amount, None
        if len(values) == 1 and not values[0].spec_key:
            return values[0].amount, None
        return None, "已录入的保密支付标准没有所售规格"
    if len(values) == 1:
        return values[0].amount, None
    return min(v.amount for v in values), "已录入多个规格的保密支付标准且未指明规格，按最低者估算"


@dataclass(frozen=True)
class Status:
    """What the form may show of one "*" entry: never the amount."""

    entry: r.Entry
    specs: tuple[str, ...]  # the specs entered ('' = the single spec)
    valid_until: date | None

    @property
    def label(self) -> str:
        if not self.specs:
            return "未录入"
        specs = "、".join(s or "（唯一规格）" for s in self.specs)
        until = self.valid_until.isoformat() if self.valid_until and self.valid_until != _MAX else "—"
        return f"已录入（{specs}；有效至 {until}）"


def confidential_entries(db: Database, day: date) -> list[r.Entry]:
    """The "*" entries of the edition in force on ``day`` (of the nearest edition outside every one)."""
    choice = store.edition_on(db, day)
    if choice.edition is None:
        return []
    return [e for e in store.entries(db, choice.edition.id) if e.confidential]


def statuses(db: Database, entries: Iterable[r.Entry]) -> list[Status]:
    done = cs.entered(db)
    out = []
    for e in entries:
        start, end = period(e)
        specs = tuple(spec for spec, _src in done.get((e.key, start.isoformat(), end.isoformat()), []))
        out.append(Status(e, specs, end if specs else None))
    return out


def parse_amount(text: object) -> Decimal:
    """A standard typed or read from a file: yuan, positive, at most two decimals ("1,234.50元" is accepted)."""
    raw = str(text or "").strip().replace(",", "").replace("，", "").removesuffix("元").strip()
    try:
        d = Decimal(raw)
    except InvalidOperation:
        raise ConfidentialError(f"支付标准“{text}”不是金额，请填写数字（如 1234.50）。") from None
    if not d.is_finite() or d <= 0 or d > Decimal("10000000"):
        raise ConfidentialError(f"支付标准“{text}”不合理：应大于 0 且不超过 1000 万元。")
    if d != d.quantize(Decimal("0.01")):
        raise ConfidentialError(f"支付标准“{text}”超过两位小数，请精确到分。")
    return d.quantize(Decimal("0.01"))


def enter(db: Database, entry: r.Entry, spec: str, amount: object, source: str = "form") -> None:
    """Store a value typed in the form (or the CLI) for this entry's agreement period."""
    if not entry.confidential:
        raise ConfidentialError(f"“{entry.name}”的支付标准是公开的，不需要录入保密支付标准。")
    value = parse_amount(amount)
    start, end = period(entry)
    cs.put(db, [cs.Stored(entry.key, spec.strip(), spec_key(spec.strip()), start, end, value, source)])


# --- import of the province's file ---------------------------------------------------------------

_HEADERS = {
    "name": ("药品名称", "通用名", "名称", "name"),
    "dosage_form": ("剂型", "dosage_form", "form"),
    "spec": ("规格", "spec"),
    "standard": ("支付标准", "医保支付标准", "standard", "payment_standard"),
    "agreement": ("协议有效期", "协议期", "支付标准有效期", "agreement_period", "agreement"),
}


@dataclass(frozen=True)
class Unmatched:
    row: int  # 1-based line in the file, header = 1
    name: str
    reason: str


@dataclass(frozen=True)
class ImportReport:
    stored: int
    unmatched: tuple[Unmatched, ...]


def _rows(path: Path) -> list[list[str]]:
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        import openpyxl

        try:
            wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
        except Exception as err:  # noqa: BLE001 - openpyxl raises many kinds for a bad file
            raise ConfidentialError(f"无法读取表格文件 {path.name}：{err}", hint="请确认是 .xlsx 文件。") from None
        ws = wb.worksheets[0]
        out = [["" if c is None else str(c).strip() for c in row] for row in ws.iter_rows(values_only=True)]
        wb.close()
        return out
    try:
        data = path.read_bytes()
    except OSError as err:
        raise ConfidentialError(f"无法读取文件 {path}：{err.strerror}", hint="请检查文件路径。") from None
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - gb18030 decodes any byte string
        raise ConfidentialError(f"文件 {path.name} 的编码无法识别，请另存为 UTF-8 CSV。")
    return [[c.strip() for c in row] for row in csv.reader(io.StringIO(text))]


def _columns(header: list[str]) -> dict[str, int]:
    cols: dict[str, int] = {}
    for field, names in _HEADERS.items():
        for i, h in enumerate(header):
            if h.strip().lower() in names:
                cols[field] = i
                break
    missing = [f for f in ("name", "standard", "agreement") if f not in cols]
    if missing:
        need = "、".join(_HEADERS[f][0] for f in missing)
        raise ConfidentialError(
            f"文件缺少列：{need}。", hint="第一行应为表头：药品名称、剂型、规格、支付标准、协议有效期。"
        )
    return cols


def import_file(db: Database, path: Path, day: date) -> ImportReport:
    """Import the province's file against the "*" entries of the edition in force on ``day``.

    Rows that match no "*" entry (name, dosage form, agreement period) are reported and not stored;
    an unreadable amount stops the import (nothing stored) naming the row.
    """
    rows = _rows(Path(path))
    if not rows:
        raise ConfidentialError(f"文件 {Path(path).name} 是空的。")
    cols = _columns(rows[0])
    entries = confidential_entries(db, day)
    index: dict[str, list[r.Entry]] = {}
    for e in entries:
        for g in matching.read_entry(e.name, e.dosage_form, e.section).generics:
            index.setdefault(g, []).append(e)
    values: list[cs.Stored] = []
    unmatched: list[Unmatched] = []

    def cell(row: list[str], field: str) -> str:
        i = cols.get(field)
        return row[i].strip() if i is not None and i < len(row) and row[i] is not None else ""

    for n, row in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in row):
            continue
        name, form, spec = cell(row, "name"), cell(row, "dosage_form"), cell(row, "spec")
        reading = matching.read_entry(name, matching.notice_form(form) or None, None)
        found = [e for g in reading.generics for e in index.get(g, [])]
        if form:
            found = [
                e
                for e in found
                if matching.read_entry(e.name, e.dosage_form, e.section).form in (None, matching.notice_form(form))
            ] or found
        if not found:
            unmatched.append(Unmatched(n, name, "所查目录中没有这个保密支付标准（“*”）的药品"))
            continue
        start, end = derive.parse_period(cell(row, "agreement"))
        if start is None or end is None:
            unmatched.append(Unmatched(n, name, f"协议有效期“{cell(row, 'agreement')}”无法识别"))
            continue
        same = [e for e in found if period(e) == (start, end)]
        if not same:
            have = "、".join(sorted({f"{period(e)[0]}至{period(e)[1]}" for e in found}))
            unmatched.append(Unmatched(n, name, f"协议有效期与目录不符（目录为 {have}），未录入"))
            continue
        try:
            amount = parse_amount(cell(row, "standard"))
        except ConfidentialError as err:
            raise ConfidentialError(f"第 {n} 行“{name}”：{err.message}", hint="导入已停止，未录入任何数据。") from None
        for e in dict.fromkeys(same):
            values.append(cs.Stored(e.key, spec, spec_key(spec), start, end, amount, Path(path).name))
    cs.put(db, values)
    return ImportReport(len(values), tuple(unmatched))


# --- what the receipt history keeps -------------------------------------------------------------


def scrub_request(request: dict[str, Any], result: Mapping[str, Any]) -> dict[str, Any]:
    """The request as kept in the receipt history: without the standard of any "*" line."""
    lines = result.get("lines") or []
    items = request.get("items")
    if not isinstance(items, list):
        return request
    scrubbed = [
        {k: v for k, v in item.items() if k != "payment_standard"}
        if isinstance(item, dict) and i < len(lines) and lines[i].get("confidential")
        else item
        for i, item in enumerate(items)
    ]
    return {**request, "items": scrubbed}
