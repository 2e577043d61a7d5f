"""The 2025 adapter against the official text (nrdl-2025/medins-2025.txt) and its 凡例.

Expected values are written out by hand from the official text; each case quotes the source
line(s) it was read from (line numbers of medins-2025.txt).
"""

from __future__ import annotations

import re
import shutil
from collections import Counter
from datetime import date
from pathlib import Path

import pytest

from desktop.catalogue import records as r
from desktop.catalogue.fanli import (
    M_MATERNITY,
    M_PIECES_EXCLUDED,
    M_TCM_A,
    M_WEST_A,
    SPEC_2025,
    check_totals,
    measure,
)
from desktop.catalogue.normalise import drug_key, normalise_name
from desktop.catalogue.sources import nrdl2025
from desktop.errors import ImportCountMismatch, SourceFormatError


@pytest.fixture(scope="module")
def sources(sources_dir: Path) -> tuple[Path, Path]:
    folder = sources_dir
    return folder / nrdl2025.WEST_JSON_NAME, folder / nrdl2025.TEXT_NAME


@pytest.fixture(scope="module")
def data(sources: tuple[Path, Path]) -> r.EditionData:
    return nrdl2025.read(*sources)


def find(
    data: r.EditionData, section: str, label: int | str | None = None, *, sub: str | None = None, name: str = ""
) -> r.SourceRow:
    """The one row of ``section`` with number ``label`` (int), ★ label ("★(8)") and/or name prefix."""
    found = []
    for row in data.rows:
        if row.section != section or (sub is not None and row.subsection != sub):
            continue
        if isinstance(label, int) and row.number != label:
            continue
        if isinstance(label, str) and (row.star_of is None or f"★({row.star_of})" != label):
            continue
        if not row.name_published.startswith(name):
            continue
        found.append(row)
    assert len(found) == 1, (section, label, name, found)
    return found[0]


# --- edition, counts, checks -----------------------------------------------------------------------


def test_edition_info(data: r.EditionData, sources: tuple[Path, Path]) -> None:
    import hashlib

    info = data.info
    assert (info.name, info.variant, info.document) == ("2025", "official", "医保发〔2025〕33号")
    assert info.effective_start == date(2026, 1, 1)
    assert info.effective_end is None  # in force until repealed
    assert info.published is None  # the PDF attachment states no date of its own
    assert info.source == "china_nrdl_2025_west.json; medins-2025.txt"
    assert info.checksum == hashlib.sha256(sources[0].read_bytes() + sources[1].read_bytes()).hexdigest()


def test_counts_match_the_fanli(data: r.EditionData) -> None:
    check_totals(data, SPEC_2025)  # raises on any difference
    c = measure(data.rows)
    # 凡例 (一)-(四) and data/README.md: figures as measure() counts them.
    assert c["西药部分"] == 1446
    assert c["西药部分★重复行"] == 554
    assert c["中成药部分"] == 1335
    assert c["中成药部分★重复行"] == 108
    assert c["民族药"] == 95
    assert c["协议期内谈判药品（西药，含竞价药品）"] == 399 + 12
    assert c["协议期内谈判药品（中成药）"] == 61
    assert c["中药饮片（基金予以支付）"] == 892
    assert c["中药饮片□（单独使用不予支付）"] == 116
    assert c[M_PIECES_EXCLUDED] == 32
    assert c["限工伤保险品种"] == 5
    assert c["商保创新药目录"] == 19
    # 3253 in all (凡例 (一)): 1446 + 1335 + 472.
    numbered = sum(1 for row in data.rows if row.number is not None and row.section in r.NUMBERED_SECTIONS)
    assert numbered == 3253


def test_fanli_item_counts(data: r.EditionData) -> None:
    """The 凡例 counts 品种 (numbers); a number is 甲 when any of its rows is 甲 (see fanli.SPEC_2025)."""

    def items(section: str, pred) -> set[int]:
        return {
            row.number if row.number is not None else row.star_of
            for row in data.rows
            if row.section == section and pred(row)
        }  # type: ignore[misc]

    # “西药甲类药品 393 个，中成药甲类药品 246 个” (凡例 (二), lines 25-26)
    assert len(items(r.WEST, lambda row: row.drug_class == "甲")) == 393
    assert len(items(r.TCM, lambda row: row.drug_class == "甲")) == 246
    assert measure(data.rows)[M_WEST_A] == SPEC_2025.totals[M_WEST_A] == 393
    assert measure(data.rows)[M_TCM_A] == SPEC_2025.totals[M_TCM_A] == 246
    # “限生育保险基金准予支付费用的品种 4 个；限工伤保险基金准予支付费用的品种 5 个” (凡例 (四))
    maternity = [(s, n) for s in (r.WEST, r.TCM) for n in items(s, lambda row: "生育保险" in (row.remark or ""))]
    assert sorted(maternity) == sorted([(r.WEST, 570), (r.WEST, 572), (r.WEST, 605), (r.TCM, 985)])
    injury = [(s, n) for s in (r.WEST, r.TCM) for n in items(s, lambda row: "限工伤保险" in (row.remark or ""))]
    assert sorted(injury) == sorted([(r.WEST, 558), (r.WEST, 826), (r.WEST, 833), (r.WEST, 968), (r.TCM, 1222)])
    assert SPEC_2025.totals[M_MATERNITY] == measure(data.rows)[M_MATERNITY] == 4


