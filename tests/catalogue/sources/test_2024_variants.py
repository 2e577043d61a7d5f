"""The two 2024 variants against each other and against the official PDF text.

* every numbered-section row of yao.xlsx (first publication) is compared, in order, with the rows
  of the PDF text (class, 编号 or ★(n), and the part of the name printed on the row's line);
* the 中药饮片 of the NHSA dump are compared with the PDF table (序号, name, □);
* ``drug_key`` is unique in each variant, and the diff of the two variants by key is exactly the
  two drugs that moved from 西药部分 to 协议期内谈判药品.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from pathlib import Path

import pytest

from desktop.catalogue import records as r
from desktop.catalogue.normalise import drug_key, match_key
from desktop.catalogue.sources import nhsa_api, yao_xlsx

MOVED = {"阿伐替尼片", "多种微量元素注射液(Ⅲ)"}

# Lines that open a part of the PDF text, and the (section, subsection) that follows them.
_PARTS = {
    "西药部分": (r.WEST, None),
    "中成药部分": (r.TCM, None),
    "（一）西药": (r.NEGOTIATED, r.WEST),
    "(二)中成药": (r.NEGOTIATED, r.TCM),
    "竞价药品部分": (r.BIDDING, None),
    "中药饮片部分": (None, None),
}
# "★(8)", also "★（389）" (pp.20, 22, 55 of the PDF use full-width brackets)
_ROW = re.compile(r"^\s*(甲|乙)\s*(?:★\s*[(（]\s*(\d+)\s*[)）]|(\d+))(?=\D|$)(.*)$")


@pytest.fixture(scope="module")
def pdf_lines(shared_data: Path) -> list[str]:
    return (shared_data / "nrdl-2024" / "medins-2024-layout.txt").read_text(encoding="utf-8").splitlines()


@pytest.fixture(scope="module")
def first(sources_dir: Path) -> r.EditionData:
    return yao_xlsx.read(sources_dir / "yao.xlsx")


@pytest.fixture(scope="module")
def revised(sources_dir: Path) -> r.EditionData:
    return nhsa_api.read(sources_dir / "nhsa-api-4750.json", sources_dir / "yao.xlsx")


def pdf_rows(lines: list[str]) -> list[tuple[tuple[str, str | None], str, int | None, int | None, str]]:
    """(part, class, number, star_of, name fragment printed on the line) of every numbered row."""
    out = []
    part: tuple[str | None, str | None] = (None, None)
    for line in lines[220:]:  # after the 凡例
        stripped = line.strip()
        if stripped in _PARTS:
            part = _PARTS[stripped]
            continue
        if part[0] is None:
            continue
        m = _ROW.match(line)
        if m:
            rest = m.group(4)
            # The name column follows the number closely; text far to the right is a remark or price
            # (the name of that row is wrapped onto the lines above and below).
            gap = len(rest) - len(rest.lstrip())
            fragment = re.split(r"\s{2,}", rest.strip())[0] if gap <= 8 else ""
            out.append(
                (
                    part,
                    m.group(1),
                    int(m.group(3)) if m.group(3) else None,
                    int(m.group(2)) if m.group(2) else None,
                    fragment,
                )
            )
    return out


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", match_key(text)).replace("、", "")


def test_first_variant_row_by_row_against_pdf_cross_check_shared(first: r.EditionData, pdf_lines: list[str]) -> None:
    pdf = pdf_rows(pdf_lines)
    ours = [x for x in first.rows if x.section in r.NUMBERED_SECTIONS]
    assert len(pdf) == len(ours) == 3159 + 559 + 108
    checked_names = 0
    for (part, cls, number, star, fragment), row in zip(pdf, ours, strict=True):
        where = f"{row.section} {row.number or row.star_of} {row.name_published}"
        assert part == (row.section, row.subsection), where
        assert (cls, number, star) == (row.drug_class, row.number, row.star_of), where
        if fragment:
            name = _fold(row.name_published)
            first_token = _fold(fragment.split()[0])
            assert _fold(fragment) in name or first_token in name, (where, fragment)
            checked_names += 1
    assert checked_names > 3500


def test_revised_numbered_rows_follow_the_first(first: r.EditionData, revised: r.EditionData) -> None:
    """Same rows in the same order, apart from the two moved drugs; ★ targets translated."""

    def main_key(data: r.EditionData, row: r.SourceRow) -> str:
        target = next(x for x in data.rows if x.section == row.section and x.number == row.star_of)
        return drug_key(target.name_published, target.dosage_form)

    for section in (r.WEST, r.TCM):
        a = [x for x in first.rows if x.section == section and x.name_published not in MOVED]
        b = [x for x in revised.rows if x.section == section]
        assert len(a) == len(b)
        for x, y in zip(a, b, strict=True):
            assert drug_key(x.name_published, x.dosage_form) == drug_key(y.name_published, y.dosage_form)
            assert x.drug_class == y.drug_class
            assert (x.number is None) == (y.number is None)
            if x.star_of is not None:
                assert main_key(first, x) == main_key(revised, y), x


def test_pieces_against_pdf_cross_check_shared(revised: r.EditionData, pdf_lines: list[str]) -> None:
    start = next(i for i, line in enumerate(pdf_lines) if "（一）基金予以支付的中药饮片" in line)
    end = next(i for i, line in enumerate(pdf_lines) if "不得纳入基金支付范围的中药饮片" in line and i > start)
    pdf: dict[int, tuple[str, bool]] = {}
    for line in pdf_lines[start + 2 : end]:
        if not re.match(r"^\s*\d", line):
            continue
        for number, name, mark in re.findall(r"(\d+)\s+(\S+)(?:\s+(□))?", line):
            pdf[int(number)] = (name, bool(mark))
    assert sorted(pdf) == list(range(1, 893))
    pieces = {x.number: x for x in revised.rows if x.section == r.PIECES}
    for number, (name, alone) in pdf.items():
        row = pieces[number]
        assert row.name_published == name, number
        if not (row.remark or "").startswith("□;"):  # 284/285 红参: the "□; 限临床危" sits on the line above
            assert (row.remark == "□") == alone, number
    assert sum(1 for x in pieces.values() if (x.remark or "").startswith("□")) == 116


def test_excluded_pieces_against_pdf_cross_check_shared(revised: r.EditionData, pdf_lines: list[str]) -> None:
    start = next(i for i, line in enumerate(pdf_lines) if "(二)不得纳入基金支付范围的中药饮片" in line)
    body = [line.strip() for line in pdf_lines[start + 1 : start + 6] if line.strip()]
    names = re.split(r"、(?![^(]*\))", "".join(body[:-1])) + [body[-1]]  # 、 outside brackets
    assert len(names) == 32
    assert [x.name_published for x in revised.rows if x.section == r.PIECES_EXCLUDED] == names


@pytest.mark.parametrize("variant", ["first", "revised"])
def test_drug_key_is_unique(variant: str, first: r.EditionData, revised: r.EditionData) -> None:
    data = first if variant == "first" else revised
    keys = Counter(drug_key(x.name_published, x.dosage_form) for x in data.rows)
    assert [k for k, n in keys.items() if n > 1] == []


FIELDS = ("drug_class", "remark", "payment_standard", "agreement_text")


def test_diff_between_variants(first: r.EditionData, revised: r.EditionData) -> None:
    def by_key(data: r.EditionData) -> dict[str, r.SourceRow]:
        return {
            drug_key(x.name_published, x.dosage_form): x
            for x in data.rows
            if x.section not in (r.PIECES, r.PIECES_EXCLUDED)
        }

    a, b = by_key(first), by_key(revised)
    assert set(a) == set(b)
    moved = {k for k in a if a[k].section != b[k].section}
    assert {a[k].name_published for k in moved} == MOVED
    for k in moved:
        assert (a[k].section, b[k].section, b[k].subsection) == (r.WEST, r.NEGOTIATED, r.WEST)
        assert (b[k].payment_standard, b[k].agreement_text) == ("*", "2024年1月1日至2025年12月31日")
        assert (a[k].drug_class, a[k].remark) == (b[k].drug_class, b[k].remark)

    differences = {
        (a[k].name_published, f): (getattr(a[k], f), getattr(b[k], f))
        for k in a
        if k not in moved
        for f in FIELDS
        if getattr(a[k], f) != getattr(b[k], f)
    }
    # What remains are differences of the sources themselves, not of conversion artefacts:
    # - 3428: "乙 ★(126) 肿节风注射液 限二级及以上医疗机构" — the PDF has no full stop, the NHSA dump adds one;
    # - yao.xlsx writes three characters half-width where the PDF (and the dump) has them full-width:
    #   5273 "凝血因子Ⅸ，具" / 5278 "Ⅱb－Ⅲa(GPⅡb－Ⅲa)" (注射用重组人凝血因子Ⅶa), 7762 "TNF-α＜2.5".
    assert differences.pop(("肿节风注射液", "remark")) == ("限二级及以上医疗机构", "限二级及以上医疗机构。")
    assert set(differences) == {("注射用重组人凝血因子Ⅶa", "remark"), ("淫羊藿素软胶囊", "remark")}
    for x, y in differences.values():
        assert x != y and unicodedata.normalize("NFKC", x) == unicodedata.normalize("NFKC", y)

    names = {k for k in a if a[k].name_published != b[k].name_published}
    # 264: "乙 23 奥美拉唑碳酸氢钠胶囊（Ⅱ）" — the dump keeps the PDF's full-width brackets, the workbook not.
    assert {b[k].name_published for k in names} == {"奥美拉唑碳酸氢钠胶囊（Ⅱ）"}
