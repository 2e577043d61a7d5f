"""Counter search on the real bundled catalogue: Chinese, pinyin, numbers, codes, dates."""

from __future__ import annotations

import json
from datetime import date

import pytest

from desktop.catalogue import search
from desktop.catalogue.records import NEGOTIATED, WEST
from desktop.cli import main

IN_2025 = date(2025, 6, 1)  # the 2024 edition is in force
IN_2026 = date(2026, 6, 1)  # the 2025 edition is in force


def names(result: search.SearchResult) -> list[str]:
    return [e.name for e in result.entries]


def test_initials_find_amoxicillin_in_the_edition_of_the_day(real_db) -> None:  # type: ignore[no-untyped-def]
    r26 = search.search(real_db, "amxl", day=IN_2026)
    assert r26.entries[0].name == "阿莫西林" and r26.entries[0].edition == "2025"
    r25 = search.search(real_db, "amxl", day=IN_2025)
    assert r25.entries[0].name == "阿莫西林" and r25.entries[0].edition == "2024"
    assert r26.choice.exact and r25.choice.exact


@pytest.mark.parametrize("query", ["布洛芬", "阿莫西林", "西林", "注射液"])
def test_exact_then_prefix_then_substring(real_db, query: str) -> None:  # type: ignore[no-untyped-def]
    found = search.search(real_db, query, day=IN_2026).entries
    tiers = [0 if e.name == query else 1 if e.name.startswith(query) else 2 for e in found]
    assert tiers == sorted(tiers)
    for tier in (0, 1, 2):  # ties by shorter name
        lengths = [len(e.name) for e, t in zip(found, tiers, strict=True) if t == tier]
        assert lengths == sorted(lengths)
    expected_tiers = {"布洛芬": {0, 2}, "阿莫西林": {0, 1}}.get(query, set())  # 小儿布洛芬; 阿莫西林克拉维酸
    assert expected_tiers <= set(tiers)


@pytest.mark.parametrize("query", ["阿", "胶", "莫西", "糖"])
def test_one_and_two_character_fragments(real_db, query: str) -> None:  # type: ignore[no-untyped-def]
    result = search.search(real_db, query, day=IN_2026)
    assert result.entries, query
    assert all(query in e.name for e in result.entries)
    lengths = [len(e.name) for e in result.entries if e.name.startswith(query)]
    assert lengths == sorted(lengths)  # ties by shorter name


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("dsms", "地塞米松"),
        ("disaimisong", "地塞米松"),
        ("czrxxbscszsy", "重组人血小板生成素注射液"),
        ("chongzu", "重组人血小板生成素注射液"),
        ("hyxgggt", "还原型谷胱甘肽(谷胱甘肽)"),
        ("wssb", "维生素B1"),
    ],
)
def test_pinyin_with_polyphones(real_db, query: str, expected: str) -> None:  # type: ignore[no-untyped-def]
    assert expected in names(search.search(real_db, query, day=IN_2026))


def test_official_number_finds_the_item_and_its_star_rows(real_db) -> None:  # type: ignore[no-untyped-def]
    result = search.search(real_db, "656", day=IN_2026)
    amoxicillin = [e for e in result.entries if e.name == "阿莫西林"]
    assert {e.display_number for e in amoxicillin} == {"656", "★(656)"}
    assert all(e.section == WEST for e in amoxicillin)


def test_category_code(real_db) -> None:  # type: ignore[no-untyped-def]
    result = search.search(real_db, "XJ01CA", day=IN_2026)
    assert result.entries and all(e.category_code == "XJ01CA" for e in result.entries)
    assert "阿莫西林" in names(result)


def test_entry_id_and_mixed_latin(real_db) -> None:  # type: ignore[no-untyped-def]
    some = search.search(real_db, "阿莫西林", day=IN_2026).entries[0]
    assert search.search(real_db, some.id, day=IN_2026).entries[0].id == some.id
    assert any(n.startswith("维生素B1") for n in names(search.search(real_db, "维生素b1", day=IN_2026)))


def test_negotiated_drugs_are_found_with_confidential_standards(real_db) -> None:  # type: ignore[no-untyped-def]
    [entry] = [
        e for e in search.search(real_db, "安奈拉唑钠肠溶片", day=IN_2026).entries if e.name == "安奈拉唑钠肠溶片"
    ]
    assert entry.section == NEGOTIATED and entry.confidential and entry.payment_standard == "*"