def test_nutrition_ranges_follow_the_fanli(sources_dir: Path, data: r.EditionData) -> None:
    lines = (sources_dir / "medins-2025.txt").read_text(encoding="utf-8").split("\n")
    fanli = "".join(lines[:175])
    # lines 161-167: “西药部分第 292-309 号“胃肠外营养液”…”, “西药部分第 1367-1381 号“肠内营养剂”…”
    parenteral = re.search(r"第\s*(\d+)-(\d+)\s*号“胃肠外", fanli)
    enteral = re.search(r"第\s*(\d+)-(\d+)\s*号“肠内", fanli)
    assert parenteral and enteral
    assert SPEC_2025.inpatient_nutrition == range(int(parenteral[1]), int(parenteral[2]) + 1) == range(292, 310)
    assert SPEC_2025.nutrition_screening == range(int(enteral[1]), int(enteral[2]) + 1) == range(1367, 1382)
    assert find(data, r.WEST, 292).name_published.startswith("复方氨基酸(18AA)")


def test_sections_and_seq(data: r.EditionData) -> None:
    assert set(data.sections) == set(r.SECTIONS)
    assert all(info.complete for info in data.sections.values())
    assert {s: info.expected for s, info in data.sections.items()} == {
        r.WEST: 1446,
        r.TCM: 1335,
        r.NEGOTIATED: 460,
        r.BIDDING: 12,
        r.PIECES: 892,
        r.PIECES_EXCLUDED: 32,
        r.COMMERCIAL: 19,
    }
    assert [row.seq for row in data.rows] == list(range(1, len(data.rows) + 1))
    order = []
    for row in data.rows:
        part = (row.section, row.subsection)
        if not order or order[-1] != part:
            order.append(part)
    assert order == [
        (r.WEST, None),
        (r.TCM, None),
        (r.NEGOTIATED, r.WEST),
        (r.NEGOTIATED, r.TCM),
        (r.BIDDING, r.WEST),
        (r.PIECES, None),
        (r.PIECES_EXCLUDED, None),
        (r.COMMERCIAL, None),
    ]
    assert len(data.rows) == 2000 + 1443 + 399 + 61 + 12 + 892 + 32 + 19
    assert "备注2" in (data.sections[r.NEGOTIATED].note or "")


def test_no_warnings(data: r.EditionData) -> None:
    """The JSON and the text agree on every Western row (numbers, ★, classes, categories, wording)."""
    assert data.warnings == []


def test_drug_keys_unique(data: r.EditionData) -> None:
    per_section = Counter(
        (row.section, drug_key(normalise_name(row.name_published), row.dosage_form)) for row in data.rows
    )
    assert [k for k, n in per_section.items() if n > 1] == []
    # Across sections as well: no drug is listed twice in the 2025 edition.
    assert list(nrdl2025.duplicate_keys(data.rows)) == []


def test_category_paths(data: r.EditionData) -> None:
    assert all(row.category_path for row in data.rows if row.section in r.NUMBERED_SECTIONS)
    ethnic = [row for row in data.rows if row.section == r.TCM and row.number is not None and row.ethnic]
    assert [row.number for row in ethnic] == list(range(1241, 1336))
    assert {row.category_code for row in ethnic} == {"ZI01", "ZI02", "ZI03"}


def test_resources_are_the_official_files_cross_check_shared(shared_data: Path) -> None:
    west, text = nrdl2025.default_sources()
    assert west.read_bytes() == (shared_data / "nrdl-2025" / nrdl2025.WEST_JSON_NAME).read_bytes()
    assert text.read_bytes() == (shared_data / "nrdl-2025" / nrdl2025.TEXT_NAME).read_bytes()
    assert (west.parent / "LICENSE-china_nrdl_2025_west.txt").read_bytes() == (
        shared_data / "nrdl-2025" / "LICENSE"
    ).read_bytes()
    assert (west.parent / "PROVENANCE-2025.md").is_file()


