"""Adapter for ``yao.xlsx``: a public Excel conversion of the 2024 NRDL PDF as first published.

The workbook (sheets 西药部分, 中成药部分, 协议西药, 协议中成药, 竞价药品部分) holds every numbered
section of 医保发〔2024〕33号 as published on 2024-11-28, but no 中药饮片. What the conversion did
and what this adapter repairs:

* category rows carry the code in the first column and the name in a column that depends on the
  level; the path is rebuilt from the code hierarchy (a parent's code is a prefix of its child's);
* the 甲/乙 column has no header; ★ repeats are written ``★(n)`` or ``★（n）`` in the 编号 column;
* cells contain stray line breaks and spaces (``"( Ⅰ)"``, ``"限：  1.…出\\n血"``): removed with
  ``clean_text``. A name cell that stacks several complete names on separate lines (the PDF prints
  ``多种微量元素 / 多种微量元素Ⅰ / 多种微量元素Ⅱ`` in one cell) is joined with ``、``, as the
  structured parse of the 2025 edition writes it, so keys stay stable across editions.
"""

from __future__ import annotations

import hashlib
import re
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

from desktop.catalogue import fanli
from desktop.catalogue import records as r
from desktop.catalogue.fanli import EditionSpec
from desktop.catalogue.normalise import clean_text
from desktop.errors import SourceFormatError

# -- what the two 2024 adapters share -------------------------------------------------------------

EDITION_NAME = "2024"
TITLE_2024 = "国家基本医疗保险、工伤保险和生育保险药品目录（2024年）"
DOCUMENT_2024 = "医保发〔2024〕33号"
EFFECTIVE_START_2024 = date(2025, 1, 1)
#: The 2025 edition (医保发〔2025〕33号) repealed this one from 2026-01-01.
EFFECTIVE_END_2024 = date(2025, 12, 31)
PUBLISHED_2024_FIRST = date(2024, 11, 28)

#: Category codes of 民族药 (ZI 民族药: ZI01 藏药, ZI02 蒙药, ZI03 维药).
ETHNIC_CATEGORY_PREFIX = "ZI"

NO_PIECES_NOTE = "本数据源（yao.xlsx）不含中药饮片部分"
#: 竞价药品部分 items (numbered 1-21 on their own, pp.184-188 of the PDF); the 凡例 counts them in 谈判西药.
BIDDING_2024 = 21

_STAR = re.compile(r"^\s*★\s*[(（]\s*(\d+)\s*[)）]\s*$")
_OPEN = "([（［【"
_CLOSE = ")]）］】"


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def parse_star(value: object) -> int | None:
    """The item number of a ``★(n)`` cell, None for anything else.

    >>> parse_star("★（389）"), parse_star(12)
    (389, None)
    """
    if not isinstance(value, str):
        return None
    m = _STAR.match(value)
    return int(m.group(1)) if m else None


def _balanced(text: str) -> bool:
    depth = 0
    for ch in text:
        if ch in _OPEN:
            depth += 1
        elif ch in _CLOSE:
            depth -= 1
            if depth < 0:
                return False
    return depth == 0


def _stem(text: str) -> str:
    return text.removeprefix("注射用")


def join_stacked(lines: list[str]) -> str:
    """Join the complete names of one cell with ``、``.

    >>> join_stacked(["补液盐Ⅰ", "补液盐Ⅱ", "补液盐Ⅲ"])
    '补液盐Ⅰ、补液盐Ⅱ、补液盐Ⅲ'
    """
    return "、".join(lines)


