"""A small real catalogue for the rules tests: rows read from the official data, overlays from the notices.

Nothing is invented: every row is copied at test time from resources/sources/ (the 2024
revised edition as served by the NHSA query, the 2025 Western JSON), and every overlay
item is a drug a notice in /work/shared/seeds names, with the dates the notice gives.
The one exception is marked where it is made (Hunan's single-payment list is not public).
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from desktop.catalogue import fanli
from desktop.catalogue import records as r
from desktop.storage import catalogue as store
from desktop.storage import overlays as ov

#: Rows of the 2024 revised edition used by the tests: (name as published, dosage form or None).
ROWS_2024 = [
    ("阿莫西林", "口服常释剂型"),
    ("阿莫西林", "颗粒剂"),  # a ★ row
    ("玛巴洛沙韦片", None),  # 乙, restricted, removed from Jilin dual channel (口服常释)
    ("缓解感冒症状的复方OTC制剂", None),  # ◇
    ("安宫牛黄丸", None),  # 中成药 甲, bezoar, 限急诊或住院患者
    ("麝香保心丸", None),  # 中成药 甲, musk
    ("环孢素滴眼液(Ⅱ)", None),  # negotiated, 5.50元, agreement 2024-01-01..2025-12-31
    ("依普利酮片", None),  # negotiated, two standards, Jilin two-disease 2024
    ("依沃西单抗注射液", None),  # negotiated "*", Jilin dual channel added 2024
    ("恩朗苏拜单抗注射液", None),  # negotiated "*", Jilin dual channel added 2024
    ("乌帕替尼缓释片", None),  # negotiated "*", second line
    ("异麦芽糖酐铁注射液", None),  # negotiated "*", removed from Jilin dual channel
    ("人参片", None),  # □ piece
    ("人工牛黄", None),  # paid piece
    ("牛黄", None),  # never-paid piece
]
#: 西药 rows picked by official number: 胃肠外营养液 (279), 肠内营养剂 (1317), 限工伤 and 限生育 drugs.
NUMBERS_2024 = [279, 1317]
REMARKS_2024 = ["限工伤保险。", "限生育保险。"]

ROWS_2025 = [
    ("阿莫西林", "口服常释剂型"),
    ("依沃西单抗注射液", None),  # agreement 2026-01-01..2026-12-31, "*"
    ("环孢素滴眼液(Ⅱ)", None),
    ("熊去氧胆酸口服混悬液", None),  # 竞价药品 169.80元
]

_SECTIONS_2024 = {
    "西药部分": (r.WEST, None),
    "中成药部分": (r.TCM, None),
    "西药": (r.NEGOTIATED, "西药"),
    "中成药": (r.NEGOTIATED, "中成药"),
    "竞价药品部分": (r.BIDDING, None),
    "基金予以支付的中药饮片": (r.PIECES, None),
    "不得纳入基金支付范围的中药饮片": (r.PIECES_EXCLUDED, None),
}


def _rows_2024(sources: Path) -> list[r.SourceRow]:
    items = json.loads((sources / "nhsa-api-4750.json").read_text(encoding="utf-8"))
    counters: dict[str, int] = {}
    out: list[r.SourceRow] = []
    wanted = set(ROWS_2024)
    remark_seen: set[str] = set()
    for seq, item in enumerate(items["data"]["list"], 1):
        section, subsection = _SECTIONS_2024[item["drugTypeName"]]
        number = star = None
        if item["flag"] == 0:
            counters[section] = counters.get(section, 0) + 1
            number = counters[section]
        elif item["flag"] == 1:
            star = counters[section]
        form = item["dosageForm"] or None
        remark = (item["remark"] or "").strip() or None
        take = (item["name"], form) in wanted or (item["name"], None) in wanted
        if section == r.WEST and number in NUMBERS_2024:
            take = True
        if section == r.WEST and remark in REMARKS_2024 and remark not in remark_seen and number:
            remark_seen.add(remark)
            take = True
        if not take:
            continue
        standard = item["paymentStandards"] or None
        if standard == "企业申请价格保密":
            standard = "*"
        kind = item["kindName"] or ""
        out.append(
            r.SourceRow(
                section=section,
                name_published=item["name"],
                seq=seq,
                subsection=subsection,
                number=number,
                star_of=star,
                dosage_form=form,
                drug_class="甲" if "甲" in kind else "乙" if "乙" in kind else None,
                category_code=(item.get("category") or {}).get("code"),
                remark=remark,
                payment_standard=standard,
                agreement_text=item["agreementPeriod"] or None,
            )
        )
    return out


def _rows_2025(sources: Path) -> list[r.SourceRow]:
    data = json.loads((sources / "china_nrdl_2025_west.json").read_text(encoding="utf-8"))
    sections = {
        "西药部分": (r.WEST, None),
        "协议期内谈判药品部分（一）西药": (r.NEGOTIATED, "西药"),
        "竞价药品部分": (r.BIDDING, None),
    }
    wanted = set(ROWS_2025)
    out = []
    for seq, row in enumerate(data["drugs"], 1):
        if (row["name_zh"], row["dosage_form"]) not in wanted and (row["name_zh"], None) not in wanted:
            continue
        section, subsection = sections[row["section"]]
        star = row["no"].startswith("★")
        out.append(
            r.SourceRow(
                section=section,
                name_published=row["name_zh"],
                seq=seq,
                subsection=subsection,
                number=None if star else int(row["no"]),
                star_of=row["primary_no"] if star else None,
                dosage_form=row["dosage_form"],
                drug_class=row["class"],
                category_code=row["category_code"],
                remark=row["restriction"],
                payment_standard=row.get("payment_standard"),
                agreement_text=row["agreement_period"],
            )
        )
    commercial = data["commercial_innovative_list"][0]
    out.append(
        r.SourceRow(
            section=r.COMMERCIAL,
            name_published=commercial["name_zh"],
            seq=len(data["drugs"]) + 1,
            agreement_text=commercial["validity"],
        )
    )
    return out


def _edition(name: str, variant: str, start: date, end: date | None, rows: list[r.SourceRow]) -> r.EditionData:
    info = r.EditionInfo(
        name=name,
        variant=variant,
        title=f"国家医保药品目录（{name}年）测试子集",
        document=None,
        published=None,
        effective_start=start,
        effective_end=end,
        source="tests/rules/conftest.py",
        checksum="subset",
    )
    sections = {s: r.SectionInfo(s, False, None, "测试子集") for s in {row.section for row in rows}}
    return r.EditionData(info=info, rows=rows, sections=sections)


SEED_001 = "seeds/001_1c9bd1fa1fa7b9b1.txt"


def seed_overlays(db) -> None:
    """Overlays exactly as the Jilin 2024 notice (seed 001) and Hunan notice (seed 003) state them."""
    jl = ov.OverlayInfo(
        "jilin-dual-channel-2024",
        ov.DUAL_CHANNEL,
        "jilin",
        "吉林省“双通道药品”管理范围（2024年调整）",
        complete=False,
        document="吉林省2024年药品目录执行通知",
        effective_start=date(2025, 1, 1),
        note="仅含通知正文点名的调整药品（附件2全文未收录），未列出的药品无法判断。",
    )
    start = date(2025, 1, 1)
    ov.store_overlay(
        db,
        jl,
        [
            ov.OverlayItem("依沃西单抗", "add", "注射剂", start=start, source=SEED_001),
            ov.OverlayItem("恩朗苏拜单抗", "add", "注射剂", start=start, source=SEED_001),
            ov.OverlayItem("异麦芽糖酐铁", "remove", "注射剂", start=start, source=SEED_001),
            ov.OverlayItem("玛巴洛沙韦", "remove", "口服常释剂型", start=start, source=SEED_001),
            ov.OverlayItem("乌帕替尼", "remove", "口服常释剂型", start=start, source=SEED_001),
        ],
    )
    two = ov.OverlayInfo(
        "jilin-two-diseases-2024",
        ov.TWO_DISEASES,
        "jilin",
        "吉林省“两病”门诊用药范围（2024年新增）",
        complete=False,
        effective_start=start,
        note="仅含通知点名的新增药品。",
    )
    ov.store_overlay(
        db,
        two,
        [
            ov.OverlayItem("依普利酮", "add", "口服常释剂型", start=start, source=SEED_001),
            ov.OverlayItem("福格列汀", "add", "口服常释剂型", start=start, source=SEED_001),
        ],
    )
    transition = ov.OverlayInfo(
        "national-transition-2024",
        ov.TRANSITION,
        "national",
        "2024年目录续约失败药品过渡期",
        complete=True,
        effective_start=start,
        effective_end=date(2025, 6, 30),
    )
    ov.store_overlay(
        db,
        transition,
        [
            ov.OverlayItem("环孢素滴眼液(Ⅲ)", "add", start=start, end=date(2025, 6, 30), source=SEED_001),
            ov.OverlayItem("头孢托仑匹酯颗粒", "add", start=start, end=date(2025, 6, 30), source=SEED_001),
        ],
    )
    hunan = ov.OverlayInfo(
        "hunan-single-payment-2025",
        ov.SINGLE_PAYMENT,
        "hunan",
        "湖南省医保“双通道”单行支付管理药品目录（2025年）",
        complete=False,
        effective_start=start,
        effective_end=date(2025, 12, 31),
        note="共268个通用名，本机未导入省级清单文件。",
    )
    ov.store_overlay(db, hunan, [])


@pytest.fixture(scope="session")
def _catalogue_file(sources_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("rules") / "catalogue.sqlite3"
    db = store.open_db(path)
    store.load_edition(
        db,
        _edition("2024", "revised", date(2025, 1, 1), date(2025, 12, 31), _rows_2024(sources_dir)),
        fanli.SPECS[("2024", "revised")],
    )
    store.load_edition(
        db,
        _edition("2025", "official", date(2026, 1, 1), None, _rows_2025(sources_dir)),
        fanli.SPECS.get(("2025", "official")),
    )
    seed_overlays(db)
    db.close()
    return path


@pytest.fixture
def db(_catalogue_file: Path, tmp_path: Path):
    """A fresh copy of the small real catalogue per test (tests may add overlays)."""
    copy = tmp_path / "catalogue.sqlite3"
    copy.write_bytes(_catalogue_file.read_bytes())
    database = store.open_db(copy)
    yield database
    database.close()


def find(db, name: str, edition: str = "2024", form: str | None = None) -> str:
    """The id of the entry named ``name`` (normalised) in ``edition``."""
    sql = "select e.id from entry e join edition d on d.id = e.edition_id where e.name = ? and d.name = ?" + (
        " and e.dosage_form = ?" if form else ""
    )
    rows = db.execute(sql, [name, edition] + ([form] if form else [])).fetchall()
    assert len(rows) == 1, (name, edition, form, rows)
    return rows[0][0]
