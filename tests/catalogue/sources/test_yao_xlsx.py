"""yao.xlsx: the 2024 edition as first published (2024-11-28), checked against the official PDF.

Expected values are read from the official PDF text (nrdl-2024/medins-2024-layout.txt); each case
quotes the PDF line it comes from.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from desktop.catalogue import fanli
from desktop.catalogue import records as r
from desktop.catalogue.sources import yao_xlsx
from desktop.errors import ImportCountMismatch, SourceFormatError


@pytest.fixture(scope="module")
def xlsx_path(sources_dir: Path) -> Path:
    return sources_dir / "yao.xlsx"


@pytest.fixture(scope="module")
def first(xlsx_path: Path) -> r.EditionData:
    return yao_xlsx.read(xlsx_path)


def _find(
    data: r.EditionData,
    section: str,
    *,
    number: int | None = None,
    name: str | None = None,
    star_of: int | None = None,
    subsection: str | None = None,
    form: str | None = None,
) -> r.SourceRow:
    rows = [
        x
        for x in data.rows
        if x.section == section
        and (number is None or x.number == number)
        and (star_of is None or x.star_of == star_of)
        and (name is None or x.name_published == name)
        and (subsection is None or x.subsection == subsection)
        and (form is None or x.dosage_form == form)
    ]
    assert len(rows) == 1, rows
    return rows[0]


def test_edition_info(first: r.EditionData, xlsx_path: Path) -> None:
    info = first.info
    assert (info.name, info.variant, info.document) == ("2024", "first", "医保发〔2024〕33号")
    assert str(info.published) == "2024-11-28"
    assert (str(info.effective_start), str(info.effective_end)) == ("2025-01-01", "2025-12-31")
    assert info.source == "yao.xlsx"
    assert info.checksum == "a5e40603581329d4ed19b78cd7e8ff87cd7fcc6c5705fcc7d002debf3e832735"


def test_counts_match_the_fanli(first: r.EditionData) -> None:
    fanli.check_totals(first, fanli.SPEC_2024_FIRST)
    counted = fanli.measure(first.rows)
    # 凡例 (一): 西药 1398, 中成药 1336 (民族药 95), 谈判 425 = 西药 367 (incl. 竞价 21) + 中成药 58.
    assert counted[fanli.M_WEST] == 1398
    assert counted[fanli.M_TCM] == 1336
    assert counted[fanli.M_ETHNIC] == 95
    assert counted[fanli.M_NEGO_WEST] == 367
    assert counted[fanli.M_NEGO_TCM] == 58
    assert counted[fanli.M_WORK_INJURY] == 5
    # ★ rows counted in the PDF.
    assert counted[fanli.M_WEST_STAR] == 559
    assert counted[fanli.M_TCM_STAR] == 108
    numbered = [x for x in first.rows if x.number is not None]
    assert len(numbered) == 3159  # 凡例 (一): 共计 3159 个
    assert sum(1 for x in first.rows if x.section == r.BIDDING) == 21
    assert len(first.rows) == 3159 + 559 + 108


def test_fanli_item_counts(first: r.EditionData) -> None:
    """凡例 (二)/(四) count items that have the property on any row, ★ rows included."""
    a_items = {
        (x.section, x.number if x.number is not None else x.star_of)
        for x in first.rows
        if x.drug_class == r.CLASS_A and x.section in (r.WEST, r.TCM)
    }
    assert sum(1 for s, _ in a_items if s == r.WEST) == 393
    assert sum(1 for s, _ in a_items if s == r.TCM) == 246
    maternity = {(x.section, x.number or x.star_of) for x in first.rows if "生育保险" in (x.remark or "")}
    assert maternity == {(r.WEST, 547), (r.WEST, 549), (r.WEST, 581), (r.TCM, 986)}


def test_no_pieces_and_sections(first: r.EditionData) -> None:
    assert not any(x.section in (r.PIECES, r.PIECES_EXCLUDED) for x in first.rows)
    for section in (r.PIECES, r.PIECES_EXCLUDED):
        info = first.sections[section]
        assert info.complete is False
        assert info.note == "本数据源（yao.xlsx）不含中药饮片部分"
    for section, expected in ((r.WEST, 1398), (r.TCM, 1336), (r.NEGOTIATED, 404), (r.BIDDING, 21)):
        assert first.sections[section] == r.SectionInfo(section, complete=True, expected=expected)


def test_confidential_standards(first: r.EditionData) -> None:
    assert sum(1 for x in first.rows if x.payment_standard == "*") == 252
    assert all(x.payment_standard is None for x in first.rows if x.section in (r.WEST, r.TCM))
    negotiated = [x for x in first.rows if x.section in (r.NEGOTIATED, r.BIDDING)]
    assert all(x.payment_standard and x.agreement_text for x in negotiated)


def test_seq_and_no_artefacts(first: r.EditionData) -> None:
    assert [x.seq for x in first.rows] == list(range(1, len(first.rows) + 1))
    for x in first.rows:
        for value in (x.name_published, x.remark, x.payment_standard, x.agreement_text, x.category_path):
            assert value is None or ("\n" not in value and "  " not in value and "( " not in value), x


# (section, subsection, number, star_of, name, form, class, category code, remark, standard, agreement)
ROWS = [
    # 230: "甲    1  复方硼砂               外用液体剂"
    (r.WEST, None, 1, None, "复方硼砂", "外用液体剂", "甲", "XA01", None, None, None),
    # 242: "甲  ★(8) 枸橼酸铋钾              颗粒剂"
    (r.WEST, None, None, 8, "枸橼酸铋钾", "颗粒剂", "甲", "XA02A", None, None, None),
    # 264: "乙   17   艾普拉唑  口服常释剂型 限有十二指肠溃疡、反流性食管炎诊断患者的二线用药。"
    (
        r.WEST,
        None,
        17,
        None,
        "艾普拉唑",
        "口服常释剂型",
        "乙",
        "XA02BC",
        "限有十二指肠溃疡、反流性食管炎诊断患者的二线用药。",
        None,
        None,
    ),
    # 310: "乙   ★(38)   消旋山莨菪碱             注射剂"  (★ row of 38 山莨菪碱, another name)
    (r.WEST, None, None, 38, "消旋山莨菪碱", "注射剂", "乙", "XA03B", None, None, None),
    # 349-351: "甘草酸单铵半胱氨酸氯化钠注射 / 乙 68 限AST或ALT大于120U/L的患者。 / 液"
    (
        r.WEST,
        None,
        68,
        None,
        "甘草酸单铵半胱氨酸氯化钠注射液",
        None,
        "乙",
        "XA05B",
        "限AST或ALT大于120U/L的患者。",
        None,
        None,
    ),
    # 356-360: four stacked names in one cell, "乙 75 口服散剂"
    (
        r.WEST,
        None,
        75,
        None,
        "复方聚乙二醇电解质Ⅰ、复方聚乙二醇电解质Ⅱ、复方聚乙二醇电解质Ⅲ、复方聚乙二醇电解质Ⅳ",
        "口服散剂",
        "乙",
        "XA06",
        None,
        None,
        None,
    ),
    # 628-630: "缓解消化道不适症状的复方OTC / 乙 197 ◇ / 制剂"
    (r.WEST, None, 197, None, "缓解消化道不适症状的复方OTC制剂", None, "乙", "XA16", "◇", None, None),
    # 1296: "乙     535     氢醌                 软膏剂      限工伤保险。"
    (r.WEST, None, 535, None, "氢醌", "软膏剂", "乙", None, "限工伤保险。", None, None),
    # 1852: "甲   777  抗艾滋病用药                       ◇"
    (r.WEST, None, 777, None, "抗艾滋病用药", None, "甲", "XJ05AR", "◇", None, None),
    # 2088-2090: "乙 881 阿伐替尼片  限携带血小板衍生生长因子受体α(PDGFRA)外显子18突变(包 / 括PDGFRA D842V突变)…"
    (
        r.WEST,
        None,
        881,
        None,
        "阿伐替尼片",
        None,
        "乙",
        "XL01EX",
        "限携带血小板衍生生长因子受体α(PDGFRA)外显子18突变(包括PDGFRA D842V突变)"
        "的不可切除或转移性胃肠道间质瘤(GIST)成人患者。",
        None,
        None,
    ),
    # 1898: "乙   ★(803)   人用狂犬病疫苗(地鼠肾细胞)       注射剂   限工伤保险。"
    (r.WEST, None, None, 803, "人用狂犬病疫苗(地鼠肾细胞)", "注射剂", "乙", None, "限工伤保险。", None, None),
    # 3152-3154: "多种微量元素 / 乙 1333 多种微量元素Ⅰ 注射剂 限配合肠外营养用。 / 多种微量元素Ⅱ"
    (
        r.WEST,
        None,
        1333,
        None,
        "多种微量元素、多种微量元素Ⅰ、多种微量元素Ⅱ",
        "注射剂",
        "乙",
        "XV02",
        "限配合肠外营养用。",
        None,
        None,
    ),
    # 3155: "乙 1334 多种微量元素注射液(Ⅲ)  限与肠外营养药物配合使用时支付，单独使用不予支付。"
    (
        r.WEST,
        None,
        1334,
        None,
        "多种微量元素注射液(Ⅲ)",
        None,
        "乙",
        None,
        "限与肠外营养药物配合使用时支付，单独使用不予支付。",
        None,
        None,
    ),
    # 3247: "乙  1398   氯化锶[89Sr]             注射剂"
    (r.WEST, None, 1398, None, "氯化锶[89Sr]", "注射剂", "乙", "XV09", None, None, None),
    # 3259: "甲     1     九味羌活丸(颗粒)"
    (r.TCM, None, 1, None, "九味羌活丸(颗粒)", None, "甲", "ZA01A", None, None, None),
    # 3267: "乙   ★(1)    九味羌活片(口服液)"
    (r.TCM, None, None, 1, "九味羌活片(口服液)", None, "乙", "ZA01A", None, None, None),
    # 3291-3293: "双黄连注射液 / 乙 ★(14) 限二级及以上医疗机构。 / 注射用双黄连(冻干)"
    (
        r.TCM,
        None,
        None,
        14,
        "双黄连注射液、注射用双黄连(冻干)",
        None,
        "乙",
        "ZA01B",
        "限二级及以上医疗机构。",
        None,
        None,
    ),
    # 3428: "乙   ★(126)   肿节风注射液              限二级及以上医疗机构"  (no full stop in the PDF)
    (r.TCM, None, None, 126, "肿节风注射液", None, "乙", None, "限二级及以上医疗机构", None, None),
    # 4600: "乙   ★(986)   益母草注射液                限生育保险。"
    (r.TCM, None, None, 986, "益母草注射液", None, "乙", None, "限生育保险。", None, None),
    # 4909: "乙   1222   疤痕止痒软化乳膏(软化膏)       限工伤保险。"
    (r.TCM, None, 1222, None, "疤痕止痒软化乳膏(软化膏)", None, "乙", None, "限工伤保险。", None, None),
    # 5039: "乙   1336   消白软膏"  (under 5017: "ZI03   维药")
    (r.TCM, None, 1336, None, "消白软膏", None, "乙", "ZI03", None, None, None),
    # 5053-5054: "限：1.预防重症患者应激性溃疡出 / 乙 1 注射用艾普拉唑钠 63.00元(10mg/支) 血；2.消化性溃疡出血。"
    (
        r.NEGOTIATED,
        r.WEST,
        1,
        None,
        "注射用艾普拉唑钠",
        None,
        "乙",
        "XA02BC",
        "限：1.预防重症患者应激性溃疡出血；2.消化性溃疡出血。",
        "63.00元(10mg/支)",
        "2024年1月1日至2025年12月31日",
    ),
    # 5055-5056: "奥美拉唑碳酸氢钠干混悬剂 4.15元(奥美拉唑40mg和碳酸氢 / 乙 2 … (Ⅱ) 钠1680mg/袋)"
    (
        r.NEGOTIATED,
        r.WEST,
        2,
        None,
        "奥美拉唑碳酸氢钠干混悬剂(Ⅱ)",
        None,
        "乙",
        "XA02BC",
        "限活动性良性胃溃疡。",
        "4.15元(奥美拉唑40mg和碳酸氢钠1680mg/袋)",
        "2025年1月1日至2026年12月31日",
    ),
    # 5059: "乙   3    安奈拉唑钠肠溶片       *                       限十二指肠溃疡。"
    (
        r.NEGOTIATED,
        r.WEST,
        3,
        None,
        "安奈拉唑钠肠溶片",
        None,
        "乙",
        "XA02BC",
        "限十二指肠溃疡。",
        "*",
        "2024年1月1日至2025年12月31日",
    ),
    # 5068-5070: "13.60元(1ml:12.5mg/支)； / 乙 6 甲磺酸多拉司琼注射液 / 66.82元(5ml:100mg/支)"
    (
        r.NEGOTIATED,
        r.WEST,
        6,
        None,
        "甲磺酸多拉司琼注射液",
        None,
        "乙",
        "XA04",
        None,
        "13.60元(1ml:12.5mg/支)；66.82元(5ml:100mg/支)",
        "2025年1月1日至2026年12月31日",
    ),
    # 6960-6962: "8.68元(每贴(14cm*10cm)含膏体 / 乙 266 酮洛芬凝胶贴膏 限骨关节炎。 / 13g,含酮洛芬30mg)"
    (
        r.NEGOTIATED,
        r.WEST,
        266,
        None,
        "酮洛芬凝胶贴膏",
        None,
        "乙",
        "XM01AE",
        "限骨关节炎。",
        "8.68元(每贴(14cm*10cm)含膏体13g,含酮洛芬30mg)",
        "2024年1月1日至2025年12月31日",
    ),
    # 7470-7472: "见备注2(每粒胶囊含碘[131I]的 / 乙 346 治疗用碘[131I]化钠胶囊 / 放射性活度为37-3700MBq)"
    (
        r.NEGOTIATED,
        r.WEST,
        346,
        None,
        "治疗用碘[131I]化钠胶囊",
        None,
        "乙",
        "XV09",
        None,
        "见备注2(每粒胶囊含碘[131I]的放射性活度为37-3700MBq)",
        "2024年1月1日至2025年12月31日",
    ),
    # 7498-7499: "乙   1    牛黄清感胶囊      0.63元(0.3g/粒)"
    (
        r.NEGOTIATED,
        r.TCM,
        1,
        None,
        "牛黄清感胶囊",
        None,
        "乙",
        "ZA01B",
        None,
        "0.63元(0.3g/粒)",
        "2025年1月1日至2026年12月31日",
    ),
    # 7818-7820: "ZI01 藏药 / 乙 58 如意珍宝片 1.79元(0.5g/片)"
    (
        r.NEGOTIATED,
        r.TCM,
        58,
        None,
        "如意珍宝片",
        None,
        "乙",
        "ZI01",
        None,
        "1.79元(0.5g/片)",
        "2025年1月1日至2026年12月31日",
    ),
    # 7839-7845: "乙 1 西格列汀二甲双胍缓释片" two standards
    (
        r.BIDDING,
        None,
        1,
        None,
        "西格列汀二甲双胍缓释片",
        None,
        "乙",
        "XA10BD",
        None,
        "3.49元(磷酸西格列汀50mg(以C16H15F6N5O计)和盐酸二甲双胍500mg/片)；"
        "5.93元(磷酸西格列汀100mg(以C16H15F6N5O计)和盐酸二甲双胍1000mg/片)",
        "2024年1月1日至2025年12月31日",
    ),
    # 7847: "乙   2   二甲双胍恩格列净片（Ⅲ）                         限2型糖尿病患者。"
    (
        r.BIDDING,
        None,
        2,
        None,
        "二甲双胍恩格列净片(Ⅲ)",
        None,
        "乙",
        "XA10BD",
        "限2型糖尿病患者。",
        "1.05元(每片含盐酸二甲双胍850mg和恩格列净5mg)",
        "2025年1月1日至2026年12月31日",
    ),
    # 7869-7872: "XB05BB 影响电解质平衡的 / 溶液 复方电解质醋酸钠葡萄糖注射 30.75元(250ml/袋)； / 乙 7 / 液 52.28元…"
    (
        r.BIDDING,
        None,
        7,
        None,
        "复方电解质醋酸钠葡萄糖注射液",
        None,
        "乙",
        "XB05BB",
        None,
        "30.75元(250ml/袋)；52.28元(500ml/袋)",
        "2024年1月1日至2025年12月31日",
    ),
]


@pytest.mark.parametrize("case", ROWS, ids=lambda c: f"{c[0]}-{c[2] or '★' + str(c[3])}-{c[4][:8]}")
def test_row_against_pdf(first: r.EditionData, case: tuple) -> None:
    section, sub, number, star, name, form, cls, code, remark, standard, agreement = case
    row = _find(first, section, number=number, star_of=star, name=name, subsection=sub, form=form)
    assert row.number == number and row.star_of == star
    assert row.name_published == name
    assert row.dosage_form == form
    assert row.drug_class == cls
    if code is not None:
        assert row.category_code == code
    assert row.remark == remark
    assert row.payment_standard == standard
    assert row.agreement_text == agreement
    assert row.ethnic == (code or "").startswith("ZI")


def test_category_paths(first: r.EditionData) -> None:
    # 3256-3258: "ZA 内科用药 / ZA01 解表剂 / ZA01A 辛温解表剂"
    assert _find(first, r.TCM, number=1).category_path == "内科用药 > 解表剂 > 辛温解表剂"
    # 2559-2588: "XN03 抗癫痫药 / XN03A 抗癫痫药 / … XN03AX 其他抗癫痫药" (the PDF repeats the name)
    row = _find(first, r.WEST, name="拉考沙胺", form="口服常释剂型")
    assert row.category_path == "神经系统药物 > 抗癫痫药 > 抗癫痫药 > 其他抗癫痫药"
    # 1038-1064: XC07FB follows XC07 directly (no XC07F line in the PDF)
    row = next(x for x in first.rows if x.category_code == "XC07FB")
    assert row.category_path == "心血管系统 > β-受体阻滞剂 > 其他β-受体阻滞剂复方制剂"
    # 7867-7869: the wrapped "影响电解质平衡的 / 溶液" of 竞价药品 is completed
    assert _find(first, r.BIDDING, number=7).category_path == (
        "血液和造血器官药 > 血液代用品和灌注液 > 静脉注射液 > 影响电解质平衡的溶液"
    )


def test_star_with_fullwidth_brackets(first: r.EditionData) -> None:
    # The workbook writes some repeats "★（389）"; the PDF: "★(389) 肌醇烟酸酯片"
    row = _find(first, r.WEST, name="肌醇烟酸酯片")
    assert row.star_of == 389 and row.number is None


def test_nutrition_ranges(first: r.EditionData) -> None:
    spec = fanli.SPEC_2024_FIRST
    parenteral = sorted(
        x.number
        for x in first.rows
        if x.number and x.section == r.WEST and (x.category_code or "").startswith("XB05BA")
    )
    enteral = sorted(
        x.number for x in first.rows if x.number and x.section == r.WEST and (x.category_code or "").startswith("XV01")
    )
    assert parenteral == list(spec.inpatient_nutrition)
    assert enteral == list(spec.nutrition_screening)


def test_tampered_count_raises(first: r.EditionData) -> None:
    rows = [x for x in first.rows if not (x.section == r.TCM and x.number == 1336)]
    tampered = dataclasses.replace(first, rows=rows)
    with pytest.raises(ImportCountMismatch) as err:
        fanli.check_totals(tampered, fanli.SPEC_2024_FIRST)
    message = str(err.value)
    assert "中成药部分" in message and "1336" in message and "1335" in message
    assert "民族药" in message and "95" in message and "94" in message


def test_not_a_workbook(tmp_path: Path) -> None:
    bad = tmp_path / "yao.xlsx"
    bad.write_text("not a workbook", encoding="utf-8")
    with pytest.raises(SourceFormatError) as err:
        yao_xlsx.read(bad)
    assert "无法读取" in str(err.value)


def test_missing_sheet(tmp_path: Path) -> None:
    import openpyxl

    book = openpyxl.Workbook()
    book.active.title = "西药部分"
    path = tmp_path / "partial.xlsx"
    book.save(path)
    with pytest.raises(SourceFormatError) as err:
        yao_xlsx.read(path)
    assert "缺少工作表" in str(err.value) and "竞价药品部分" in str(err.value)