def clean_name(raw: object, *, stacked_only: bool = False) -> str:
    """The published name of a cell: line breaks of a wrapped name removed, stacked names joined.

    Lines are *stacked names* when every line is a complete name (balanced brackets) and every
    line shares its first two characters with the first line (``注射用`` ignored, so
    ``双黄连注射液 / 注射用双黄连(冻干)`` counts); otherwise they are one wrapped name.
    ``stacked_only``: the source never wraps (NHSA JSON), every line break separates two names.

    >>> clean_name("甘草酸单铵半胱氨酸氯化钠注射\\n液")
    '甘草酸单铵半胱氨酸氯化钠注射液'
    >>> clean_name("多种微量元素\\n多种微量元素 Ⅰ\\n多种微量元素Ⅱ")
    '多种微量元素、多种微量元素Ⅰ、多种微量元素Ⅱ'
    >>> clean_name("精蛋白人胰岛素混合\\n(30R)(30/70混合重组人胰岛素)")
    '精蛋白人胰岛素混合(30R)(30/70混合重组人胰岛素)'
    """
    text = "" if raw is None else str(raw)
    lines = [c for c in (tidy(line) for line in text.splitlines()) if c]
    if not lines:
        return ""
    if len(lines) > 1:
        head = _stem(lines[0])[:2]
        stacked = stacked_only or (
            all(_balanced(line) for line in lines) and all(_stem(line).startswith(head) for line in lines[1:])
        )
        if stacked:
            return join_stacked(lines)
    return tidy(text) or ""


class CategoryTracker:
    """Category rows seen so far; builds ``"A > B > C"`` from the code hierarchy."""

    def __init__(self) -> None:
        self._stack: list[tuple[str, str]] = []

    def push(self, code: str, name: str) -> None:
        while self._stack and not code.startswith(self._stack[-1][0]):
            self._stack.pop()
        self._stack.append((code, name))

    @property
    def code(self) -> str | None:
        return self._stack[-1][0] if self._stack else None

    @property
    def path(self) -> str | None:
        return " > ".join(name for _, name in self._stack) if self._stack else None


#: Spaces the Excel conversion put inside Latin/Greek/number tokens ("COVID- 19", "96. 11元",
#: "TNF α", "人干扰素α 1b"); ``clean_text`` keeps a space between two Latin characters, so these
#: are removed here. A space between two words ("AFP≥400 ng/mL", "PDGFRA D842V") stays.
_TOKEN_SPACES = re.compile(r"(?<=[-－])\s+|(?<=\d\.)\s+(?=\d)|(?<=[α-ωΑ-Ω])\s+(?=\w)|(?<=\w)\s+(?=[α-ωΑ-Ω])")


def tidy(text: str | None) -> str | None:
    """``clean_text`` plus the removal of spaces the conversion put inside tokens.

    >>> tidy("限轻中度新型冠状病毒感染(COVID- 19)"), tidy("96. 11元"), tidy("人干扰素α 1b")
    ('限轻中度新型冠状病毒感染(COVID-19)', '96.11元', '人干扰素α1b')
    """
    cleaned = clean_text(text)
    return _TOKEN_SPACES.sub("", cleaned) if cleaned else cleaned


#: A half-width ";" before the next amount: the PDF separates standards with "；" everywhere.
_STANDARD_SEP = re.compile(r";(?=\s*\d+(?:\.\d+)?元)")


def standard_of(value: object) -> str | None:
    """A payment standard as published ("；" between two standards).

    >>> standard_of("36.19元(120ml/瓶);61.52元(240ml/瓶)")
    '36.19元(120ml/瓶)；61.52元(240ml/瓶)'
    """
    text = text_of(value)
    return _STANDARD_SEP.sub("；", text) if text else text


def class_of(value: object) -> str | None:
    text = clean_text(str(value)) if value is not None else None
    return text if text in (r.CLASS_A, r.CLASS_B) else None


def text_of(value: object) -> str | None:
    return tidy(str(value)) if value is not None else None


# -- the workbook ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Sheet:
    title: str
    section: str
    subsection: str | None
    has_form: bool
    negotiated: bool


