"""Readers of the official product forms, one per format; each yields good rows and reports bad ones.

* ``xlsx``: the provincial workbook, sheet 总表, 26 columns (python-calamine: a 40 MB sheet in seconds).
* ``csv``: the same 26 columns as CSV (UTF-8 with or without BOM, or GB18030).
* ``nhsa``: the NHSA-style export (医保药品编码, 注册名称, 产品名称, …, 目录类别, 目录编号, 药品通用名; 22 columns)
  whose cells a PDF extraction wrapped and shifted. Two shifts are recognised and repaired, each
  repair listed in the report (``Read.repairs``): a 目录类别 fused onto the 本位码 ("86…乙"), and a
  编号 in the 目录类别 column. Any other inconsistency rejects the row with its line and reason.

A row is a dict over ``FIELDS``; every value a stripped string or None.

Re-import fast path (总表 and its CSV): each good row also gets a *source digest*, a hash of its raw
cells as read from the file, keyed by the header and ``SOURCE_DIGEST_VERSION``. Given the source
digests of the installed products (``known``), a row whose digest is among them is the very row that
was imported before, so it is not converted, validated or compared again: it is listed in
``Read.unchanged`` by code. Its parse would be the same because parsing depends only on the cells,
the header and this code; bump ``SOURCE_DIGEST_VERSION`` whenever how a 总表 row is read or checked
changes (the app version is part of the key too, so every release re-reads a workbook once).
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from desktop import __version__
from desktop.errors import SourceFormatError
from desktop.products import codes

#: Canonical fields, in the order of the 26 columns of sheet 总表 (plus ``edition`` and ``star``).
FIELDS = (
    "code",
    "source",
    "registered_name",
    "brand",
    "registered_form",
    "form",
    "registered_spec",
    "spec",
    "material",
    "pack_quantity",
    "unit",
    "pack_unit",
    "company",
    "sub_packager",
    "manufacturer",
    "approval_no",
    "former_approval_no",
    "standard_code",
    "holder",
    "market_status",
    "insurance_name",
    "class",
    "insurance_form",
    "number",
    "remark",
    "former_codes",
    "edition",
    "star",
)

#: 总表 column -> field. The class column names its edition: "2025版甲乙类".
TOTAL_COLUMNS = {
    "药品代码": "code",
    "数据来源": "source",
    "注册名称": "registered_name",
    "商品名称": "brand",
    "注册剂型": "registered_form",
    "剂型": "form",
    "注册规格": "registered_spec",
    "规格": "spec",
    "包装材质": "material",
    "最小包装数量": "pack_quantity",
    "最小制剂单位": "unit",
    "最小包装单位": "pack_unit",
    "药品企业": "company",
    "分包装企业名称": "sub_packager",
    "生产企业": "manufacturer",
    "批准文号": "approval_no",
    "原批准文号": "former_approval_no",
    "药品本位码": "standard_code",
    "上市药品持有人": "holder",
    "市场状态": "market_status",
    "医保药品名称": "insurance_name",
    "医保剂型": "insurance_form",
    "编号": "number",
    "备注": "remark",
    "曾用码": "former_codes",
}
_CLASS_COLUMN = re.compile(r"^(\d{4})版甲乙类$")
TOTAL_SHEET = "总表"

NHSA_COLUMNS = {
    "医保药品编码": "code",
    "注册名称": "registered_name",
    "产品名称": "brand",
    "剂型": "form",
    "规格": "spec",
    "包装规格": "material",
    "最小包装数量": "pack_quantity",
    "最小包装单位": "pack_unit",
    "药品生产企业": "manufacturer",
    "清洗标记": "_flag",
    "批准文号": "approval_no",
    "药品本位码": "standard_code",
    "目录类别": "class",
    "目录编号": "number",
    "目录药品名称": "_catalogue_name",
    "目录剂型": "insurance_form",
    "目录备注": "remark",
    "药品通用名": "insurance_name",
}
#: The NHSA export comes from the rules of 2025-05-23, which cite the 2024 edition.
NHSA_EDITION = "2024"

_APPROVAL = re.compile(r"^(国药准字)?[A-Z]{1,3}\d{8}$")
_NUMBER = re.compile(r"^(★\((\d+)\)|(\d+))$")
_QUANTITY = re.compile(r"^\d+(\.\d+)?$")
_NONE = {"", "无", "/", "-", "—", "NULL", "null", "None"}


@dataclass(frozen=True)
class Problem:
    line: int
    code: str | None
    reason: str

    def to_json(self) -> dict[str, object]:
        return {"line": self.line, "code": self.code, "reason": self.reason}


@dataclass
class Read:
    """What a reader found: good rows (line, row), bad rows and repairs, each with its line.

    Read with ``known`` source digests, ``rows`` holds only the rows that are new or differ from an
    installed product's source row; ``unchanged`` lists (line, code) of the others, which were not parsed.
    """

    format: str
    rows: list[tuple[int, dict[str, str | None]]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    repairs: list[Problem] = field(default_factory=list)
    rows_read: int = 0
    #: (line, code) of good rows identical, cell for cell, to the source row of an installed product.
    unchanged: list[tuple[int, str]] = field(default_factory=list)
    #: code -> source digest of the good rows in ``rows`` (when the format has them).
    source_digests: dict[str, str] = field(default_factory=dict)

    @property
    def rows_good(self) -> int:
        return len(self.rows) + len(self.unchanged)


ProgressFn = Callable[[int, int], None]


def _cell(value: object) -> str | None:
    if value.__class__ is str:  # the common case, kept short: 7 million cells in a full workbook
        if not value:
            return None
        text = value.strip()
    elif value is None:
        return None
    elif isinstance(value, float):
        text = str(int(value) if value.is_integer() else value)
    else:
        text = str(value).strip()
    if "\n" in text or "\r" in text or "\u3000" in text:
        text = text.replace("\r", "").replace("\n", "").replace("\u3000", " ").strip()
    return None if text in _NONE else text


def detect(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm", ".xls", ".ods"):
        return "xlsx"
    if suffix in (".csv", ".txt"):
        header = _csv_rows(path)[0] if path.stat().st_size else []
        if "医保药品编码" in header and "药品代码" not in header:
            return "nhsa"
        return "csv"
    raise SourceFormatError(f"无法识别文件“{path.name}”的格式：请使用 .xlsx（总表）或 .csv 文件。")


def read(path: Path | str, *, known: Mapping[str, str] | None = None) -> Read:
    """Read a product file of any supported format. Raises SourceFormatError on a wrong file.

    ``known``: source digest -> code of the installed products; rows found there are not parsed again
    (``Read.unchanged``). Only the 总表 formats have source digests.
    """
    path = Path(path)
    if not path.is_file():
        raise SourceFormatError(f"找不到文件“{path}”，请检查路径。")
    kind = detect(path)
    if kind == "xlsx":
        return read_table(_xlsx_rows(path), "xlsx", path.name, known=known)
    rows = _csv_rows(path)
    if kind == "nhsa":
        return read_nhsa(rows, path.name)
    return read_table(rows, "csv", path.name, known=known)


def _xlsx_rows(path: Path) -> Iterator[Sequence[object]]:
    from python_calamine import CalamineWorkbook

    try:
        wb = CalamineWorkbook.from_path(str(path))
        if TOTAL_SHEET not in wb.sheet_names:
            raise SourceFormatError(
                f"工作簿“{path.name}”中没有名为“{TOTAL_SHEET}”的工作表（现有：{'、'.join(wb.sheet_names)}）。"
            )
        sheet = wb.get_sheet_by_name(TOTAL_SHEET)
    except SourceFormatError:
        raise
    except Exception as err:  # calamine raises its own error types for damaged files
        raise SourceFormatError(f"无法读取工作簿“{path.name}”：{err}。请确认文件完整、为 Excel 格式。") from None
    # One row at a time from calamine's sheet (leading empty rows included, so lines are the sheet's):
    # no list of 270,000 lists to build, and for the garbage collector to walk, before the first row.
    return sheet.iter_rows()


def _csv_rows(path: Path) -> list[list[str]]:
    data = path.read_bytes()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - gb18030 decodes any byte string
        raise SourceFormatError(f"文件“{path.name}”的编码无法识别，请另存为 UTF-8 CSV。")
    return list(csv.reader(io.StringIO(text, newline="")))


def _header(header: Iterable[object], columns: dict[str, str], name: str) -> tuple[dict[int, str], str | None]:
    mapping: dict[int, str] = {}
    edition = None
    for i, cell in enumerate(header):
        title = (_cell(cell) or "").replace(" ", "")
        if title in columns:
            mapping[i] = columns[title]
        elif m := _CLASS_COLUMN.match(title):
            mapping[i] = "class"
            edition = m.group(1)
    if "code" not in mapping.values():
        wanted = next(iter(columns))
        raise SourceFormatError(f"文件“{name}”的表头中没有“{wanted}”列：这不是医保药品分类与代码文件。")
    return mapping, edition


#: Bump when how a 总表 row is read or checked changes: installed rows' source digests then no longer
#: match, and the next import parses every row again.
SOURCE_DIGEST_VERSION = "1"
_SEP = "\x1f"


def source_hasher(header: Sequence[object]) -> hashlib.blake2b:
    """The hash every source digest of a file starts from: keyed by its header, this reader's version and
    the app's (``source_digest`` copies it: cheaper than keying each row's hash)."""
    text = _SEP.join(_raw_text(c) for c in header)
    ident = f"总表|{SOURCE_DIGEST_VERSION}|{__version__}|{text}"
    return hashlib.blake2b(digest_size=12, key=hashlib.blake2b(ident.encode(), digest_size=32).digest())


def _raw_text(value: object) -> str:
    """A cell as text for its source digest: strings as they are, other types tagged (1.0 is not "1.0")."""
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    return f"\x1e{type(value).__name__}\x1e{value!r}"


def source_digest(raw: Sequence[object], hasher: hashlib.blake2b) -> str | None:
    """The digest of a raw row's cells, or None when its text would be ambiguous (a cell holding the
    separator): such a row is always parsed."""
    try:
        text = _SEP.join(raw)  # type: ignore[arg-type]
    except TypeError:  # a number, a date or an empty cell: tag them
        text = _SEP.join(_raw_text(c) for c in raw)
    if text.count(_SEP) != len(raw) - 1:
        return None
    h = hasher.copy()
    h.update(text.encode())
    return h.hexdigest()


def read_table(
    rows: Iterable[Sequence[object]], fmt: str, name: str, *, known: Mapping[str, str] | None = None
) -> Read:
    """总表 rows (header first), from the workbook or its CSV.

    ``known``: source digest -> code of the installed products (see the module docstring): a row
    found there is counted and listed in ``Read.unchanged``, not parsed.
    """
    it = iter(rows)
    header = next(it, None)
    if header is None:
        raise SourceFormatError(f"文件“{name}”是空的。")
    mapping, edition = _header(header, TOTAL_COLUMNS, name)
    hasher = source_hasher(header)
    columns = list(mapping.items())
    out = Read(fmt)
    seen: dict[str, int] = {}
    known = known or {}
    unchanged = out.unchanged
    digests = out.source_digests
    for line, raw in enumerate(it, start=2):
        dig = source_digest(raw, hasher)
        code = known.get(dig) if dig is not None else None
        if code is not None and code not in seen:  # the installed row, cell for cell (a repeat is parsed: 重复)
            seen[code] = line
            unchanged.append((line, code))
            out.rows_read += 1
            continue
        if not any(c not in (None, "") for c in raw):
            continue
        out.rows_read += 1
        row: dict[str, str | None] = dict.fromkeys(FIELDS)
        width = len(raw)
        for i, f in columns:
            if i < width:
                row[f] = _cell(raw[i])
        row["edition"] = edition
        if _validate(out, line, row, seen) and dig is not None:
            digests[row["code"]] = dig  # type: ignore[index]
    return out


def read_nhsa(rows: list[list[str]], name: str) -> Read:
    if not rows:
        raise SourceFormatError(f"文件“{name}”是空的。")
    mapping, _ = _header(rows[0], NHSA_COLUMNS, name)
    out = Read("nhsa")
    seen: dict[str, int] = {}
    for line, raw in enumerate(rows[1:], start=2):
        if not any(raw):
            continue
        out.rows_read += 1
        row: dict[str, str | None] = dict.fromkeys(FIELDS)
        extra: dict[str, str | None] = {}
        for i, f in mapping.items():
            if i < len(raw):
                (extra if f.startswith("_") else row)[f] = _cell(raw[i])
        row["edition"] = NHSA_EDITION
        if extra.get("_flag"):
            out.problems.append(
                Problem(line, row["code"], f"源文件标记此行为“{extra['_flag']}”（PDF 提取错位），未导入。")
            )
            continue
        shifted = _shifted(row)
        if shifted:
            out.problems.append(Problem(line, row["code"], f"列错位（{shifted}），未导入。"))
            continue
        _repair_nhsa(out, line, row)
        _validate(out, line, row, seen)
    return out


_PAGE_MARK = re.compile(r"第\d+页|页，共|\d{3,}10255$")
_CJK = re.compile(r"[\u4e00-\u9fff]")


def _shifted(row: dict[str, str | None]) -> str | None:
    """Why the product cells of an NHSA row are visibly out of their columns (None: they look right)."""
    for f in ("brand", "form", "spec", "material", "pack_quantity", "pack_unit", "manufacturer"):
        if row[f] and _PAGE_MARK.search(row[f] or ""):
            return f"“{row[f]}”含 PDF 页码"
    if row["material"] and re.fullmatch(r"[\d.]+", row["material"]):
        return f"包装规格为数字“{row['material']}”"
    if row["pack_quantity"] and len(row["pack_quantity"]) > 5:
        return f"最小包装数量“{row['pack_quantity']}”过大"
    if row["pack_unit"] and (len(row["pack_unit"]) > 2 or row["pack_unit"] == row["form"]):
        return f"最小包装单位“{row['pack_unit']}”不是单位"
    if row["manufacturer"] and (not _CJK.search(row["manufacturer"]) or row["manufacturer"] == row["spec"]):
        return f"生产企业“{row['manufacturer']}”不是企业名称"
    return None


def _repair_nhsa(out: Read, line: int, row: dict[str, str | None]) -> None:
    std = row["standard_code"] or ""
    if m := re.fullmatch(r"(86\d{12})([甲乙])", std):
        # The class ran into the 本位码 cell and every later cell moved one to the left.
        row["standard_code"], number, row["class"] = m.group(1), row["class"], m.group(2)
        row["number"] = number
        out.repairs.append(
            Problem(line, row["code"], f"本位码与目录类别粘连（“{std}”），已拆分为 {m.group(1)} 和 {m.group(2)}")
        )
    elif row["class"] and row["class"].isdigit() and not (row["number"] or "").isdigit():
        out.repairs.append(Problem(line, row["code"], f"目录编号“{row['class']}”错位在目录类别列，已移回；甲乙类未知"))
        row["number"], row["class"] = row["class"], None


def _validate(out: Read, line: int, row: dict[str, str | None], seen: dict[str, int]) -> bool:
    """Append the row to ``out.rows`` when it is good (True), or its problem to ``out.problems``."""
    code = (row["code"] or "").upper()
    row["code"] = code or None

    def bad(reason: str) -> bool:
        out.problems.append(Problem(line, code or None, reason))
        return False

    if not code:
        return bad("缺少药品代码。")
    if not codes.INSURANCE_CODE.fullmatch(code):
        return bad(f"药品代码“{code}”格式不对：西药为 X 开头 23 位，中成药为 Z 开头 20 位。")
    if code in seen:
        return bad(f"药品代码 {code} 与第 {seen[code]} 行重复。")
    std = row["standard_code"]
    if std is not None and not (len(std) == 14 and std.isdigit() and std[:2] == "86" and codes.gs1_valid(std)):
        recognised = codes.recognise(std)
        if recognised.kind != codes.STANDARD or not recognised.valid:
            why = recognised.problem if recognised.kind == codes.STANDARD else "应为 86 开头的 14 位数字。"
            return bad(f"药品本位码“{std}”无效：{why}")
    approval = row["approval_no"]
    if approval is not None and not _APPROVAL.match(approval):
        return bad(f"批准文号“{approval}”格式不对（应如 国药准字H20000000）。")
    if row["class"] not in (None, "甲", "乙"):
        return bad(f"甲乙类“{row['class']}”无效（应为 甲 或 乙）。")
    number = row["number"]
    if number is not None:
        m = _NUMBER.match(number)
        if not m:
            return bad(f"编号“{number}”无效（应为数字或 ★(数字)）。")
        row["number"], row["star"] = (m.group(2), "1") if m.group(2) else (m.group(3), None)
    qty = row["pack_quantity"]
    if qty is not None and not _QUANTITY.match(qty):
        return bad(f"最小包装数量“{qty}”不是数字。")
    if row["former_codes"]:
        parts = [p.upper() for p in re.split(r"[;；,，\s]+", row["former_codes"]) if p]
        wrong = [p for p in parts if not codes.INSURANCE_CODE.fullmatch(p)]
        if wrong:
            return bad(f"曾用码“{'、'.join(wrong)}”格式不对。")
        row["former_codes"] = ";".join(parts)
    seen[code] = line
    out.rows.append((line, row))
    return True
