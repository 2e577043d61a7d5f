"""Pharmacy settings in the database: defaults, round trip, validation that writes nothing."""

from __future__ import annotations

import pytest

from desktop import settings as s
from desktop.errors import RequestError
from desktop.storage import catalogue as store


@pytest.fixture
def db():
    database = store.open_db(":memory:")
    yield database
    database.close()


def test_defaults_when_nothing_saved(db):
    assert s.get(db) == s.Settings()
    assert s.get(db).profile == "national" and s.get(db).paper == "80mm"


def test_round_trip(db):
    saved = s.Settings(
        pharmacy_name="长春市某某大药房",
        institution_code="P22010200123",
        counter="2号柜台",
        staff="王药师",
        profile="jilin",
        parameters={"fund_ratio": "0.80", "fund_ratio:resident": "0.60", "deductible": "600"},
        confidential_standards={"依沃西单抗注射液|": "123.45"},
        printer="XP-58",
        paper="58mm",
    )
    s.save(db, saved)
    assert s.get(db) == saved
    s.save(db, saved.with_changes(staff="李药师"))
    assert s.get(db).staff == "李药师" and s.get(db).profile == "jilin"


def test_most_specific_parameter_wins():
    st = s.Settings(
        parameters={"fund_ratio": "0.50", "fund_ratio:resident": "0.60", "fund_ratio:resident:dual_channel": "0.70"}
    )
    assert st.parameter("fund_ratio", "employee", "outpatient") == ("0.50", "fund_ratio")
    assert st.parameter("fund_ratio", "resident", "outpatient")[0] == "0.60"
    assert st.parameter("fund_ratio", "resident", "dual_channel")[0] == "0.70"
    assert st.parameter("cap", "resident", "dual_channel") is None


def test_bad_settings_report_everything_and_write_nothing(db):
    before = store.content_hash(db)
    bad = s.Settings(
        institution_code="P22-01",
        profile="shanghai",
        paper="a4",
        parameters={"fund_ratio": "80%", "magic": "1", "cap": "-1", "deductible:rich": "10"},
        confidential_standards={"依沃西单抗注射液|": "99999.999"},
    )
    with pytest.raises(RequestError) as err:
        s.save(db, bad)
    problems = err.value.problems
    assert len(problems) == 8, problems
    assert "99999.999" not in "\n".join(problems)  # a confidential value is never echoed
    assert store.content_hash(db) == before


def test_printable_width_is_validated_against_the_paper() -> None:
    from desktop import settings as settings_mod

    ok = settings_mod.Settings(paper="58mm", printable_width_mm="52")
    assert not [p for p in settings_mod.problems(ok) if "可打印宽度" in p]
    bad = settings_mod.Settings(paper="58mm", printable_width_mm="70")
    assert any("可打印宽度“70”无效" in p for p in settings_mod.problems(bad))
    assert any("可打印宽度" in p for p in settings_mod.problems(bad.with_changes(printable_width_mm="宽")))