_SHEETS = (
    _Sheet("西药部分", r.WEST, None, True, False),
    _Sheet("中成药部分", r.TCM, None, False, False),
    _Sheet("协议西药", r.NEGOTIATED, r.WEST, False, True),
    _Sheet("协议中成药", r.NEGOTIATED, r.TCM, False, True),
    _Sheet("竞价药品部分", r.BIDDING, None, False, True),
)

_HEADERS = {
    "number": ("编号",),
    "name": ("药品名称",),
    "form": ("剂型",),
    "remark": ("备注",),
    "standard": ("医保支付标准",),
    "agreement": ("协议有效期", "支付标准有效期"),
}


def _columns(sheet: _Sheet, rows: list[tuple[object, ...]]) -> tuple[int, dict[str, int]]:
    """Find the header row and the column of each field (the 甲/乙 column has no header)."""
    for index, row in enumerate(rows[:10]):
        labels = [re.sub(r"\s", "", str(v)) if v is not None else "" for v in row]
        if "编号" not in labels:
            continue
        cols = {}
        for key, names in _HEADERS.items():
            for name in names:
                if name in labels:
                    cols[key] = labels.index(name)
        needed = ["number", "name", "remark"] + (["form"] if sheet.has_form else [])
        needed += ["standard", "agreement"] if sheet.negotiated else []
        missing = [k for k in needed if k not in cols]
        if missing:
            raise SourceFormatError(
                f"yao.xlsx 工作表“{sheet.title}”缺少列：{'、'.join(_HEADERS[k][0] for k in missing)}",
                hint="请确认文件是 2024 年版药品目录的 Excel 转换（yao.xlsx），且未被修改。",
            )
        return index, cols
    raise SourceFormatError(
        f"yao.xlsx 工作表“{sheet.title}”中找不到表头（编号、药品名称…）",
        hint="请确认文件是 2024 年版药品目录的 Excel 转换（yao.xlsx），且未被修改。",
    )


def _class_column(rows: Iterable[tuple[object, ...]], before: int) -> int:
    """The unlabelled 甲/乙 column: the column left of 编号 that holds 甲 or 乙."""
    for row in rows:
        for col in range(before - 1, -1, -1):
            if class_of(row[col]):
                return col
    raise SourceFormatError("yao.xlsx 中找不到甲/乙类别列", hint="请确认文件未被修改。")


def _read_sheet(sheet: _Sheet, rows: list[tuple[object, ...]]) -> Iterator[r.SourceRow]:
    header, cols = _columns(sheet, rows)
    body = rows[header + 1 :]
    class_col = _class_column(body, cols["number"])
    categories = CategoryTracker()

    def cell(row: tuple[object, ...], key: str) -> object:
        col = cols.get(key)
        return row[col] if col is not None and col < len(row) else None

    for row in body:
        code = text_of(row[0])
        if code:
            name = next((text_of(v) for v in row[1:class_col] if text_of(v)), None)
            if not name:
                raise SourceFormatError(f"yao.xlsx 工作表“{sheet.title}”的分类 {code} 没有名称")
            categories.push(code, name)
            continue
        raw_number = cell(row, "number")
        number = raw_number if isinstance(raw_number, int) else None
        if isinstance(raw_number, str) and raw_number.strip().isdigit():
            number = int(raw_number)
        star_of = parse_star(raw_number)
        if number is None and star_of is None:
            if any(text_of(v) for v in row):
                raise SourceFormatError(
                    f"yao.xlsx 工作表“{sheet.title}”有一行既无编号也无★标记：{clean_text(str(cell(row, 'name')))}"
                )
            continue
        name = clean_name(cell(row, "name"))
        if not name:
            raise SourceFormatError(f"yao.xlsx 工作表“{sheet.title}”第 {number or star_of} 号缺少药品名称")
        yield r.SourceRow(
            section=sheet.section,
            subsection=sheet.subsection,
            name_published=name,
            seq=0,  # numbered over the whole edition by ``read``
            number=number,
            star_of=star_of,
            dosage_form=text_of(cell(row, "form")) if sheet.has_form else None,
            drug_class=class_of(row[class_col]),
            category_code=categories.code,
            category_path=categories.path,
            remark=text_of(cell(row, "remark")),
            payment_standard=standard_of(cell(row, "standard")) if sheet.negotiated else None,
            agreement_text=text_of(cell(row, "agreement")) if sheet.negotiated else None,
            ethnic=(categories.code or "").startswith(ETHNIC_CATEGORY_PREFIX),
        )


