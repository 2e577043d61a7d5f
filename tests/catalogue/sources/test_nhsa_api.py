"""nhsa-api-4750.json: the 2024 edition as served by the NHSA online query (revised variant).

Expected values are read from the official PDF text (nrdl-2024/medins-2024-layout.txt), each case
quoting its PDF line. The PDF is the first publication: in the revision 阿伐替尼片 (西药 881) and
多种微量元素注射液(Ⅲ) (西药 1334) moved to 谈判药品, so 西药 numbers after 881 go down by one and
after 1334 by two, and 谈判西药 numbers from 181 (阿伐替尼片) up by one, from 338 up by two.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

import pytest

from desktop.catalogue import fanli
from desktop.catalogue import records as r
from desktop.catalogue.derive import CONFIDENTIAL_WORDS
from desktop.catalogue.sources import nhsa_api
from desktop.errors import ImportCountMismatch, SourceFormatError


@pytest.fixture(scope="module")
def json_path(sources_dir: Path) -> Path:
    return sources_dir / "nhsa-api-4750.json"


@pytest.fixture(scope="module")
def xlsx_path(sources_dir: Path) -> Path:
    return sources_dir / "yao.xlsx"


@pytest.fixture(scope="module")
def revised(json_path: Path, xlsx_path: Path) -> r.EditionData:
    return nhsa_api.read(json_path, xlsx_path)


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


def test_edition_info(revised: r.EditionData) -> None:
    info = revised.info
    assert (info.name, info.variant, info.document) == ("2024", "revised", "医保发〔2024〕33号")
    assert (str(info.effective_start), str(info.effective_end)) == ("2025-01-01", "2025-12-31")
    assert info.source == "nhsa-api-4750.json"
    assert info.checksum == "3d19bbc5e06c0bf77d71afdf5f60786da56d1bf148018174ad93a928eaba8780"
    assert revised.warnings == []


def test_counts_match_the_fanli(revised: r.EditionData) -> None:
    fanli.check_totals(revised, fanli.SPEC_2024_REVISED)
    counted = fanli.measure(revised.rows)
    # fanli-2024-revised.md (一): 西药 1396, 中成药 1336 (民族药 95), 谈判 427 = 西药 369 + 中成药 58; 饮片 892.
    assert counted[fanli.M_WEST] == 1396
    assert counted[fanli.M_TCM] == 1336
    assert counted[fanli.M_ETHNIC] == 95
    assert counted[fanli.M_NEGO_WEST] == 369
    assert counted[fanli.M_NEGO_TCM] == 58
    assert counted[fanli.M_PIECES] == 892
    assert counted[fanli.M_PIECES_ALONE] == 116
    assert counted[fanli.M_PIECES_EXCLUDED] == 32
    assert counted[fanli.M_WEST_STAR] == 559
    assert counted[fanli.M_TCM_STAR] == 108
    assert sum(1 for x in revised.rows if x.number is not None and x.section in r.NUMBERED_SECTIONS) == 3159
    assert len(revised.rows) == 4750
    for section, expected in (
        (r.WEST, 1396),
        (r.TCM, 1336),
        (r.NEGOTIATED, 406),
        (r.BIDDING, 21),
        (r.PIECES, 892),
        (r.PIECES_EXCLUDED, 32),
    ):
        assert revised.sections[section] == r.SectionInfo(section, complete=True, expected=expected)


def test_numbering_sequences(revised: r.EditionData) -> None:
    """Each numbering sequence of the PDF runs 1..n without gaps (谈判西药, 谈判中成药, 竞价 separately)."""
    for section, sub, n in (
        (r.WEST, None, 1396),
        (r.TCM, None, 1336),
        (r.NEGOTIATED, r.WEST, 348),
        (r.NEGOTIATED, r.TCM, 58),
        (r.BIDDING, None, 21),
        (r.PIECES, None, 892),
    ):
        numbers = [
            x.number for x in revised.rows if x.section == section and x.subsection == sub and x.number is not None
        ]
        assert sorted(numbers) == list(range(1, n + 1)), section
    assert all(x.number is None for x in revised.rows if x.section == r.PIECES_EXCLUDED)
    assert [x.seq for x in revised.rows] == list(range(1, 4751))
    pieces = [x.number for x in revised.rows if x.section == r.PIECES]
    assert pieces == sorted(pieces)


def test_confidential_restored(revised: r.EditionData) -> None:
    assert sum(1 for x in revised.rows if x.payment_standard == "*") == 254  # 252 + the two moved drugs
    assert not any(CONFIDENTIAL_WORDS in (x.payment_standard or "") for x in revised.rows)
    # 6960: "8.68元(每贴(14cm*10cm)含膏体" (the dump: "14cm企业申请价格保密10cm")
    row = _find(revised, r.NEGOTIATED, name="酮洛芬凝胶贴膏")
    assert row.payment_standard == "8.68元(每贴(14cm*10cm)含膏体13g,含酮洛芬30mg)"


def test_star_rows_resolved(revised: r.EditionData) -> None:
    stars = [x for x in revised.rows if x.star_of is not None]
    assert len(stars) == 559 + 108
    assert all(x.number is None for x in stars)
    numbered = {(x.section, x.number) for x in revised.rows if x.number is not None}
    assert all((x.section, x.star_of) in numbered for x in stars)


# (section, subsection, number, star_of, name, form, class, category code, remark, standard, agreement)
ROWS = [
    # 230: "甲    1  复方硼砂               外用液体剂"
    (r.WEST, None, 1, None, "复方硼砂", "外用液体剂", "甲", "XA01", None, None, None),
    # 256: "乙 ★(15) 奥美拉唑               注射剂"  (main row 15 is 甲, the repeat 乙)
    (r.WEST, None, None, 15, "奥美拉唑", "注射剂", "乙", "XA02BC", None, None, None),
    # 260: "乙  ★(16) 艾司奥美拉唑镁肠溶干混悬剂"  (repeat of 16 埃索美拉唑(艾司奥美拉唑))
    (r.WEST, None, None, 16, "艾司奥美拉唑镁肠溶干混悬剂", None, "乙", "XA02BC", None, None, None),
    # 309: "乙   ★(38)   消旋山莨菪碱             口服常释剂型"
    (r.WEST, None, None, 38, "消旋山莨菪碱", "口服常释剂型", "乙", "XA03B", None, None, None),
    # 318: "乙   ★(41)   多潘立酮               口服液体剂"  (after 43, not after 41)
    (r.WEST, None, None, 41, "多潘立酮", "口服液体剂", "乙", "XA03F", None, None, None),
    # 628-630: "缓解消化道不适症状的复方OTC / 乙 197 ◇ / 制剂"
    (r.WEST, None, 197, None, "缓解消化道不适症状的复方OTC制剂", None, "乙", "XA16", "◇", None, None),
    # 799-803: "XB05BA 胃肠外营养液 / 复方氨基酸(18AA) … / 甲 279 复方氨基酸(18AA-Ⅱ) 注射剂 …"
    (
        r.WEST,
        None,
        279,
        None,
        "复方氨基酸(18AA)、复方氨基酸(18AA-Ⅰ)、复方氨基酸(18AA-Ⅱ)、复方氨基酸(18AA-Ⅲ)、复方氨基酸(18AA-Ⅴ)",
        "注射剂",
        "甲",
        "XB05BA",
        None,
        None,
        None,
    ),
    # 814: "乙 ★(279) 复方氨基酸(18AA-Ⅶ)         注射剂"
    (r.WEST, None, None, 279, "复方氨基酸(18AA-Ⅶ)", "注射剂", "乙", "XB05BA", None, None, None),
    # 812: "乙    281复方氨基酸注射液(14AA-SF)"
    (r.WEST, None, 281, None, "复方氨基酸注射液(14AA-SF)", None, "乙", "XB05BA", None, None, None),
    # 1852: "甲   777  抗艾滋病用药                       ◇"
    (r.WEST, None, 777, None, "抗艾滋病用药", None, "甲", "XJ05AR", "◇", None, None),
    # 2962: "乙  1256   缓解感冒症状的复方OTC制剂               ◇"  (1255 in the revision)
    (r.WEST, None, 1255, None, "缓解感冒症状的复方OTC制剂", None, "乙", None, "◇", None, None),
    # 3152-3154: "多种微量元素 / 乙 1333 多种微量元素Ⅰ 注射剂 限配合肠外营养用。 / 多种微量元素Ⅱ" (1332 revised)
    (
        r.WEST,
        None,
        1332,
        None,
        "多种微量元素、多种微量元素Ⅰ、多种微量元素Ⅱ",
        "注射剂",
        "乙",
        "XV02",
        "限配合肠外营养用。",
        None,
        None,
    ),
    # 3247: "乙  1398   氯化锶[89Sr]             注射剂"  (1396 revised)
    (r.WEST, None, 1396, None, "氯化锶[89Sr]", "注射剂", "乙", "XV09", None, None, None),
    # 3270: "乙   ★(2)    正柴胡饮胶囊(合剂)"
    (r.TCM, None, None, 2, "正柴胡饮胶囊(合剂)", None, "乙", "ZA01A", None, None, None),
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
    # 3428: "乙 ★(126) 肿节风注射液 限二级及以上医疗机构" — the PDF has no full stop, the dump adds one
    (r.TCM, None, None, 126, "肿节风注射液", None, "乙", None, "限二级及以上医疗机构。", None, None),
    # 4600: "乙   ★(986)   益母草注射液                限生育保险。"
    (r.TCM, None, None, 986, "益母草注射液", None, "乙", None, "限生育保险。", None, None),
    # 4930-4931: "ZI01 藏药" then the first 民族药
    (r.TCM, None, 1242, None, None, None, "乙", "ZI01", None, None, None),
    # 5039: "乙   1336   消白软膏"
    (r.TCM, None, 1336, None, "消白软膏", None, "乙", "ZI03", None, None, None),
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
    # Moved from 西药 881 (2088: "乙 881 阿伐替尼片 限携带…"): price confidential, agreement 2024-2025.
    (
        r.NEGOTIATED,
        r.WEST,
        181,
        None,
        "阿伐替尼片",
        None,
        "乙",
        "XL01EX",
        "限携带血小板衍生生长因子受体α(PDGFRA)外显子18突变(包括PDGFRA D842V突变)"
        "的不可切除或转移性胃肠道间质瘤(GIST)成人患者。",
        "*",
        "2024年1月1日至2025年12月31日",
    ),
    # 6960-6962: 乙 266 酮洛芬凝胶贴膏 (267 revised)
    (
        r.NEGOTIATED,
        r.WEST,
        267,
        None,
        "酮洛芬凝胶贴膏",
        None,
        "乙",
        "XM01AE",
        "限骨关节炎。",
        "8.68元(每贴(14cm*10cm)含膏体13g,含酮洛芬30mg)",
        "2024年1月1日至2025年12月31日",
    ),
    # Moved from 西药 1334 (3155: "乙 1334 多种微量元素注射液(Ⅲ) 限与肠外营养药物配合使用时支付，单独使用不予支付。")
    (
        r.NEGOTIATED,
        r.WEST,
        338,
        None,
        "多种微量元素注射液(Ⅲ)",
        None,
        "乙",
        None,
        "限与肠外营养药物配合使用时支付，单独使用不予支付。",
        "*",
        "2024年1月1日至2025年12月31日",
    ),
    # 7470-7472: "乙 346 治疗用碘[131I]化钠胶囊" (348 revised)
    (
        r.NEGOTIATED,
        r.WEST,
        348,
        None,
        "治疗用碘[131I]化钠胶囊",
        None,
        "乙",
        "XV09",
        None,
        "见备注2(每粒胶囊含碘[131I]的放射性活度为37-3700MBq)",
        "2024年1月1日至2025年12月31日",
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
    # 8002: "乙     21   吸入用盐酸氨溴索溶液     8.50元(2ml:15mg/支)"
    (
        r.BIDDING,
        None,
        21,
        None,
        "吸入用盐酸氨溴索溶液",
        None,
        "乙",
        None,
        None,
        "8.50元(2ml:15mg/支)",
        "2024年1月1日至2025年12月31日",
    ),
]


@pytest.mark.parametrize("case", ROWS, ids=lambda c: f"{c[0]}-{c[2] or '★' + str(c[3])}")
def test_row_against_pdf(revised: r.EditionData, case: tuple) -> None:
    section, sub, number, star, name, form, cls, code, remark, standard, agreement = case
    row = _find(revised, section, number=number, star_of=star, name=name, subsection=sub, form=form)
    assert row.number == number and row.star_of == star
    if name is not None:
        assert row.name_published == name
    assert row.dosage_form == form
    assert row.drug_class == cls
    if code is not None:
        assert row.category_code == code
    assert row.remark == remark
    assert row.payment_standard == standard
    assert row.agreement_text == agreement
    assert row.ethnic == (code or "").startswith("ZI")


# (序号, name, remark) of 中药饮片, PDF pp.189-198
PIECES = [
    (1, "一枝黄花", None),  # 8009: "1    一枝黄花                     43     小茴香          □"
    (43, "小茴香", "□"),
    (3, "丁香", "□"),  # 8011: "3    丁香           □           45     小蓟"
    (86, "天麻", "□"),  # 8055: "86    天麻           □      132    凤仙透骨草"
    (88, "天然冰片(右旋龙脑)", None),  # 8057
    (284, "红参", "□; 限临床危重患者抢救"),  # 8169-8170: "□; 限临床危 / 284 红参 重患者抢救"
    (285, "红参片", "□; 限临床危重患者抢救"),
    (818, "罂粟壳", "□"),  # 8446: "772   槐花炭            818    罂粟壳    □"
    (819, "管花肉苁蓉片", "□"),  # 8451
    (892, "糯稻根", None),  # 8493: "855   醋青皮            892    糯稻根"
]


@pytest.mark.parametrize("case", PIECES, ids=lambda c: str(c[0]))
def test_pieces_against_pdf(revised: r.EditionData, case: tuple) -> None:
    number, name, remark = case
    row = _find(revised, r.PIECES, number=number)
    assert (row.name_published, row.remark, row.drug_class, row.category_code) == (name, remark, None, None)


def test_excluded_pieces(revised: r.EditionData) -> None:
    rows = [x for x in revised.rows if x.section == r.PIECES_EXCLUDED]
    # 8499: "阿胶、白糖参、朝鲜红参、穿山甲(醋山甲、炮山甲)、…"; 8503: "各种动物脏器(鸡内金除外)和胎、鞭、尾、筋、骨"
    assert [x.name_published for x in rows[:4]] == ["阿胶", "白糖参", "朝鲜红参", "穿山甲(醋山甲、炮山甲)"]
    assert rows[-1].name_published == "各种动物脏器(鸡内金除外)和胎、鞭、尾、筋、骨"
    # 8505: "注：“不得纳入基金支付范围的中药饮片 ”包括药材及炮制后的饮片。"
    assert {x.remark for x in rows} == {"“不得纳入基金支付范围的中药饮片”包括药材及炮制后的饮片。"}


def test_nutrition_ranges(revised: r.EditionData) -> None:
    spec = fanli.SPEC_2024_REVISED
    for code, numbers in (("XB05BA", spec.inpatient_nutrition), ("XV01", spec.nutrition_screening)):
        found = sorted(
            x.number
            for x in revised.rows
            if x.number and x.section == r.WEST and (x.category_code or "").startswith(code)
        )
        assert found == list(numbers)


def test_tampered_count_raises(revised: r.EditionData) -> None:
    rows = [x for x in revised.rows if not (x.section == r.PIECES_EXCLUDED and x.name_published == "阿胶")]
    with pytest.raises(ImportCountMismatch) as err:
        fanli.check_totals(dataclasses.replace(revised, rows=rows), fanli.SPEC_2024_REVISED)
    message = str(err.value)
    assert "不得纳入基金支付的饮片" in message and "32" in message and "31" in message


def test_without_workbook_stars_cannot_be_resolved(json_path: Path, tmp_path: Path) -> None:
    alone = tmp_path / json_path.name  # resources/sources/ holds the workbook beside the JSON
    shutil.copy(json_path, alone)
    with pytest.raises(SourceFormatError) as err:
        nhsa_api.read(alone)
    assert "213 个★重复行" in str(err.value) and "yao.xlsx" in str(err.value)


def test_workbook_beside_the_json_is_used(
    json_path: Path, xlsx_path: Path, tmp_path: Path, revised: r.EditionData
) -> None:
    shutil.copy(json_path, tmp_path / json_path.name)
    shutil.copy(xlsx_path, tmp_path / "yao.xlsx")
    assert nhsa_api.read(tmp_path / json_path.name).rows == revised.rows


def test_corrupted_value_without_workbook_is_inverted_with_a_warning(tmp_path: Path) -> None:
    row = {
        "name": "酮洛芬凝胶贴膏",
        "drugTypeName": "西药",
        "flag": 0,
        "kindName": "医保乙类",
        "paymentStandards": "8.68元(每贴(14cm企业申请价格保密10cm)含膏体13g,含酮洛芬30mg)",
        "agreementPeriod": "2024年1月1日至2025年12月31日",
        "remark": "限骨关节炎。",
        "category": {"code": "XM01AE", "name": "丙酸衍生物"},
        "categoryName": "a > b",
    }
    path = tmp_path / "dump.json"
    path.write_text(json.dumps({"data": {"list": [row]}}, ensure_ascii=False), encoding="utf-8")
    data = nhsa_api.read(path)
    assert data.rows[0].payment_standard == "8.68元(每贴(14cm*10cm)含膏体13g,含酮洛芬30mg)"
    assert data.rows[0].number == 1 and data.rows[0].subsection == r.WEST
    assert len(data.warnings) == 1 and "未经 yao.xlsx 核对" in data.warnings[0]


BAD_PAYLOADS = ["{}", "[1]", "not json", '{"data": {"list": [{"name": "x", "drugTypeName": "?"}]}}']


@pytest.mark.parametrize("payload", BAD_PAYLOADS)
def test_bad_files(tmp_path: Path, payload: str) -> None:
    path = tmp_path / "dump.json"
    path.write_text(payload, encoding="utf-8")
    with pytest.raises(SourceFormatError):
        nhsa_api.read(path)
