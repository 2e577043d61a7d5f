"""``yaomu settings``: show, set, import, export; a database set up only this way issues a receipt."""

from __future__ import annotations

import json

import pytest

from desktop import settings
from desktop.cli import main
from desktop.storage import catalogue as store
from tests.ui.helpers import pdf_text


def run(db_path, *argv: str) -> int:  # type: ignore[no-untyped-def]
    return main(["--db", str(db_path), *argv])


def test_fresh_database_set_up_only_by_settings_set_issues_a_receipt(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    db_path = tmp_path / "fresh.sqlite3"  # nothing but what the commands below create
    for key, value in (
        ("pharmacy_name", "长春市益民大药房"),
        ("institution_code", "P22010200123"),
        ("counter", "1号柜台"),
        ("staff", "王药师"),
        ("profile", "jilin"),
        ("paper", "58mm"),
        ("fund_ratio", "70%"),
        ("first_self_pay", "10"),
        ("deductible", "0"),
    ):
        assert run(db_path, "settings", "set", key, value) == 0, capsys.readouterr().err
    capsys.readouterr()
    assert run(db_path, "search", "布洛芬", "--json", "--limit", "1", "--date", "2025-03-01") == 0
    found = json.loads(capsys.readouterr().out)["results"][0]
    request = {
        "date": "2025-03-01",
        "insurance": "employee",
        "items": [{"entry": found["id"], "unit_price": "10.00", "quantity": 2}],
    }
    req = tmp_path / "req.json"
    req.write_text(json.dumps(request), encoding="utf-8")
    out = tmp_path / "r.pdf"
    assert run(db_path, "receipt", str(req), "--out", str(out), "--json") == 0, capsys.readouterr().err
    issued = json.loads(capsys.readouterr().out)
    # 布洛芬 is class A: no first self-pay; the fund pays 70 % of 20.00, the patient 6.00.
    assert issued["patient_total"] == "6.00"
    text = pdf_text(out)
    assert "长春市益民大药房" in text and "P22010200123" in text and issued["number"] in text


def test_set_takes_percent_and_yuan_and_show_lists_units(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    db_path = tmp_path / "s.sqlite3"
    assert run(db_path, "settings", "set", "fund_ratio:resident:chronic", "62.5%") == 0
    assert run(db_path, "settings", "set", "cap", "1,500元") == 0
    db = store.open_db(db_path)
    saved = settings.get(db)
    db.close()
    assert saved.parameters == {"fund_ratio:resident:chronic": "0.625", "cap": "1500"}
    capsys.readouterr()
    assert run(db_path, "settings", "show") == 0
    out = capsys.readouterr().out
    assert "统筹基金支付比例（城乡居民医保·门诊慢特病）：62.5%" in out
    assert "年度最高支付限额：1500 元" in out
    assert "fund_ratio" in out and "来源：" in out
    assert run(db_path, "settings", "set", "fund_ratio:resident:chronic", "") == 0
    db = store.open_db(db_path)
    assert "fund_ratio:resident:chronic" not in settings.get(db).parameters
    db.close()


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("fund_ratio", "0.8", "80 表示 80%"),
        ("fund_ratio", "120", "0 到 100"),
        ("fund_ratio", "八成", "不是数字"),
        ("deductible", "-5", "不小于 0"),
        ("cap", "1.234", "两位小数"),
        ("fund_ratio:rich", "80", "险种“rich”无法识别"),
        ("fund_ratio:resident:bus", "80", "渠道“bus”无法识别"),
        ("magic", "1", "设置项“magic”无法识别"),
        ("profile", "shanghai", "地区政策“shanghai”不存在"),
        ("paper", "a4", "不支持"),
        ("institution_code", "P22-01", "只能包含字母和数字"),
        ("staff", "王\n药师", "控制字符"),
        ("confidential_standards", "{}", "不能用 settings set"),
    ],
)
def test_bad_values_are_refused_in_chinese_and_nothing_changes(tmp_path, capsys, key, value, expected) -> None:  # type: ignore[no-untyped-def]
    db_path = tmp_path / "s.sqlite3"
    assert run(db_path, "settings", "set", "staff", "张药师") == 0
    db = store.open_db(db_path)
    before = store.content_hash(db)
    db.close()
    capsys.readouterr()
    assert run(db_path, "settings", "set", key, value) == 2
    err = capsys.readouterr().err
    assert expected in err and "Traceback" not in err
    db = store.open_db(db_path)
    assert store.content_hash(db) == before
    db.close()


@pytest.mark.parametrize("as_json", [False, True])
def test_export_then_import_round_trips_without_confidential_standards(tmp_path, capsys, as_json) -> None:  # type: ignore[no-untyped-def]
    source, target = tmp_path / "a.sqlite3", tmp_path / "b.sqlite3"
    secret = "987.65"
    db = store.open_db(source)
    original = settings.Settings(
        pharmacy_name="测试大药房",
        institution_code="P22010100001",
        counter="2号柜台",
        staff="李药师",
        profile="hunan",
        paper="a5",
        printer="XP-80",
        parameters={"fund_ratio": "0.7", "fund_ratio:resident": "0.55", "first_self_pay:*:dual_channel": "0.1"},
        confidential_standards={"依沃西单抗注射液|注射剂": secret},
    )
    settings.save(db, original)
    db.close()
    out = tmp_path / ("s.json" if as_json else "s.txt")
    assert run(source, "settings", "export", str(out), *(["--json"] if as_json else [])) == 0
    text = out.read_text(encoding="utf-8")
    assert secret not in text and "依沃西" not in text and "confidential" not in text
    assert run(target, "settings", "import", str(out)) == 0
    db = store.open_db(target)
    imported = settings.get(db)
    db.close()
    assert imported == original.with_changes(confidential_standards={})


def test_import_refuses_a_bad_file_whole(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    db_path = tmp_path / "s.sqlite3"
    bad = tmp_path / "bad.txt"
    bad.write_text("pharmacy_name 新名字\nfund_ratio 0.8\nmagic 3\n", encoding="utf-8")
    assert run(db_path, "settings", "import", str(bad)) == 2
    err = capsys.readouterr().err
    assert "80 表示 80%" in err and "magic" in err
    db = store.open_db(db_path)
    assert settings.get(db).pharmacy_name == ""
    db.close()
    broken = tmp_path / "broken.json"
    broken.write_text('{"format": "yaomu-settings",', encoding="utf-8")
    assert run(db_path, "settings", "import", str(broken)) == 2
    err = capsys.readouterr().err
    assert "JSON 格式有误" in err and "Expecting" not in err
    assert run(db_path, "settings", "import", str(tmp_path / "missing.txt")) == 2
    err = capsys.readouterr().err
    assert "文件不存在" in err and "No such file" not in err
