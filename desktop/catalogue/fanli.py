"""The totals each edition's 凡例 states, and the check that an import matches them.

Every figure below is quoted from the 凡例 of the edition (or, where the 凡例 gives no
figure, counted once in the official PDF and marked so). An import whose counts differ
stops with a message naming the measure and both numbers.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from desktop.catalogue import records as r
from desktop.errors import ImportCountMismatch

# Measure names (used in messages, so in Chinese).
M_WEST = "西药部分"
M_WEST_A = "西药部分甲类"
M_WEST_STAR = "西药部分★重复行"
M_TCM = "中成药部分"
M_TCM_A = "中成药部分甲类"
M_TCM_STAR = "中成药部分★重复行"
M_ETHNIC = "民族药"
M_NEGO_WEST = "协议期内谈判药品（西药，含竞价药品）"
M_NEGO_TCM = "协议期内谈判药品（中成药）"
M_PIECES = "中药饮片（基金予以支付）"
M_PIECES_ALONE = "中药饮片□（单独使用不予支付）"
M_PIECES_EXCLUDED = "不得纳入基金支付的饮片"
M_WORK_INJURY = "限工伤保险品种"
M_MATERNITY = "限生育保险品种"
M_COMMERCIAL = "商保创新药目录"

#: The sections a measure counts in: it is checked only when all of them are loaded complete.
MEASURE_SECTIONS: dict[str, tuple[str, ...]] = {
    M_WEST: (r.WEST,),
    M_WEST_A: (r.WEST,),
    M_WEST_STAR: (r.WEST,),
    M_TCM: (r.TCM,),
    M_TCM_A: (r.TCM,),
    M_TCM_STAR: (r.TCM,),
    M_ETHNIC: (r.TCM,),
    M_NEGO_WEST: (r.NEGOTIATED, r.BIDDING),
    M_NEGO_TCM: (r.NEGOTIATED,),
    M_PIECES: (r.PIECES,),
    M_PIECES_ALONE: (r.PIECES,),
    M_PIECES_EXCLUDED: (r.PIECES_EXCLUDED,),
    M_WORK_INJURY: (r.WEST, r.TCM, r.NEGOTIATED),
    M_MATERNITY: (r.WEST, r.TCM, r.NEGOTIATED),
    M_COMMERCIAL: (r.COMMERCIAL,),
}


@dataclass(frozen=True)
class EditionSpec:
    """What the 凡例 of one edition variant states."""

    name: str
    variant: str
    totals: dict[str, int]
    #: 西药 numbers of 胃肠外营养液 (凡例 [十四], inpatients only) and 肠内营养剂 ([十五]).
    inpatient_nutrition: range | None = None
    nutrition_screening: range | None = None
    notes: dict[str, str] = field(default_factory=dict)


# 2024 edition (医保发〔2024〕33号) as first published 2024-11-28: nrdl-2024/fanli-2024.txt (一)-(四).
# The ★ counts and the 中药饮片 figures the 凡例 does not state are counted in the official PDF
# (medins-2024-layout.txt). Items counted by measure() (品种, ★ rows included), as the 凡例 does:
#   西药甲类 393 = 379 numbered 甲 rows + 14 items whose main row is 乙 and a ★ row 甲;
#   中成药甲类 246 = 245 + 1 such item;
#   限生育保险 4 = nos. 547, 549 + 581 米非司酮 ("限子宫肌瘤患者或生育保险。") + 中成药 ★(986) 益母草注射液.
SPEC_2024_FIRST = EditionSpec(
    name="2024",
    variant="first",
    totals={
        M_WEST: 1398,
        M_TCM: 1336,
        M_ETHNIC: 95,
        M_NEGO_WEST: 367,
        M_NEGO_TCM: 58,
        M_PIECES: 892,
        M_WORK_INJURY: 5,
        # 凡例 figures counted by item; ★ and 饮片 counts counted in the PDF (see above):
        M_WEST_A: 393,
        M_TCM_A: 246,
        M_MATERNITY: 4,
        M_WEST_STAR: 559,
        M_TCM_STAR: 108,
        M_PIECES_ALONE: 116,
        M_PIECES_EXCLUDED: 32,
    },
    inpatient_nutrition=range(279, 296),  # XB05BA 胃肠外营养液, nos. 279-295
    nutrition_screening=range(1318, 1333),  # XV01 肠内营养剂, nos. 1318-1332
)

# The same edition as later served by the NHSA online query: fanli-2024-revised.md.
SPEC_2024_REVISED = EditionSpec(
    name="2024",
    variant="revised",
    totals={
        M_WEST: 1396,
        M_TCM: 1336,
        M_ETHNIC: 95,
        M_NEGO_WEST: 369,
        M_NEGO_TCM: 58,
        M_PIECES: 892,
        M_PIECES_EXCLUDED: 32,
        M_WORK_INJURY: 5,
        # as for SPEC_2024_FIRST: the two drugs that moved to 谈判药品 were 乙类 without ★ rows
        M_WEST_A: 393,
        M_TCM_A: 246,
        M_MATERNITY: 4,
        M_WEST_STAR: 559,
        M_TCM_STAR: 108,
        M_PIECES_ALONE: 116,
    },
    inpatient_nutrition=range(279, 296),  # XB05BA 胃肠外营养液, nos. 279-295
    nutrition_screening=range(1317, 1332),  # XV01 肠内营养剂, nos. 1317-1331 (阿伐替尼片 moved out)
)

# 2025 edition (医保发〔2025〕33号), in force from 2026-01-01: nrdl-2025/medins-2025.txt 凡例 and
# data/README.md (★ counts counted in the official text).
#
# Items whose main row is 乙 and only a ★ row is 甲 (counted as 甲 by the 凡例 and measure()):
# 西药 3, 5, 520, 525, 527, 531, 534, 545, 550, 556, 638, 1083, 1275, 1331; 中成药 880 六神丸.
# 限生育保险 4 品种: 西药 570, 572, 605 ("限子宫肌瘤患者或生育保险") and 中成药 ★(985) 益母草注射液.
SPEC_2025 = EditionSpec(
    name="2025",
    variant="official",
    totals={
        M_WEST: 1446,
        M_WEST_A: 393,
        M_WEST_STAR: 554,
        M_TCM: 1335,
        M_TCM_A: 246,
        M_TCM_STAR: 108,
        M_ETHNIC: 95,
        M_NEGO_WEST: 411,
        M_NEGO_TCM: 61,
        M_PIECES: 892,
        M_PIECES_ALONE: 116,
        # Not stated by the 凡例; counted in the text (五、(二)): 31 named pieces and the entry
        # “各种动物脏器(鸡内金除外)和胎、鞭、尾、筋、骨” (the NHSA query of 2024 also lists 32).
        M_PIECES_EXCLUDED: 32,
        M_WORK_INJURY: 5,
        M_MATERNITY: 4,
        M_COMMERCIAL: 19,
    },
    # 凡例 (十四) 西药 292-309 胃肠外营养液, (十五) 1367-1381 肠内营养剂.
    inpatient_nutrition=range(292, 310),
    nutrition_screening=range(1367, 1382),
)

SPECS = {(s.name, s.variant): s for s in (SPEC_2024_FIRST, SPEC_2024_REVISED, SPEC_2025)}


def measure(rows: list[r.SourceRow]) -> Counter[str]:
    """Count every measure the 凡例 states, over the rows of one edition.

    The 凡例 counts 品种 (items, one per 编号): an item is 甲类, 限工伤 or 限生育 when any of its
    rows is, a ★ row included (2025: 西药 3 克霉唑 is 乙 but its ★ row is 甲; 中成药 ★(985)
    益母草注射液 carries 限生育保险). 限生育 items are those whose remark admits the maternity
    fund at all ("限生育保险", and "限子宫肌瘤患者或生育保险").
    """
    c: Counter[str] = Counter()
    items: dict[tuple[str, int], list[r.SourceRow]] = {}
    for row in rows:
        numbered = row.number is not None
        if row.section in r.NUMBERED_SECTIONS and (numbered or row.star_of is not None):
            group = row.section if row.section in (r.WEST, r.TCM) else f"{row.section}/{row.subsection}"
            items.setdefault((group, row.number if numbered else row.star_of), []).append(row)  # type: ignore[arg-type]
        if row.section == r.WEST:
            c[M_WEST] += numbered
            c[M_WEST_STAR] += row.star_of is not None
        elif row.section == r.TCM:
            c[M_TCM] += numbered
            c[M_TCM_STAR] += row.star_of is not None
            c[M_ETHNIC] += numbered and row.ethnic
        elif row.section in (r.NEGOTIATED, r.BIDDING):
            west = row.section == r.BIDDING or row.subsection == r.WEST
            c[M_NEGO_WEST if west else M_NEGO_TCM] += numbered
        elif row.section == r.PIECES:
            c[M_PIECES] += 1
            c[M_PIECES_ALONE] += "单独使用" in (row.remark or "") or "□" in (row.remark or "")
        elif row.section == r.PIECES_EXCLUDED:
            c[M_PIECES_EXCLUDED] += 1
        elif row.section == r.COMMERCIAL:
            c[M_COMMERCIAL] += 1
    for (group, _number), item_rows in items.items():
        remarks = [row.remark or "" for row in item_rows]
        if any(row.drug_class == r.CLASS_A for row in item_rows):
            c[M_WEST_A if group == r.WEST else M_TCM_A if group == r.TCM else "其他甲类"] += 1
        c[M_WORK_INJURY] += any("限工伤保险" in remark for remark in remarks)
        c[M_MATERNITY] += any("生育保险" in remark for remark in remarks)
    return c


def check_totals(data: r.EditionData, spec: EditionSpec) -> None:
    """Stop the import when a loaded section disagrees with the 凡例.

    Raises:
        ImportCountMismatch: naming the measure, the 凡例 figure and the counted figure.
    """
    counted = measure(data.rows)
    loaded = {s for s, info in data.sections.items() if info.complete}
    problems = [
        f"{m}：凡例为 {expected} 个，读入 {counted[m]} 个"
        for m, expected in spec.totals.items()
        if set(MEASURE_SECTIONS[m]) <= loaded and counted[m] != expected
    ]
    if problems:
        raise ImportCountMismatch(
            f"{data.info.name}年版（{data.info.variant}）目录的数量与凡例不符，导入已停止：\n" + "\n".join(problems),
            hint="请确认源文件完整且未被修改；数据库保持不变。",
        )


def spec_of(name: str, variant: str) -> EditionSpec | None:
    """The 凡例 of an edition variant; for a variant under another name, the first 凡例 of its edition."""
    return SPECS.get((name, variant)) or next((s for s in SPECS.values() if s.name == name), None)


def checked_spec(data: r.EditionData) -> EditionSpec | None:
    """Check an edition against the 凡例 of its edition, whatever its variant is called; returns the 凡例 met.

    A known variant is checked against its own 凡例. Any other variant of a known edition (a package
    calling itself "official2") must meet one of that edition's 凡例, so 2024 rows can never pass
    for the 2025 edition under a new name. An edition Yaomu has no 凡例 for returns None.

    Raises:
        ImportCountMismatch: no 凡例 of the edition is met (the first one's differences are named).
    """
    exact = SPECS.get((data.info.name, data.info.variant))
    candidates = [exact] if exact else [s for s in SPECS.values() if s.name == data.info.name]
    errors: list[ImportCountMismatch] = []
    for spec in candidates:
        try:
            check_totals(data, spec)
        except ImportCountMismatch as err:
            errors.append(err)
            continue
        return spec
    if errors:
        raise errors[0]
    return None