_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PKG_NS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_CELL_REF = re.compile(r"([A-Z]+)")


def _column_index(ref: str) -> int:
    m = _CELL_REF.match(ref)
    index = 0
    for ch in m.group(1) if m else "A":
        index = index * 26 + ord(ch) - 64
    return index - 1


def _string_item(si: ET.Element) -> str:
    # The text of a shared string: plain <t> or the <t> of each rich-text run (not phonetic <rPh>).
    parts = [t.text or "" for t in si.findall(f"{_NS}t")]
    parts += [t.text or "" for t in si.findall(f"{_NS}r/{_NS}t")]
    return "".join(parts)


def _cell_value(cell: ET.Element, strings: list[str]) -> object:
    kind = cell.get("t")
    if kind == "inlineStr":
        node = cell.find(f"{_NS}is")
        return _string_item(node) if node is not None else None
    value = cell.findtext(f"{_NS}v")
    if value is None:
        return None
    if kind == "s":
        return strings[int(value)]
    if kind in ("str", "e"):
        return value
    if kind == "b":
        return value == "1"
    number = float(value)
    return int(number) if number.is_integer() else number


def read_workbook(xlsx_path: Path) -> dict[str, list[tuple[object, ...]]]:
    """Every sheet's cell values, row by row (a small reader: openpyxl takes seconds on this file)."""
    try:
        with zipfile.ZipFile(xlsx_path) as archive:
            names = set(archive.namelist())
            workbook = ET.fromstring(archive.read("xl/workbook.xml"))
            rels = ET.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
            targets = {rel.get("Id"): rel.get("Target", "") for rel in rels.iter(f"{_PKG_NS}Relationship")}
            strings: list[str] = []
            if "xl/sharedStrings.xml" in names:
                sst = ET.fromstring(archive.read("xl/sharedStrings.xml"))
                strings = [_string_item(si) for si in sst.iter(f"{_NS}si")]
            out: dict[str, list[tuple[object, ...]]] = {}
            for sheet in workbook.iter(f"{_NS}sheet"):
                target = targets.get(sheet.get(f"{_REL_NS}id"), "")
                member = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
                root = ET.fromstring(archive.read(member))
                rows: list[tuple[object, ...]] = []
                for row in root.iter(f"{_NS}row"):
                    cells = {_column_index(c.get("r", "A")): _cell_value(c, strings) for c in row.iter(f"{_NS}c")}
                    width = max(cells, default=-1) + 1
                    index = int(row.get("r", len(rows) + 1)) - 1
                    rows.extend([()] * (index - len(rows)))
                    rows.append(tuple(cells.get(i) for i in range(width)))
                width = max((len(row) for row in rows), default=0)
                out[sheet.get("name", "")] = [row + (None,) * (width - len(row)) for row in rows]
            return out
    except (zipfile.BadZipFile, KeyError, ET.ParseError, OSError, ValueError) as exc:
        raise SourceFormatError(
            f"无法读取 Excel 文件 {xlsx_path.name}：{exc}", hint="请确认文件完整且是 .xlsx 格式。"
        ) from exc


