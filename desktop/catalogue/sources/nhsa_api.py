"""Adapter for ``nhsa-api-4750.json``: the 2024 NRDL as served by the NHSA online catalogue query.

This is the revised variant of 医保发〔2024〕33号 (fanli-2024-revised.md: 西药 1396, 谈判 427): two
drugs (阿伐替尼片, 多种微量元素注射液(Ⅲ)) moved from 西药部分 into 协议期内谈判药品, and it is the only
2024 source with the 中药饮片 part. ``data.list`` holds 4750 rows in publication order.

What the dump lost and how this adapter restores it (details in resources/sources/PROVENANCE-2024.md):

* ``number`` is a running sequence. The official 编号 is the rank of the ``flag == 0`` rows within
  each numbering sequence of the PDF: 西药部分, 中成药部分, 谈判西药, 谈判中成药 and 竞价药品 are each
  numbered from 1 (PDF pp.128, 178, 184). 中药饮片 carry a 序号 1-892; the dump lists the
  two-column PDF table row by row (1, 43, 2, 44, …), so 序号 is rebuilt from the rows per page.
  不得纳入基金支付的饮片 are not numbered.
* ``flag == 1`` rows are ★ repeats, but the dump does not say which item they repeat. A repeat
  whose name equals the name of a numbered row of the same section is that row's (nearest
  preceding one); the others (e.g. ``★(38) 消旋山莨菪碱`` of ``38 山莨菪碱``, every 中成药 repeat) are
  resolved through ``yao.xlsx``, which prints ``★(n)``: its ★ rows are the same rows in the same
  order, and ``n`` is translated to the revised numbering by the key of item ``n``. Without the
  workbook such rows cannot be resolved and ``read`` stops with ``SourceFormatError``.
* every confidential "*" was replaced by the words 企业申请价格保密, also inside one value
  (``每贴(14cm企业申请价格保密10cm)``). The exact inverse is applied; the one value where the words
  sat inside a longer text is taken from ``yao.xlsx`` (or, without it, kept as inverted with a warning).
* several names of one cell are separated by line breaks (``多种微量元素\\n多种微量元素Ⅰ\\n…``): the
  PDF stacks them in one cell; they are joined with ``、`` as in the other adapters.
* the □ of the 中药饮片 was expanded into the sentence of 凡例 (十六); it is written back as the PDF
  prints it (``□``, ``□; 限临床危重患者抢救``).
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import replace
from pathlib import Path
from typing import Any

from desktop.catalogue import fanli
from desktop.catalogue import records as r
from desktop.catalogue.derive import CONFIDENTIAL_WORDS
from desktop.catalogue.normalise import clean_text, drug_key
from desktop.catalogue.sources import yao_xlsx
from desktop.errors import SourceFormatError

#: ``drugTypeName`` -> (section, subsection).
SECTION_MAP: dict[str, tuple[str, str | None]] = {
    "西药部分": (r.WEST, None),
    "中成药部分": (r.TCM, None),
    "西药": (r.NEGOTIATED, r.WEST),
    "中成药": (r.NEGOTIATED, r.TCM),
    "竞价药品部分": (r.BIDDING, None),
    "基金予以支付的中药饮片": (r.PIECES, None),
    "不得纳入基金支付范围的中药饮片": (r.PIECES_EXCLUDED, None),
}

DRUG_CLASSES = {"医保甲类": r.CLASS_A, "医保乙类": r.CLASS_B}

#: Rows per column of the two-column 中药饮片 table on each page of the PDF (pp.189-198), counted
#: in medins-2024-layout.txt: page 189 lists 1-42 | 43-84, page 190 85-130 | 131-176, …
PIECES_ROWS_PER_PAGE = (42, 46, 46, 45, 46, 46, 46, 46, 46, 37)

#: The 凡例 (十六) sentence the dump wrote for the □ mark (with "；…。" when the PDF adds "; …").
PIECE_ALONE_TEXT = "单独使用时不予支付，且全部由这些饮片组成的处方也不予支付"

_HINT = "请确认文件是国家医保局药品目录查询的导出（nhsa-api-4750.json），且未被修改。"


def _fail(message: str) -> SourceFormatError:
    return SourceFormatError(message, hint=_HINT)


def _load(json_path: Path) -> list[dict[str, Any]]:
    try:
        payload = json.loads(json_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _fail(f"无法读取 {json_path.name}：{exc}") from exc
    try:
        items = payload["data"]["list"]
    except (KeyError, TypeError) as exc:
        raise _fail(f"{json_path.name} 中没有 data.list 数据") from exc
    if not isinstance(items, list) or not items:
        raise _fail(f"{json_path.name} 的 data.list 为空")
    return items


def restore_confidential(text: str | None) -> str | None:
    """Undo the dump's replacement of "*" by 企业申请价格保密.

    >>> restore_confidential("企业申请价格保密"), restore_confidential("每贴(14cm企业申请价格保密10cm)")
    ('*', '每贴(14cm*10cm)')
    """
    return None if text is None else text.replace(CONFIDENTIAL_WORDS, "*")


def restore_piece_remark(text: str | None) -> str | None:
    """Write the □ mark back as the PDF prints it.

    >>> restore_piece_remark("单独使用时不予支付，且全部由这些饮片组成的处方也不予支付。")
    '□'
    >>> restore_piece_remark("单独使用时不予支付，且全部由这些饮片组成的处方也不予支付；限临床危重患者抢救。")
    '□; 限临床危重患者抢救'
    """
    text = clean_text(text)
    if not text or not text.startswith(PIECE_ALONE_TEXT):
        return text
    rest = text.removeprefix(PIECE_ALONE_TEXT).strip("。；; ")
    return f"□; {rest}" if rest else "□"


def _category(item: dict[str, Any]) -> tuple[str | None, str | None]:
    category = item.get("category") or {}
    code = clean_text(category.get("code"))
    path = item.get("categoryName")
    if path:
        path = " > ".join(clean_text(p) or "" for p in str(path).split(">"))
    return code, path or None


def _piece_numbers(count: int) -> list[int]:
    """序号 of the pieces in the dump's order (row by row through the two-column pages)."""
    if sum(PIECES_ROWS_PER_PAGE) * 2 != count:
        return []
    out: list[int] = []
    start = 1
    for rows in PIECES_ROWS_PER_PAGE:
        for i in range(rows):
            out += [start + i, start + rows + i]
        start += 2 * rows
    return out


