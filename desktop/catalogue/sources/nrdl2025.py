"""Adapter for the 2025 edition (医保发〔2025〕33号, in force since 2026-01-01, repealing the 2024 one).

Two source files, both copied into ``resources/sources/`` (see ``PROVENANCE-2025.md`` there):

* ``china_nrdl_2025_west.json``: a structured parse of the official PDF, Western part only
  (西药部分 with ★ rows, 协议期内谈判药品部分（一）西药, 竞价药品部分), plus the category names and the
  商业健康保险创新药品目录 (the commercial-insurance list, which the basic fund never pays).
* ``medins-2025.txt``: the whole official PDF as plain text. 中成药部分 (incl. 民族药),
  协议期内谈判药品部分（二）中成药 and 中药饮片部分 (paid pieces and the never-paid list) are parsed from
  it. Its Western part is parsed too, only to cross-check the JSON; differences become warnings.

What the text looks like (and what this module repairs):

* rows ``乙 25 桑菊感冒丸(片、颗粒)``, ★ rows ``乙 ★(14) 双黄连注射液``, category lines
  ``ZA01C 表里双解剂``, page marks ``第 82 页`` and repeated table headers;
* a cell that is too long wraps onto the following lines (names, remarks, payment standards,
  agreement dates); the pieces are joined with ``clean_text`` (no character is changed);
* a cell holding several names one per line (``雷公藤片`` / ``雷公藤多苷[甙]片``) is joined with "、",
  as the JSON source does for the Western part;
* the paid 中药饮片 are printed in two columns per page; rows are put back in 序号 order.

Publication order (``seq``): 西药部分, 中成药部分, 协议期内谈判药品（一）西药, （二）中成药, 竞价药品部分,
中药饮片 (paid), the never-paid pieces, then the commercial-insurance list (a separate attachment).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from desktop.catalogue import records as r
from desktop.catalogue.fanli import (
    M_COMMERCIAL,
    M_NEGO_TCM,
    M_NEGO_WEST,
    M_PIECES,
    M_PIECES_EXCLUDED,
    M_TCM,
    M_WEST,
    SPEC_2025,
    check_totals,
)
from desktop.catalogue.normalise import clean_text, drug_key, normalise_name
from desktop.errors import SourceFormatError

EDITION_NAME = "2025"
VARIANT = "official"
DOCUMENT = "医保发〔2025〕33号"
TITLE = "国家基本医疗保险、生育保险和工伤保险药品目录（2025年）"
EFFECTIVE_START = date(2026, 1, 1)

#: File names as shipped in ``resources/sources/``.
WEST_JSON_NAME = "china_nrdl_2025_west.json"
TEXT_NAME = "medins-2025.txt"

# Section names as the JSON spells them.
_JSON_WEST = "西药部分"
_JSON_NEGO = "协议期内谈判药品部分（一）西药"
_JSON_BIDDING = "竞价药品部分"
_JSON_SECTIONS = {_JSON_WEST: (r.WEST, None), _JSON_NEGO: (r.NEGOTIATED, r.WEST), _JSON_BIDDING: (r.BIDDING, r.WEST)}

#: 中成药部分 category codes of 民族药 (藏药 ZI01, 蒙药 ZI02, 维药 ZI03).
_ETHNIC_PREFIX = "ZI"

_PAGE = re.compile(r"^第\s*\d+\s*页$")
_ROW = re.compile(r"^(甲|乙)\s+(\d+|★[(（]\s*\d+\s*[)）])(?:\s+(.*))?$")
_CATEGORY = re.compile(r"^([XZ][A-Z](?:\d\d[A-Z]{0,2})?)[ \u3000]+(\S.*)$")
_STAR = re.compile(r"^★[(（]\s*(\d+)\s*[)）]$")
_DATE = r"\d{4}年\d{1,2}月\d{1,2}日"
_AGREEMENT = re.compile(rf"({_DATE}至)\s*({_DATE})")
_TOKEN = re.compile(r"\S+")
_AMOUNT = re.compile(r"\d+(?:\.\d+)?元(?:/[^\s(（；;]+)?|见备注\d+")
#: Table headers repeated on every page, and the subtitles of the 谈判 tables.
_TABLE_HEADER = re.compile(r"^(?:药品分类代码|代码|类代码) 药品分类 编号 药品名称")
_TABLE_TITLES = frozenset({"药品分类", "药品分", "（一）西药", "(二)中成药", "（二）中成药"})
#: A name line this long filled the column, so the next line continues it (a wrap, not a second name).
_FULL_NAME_LINE = 18


@dataclass
class _Block:
    """One table row of the text: its header fields and the lines that belong to it."""

    drug_class: str
    label: str  # "25" or "★(14)"
    lines: list[str]
    category_code: str | None
    line_no: int

    @property
    def number(self) -> int | None:
        return None if self.label.startswith("★") else int(self.label)

    @property
    def star_of(self) -> int | None:
        m = _STAR.match(self.label)
        return int(m.group(1)) if m else None


@dataclass
class _Table:
    blocks: list[_Block] = field(default_factory=list)
    categories: dict[str, str] = field(default_factory=dict)
    footnotes: list[str] = field(default_factory=list)


# Longer than 60 lines: the adapter's pipeline over the source's parts in publication order; each
# part has its own reader.
def read(west_json: Path, text_path: Path) -> r.EditionData:
    """Read the 2025 edition from its two source files.

    Raises:
        SourceFormatError: a file is missing or does not have the expected structure.
        ImportCountMismatch: the rows read disagree with the totals of the 凡例.
    """
    west_bytes = _read_bytes(west_json)
    text_bytes = _read_bytes(text_path)
    try:
        doc = json.loads(west_bytes.decode("utf-8"))
        text = text_bytes.decode("utf-8")
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SourceFormatError(f"2025年版目录源文件无法解析：{exc}", hint="请确认源文件完整且未被修改。") from exc
    checksum = hashlib.sha256(west_bytes + text_bytes).hexdigest()

    warnings: list[str] = []
    parts = _split_parts(text.split("\n"))
    west = _west_rows(doc, warnings)
    tcm = _tcm_rows(parts["tcm"])
    nego_tcm_table = _table(parts["nego_tcm"])
    nego_tcm = _negotiated_rows(nego_tcm_table, r.NEGOTIATED, r.TCM, warnings)
    pieces = _piece_rows(parts["pieces"], warnings)
    excluded, excluded_note = _excluded_rows(parts["excluded"])
    commercial = _commercial_rows(doc)
    _cross_check(doc, parts, warnings)

    nego_west_table = _table(parts["nego_west"])
    ordered: list[dict[str, Any]] = [
        *west[r.WEST],
        *tcm,
        *west[r.NEGOTIATED],
        *nego_tcm,
        *west[r.BIDDING],
        *pieces,
        *excluded,
        *commercial,
    ]
    rows = [r.SourceRow(seq=i, **fields) for i, fields in enumerate(ordered, start=1)]
    _check_numbering(rows, warnings)
    _check_keys(rows, warnings)

    # 备注1 (confidential "*") and 备注2 with its price-step table for 治疗用碘[131I]化钠胶囊 (谈判西药 398).
    footnote = "\n".join(clean_text(line) or "" for line in nego_west_table.footnotes)
    total = SPEC_2025.totals
    bidding = len(west[r.BIDDING])  # the 凡例 counts 竞价药品 within 谈判西药 (411 = 399 + 12)
    sections = {
        r.WEST: r.SectionInfo(r.WEST, True, expected=total[M_WEST]),
        r.TCM: r.SectionInfo(r.TCM, True, expected=total[M_TCM], note="含民族药95个（编号1241-1335）"),
        r.NEGOTIATED: r.SectionInfo(
            r.NEGOTIATED, True, expected=total[M_NEGO_WEST] - bidding + total[M_NEGO_TCM], note=footnote or None
        ),
        r.BIDDING: r.SectionInfo(r.BIDDING, True, expected=bidding),
        r.PIECES: r.SectionInfo(r.PIECES, True, expected=total[M_PIECES]),
        r.PIECES_EXCLUDED: r.SectionInfo(
            r.PIECES_EXCLUDED, True, expected=total[M_PIECES_EXCLUDED], note=excluded_note
        ),
        r.COMMERCIAL: r.SectionInfo(
            r.COMMERCIAL,
            True,
            expected=total[M_COMMERCIAL],
            note=clean_text(str(doc.get("commercial_innovative_list_label") or "")),
        ),
    }
    info = r.EditionInfo(
        name=EDITION_NAME,
        variant=VARIANT,
        title=TITLE,
        document=DOCUMENT,
        published=_published(text),
        effective_start=EFFECTIVE_START,
        effective_end=None,
        source=f"{west_json.name}; {text_path.name}",
        checksum=checksum,
    )
    data = r.EditionData(info=info, rows=rows, sections=sections, warnings=warnings)
    check_totals(data, SPEC_2025)
    return data


def default_sources() -> tuple[Path, Path]:
    """The two source files as shipped with the application."""
    from desktop.paths import resource_path

    return resource_path(f"sources/{WEST_JSON_NAME}"), resource_path(f"sources/{TEXT_NAME}")


def _read_bytes(path: Path) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise SourceFormatError(
            f"找不到或无法读取2025年版目录源文件：{path}", hint="请确认安装完整，或重新安装本程序。"
        ) from exc


def _format_error(what: str) -> SourceFormatError:
    return SourceFormatError(f"2025年版目录源文件格式不符：{what}", hint="请确认源文件完整且未被修改。")


def _published(text: str) -> date | None:
    """The publication date, when the text states one (the PDF attachment itself does not)."""
    m = re.search(r"国家医疗保障局[^\n]{0,40}\n?\s*(\d{4})年(\d{1,2})月(\d{1,2})日", text)
    return date(int(m.group(1)), int(m.group(2)), int(m.group(3))) if m else None


# --- the text: parts, tables ------------------------------------------------------------------------

_HEADINGS = (
    ("west", "西药部分"),
    ("tcm", "中成药部分"),
    ("nego_west", "协议期内谈判药品部分"),
    ("nego_tcm", "协议期内谈判药品部分"),
    ("bidding", "竞价药品部分"),
    ("pieces_title", "中药饮片部分"),
    ("pieces", "（一）基金予以支付的中药饮片"),
    ("excluded", "(二)不得纳入基金支付范围的中药饮片"),
)


def _split_parts(lines: list[str]) -> dict[str, list[str]]:
    """Cut the text into its parts at the part headings (each a line of its own, in this order)."""
    starts: list[tuple[str, int]] = []
    pos = 0
    for key, heading in _HEADINGS:
        want = heading.replace("(", "（").replace(")", "）")
        for i in range(pos, len(lines)):
            if lines[i].strip().replace("(", "（").replace(")", "）") == want:
                starts.append((key, i))
                pos = i + 1
                break
        else:
            raise _format_error(f"找不到“{heading}”标题")
    parts = {}
    for n, (key, start) in enumerate(starts):
        end = starts[n + 1][1] if n + 1 < len(starts) else len(lines)
        parts[key] = lines[start + 1 : end]
    return parts


def _table(lines: list[str]) -> _Table:
    """Group the lines of a numbered table into row blocks, tracking the category lines."""
    table = _Table()
    code: str | None = None
    current: _Block | None = None
    in_footnotes = False
    for n, raw in enumerate(lines):
        line = raw.strip()
        if not line or _PAGE.match(line):
            continue
        if in_footnotes or line.startswith("备注"):
            in_footnotes = True
            table.footnotes.append(line)
            continue
        if line in _TABLE_TITLES or _TABLE_HEADER.match(line):
            continue
        m = _CATEGORY.match(line)
        if m:
            code = m.group(1)
            table.categories[code] = clean_text(m.group(2)) or ""
            current = None
            continue
        m = _ROW.match(line)
        if m:
            label = re.sub(r"\s+", "", m.group(2)).replace("（", "(").replace("）", ")")
            current = _Block(m.group(1), label, [m.group(3) or ""], code, n)
            table.blocks.append(current)
            continue
        if current is None:
            raise _format_error(f"无法识别的行：{line}")
        current.lines.append(line)
    return table


def _category_path(code: str | None, names: dict[str, str]) -> str | None:
    """ "内科用药 > 解表剂 > 表里双解剂" from the names of the code and its prefixes."""
    if not code:
        return None
    parts = [names[code[:k]] for k in range(2, len(code) + 1) if code[:k] in names]
    return " > ".join(parts) or None


def _balance(text: str) -> int:
    return sum(text.count(c) for c in "([（［") - sum(text.count(c) for c in ")]）］")


def _join_name(lines: Iterable[str]) -> str:
    """Join the lines of a name cell: a wrap is joined as is, a second name with "、"."""
    out = ""
    last = ""
    for line in lines:
        if not out:
            out = line
        elif _balance(out) > 0 or line[0] in "(（)）" or len(last) >= _FULL_NAME_LINE or out.endswith("、"):
            out = clean_text(out + "\n" + line) or ""
        else:
            out = f"{out}、{line}"
        last = line
    return out


# --- 中成药部分 ---------------------------------------------------------------------------------------


def _tcm_rows(lines: list[str]) -> list[dict[str, Any]]:
    table = _table(lines)
    rows = []
    for block in table.blocks:
        name_lines: list[str] = []
        remark_parts: list[str] = []
        for i, line in enumerate(block.lines):
            if not line:
                continue
            if remark_parts or (i > 0 and line.startswith("限")):
                remark_parts.append(line)
                continue
            head, _, rest = line.partition(" ")
            name_lines.append(head)
            if rest.strip():
                remark_parts.append(rest.strip())
        if not name_lines:
            raise _format_error(f"中成药部分第 {block.label} 号缺少药品名称")
        code = block.category_code
        rows.append(
            {
                "section": r.TCM,
                "name_published": _join_name(name_lines),
                "number": block.number,
                "star_of": block.star_of,
                "drug_class": block.drug_class,
                "category_code": code,
                "category_path": _category_path(code, table.categories),
                "remark": clean_text("\n".join(remark_parts)),
                "ethnic": bool(code and code.startswith(_ETHNIC_PREFIX)),
            }
        )
    return rows


# --- 协议期内谈判药品 (text) ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Negotiated:
    name: str
    standard: str | None
    remark: str | None
    agreement: str | None


def _skip_space(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in " \n":
        pos += 1
    return pos


def _scan_standard(text: str, pos: int) -> int | None:
    """End of the payment standard starting at ``pos``, or None when none starts there.

    A standard is "*" or amounts ("52.60元", "479.00元/盒", "见备注2"), each followed by
    bracketed specifications that may wrap (``113.53元(60mg/粒)(协议有效期内,…)``), separated by "；".
    """
    if text.startswith(("*", "＊"), pos):
        return pos + 1
    end = None
    while True:
        m = _AMOUNT.match(text, pos)
        if not m:
            return end
        pos = m.end()
        while True:
            look = _skip_space(text, pos)
            if look >= len(text) or text[look] not in "(（":
                break
            depth = 0
            pos = look
            while pos < len(text):
                depth += text[pos] in "(（[［"
                depth -= text[pos] in ")）]］"
                pos += 1
                if depth == 0:
                    break
        end = pos
        look = _skip_space(text, pos)
        if look < len(text) and text[look] in "；;":
            look = _skip_space(text, look + 1)
            if _AMOUNT.match(text, look):
                pos = look
                continue
            end = look  # a trailing "；" still belongs to the standard
        return end


def _parse_negotiated(block: _Block) -> _Negotiated:
    text = "\n".join(line for line in block.lines if line)
    agreement = None
    m = _AGREEMENT.search(text)
    if m:
        agreement = m.group(1) + m.group(2)
        text = text[: m.start()] + "\n" + text[m.end() :]
    text = text.strip()
    m_name = re.match(r"\S+", text)
    if not m_name:
        raise _format_error(f"协议期内谈判药品第 {block.label} 号缺少药品名称")
    name_parts = [m_name.group(0)]
    pos = m_name.end()
    while True:
        start = pos
        while start < len(text) and text[start] in " \n":
            start += 1
        end = _scan_standard(text, start)
        if end is not None:
            break
        m_more = _TOKEN.match(text, start)
        if not m_more:
            raise _format_error(f"协议期内谈判药品第 {block.label} 号缺少医保支付标准")
        name_parts.append(m_more.group(0))
        pos = m_more.end()
    return _Negotiated(
        name=clean_text("\n".join(name_parts)) or "",
        standard=clean_text(text[start:end]),
        remark=clean_text(text[end:]),
        agreement=agreement,
    )


def _negotiated_rows(table: _Table, section: str, subsection: str, warnings: list[str]) -> list[dict[str, Any]]:
    rows = []
    for block in table.blocks:
        row = _parse_negotiated(block)
        if row.agreement is None:
            warnings.append(f"{section}（{subsection}）第 {block.label} 号未读到协议有效期")
        code = block.category_code
        rows.append(
            {
                "section": section,
                "subsection": subsection,
                "name_published": row.name,
                "number": block.number,
                "star_of": block.star_of,
                "drug_class": block.drug_class,
                "category_code": code,
                "category_path": _category_path(code, table.categories),
                "remark": row.remark,
                "payment_standard": row.standard,
                "agreement_text": row.agreement,
                "ethnic": bool(code and code.startswith(_ETHNIC_PREFIX)),
            }
        )
    return rows


# --- 中药饮片 ---------------------------------------------------------------------------------------


def _piece_rows(lines: list[str], warnings: list[str]) -> list[dict[str, Any]]:
    """The paid pieces: "序号 名称 [备注]" twice per line; rows come back in 序号 order.

    A remark may wrap: "284 红参 □；限临床危" / "重患者抢救 329 龟甲胶 □". Words where a 序号 is
    expected continue the remark of the item read just before.
    """
    found: dict[int, dict[str, object]] = {}
    remarks: dict[int, list[str]] = {}
    last: int | None = None
    for raw in lines:
        line = raw.strip()
        if not line or _PAGE.match(line) or line.startswith("序号"):
            continue
        tokens = line.split()
        i = 0
        while i < len(tokens):
            if not tokens[i].isdigit():
                if last is None or not remarks[last]:
                    raise _format_error(f"中药饮片部分无法识别的行：{line}")
                remarks[last].append(tokens[i])
                i += 1
                continue
            if i + 1 >= len(tokens):
                raise _format_error(f"中药饮片部分无法识别的行：{line}")
            number, name = int(tokens[i]), tokens[i + 1]
            if number in found:
                raise _format_error(f"中药饮片部分序号 {number} 重复")
            i += 2
            remarks[number] = []
            while i < len(tokens) and not tokens[i].isdigit():
                remarks[number].append(tokens[i])
                i += 1
            found[number] = {"section": r.PIECES, "name_published": name, "number": number}
            last = number
    for number, words in remarks.items():
        found[number]["remark"] = clean_text("\n".join(words))
    missing = sorted(set(range(1, max(found, default=0) + 1)) - set(found))
    if missing:
        warnings.append(f"中药饮片部分缺少序号：{missing}")
    return [found[n] for n in sorted(found)]


def _excluded_rows(lines: list[str]) -> tuple[list[dict[str, Any]], str | None]:
    """The never-paid pieces: a "、" list wrapped over lines, then indented entries, then a note."""
    listed: list[str] = []
    entries: list[str] = []
    note = None
    for raw in lines:
        line = raw.strip()
        if not line or _PAGE.match(line):
            continue
        if line.startswith("注："):
            note = clean_text(line.removeprefix("注："))
        elif raw.startswith((" ", "\u3000")):
            entries.append(clean_text(line) or "")
        else:
            listed.append(line)
    names = _split_list(clean_text("\n".join(listed)) or "") + entries
    if not names:
        raise _format_error("找不到“不得纳入基金支付范围的中药饮片”的品种")
    rows = [{"section": r.PIECES_EXCLUDED, "name_published": n} for n in names]
    return rows, note


def _split_list(text: str) -> list[str]:
    """Split "阿胶、穿山甲(醋山甲、炮山甲)、…" at the "、" outside brackets."""
    out, depth, current = [], 0, ""
    for ch in text:
        depth += ch in "(（[［"
        depth -= ch in ")）]］"
        if ch == "、" and depth == 0:
            out.append(current)
            current = ""
        else:
            current += ch
    out.append(current)
    return [s.strip() for s in out if s.strip()]


# --- the JSON: Western part and the commercial list ---------------------------------------------------


def _json_drugs(doc: object) -> list[dict[str, Any]]:
    if not (isinstance(doc, dict) and isinstance(doc.get("drugs"), list) and isinstance(doc.get("categories"), dict)):
        raise _format_error(f"{WEST_JSON_NAME} 缺少 drugs 或 categories")
    drugs: list[dict[str, Any]] = doc["drugs"]
    return drugs


def _json_category_names(doc: dict[str, Any], json_section: str) -> dict[str, str]:
    """Category names as printed in one section (the 谈判 tables spell a few differently)."""
    names = {str(k): clean_text(str(v)) or "" for k, v in doc["categories"].items()}
    variants = doc.get("category_name_variants") or {}
    for code, spellings in variants.items():
        for name, used_in in spellings.items():
            if json_section in used_in:
                names[code] = clean_text(name) or ""
    return names


def _west_rows(doc: dict[str, Any], warnings: list[str]) -> dict[str, list[dict[str, Any]]]:
    drugs = _json_drugs(doc)
    out: dict[str, list[dict[str, Any]]] = {r.WEST: [], r.NEGOTIATED: [], r.BIDDING: []}
    names = {s: _json_category_names(doc, s) for s in _JSON_SECTIONS}
    for d in drugs:
        try:
            section, subsection = _JSON_SECTIONS[str(d["section"])]
            label = re.sub(r"\s+", "", str(d["no"])).replace("（", "(").replace("）", ")")
            star = _STAR.match(label)
            number = None if star else int(label)
            star_of = int(star.group(1)) if star else None
            name = clean_text(str(d["name_zh"]))
        except (KeyError, ValueError) as exc:
            raise _format_error(f"{WEST_JSON_NAME} 的药品行无法识别：{d}") from exc
        if d.get("primary_no") != (number if number is not None else star_of):
            warnings.append(f"{d['section']} {label}：primary_no {d.get('primary_no')} 与编号不符")
        code = d.get("category_code")
        path = _category_path(str(code), names[str(d["section"])]) if code else None
        if code and str(code) not in names[str(d["section"])]:
            warnings.append(f"{d['section']} {label} {name}：分类代码 {code} 没有名称")
        out[section].append(
            {
                "section": section,
                "subsection": subsection,
                "name_published": name,
                "number": number,
                "star_of": star_of,
                "dosage_form": clean_text(d.get("dosage_form")),
                "drug_class": d.get("class"),
                "category_code": code,
                "category_path": path,
                "remark": clean_text(d.get("restriction")),
                "payment_standard": clean_text(d.get("payment_standard")),
                "agreement_text": clean_text(d.get("agreement_period")),
            }
        )
    return out


def _commercial_rows(doc: dict[str, Any]) -> list[dict[str, Any]]:
    items = doc.get("commercial_innovative_list")
    if not isinstance(items, list):
        raise _format_error(f"{WEST_JSON_NAME} 缺少 commercial_innovative_list")
    names = _json_category_names(doc, _JSON_WEST)
    rows = []
    for item in items:
        try:
            name, number = clean_text(str(item["name_zh"])), int(item["no"])
        except (KeyError, TypeError, ValueError) as exc:
            raise _format_error(f"{WEST_JSON_NAME} 的商保创新药行无法识别：{item}") from exc
        code = item.get("category_code")
        rows.append(
            {
                "section": r.COMMERCIAL,
                "name_published": name,
                "number": number,
                "category_code": code,
                "category_path": _category_path(code, names),
                "remark": clean_text(item.get("indication")),
                "agreement_text": clean_text(item.get("validity")),
            }
        )
    return rows


# --- checks -----------------------------------------------------------------------------------------


def _squash(text: str | None) -> str:
    """Whitespace- and "、"-free text, to compare a text block with JSON fields."""
    return re.sub(r"[\s、]", "", text or "").replace("（", "(").replace("）", ")")


def _cross_check(doc: dict[str, Any], parts: dict[str, list[str]], warnings: list[str]) -> None:
    """Compare the JSON's Western rows with the same rows parsed from the official text."""
    drugs = _json_drugs(doc)
    for json_section, part in ((_JSON_WEST, "west"), (_JSON_NEGO, "nego_west"), (_JSON_BIDDING, "bidding")):
        expected = [d for d in drugs if d["section"] == json_section]
        blocks = _table(parts[part]).blocks
        if len(expected) != len(blocks):
            warnings.append(f"交叉核对 {json_section}：JSON {len(expected)} 行，文本 {len(blocks)} 行")
        for d, block in zip(expected, blocks, strict=False):
            label = re.sub(r"\s+", "", str(d["no"])).replace("（", "(").replace("）", ")")
            where = f"交叉核对 {json_section} {label} {d['name_zh']}"
            if label != block.label:
                warnings.append(f"{where}：文本编号为 {block.label}")
                continue
            if d["class"] != block.drug_class:
                warnings.append(f"{where}：甲乙类 JSON {d['class']}，文本 {block.drug_class}")
            if d.get("category_code") != block.category_code:
                warnings.append(f"{where}：分类 JSON {d.get('category_code')}，文本 {block.category_code}")
            if json_section == _JSON_WEST:
                joined = "".join(_squash(str(d.get(k) or "")) for k in ("name_zh", "dosage_form", "restriction"))
                if joined != _squash("".join(block.lines)):
                    warnings.append(f"{where}：名称/剂型/备注与文本不一致（文本：{clean_text(' '.join(block.lines))}）")
                continue
            try:
                row = _parse_negotiated(block)
            except SourceFormatError as exc:
                warnings.append(f"{where}：文本无法解析（{exc.message}）")
                continue
            pairs = (
                ("名称", d["name_zh"], row.name),
                ("医保支付标准", d.get("payment_standard"), row.standard),
                ("备注", d.get("restriction"), row.remark),
                ("协议有效期", d.get("agreement_period"), row.agreement),
            )
            for what, in_json, in_text in pairs:
                if _squash(str(in_json or "")) != _squash(in_text):
                    warnings.append(f"{where}：{what} JSON “{in_json}”，文本 “{in_text}”")