def read_rows(xlsx_path: Path) -> list[r.SourceRow]:
    """All rows of the workbook in publication order, ``seq`` numbered from 1."""
    workbook = read_workbook(xlsx_path)
    missing = [s.title for s in _SHEETS if s.title not in workbook]
    if missing:
        raise SourceFormatError(
            f"{xlsx_path.name} 缺少工作表：{'、'.join(missing)}",
            hint="请确认文件是 2024 年版药品目录的 Excel 转换（yao.xlsx）。",
        )
    out: list[r.SourceRow] = []
    for sheet in _SHEETS:
        out.extend(_read_sheet(sheet, workbook[sheet.title]))
    out = _complete_category_names(out)
    return [_with_seq(row, i) for i, row in enumerate(out, start=1)]


_UNFINISHED = ("的", "和", "及", "、", "，", "-")


def _complete_category_names(rows: list[r.SourceRow]) -> list[r.SourceRow]:
    """Repair category names whose second line the conversion lost.

    The PDF wraps a long category name ("影响电解质平衡的 / 溶液", p.185); the workbook keeps only
    the first line in 竞价药品部分. When a category's last name is a strict prefix of the name the
    same code has in another sheet and it ends where no name can end (``的``, ``和``, ``及``, ``、``),
    the longer name is the complete one. (Names may differ legitimately between sections:
    ``丁酰苯衍生物`` in 西药部分, ``丁酰苯衍生物类`` in 谈判药品.)
    """
    names: dict[str, set[str]] = {}
    for row in rows:
        if row.category_code and row.category_path:
            names.setdefault(row.category_code, set()).add(row.category_path.rsplit(" > ", 1)[-1])
    out = []
    for row in rows:
        if row.category_code and row.category_path:
            head, _, last = row.category_path.rpartition(" > ")
            longer = [n for n in names[row.category_code] if n != last and n.startswith(last)]
            longer = longer if last.endswith(_UNFINISHED) else []
            if longer:
                full = max(longer, key=len)
                row = replace(row, category_path=f"{head} > {full}" if head else full)
        out.append(row)
    return out


def _with_seq(row: r.SourceRow, seq: int) -> r.SourceRow:
    return replace(row, seq=seq)


def expected_counts(spec: EditionSpec) -> dict[str, int]:
    """Numbered items per section as the 凡例 states them (竞价药品 counted in the PDF)."""
    return {
        r.WEST: spec.totals[fanli.M_WEST],
        r.TCM: spec.totals[fanli.M_TCM],
        r.NEGOTIATED: spec.totals[fanli.M_NEGO_WEST] + spec.totals[fanli.M_NEGO_TCM] - BIDDING_2024,
        r.BIDDING: BIDDING_2024,
        r.PIECES: spec.totals[fanli.M_PIECES],
    }


def _sections() -> dict[str, r.SectionInfo]:
    expected = expected_counts(fanli.SPEC_2024_FIRST)
    out = {s: r.SectionInfo(s, complete=True, expected=expected[s]) for s in r.NUMBERED_SECTIONS}
    out[r.PIECES] = r.SectionInfo(r.PIECES, complete=False, expected=expected[r.PIECES], note=NO_PIECES_NOTE)
    out[r.PIECES_EXCLUDED] = r.SectionInfo(r.PIECES_EXCLUDED, complete=False, note=NO_PIECES_NOTE)
    return out


def read(xlsx_path: Path) -> r.EditionData:
    """Read ``yao.xlsx`` (the 2024 edition as first published, 2024-11-28).

    Raises:
        SourceFormatError: the workbook lacks a sheet, a header or a name.
    """
    xlsx_path = Path(xlsx_path)
    rows = read_rows(xlsx_path)
    info = r.EditionInfo(
        name=EDITION_NAME,
        variant="first",
        title=TITLE_2024,
        document=DOCUMENT_2024,
        published=PUBLISHED_2024_FIRST,
        effective_start=EFFECTIVE_START_2024,
        effective_end=EFFECTIVE_END_2024,
        source=xlsx_path.name,
        checksum=sha256_of(xlsx_path),
    )
    return r.EditionData(info=info, rows=rows, sections=_sections())