def _base_rows(items: list[dict[str, Any]]) -> tuple[list[r.SourceRow], list[int | None]]:
    """Rows with numbers rebuilt; ★ rows still lack ``star_of``. Also each row's ``flag``."""
    counters: dict[tuple[str, str | None], int] = defaultdict(int)
    rows: list[r.SourceRow] = []
    flags: list[int | None] = []
    pieces = sum(1 for item in items if item.get("drugTypeName") == "基金予以支付的中药饮片")
    piece_numbers = iter(_piece_numbers(pieces))
    for seq, item in enumerate(items, start=1):
        type_name = clean_text(item.get("drugTypeName"))
        if type_name not in SECTION_MAP:
            raise _fail(f"第 {seq} 行的目录部分“{type_name}”无法识别")
        section, subsection = SECTION_MAP[type_name]
        name = yao_xlsx.clean_name(item.get("name"), stacked_only=True)
        if not name:
            raise _fail(f"第 {seq} 行（{type_name}）缺少药品名称")
        flag = item.get("flag")
        number: int | None = None
        if section in r.NUMBERED_SECTIONS:
            if flag not in (0, 1):
                raise _fail(f"第 {seq} 行（{name}）的 flag 应为 0 或 1，实为 {flag!r}")
            if flag == 0:
                counters[(section, subsection)] += 1
                number = counters[(section, subsection)]
        elif section == r.PIECES:
            number = next(piece_numbers, None)
        code, path = _category(item)
        remark = item.get("remark")
        remark = restore_piece_remark(remark) if section == r.PIECES else clean_text(remark)
        rows.append(
            r.SourceRow(
                section=section,
                subsection=subsection,
                name_published=name,
                seq=seq,
                number=number,
                dosage_form=clean_text(item.get("dosageForm")) if section == r.WEST else None,
                drug_class=DRUG_CLASSES.get(clean_text(item.get("kindName")) or ""),
                category_code=code,
                category_path=path,
                remark=remark,
                payment_standard=clean_text(restore_confidential(item.get("paymentStandards"))),
                agreement_text=clean_text(item.get("agreementPeriod")),
                ethnic=(code or "").startswith(yao_xlsx.ETHNIC_CATEGORY_PREFIX),
            )
        )
        flags.append(flag)
    return rows, flags


