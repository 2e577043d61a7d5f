"""Every published payment standard of every bundled edition is read whole (amount + specification)."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest

from desktop.catalogue import bundled, derive
from desktop.catalogue import records as r
from desktop.errors import SourceFormatError
from desktop.storage import catalogue as store

EDITIONS = {
    "2024 first": bundled.read_2024_first,
    "2024 revised": bundled.read_2024_revised,
    "2025": bundled.read_2025,
}


def _norm(text: str) -> str:
    """Brackets half-width, no spaces, amounts to the fen: how a text and its re-rendering compare."""
    text = re.sub(r"\s+", "", text.translate(str.maketrans("（）；＊", "();*")))
    return re.sub(r"(\d+(?:\.\d+)?)元", lambda m: f"{Decimal(m.group(1)).quantize(Decimal('0.01'))}元", text)


@pytest.fixture(scope="module", params=list(EDITIONS))
def edition(request) -> r.EditionData:
    return EDITIONS[request.param]()


def test_every_standard_of_every_edition_is_read_whole(edition):
    rows = [row for row in edition.rows if row.payment_standard]
    assert len(rows) > 400  # 425 / 427 / 472 rows carry a standard
    for row in rows:
        derive.check_standards(row.payment_standard, row.name_published)  # raises on any unreadable part
        stds = derive.parse_standards(row.payment_standard, row.name_published)
        if stds[0].tiers:
            assert row.name_published == "治疗用碘[131I]化钠胶囊"
            continue
        # Re-rendered from what was read, the standard is the published text again: nothing dropped.
        assert _norm("；".join(s.text for s in stds)) == _norm(row.payment_standard), row.name_published


def test_the_rows_that_used_to_be_dropped(edition):
    by_name = {row.name_published: row for row in edition.rows}
    combo = derive.parse_standards(by_name["先诺特韦片/利托那韦片组合包装"].payment_standard)
    assert (combo[0].amount, combo[0].unit) == ("479.00", "盒")  # "479.00元/盒(…)"
    tb = derive.parse_standards(by_name["重组结核杆菌融合蛋白(EC)"].payment_standard)
    assert (tb[-1].amount, tb[-1].spec) == ("31.03", "0.1ml/支预灌封注射器")  # "(" … "）"
    if edition.info.name == "2025":
        mero = derive.parse_standards(by_name["注射用美罗培南/氯化钠注射液"].payment_standard)
        assert [s.amount for s in mero] == ["28.66", "38.22"]


def test_tiered_standard_of_note_2():
    # 协议期内谈判药品部分 备注2: 1-10 毫居 59.00; 11-50 47.20; 51-100 38.35 (元/毫居), with its examples:
    std = derive.parse_standards("见备注2(每粒胶囊含碘[131I]的放射性活度为37-3700MBq)", "治疗用碘[131I]化钠胶囊")[0]
    assert [derive.tiered_amount(std, Decimal(n)) for n in (1, 10, 11, 50, 51, 100)] == [
        Decimal("59.00"),
        Decimal("590.00"),
        Decimal("637.20"),
        Decimal("2478.00"),
        Decimal("2516.35"),
        Decimal("4395.50"),
    ]


def test_an_unreadable_standard_stops_the_import_naming_the_row(tmp_path):
    db = store.open_db(tmp_path / "db.sqlite3")
    info = r.EditionInfo("2099", "first", "测试", None, None, date(2099, 1, 1), None, "test", "x")
    rows = [
        r.SourceRow(r.NEGOTIATED, "甲药片", 1, payment_standard="1.00元(1mg/片)"),
        r.SourceRow(r.NEGOTIATED, "乙药片", 2, payment_standard="约五元(1mg/片)"),
    ]
    with pytest.raises(SourceFormatError) as err:
        store.load_edition(db, r.EditionData(info, rows), None)
    assert "乙药片" in str(err.value) and "约五元" in str(err.value)
    assert store.editions(db) == []