# --- tampered sources -------------------------------------------------------------------------------


def _tampered(tmp_path: Path, sources: tuple[Path, Path], old: str, new: str) -> tuple[Path, Path]:
    west = tmp_path / sources[0].name
    shutil.copyfile(sources[0], west)
    text = sources[1].read_text(encoding="utf-8")
    assert text.count(old) == 1
    target = tmp_path / sources[1].name
    target.write_text(text.replace(old, new), encoding="utf-8")
    return west, target


def test_missing_row_stops_the_import(tmp_path: Path, sources: tuple[Path, Path]) -> None:
    # line 4745: “乙 1334 祖卡木颗粒” removed
    with pytest.raises(ImportCountMismatch) as err:
        nrdl2025.read(*_tampered(tmp_path, sources, "乙 1334 祖卡木颗粒\n", ""))
    message = str(err.value)
    assert "中成药部分：凡例为 1335 个，读入 1334 个" in message
    assert "民族药：凡例为 95 个，读入 94 个" in message


def test_tampered_counts_raise(data: r.EditionData) -> None:
    rows = [row for row in data.rows if not (row.section == r.PIECES and row.number == 892)]
    tampered = r.EditionData(info=data.info, rows=rows, sections=data.sections)
    with pytest.raises(ImportCountMismatch, match=r"中药饮片（基金予以支付）：凡例为 892 个，读入 891 个"):
        check_totals(tampered, SPEC_2025)


def test_cross_check_reports_a_difference(tmp_path: Path, sources: tuple[Path, Path]) -> None:
    # line 179: “甲 1 复方硼砂 外用液体剂” changed to 乙 in the text only
    data = nrdl2025.read(*_tampered(tmp_path, sources, "甲 1 复方硼砂 外用液体剂", "乙 1 复方硼砂 外用液体剂"))
    assert data.warnings == ["交叉核对 西药部分 1 复方硼砂：甲乙类 JSON 甲，文本 乙"]


def test_missing_part_is_a_format_error(tmp_path: Path, sources: tuple[Path, Path]) -> None:
    with pytest.raises(SourceFormatError, match="竞价药品部分"):
        nrdl2025.read(*_tampered(tmp_path, sources, "\n竞价药品部分\n", "\n"))


def test_missing_file_is_a_format_error(tmp_path: Path, sources: tuple[Path, Path]) -> None:
    with pytest.raises(SourceFormatError, match="找不到"):
        nrdl2025.read(sources[0], tmp_path / "nothing.txt")


# --- rows checked field by field against the official text ------------------------------------------