def _key(row: r.SourceRow) -> str:
    return drug_key(row.name_published, row.dosage_form)


def _stars_by_name(rows: list[r.SourceRow], flags: list[int | None]) -> dict[int, int]:
    """★ rows (by index) whose main row has the same name: the nearest preceding such row."""
    out: dict[int, int] = {}
    numbered: dict[tuple[str, str], list[tuple[int, int]]] = defaultdict(list)
    for i, row in enumerate(rows):
        if row.number is not None and row.section in (r.WEST, r.TCM):
            numbered[(row.section, row.name_published)].append((i, row.number))
    for i, (row, flag) in enumerate(zip(rows, flags, strict=True)):
        if flag != 1:
            continue
        candidates = numbered.get((row.section, row.name_published), [])
        before = [n for j, n in candidates if j < i]
        if before:
            out[i] = before[-1]
        elif candidates:
            out[i] = candidates[0][1]
    return out


def _stars_from_xlsx(rows: list[r.SourceRow], flags: list[int | None], first: list[r.SourceRow]) -> dict[int, int]:
    """★ targets of every ★ row, read from yao.xlsx and translated to the revised numbering."""
    out: dict[int, int] = {}
    for section in (r.WEST, r.TCM):
        stars = [i for i, (row, f) in enumerate(zip(rows, flags, strict=True)) if row.section == section and f == 1]
        first_rows = [x for x in first if x.section == section]
        first_stars = [x for x in first_rows if x.star_of is not None]
        first_main = {x.number: _key(x) for x in first_rows if x.number is not None}
        revised_main = {_key(row): row.number for row in rows if row.section == section and row.number is not None}
        if len(stars) != len(first_stars):
            raise _fail(f"{section}部分的★重复行数与 yao.xlsx 不一致：{len(stars)} 与 {len(first_stars)}")
        for i, star in zip(stars, first_stars, strict=True):
            if _key(rows[i]) != _key(star):
                raise _fail(
                    f"{section}部分的★重复行与 yao.xlsx 对不上：“{rows[i].name_published}”与“{star.name_published}”"
                )
            main_key = first_main.get(star.star_of or 0)
            if main_key not in revised_main:
                raise _fail(f"“{star.name_published}”所重复的第 {star.star_of} 号在本数据源中找不到")
            out[i] = revised_main[main_key]
    return out


def _repair_from_xlsx(rows: list[r.SourceRow], items: list[dict[str, Any]], first: list[r.SourceRow]) -> list[str]:
    """Take from yao.xlsx the standards where 企业申请价格保密 sat inside a longer value."""
    warnings: list[str] = []
    by_key = {(x.section, _key(x)): x for x in first if x.payment_standard}
    for i, item in enumerate(items):
        raw = item.get("paymentStandards") or ""
        if CONFIDENTIAL_WORDS not in raw or raw.strip() == CONFIDENTIAL_WORDS:
            continue
        row = rows[i]
        other = by_key.get((row.section, _key(row)))
        if other is None:
            warnings.append(
                f"{row.name_published} 的医保支付标准含“{CONFIDENTIAL_WORDS}”字样，已按“*”还原，"
                "但 yao.xlsx 中无此药品可核对"
            )
            continue
        if other.payment_standard != row.payment_standard:
            warnings.append(
                f"{row.name_published} 的医保支付标准按 yao.xlsx 修复为“{other.payment_standard}”"
                f"（还原结果为“{row.payment_standard}”）"
            )
        rows[i] = replace(row, payment_standard=other.payment_standard)
    return warnings