def test_nothing_found_and_empty_query(real_db) -> None:  # type: ignore[no-untyped-def]
    assert search.search(real_db, "", day=IN_2026).entries == ()
    assert search.search(real_db, "qqqqzzzz", day=IN_2026).entries == ()
    assert search.search(real_db, "'\"*^()", day=IN_2026).entries == ()  # FTS syntax is never passed through


def test_date_outside_every_edition_answers_from_the_nearest_and_says_so(real_db) -> None:  # type: ignore[no-untyped-def]
    result = search.search(real_db, "amxl", day=date(2023, 6, 1))
    assert result.entries and not result.choice.exact
    assert result.entries[0].edition == "2024" and "2023-06-01" in (result.note or "")


def test_cli_search_json(real_db_path, capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["--db", str(real_db_path), "search", "amxl", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    first = out["results"][0]
    assert first["name"] == "阿莫西林" and first["edition"] == ("2025" if date.today() >= date(2026, 1, 1) else "2024")
    for key in (
        "id",
        "edition",
        "section",
        "number",
        "star_of",
        "name",
        "dosage_form",
        "class",
        "category_code",
        "remark",
        "payment_standard",
        "agreement_start",
        "agreement_end",
        "flags",
    ):
        assert key in first
    assert main(["--db", str(real_db_path), "search", "amxl", "--date", "2025-06-01", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["results"][0]["edition"] == "2024"


def test_cli_bad_date_is_refused_in_chinese(real_db_path, capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["--db", str(real_db_path), "search", "amxl", "--date", "2025-13-01"]) == 2
    err = capsys.readouterr().err
    assert "日期" in err and "Traceback" not in err


def test_cli_show_and_editions(real_db_path, capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["--db", str(real_db_path), "editions", "--json"]) == 0
    eds = json.loads(capsys.readouterr().out)
    assert [(e["name"], e["variant"]) for e in eds] == [("2024", "revised"), ("2025", "official")]
    assert main(["--db", str(real_db_path), "show", "2025-000000000000"]) == 2
    assert "没有" in capsys.readouterr().err


def test_a_drug_dropped_from_the_edition_of_the_day_is_shown_from_its_edition(real_db) -> None:  # type: ignore[no-untyped-def]
    # 贝那鲁肽注射液: 2024 edition (谈判 27), not in the 2025 edition.
    for query in ("贝那鲁肽", "bnlt"):
        result = search.search(real_db, query, day=IN_2026)
        assert [(e.name, e.edition) for e in result.entries] == [("贝那鲁肽注射液", "2024")]
        assert "2025年版" in (result.note or "") and "未收录" in (result.note or "")
    # In force that day: no note.
    in_2025 = search.search(real_db, "贝那鲁肽", day=IN_2025)
    assert in_2025.entries[0].edition == "2024" and in_2025.note is None


def test_transition_drugs_are_named_while_their_transition_lasts(real_db) -> None:  # type: ignore[no-untyped-def]
    # Seed 001: 环孢素滴眼液(Ⅲ) and 头孢托仑匹酯颗粒 left the list, paid at the original standard to 2025-06-30.
    during = search.search(real_db, "头孢托仑", day=date(2025, 3, 1))
    assert during.entries == () and "头孢托仑匹酯颗粒" in (during.note or "") and "2025-06-30" in (during.note or "")
    assert "环孢素滴眼液(Ⅲ)" in (search.search(real_db, "环孢素滴眼液", day=date(2025, 3, 1)).note or "")
    assert search.search(real_db, "头孢托仑", day=date(2025, 7, 1)).note is None


def test_nothing_found_in_an_incomplete_edition_is_not_not_listed() -> None:
    """yao.xlsx has no 中药饮片: a piece searched in that variant is 'unknown', not 'not listed' (#2)."""
    from desktop.catalogue import bundled
    from desktop.storage import catalogue as store

    db = store.open_db(":memory:")
    bundled.load(db, bundled.read_2024_first())
    result = search.search(db, "红参", day=IN_2025)
    assert result.entries == ()
    assert "未完整导入" in (result.note or "") and "中药饮片" in (result.note or "")
    assert "未找到不代表未收录" in (result.note or "")
    complete = search.search(db, "阿莫西林", day=IN_2025)
    assert complete.entries and complete.note is None