def test_west_rows(data: r.EditionData) -> None:
    # 177-179: “XA 消化道和代谢方面的药物” / “XA01 口腔科制剂” / “甲 1 复方硼砂 外用液体剂”
    row = find(data, r.WEST, 1)
    assert (row.name_published, row.dosage_form, row.drug_class, row.remark) == ("复方硼砂", "外用液体剂", "甲", None)
    assert (row.category_code, row.category_path) == ("XA01", "消化道和代谢方面的药物 > 口腔科制剂")
    assert row.seq == 1 and row.star_of is None

    # 189: “甲 ★(8) 枸橼酸铋钾 颗粒剂”
    row = find(data, r.WEST, "★(8)")
    assert (row.number, row.name_published, row.dosage_form, row.drug_class) == (None, "枸橼酸铋钾", "颗粒剂", "甲")
    assert row.category_path == "消化道和代谢方面的药物 > 治疗胃酸相关类疾病的药物 > 抗酸药"

    # 191-192: “甲 10 胶体果胶铋 口服常释剂型” / “乙 ★(10) 胶体果胶铋 颗粒剂” (a ★ row of another class)
    assert find(data, r.WEST, 10).drug_class == "甲"
    assert find(data, r.WEST, "★(10)").drug_class == "乙"

    # 207: “乙 ★(16) 艾司奥美拉唑镁肠溶干混悬剂” (approved name, form not listed separately)
    row = find(data, r.WEST, "★(16)", name="艾司")
    assert (row.name_published, row.dosage_form, row.drug_class) == ("艾司奥美拉唑镁肠溶干混悬剂", None, "乙")

    # 208: “乙 17 艾普拉唑 口服常释剂型 限有十二指肠溃疡、反流性食管炎诊断患者的二线用药。”
    row = find(data, r.WEST, 17)
    assert (row.name_published, row.dosage_form) == ("艾普拉唑", "口服常释剂型")
    assert row.remark == "限有十二指肠溃疡、反流性食管炎诊断患者的二线用药。"
    assert row.category_code == "XA02BC"
    assert row.category_path == (
        "消化道和代谢方面的药物 > 治疗胃酸相关类疾病的药物 > 治疗消化性溃疡病和胃食道反流病的药物 > 质子泵抑制剂"
    )

    # 226-227: “乙 29 富马酸伏诺拉生片 限：1.反流性食管炎；2.与适当的抗生素联用以根除幽门螺” / “杆菌。”
    row = find(data, r.WEST, 29)
    assert (row.name_published, row.dosage_form) == ("富马酸伏诺拉生片", None)
    assert row.remark == "限：1.反流性食管炎；2.与适当的抗生素联用以根除幽门螺杆菌。"

    # 554-555: “乙 207 缓解消化道不适症状的复方OTC” / “制剂 ◇”
    row = find(data, r.WEST, 207)
    assert (row.name_published, row.dosage_form, row.remark) == ("缓解消化道不适症状的复方OTC制剂", None, "◇")
    # 2800: “乙 1303 缓解感冒症状的复方OTC制剂 ◇”
    row = find(data, r.WEST, 1303)
    assert (row.name_published, row.drug_class, row.remark) == ("缓解感冒症状的复方OTC制剂", "乙", "◇")

    # 718-724: “甲 292” / “复方氨基酸(18AA)” … “复方氨基酸(18AA-Ⅴ)” / “注射剂” (names stacked in one cell)
    row = find(data, r.WEST, 292)
    assert row.name_published == (
        "复方氨基酸(18AA)、复方氨基酸(18AA-Ⅰ)、复方氨基酸(18AA-Ⅱ)、复方氨基酸(18AA-Ⅲ)、复方氨基酸(18AA-Ⅴ)"
    )
    assert (row.dosage_form, row.drug_class, row.category_code) == ("注射剂", "甲", "XB05BA")

    # 1097: “甲 ★(3) 克霉唑 软膏剂” (181: “乙 3 克霉唑 口服常释剂型”)
    assert find(data, r.WEST, 3).drug_class == "乙"
    # 1216-1218: “甲 ★(3) 克霉唑 阴道片” / “甲 ★(3) 克霉唑 栓剂” / “甲 ★(3) 克霉唑阴道乳膏”
    stars = [x for x in data.rows if x.section == r.WEST and x.star_of == 3]
    assert [(x.name_published, x.dosage_form, x.drug_class) for x in stars] == [
        ("克霉唑", "软膏剂", "甲"),
        ("克霉唑", "阴道片", "甲"),
        ("克霉唑", "栓剂", "甲"),
        ("克霉唑阴道乳膏", None, "甲"),
    ]

    # 1209: “乙 558 氢醌 软膏剂 限工伤保险。”
    row = find(data, r.WEST, 558)
    assert (row.name_published, row.dosage_form, row.remark) == ("氢醌", "软膏剂", "限工伤保险。")
    # 1243: “乙 570 地诺前列酮 栓剂 限生育保险。”
    row = find(data, r.WEST, 570)
    assert (row.name_published, row.dosage_form, row.remark) == ("地诺前列酮", "栓剂", "限生育保险。")
    # 1298-1299: “乙 605 米非司酮” / “米非司酮Ⅱ 口服常释剂型 限子宫肌瘤患者或生育保险。”
    row = find(data, r.WEST, 605)
    assert (row.name_published, row.dosage_form, row.remark) == (
        "米非司酮、米非司酮Ⅱ",
        "口服常释剂型",
        "限子宫肌瘤患者或生育保险。",
    )