def _in_publication_order(rows: list[r.SourceRow]) -> list[r.SourceRow]:
    """Put the 中药饮片 in 序号 order (the dump lists them row by row) and renumber ``seq``."""
    pieces = [row for row in rows if row.section == r.PIECES]
    if pieces and all(row.number is not None for row in pieces):
        ordered = iter(sorted(pieces, key=lambda row: row.number or 0))
        rows = [next(ordered) if row.section == r.PIECES else row for row in rows]
    return [replace(row, seq=seq) for seq, row in enumerate(rows, start=1)]


def _sections() -> dict[str, r.SectionInfo]:
    expected = yao_xlsx.expected_counts(fanli.SPEC_2024_REVISED)
    expected[r.PIECES_EXCLUDED] = fanli.SPEC_2024_REVISED.totals[fanli.M_PIECES_EXCLUDED]
    return {s: r.SectionInfo(s, complete=True, expected=n) for s, n in expected.items()}


# Longer than 60 lines: the adapter's pipeline in the order of the source (load, rebuild numbers,
# resolve stars, repair, check).
def read(json_path: Path, xlsx_path: Path | None = None) -> r.EditionData:
    """Read the NHSA query dump of the 2024 edition (revised variant).

    Args:
        json_path: ``nhsa-api-4750.json``.
        xlsx_path: ``yao.xlsx`` (the first publication), used to resolve the ★ repeats whose main
            row has another name and to repair the one corrupted payment standard. Defaults to
            ``yao.xlsx`` beside the JSON file when it exists.

    Raises:
        SourceFormatError: the file is not the expected dump, or ★ rows cannot be resolved.
    """
    json_path = Path(json_path)
    if xlsx_path is None and json_path.with_name("yao.xlsx").is_file():
        xlsx_path = json_path.with_name("yao.xlsx")
    items = _load(json_path)
    rows, flags = _base_rows(items)
    warnings: list[str] = []
    pieces = [row for row in rows if row.section == r.PIECES]
    if pieces and pieces[0].number is None:
        warnings.append(f"中药饮片共 {len(pieces)} 个，与 PDF 分页不符，未能还原序号")

    if xlsx_path is not None:
        first = yao_xlsx.read_rows(Path(xlsx_path))
        stars = _stars_from_xlsx(rows, flags, first)
        by_name = _stars_by_name(rows, flags)
        disagree = [rows[i].name_published for i, n in by_name.items() if stars.get(i) != n]
        if disagree:
            raise _fail(f"★重复行的编号与 yao.xlsx 不一致：{'、'.join(disagree[:5])}")
        warnings += _repair_from_xlsx(rows, items, first)
    else:
        stars = _stars_by_name(rows, flags)
        unresolved = [i for i, f in enumerate(flags) if f == 1 and i not in stars]
        if unresolved:
            raise SourceFormatError(
                f"{json_path.name} 中有 {len(unresolved)} 个★重复行与所重复药品的名称不同"
                f"（如“{rows[unresolved[0]].name_published}”），该数据源未给出★编号，无法还原。",
                hint="请同时提供 yao.xlsx（2024 年版首次公布目录的 Excel 转换），用于还原★编号。",
            )
        for i, item in enumerate(items):
            raw = item.get("paymentStandards") or ""
            if CONFIDENTIAL_WORDS in raw and raw.strip() != CONFIDENTIAL_WORDS:
                warnings.append(
                    f"{rows[i].name_published} 的医保支付标准含“{CONFIDENTIAL_WORDS}”字样，已按“*”还原为"
                    f"“{rows[i].payment_standard}”，未经 yao.xlsx 核对"
                )
    rows = [replace(row, star_of=stars[i]) if i in stars else row for i, row in enumerate(rows)]
    rows = _in_publication_order(rows)

    info = r.EditionInfo(
        name=yao_xlsx.EDITION_NAME,
        variant="revised",
        title=yao_xlsx.TITLE_2024,
        document=yao_xlsx.DOCUMENT_2024,
        published=None,
        effective_start=yao_xlsx.EFFECTIVE_START_2024,
        effective_end=yao_xlsx.EFFECTIVE_END_2024,
        source=json_path.name,
        checksum=yao_xlsx.sha256_of(json_path),
    )
    return r.EditionData(info=info, rows=rows, sections=_sections(), warnings=warnings)