def _check_numbering(rows: list[r.SourceRow], warnings: list[str]) -> None:
    """Numbers run 1..N in each numbered table; every ★(n) refers to an existing n."""
    tables: dict[tuple[str, str | None], list[r.SourceRow]] = {}
    for row in rows:
        if row.section in r.NUMBERED_SECTIONS:
            tables.setdefault((row.section, row.subsection), []).append(row)
    for (section, subsection), table in tables.items():
        label = section + (f"（{subsection}）" if subsection and section == r.NEGOTIATED else "")
        numbers = [row.number for row in table if row.number is not None]
        counts = Counter(numbers)
        dup = sorted(n for n, c in counts.items() if c > 1)
        gaps = sorted(set(range(1, max(numbers, default=0) + 1)) - set(numbers))
        if dup:
            warnings.append(f"{label}：编号重复 {dup}")
        if gaps:
            warnings.append(f"{label}：编号缺失 {gaps}")
        stars = sorted({row.star_of for row in table if row.star_of is not None} - set(numbers))
        if stars:
            warnings.append(f"{label}：★ 指向不存在的编号 {stars}")


def _check_keys(rows: list[r.SourceRow], warnings: list[str]) -> None:
    """A drug key (name + dosage form) must be unique within a section."""
    seen: dict[tuple[str, str], r.SourceRow] = {}
    for row in rows:
        key = (row.section, drug_key(normalise_name(row.name_published), row.dosage_form))
        if key in seen:
            first = seen[key]
            warnings.append(
                f"{row.section}：药品名称+剂型重复：{row.name_published} {row.dosage_form or ''}"
                f"（{_label(first)} 与 {_label(row)}）".replace(" （", "（")
            )
        else:
            seen[key] = row


def _label(row: r.SourceRow) -> str:
    if row.star_of is not None:
        return f"★({row.star_of})"
    return f"第 {row.number} 号" if row.number is not None else f"第 {row.seq} 行"


def duplicate_keys(rows: Iterable[r.SourceRow]) -> Iterator[tuple[str, list[r.SourceRow]]]:
    """Drug keys that occur more than once in an edition, across sections (for reports and tests)."""
    by_key: dict[str, list[r.SourceRow]] = {}
    for row in rows:
        by_key.setdefault(drug_key(normalise_name(row.name_published), row.dosage_form), []).append(row)
    for key, group in by_key.items():
        if len(group) > 1:
            yield key, group