def test_negotiated_west_rows(data: r.EditionData) -> None:
    nego = r.NEGOTIATED
    # 4756-4759: “乙 1 注射用艾普拉唑钠 52.60元(10mg/瓶) 限：1.预防重症患者应激性溃疡出” / “血；2.消化性溃疡出血。”
    #            “2026年1月1日至” / “2027年12月31日”
    row = find(data, nego, 1, sub=r.WEST)
    assert (row.name_published, row.drug_class, row.dosage_form) == ("注射用艾普拉唑钠", "乙", None)
    assert row.payment_standard == "52.60元(10mg/瓶)"
    assert row.remark == "限：1.预防重症患者应激性溃疡出血；2.消化性溃疡出血。"
    assert row.agreement_text == "2026年1月1日至2027年12月31日"
    assert (row.category_code, row.subsection) == ("XA02BC", r.WEST)

    # 4762-4768: “乙 3 替戈拉生片 *” … “2026年1月1日至” / “2026年12月31日”
    row = find(data, nego, 3, sub=r.WEST)
    assert (row.name_published, row.payment_standard) == ("替戈拉生片", "*")
    assert row.remark == "限：1.反流性食管炎；2.十二指肠溃疡；3.与适当的抗生素联用以根除幽门螺杆菌。"
    assert row.agreement_text == "2026年1月1日至2026年12月31日"

    # 4779-4781: “乙 6 甲磺酸多拉司琼注射液 13.60元(1ml:12.5mg/支)；” / “66.82元(5ml:100mg/支)”
    #            “2025年1月1日至” / “2026年12月31日”
    row = find(data, nego, 6, sub=r.WEST)
    assert row.payment_standard == "13.60元(1ml:12.5mg/支)；66.82元(5ml:100mg/支)"
    assert (row.remark, row.agreement_text) == (None, "2025年1月1日至2026年12月31日")

    # 4817-4821: “乙 15 甘精胰岛素利司那肽注射液” / “(Ⅰ) * 限血糖控制不佳的成人2型糖尿病患者” / “。”
    row = find(data, nego, 15, sub=r.WEST)
    assert (row.name_published, row.payment_standard) == ("甘精胰岛素利司那肽注射液(Ⅰ)", "*")
    assert row.remark == "限血糖控制不佳的成人2型糖尿病患者。"
    assert row.agreement_text == "2026年1月1日至2027年12月31日"

    # 5605-5613: “乙 132 盐酸可洛派韦胶囊” / “113.53元(60mg/粒)(协议有效期” / “内,谈判企业负责向购买盐酸可” …
    #            “限基因 1、2、3、6 型成人慢性丙型” / “肝炎。” / “2025年1月1日至” / “2026年12月31日”
    row = find(data, nego, 132, sub=r.WEST)
    assert row.payment_standard == (
        "113.53元(60mg/粒)(协议有效期内,谈判企业负责向购买盐酸可洛派韦胶囊的患者免费提供同疗程的索磷布韦片)"
    )
    assert row.remark == "限基因1、2、3、6型成人慢性丙型肝炎。"
    assert row.agreement_text == "2025年1月1日至2026年12月31日"

    # 7543 “XV 其他”, 7605-7606 “XV09 诊断用放射性药物” / “XV09F 甲状腺”
    # 7607-7610: “乙 398 治疗用碘[131I]化钠胶囊 见备注2(每粒胶囊含碘[131I]的” / “放射性活度为37-3700MBq)”
    row = find(data, nego, 398, sub=r.WEST)
    assert row.name_published == "治疗用碘[131I]化钠胶囊"
    assert row.payment_standard == "见备注2(每粒胶囊含碘[131I]的放射性活度为37-3700MBq)"
    assert (row.category_code, row.category_path) == ("XV09F", "其他 > 诊断用放射性药物 > 甲状腺")

    # 8101-8110 (竞价药品部分): “乙 7 注射用盐酸头孢吡肟/氯化钠” / “注射液” / “23.98元(粉体室:1.0g(按” …
    row = find(data, r.BIDDING, 7)
    assert row.name_published == "注射用盐酸头孢吡肟/氯化钠注射液"
    assert row.payment_standard == (
        "23.98元(粉体室:1.0g(按C19H24N6O5S2计)；液体室:100ml:0.9g/袋);"
        "30.27元(粉体室:2.0g(按C19H24N6O5S2计)；液体室:100ml:0.9g/袋)"
    )
    assert (row.remark, row.agreement_text, row.subsection) == (None, "2026年1月1日至2027年12月31日", r.WEST)

    # 8050-8058: “乙 1 熊去氧胆酸口服混悬液 169.80元(250ml:12.5g/瓶)” / “限：1.胆囊胆固醇结石(必须是X射线” …
    row = find(data, r.BIDDING, 1)
    assert (row.name_published, row.payment_standard) == ("熊去氧胆酸口服混悬液", "169.80元(250ml:12.5g/瓶)")
    assert row.remark == (
        "限：1.胆囊胆固醇结石(必须是X射线能穿透的结石，同时胆囊收缩功能须正常)；2.胆汁淤积性肝病(如：原发性胆汁性"
        "肝硬化)；3.胆汁反流性胃炎；4.1月龄至18岁患者的囊性纤维化相关肝病。"
    )
    assert row.category_path == "消化道和代谢方面的药物 > 胆和肝治疗药 > 胆治疗药"


def test_tcm_rows(data: r.EditionData) -> None:
    # 3098-3101: “ZA 内科用药” / “ZA01 解表剂” / “ZA01A 辛温解表剂” / “甲 1 九味羌活丸(颗粒)”
    row = find(data, r.TCM, 1)
    assert (row.name_published, row.drug_class, row.dosage_form, row.remark) == ("九味羌活丸(颗粒)", "甲", None, None)
    assert (row.category_code, row.category_path) == ("ZA01A", "内科用药 > 解表剂 > 辛温解表剂")
    assert row.seq == 2001 and not row.ethnic

    # 3129: “乙 25 桑菊感冒丸(片、颗粒)”
    row = find(data, r.TCM, 25)
    assert (row.name_published, row.drug_class, row.category_code) == ("桑菊感冒丸(片、颗粒)", "乙", "ZA01B")

    # 3131-3132: “乙 ★(14) 双黄连注射液” / “注射用双黄连(冻干) 限二级及以上医疗机构。”
    row = find(data, r.TCM, "★(14)", name="双黄连注射液")
    assert (row.name_published, row.drug_class) == ("双黄连注射液、注射用双黄连(冻干)", "乙")
    assert (row.number, row.remark) == (None, "限二级及以上医疗机构。")

    # 3163-3164: “甲 50 藿香正气水(丸、片、胶囊、颗粒、口服液、软” / “胶囊)”
    row = find(data, r.TCM, 50)
    assert (row.name_published, row.remark) == ("藿香正气水(丸、片、胶囊、颗粒、口服液、软胶囊)", None)

    # 3491-3492: “乙 309 醒脑静注射液 限二级及以上医疗机构并有中风昏迷、脑外伤昏迷或酒精中” / “毒昏迷的患者。”
    row = find(data, r.TCM, 309)
    assert row.name_published == "醒脑静注射液"
    assert row.remark == "限二级及以上医疗机构并有中风昏迷、脑外伤昏迷或酒精中毒昏迷的患者。"

    # 3610-3611: “乙 399 苓桂术甘颗粒 温阳化饮，健脾利湿。用于中阳不足之痰饮。症见胸胁支” / “满，目眩心悸，…”
    row = find(data, r.TCM, 399)
    assert row.remark == "温阳化饮，健脾利湿。用于中阳不足之痰饮。症见胸胁支满，目眩心悸，短气而咳，舌苔白滑，脉弦滑。"

    # 4046-4047: “甲 751 雷公藤片” / “雷公藤多苷[甙]片” (two names in one cell)
    row = find(data, r.TCM, 751)
    assert (row.name_published, row.drug_class) == ("雷公藤片、雷公藤多苷[甙]片", "甲")

    # 4276-4280: “乙 947” / “消癌平丸、消癌平颗粒(通关藤颗粒)、消癌平片” / “(通关藤片)、消癌平胶囊(通关藤胶囊)、消癌平”
    #            / “口服液(通关藤口服液)” / “限肿瘤患者。”
    row = find(data, r.TCM, 947)
    assert row.name_published == (
        "消癌平丸、消癌平颗粒(通关藤颗粒)、消癌平片(通关藤片)、消癌平胶囊(通关藤胶囊)、消癌平口服液(通关藤口服液)"
    )
    assert (row.remark, row.category_code) == ("限肿瘤患者。", "ZC01")

    # 4198 “乙 880 六神凝胶”, 4489 “甲 ★(880) 六神丸” (the number is 甲 only through its ★ row)
    assert find(data, r.TCM, 880).drug_class == "乙"
    assert find(data, r.TCM, "★(880)", name="六神丸").drug_class == "甲"

    # 4342: “乙 ★(985) 益母草注射液 限生育保险。”
    row = find(data, r.TCM, "★(985)")
    assert (row.name_published, row.remark, row.drug_class) == ("益母草注射液", "限生育保险。", "乙")

    # 4626: “乙 1222 疤痕止痒软化乳膏(软化膏) 限工伤保险。”
    row = find(data, r.TCM, 1222)
    assert (row.name_published, row.remark) == ("疤痕止痒软化乳膏(软化膏)", "限工伤保险。")

    # 4645-4647: “ZI 民族药” / “ZI01 藏药” / “乙 1241 八味沉香丸”
    row = find(data, r.TCM, 1241)
    assert (row.name_published, row.drug_class, row.ethnic) == ("八味沉香丸", "乙", True)
    assert (row.category_code, row.category_path) == ("ZI01", "民族药 > 藏药")
    # 4707: “乙 1298 清感九味丸” (ZI02 蒙药)
    row = find(data, r.TCM, 1298)
    assert (row.name_published, row.category_path, row.ethnic) == ("清感九味丸", "民族药 > 蒙药", True)
    # 4723 “ZI03 维药”, 4746 “乙 1335 消白软膏”
    row = find(data, r.TCM, 1335)
    assert (row.name_published, row.category_code, row.ethnic) == ("消白软膏", "ZI03", True)


def test_negotiated_tcm_rows(data: r.EditionData) -> None:
    nego = r.NEGOTIATED
    # 7628-7632: “ZA01B 辛凉解表剂” / “乙 1 牛黄清感胶囊 0.63元(0.3g/粒) 2025年1月1日至” / “2026年12月31日”
    row = find(data, nego, 1, sub=r.TCM)
    assert (row.name_published, row.drug_class, row.payment_standard) == ("牛黄清感胶囊", "乙", "0.63元(0.3g/粒)")
    assert (row.remark, row.agreement_text) == (None, "2025年1月1日至2026年12月31日")
    assert (row.category_code, row.category_path) == ("ZA01B", "内科用药 > 解表剂 > 辛凉解表剂")

    # 7698-7704: “乙 14 小儿紫贝宣肺糖浆” / “10.28元(10ml/支(袋)(每1ml相” / “当于饮片0.72g))；”
    #            / “86.70元(100ml/瓶(每1ml相当于” / “饮片0.72g))” / “2025年1月1日至” / “2026年12月31日”
    row = find(data, nego, 14, sub=r.TCM)
    assert row.name_published == "小儿紫贝宣肺糖浆"
    assert row.payment_standard == "10.28元(10ml/支(袋)(每1ml相当于饮片0.72g))；86.70元(100ml/瓶(每1ml相当于饮片0.72g))"
    assert (row.remark, row.agreement_text) == (None, "2025年1月1日至2026年12月31日")

    # 7737-7744: “乙 18 宣肺败毒颗粒 *” / “宣肺化湿，清热透邪，泻肺解毒。用于” … “2026年1月1日至” / “2027年12月31日”
    row = find(data, nego, 18, sub=r.TCM)
    assert (row.payment_standard, row.agreement_text) == ("*", "2026年1月1日至2027年12月31日")
    assert row.remark.startswith("宣肺化湿，清热透邪，泻肺解毒。用于湿毒郁肺所致的疫病。")
    assert row.remark.endswith("舌质暗红、苔黄腻或黄燥，脉滑数或弦滑。")

    # 7757-7759: “乙 20 小儿牛黄清心散 2.36元(0.3g/袋)；”
    #            / “4.01元(0.6g/袋) 限高热神昏的急救、抢救时使用。 2025年1月1日至” / “2026年12月31日”
    row = find(data, nego, 20, sub=r.TCM)
    assert row.payment_standard == "2.36元(0.3g/袋)；4.01元(0.6g/袋)"
    assert (row.remark, row.agreement_text) == ("限高热神昏的急救、抢救时使用。", "2025年1月1日至2026年12月31日")

    # 7829-7834: “乙 32 丹红注射液” / “4.94元(2ml/支)；” / “16.92元(10ml/支)；” / “28.76元(20ml/支)”
    #            / “限二级及以上医疗机构。 2026年1月1日至” / “2027年12月31日”
    row = find(data, nego, 32, sub=r.TCM)
    assert row.payment_standard == "4.94元(2ml/支)；16.92元(10ml/支)；28.76元(20ml/支)"
    assert (row.remark, row.agreement_text) == ("限二级及以上医疗机构。", "2026年1月1日至2027年12月31日")

    # 7971-7980: “乙 51 淫羊藿素软胶囊 17.00元(每粒0.4g(含淫羊藿素” / “100mg))” / “限不适合或患者拒绝接受标准治疗,且”
    #            … “项：AFP≥400 ng/mL；TNF-α＜2.5 ” / “pg/mL；IFN-γ≥7.0 pg/mL。”
    row = find(data, nego, 51, sub=r.TCM)
    assert row.payment_standard == "17.00元(每粒0.4g(含淫羊藿素100mg))"
    assert row.remark == (
        "限不适合或患者拒绝接受标准治疗,且既往未接受过全身系统性治疗的、不可切除的肝细胞癌，患者外周血复合标志物满足"
        "以下检测指标的至少两项：AFP≥400 ng/mL；TNF-α＜2.5 pg/mL；IFN-γ≥7.0 pg/mL。"
    )

    # 8037-8040: “ZI03 维药” / “乙 61 复方比那甫西颗粒 11.33元(每袋装5.5g(相当于饮” / “片2.67g,含甘草浸膏649mg))”
    row = find(data, nego, 61, sub=r.TCM)
    assert row.name_published == "复方比那甫西颗粒"
    assert row.payment_standard == "11.33元(每袋装5.5g(相当于饮片2.67g,含甘草浸膏649mg))"
    assert (row.agreement_text, row.category_path, row.ethnic) == (
        "2026年1月1日至2027年12月31日",
        "民族药 > 维药",
        True,
    )


def test_piece_rows(data: r.EditionData) -> None:
    # 8162: “1 一枝黄花 43 小茴香 □”
    row = find(data, r.PIECES, 1)
    assert (row.name_published, row.remark, row.drug_class, row.seq) == ("一枝黄花", None, None, 2000 + 1443 + 472 + 1)
    row = find(data, r.PIECES, 43)
    assert (row.name_published, row.remark) == ("小茴香", "□")
    # 8164: “3 丁香 □ 45 小蓟”
    assert (find(data, r.PIECES, 3).remark, find(data, r.PIECES, 45).remark) == ("□", None)
    # 8207: “88 天然冰片(右旋龙脑) 134 凤凰衣”
    assert find(data, r.PIECES, 88).name_published == "天然冰片(右旋龙脑)"
    # 8314-8315: “284 红参 □；限临床危” / “重患者抢救 329 龟甲胶 □”
    row = find(data, r.PIECES, 284)
    assert (row.name_published, row.remark) == ("红参", "□；限临床危重患者抢救")
    row = find(data, r.PIECES, 329)
    assert (row.name_published, row.remark) == ("龟甲胶", "□")
    # 8618: “855 醋青皮 892 糯稻根”
    row = find(data, r.PIECES, 892)
    assert (row.name_published, row.remark) == ("糯稻根", None)
    assert [x.number for x in data.rows if x.section == r.PIECES] == list(range(1, 893))


def test_excluded_pieces(data: r.EditionData) -> None:
    names = [row.name_published for row in data.rows if row.section == r.PIECES_EXCLUDED]
    # 8621-8622: “阿胶、白糖参、朝鲜红参、穿山甲(醋山甲、炮山甲)、玳瑁、冬虫夏草、蜂蜜、狗宝、龟” / “鹿二仙胶、…”
    assert names[:9] == [
        "阿胶",
        "白糖参",
        "朝鲜红参",
        "穿山甲(醋山甲、炮山甲)",
        "玳瑁",
        "冬虫夏草",
        "蜂蜜",
        "狗宝",
        "龟鹿二仙胶",
    ]
    assert "羚羊角尖粉(羚羊角镑片、羚羊角粉)" in names and "鹿茸(鹿茸粉、鹿茸片)" in names
    # 8624-8625: “…、珍珠、紫河车” / “    各种动物脏器(鸡内金除外)和胎、鞭、尾、筋、骨”
    assert names[-2:] == ["紫河车", "各种动物脏器(鸡内金除外)和胎、鞭、尾、筋、骨"]
    assert len(names) == len(set(names)) == 32
    # 8626: “注：“不得纳入基金支付范围的中药饮片”包括药材及炮制后的饮片。”
    assert data.sections[r.PIECES_EXCLUDED].note == "“不得纳入基金支付范围的中药饮片”包括药材及炮制后的饮片。"
    assert all(row.number is None and row.remark is None for row in data.rows if row.section == r.PIECES_EXCLUDED)


def test_commercial_rows(data: r.EditionData) -> None:
    # 商业健康保险创新药品目录（2025年）, a separate attachment: not in medins-2025.txt; values from
    # china_nrdl_2025_west.json `commercial_innovative_list` (no 1 and 19).
    rows = [row for row in data.rows if row.section == r.COMMERCIAL]
    assert [row.number for row in rows] == list(range(1, 20))
    first, last = rows[0], rows[-1]
    assert first.name_published == "注射用维拉苷酶β"
    assert first.remark == "适用于12岁及以上青少年和成人Ⅰ型和Ⅲ型戈谢病患者的长期酶替代治疗(ERT)。"
    assert first.agreement_text == "2026年1月1日至2027年12月31日"
    assert (first.category_code, first.drug_class, first.payment_standard) == ("XA16AB", None, None)
    assert last.name_published == "仑卡奈单抗注射液"
    assert last.category_path == "神经系统药物 > 精神兴奋药 > 抗痴呆药 > 其他抗痴呆药"
    assert all(row.agreement_text == "2026年1月1日至2027年12月31日" for row in rows)
    assert "不予支付" in (data.sections[r.COMMERCIAL].note or "")
