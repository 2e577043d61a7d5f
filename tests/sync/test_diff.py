"""The drug-by-drug diff on real data: 2024 first publication -> revised variant (#3)."""

from __future__ import annotations

from pathlib import Path

import pytest

from desktop.catalogue import records as r
from desktop.sync import apply, build, keys
from desktop.sync import diff as d

MOVED = {"阿伐替尼片", "多种微量元素注射液(Ⅲ)"}


@pytest.fixture(scope="module")
def revised_2024(sources_dir: Path) -> r.EditionData:
    from desktop.catalogue.sources import nhsa_api

    return nhsa_api.read(sources_dir / "nhsa-api-4750.json", sources_dir / "yao.xlsx")


@pytest.fixture(scope="module")
def installed_first(
    tmp_path_factory: pytest.TempPathFactory, yao_2024: r.EditionData, key: keys.PrivateKey, trust: dict
) -> tuple[Path, Path]:
    tmp = tmp_path_factory.mktemp("diff")
    pkg = build.edition_package(yao_2024, tmp / "first.zip", key, package_id="nrdl-2024-first", sequence=1)
    db_path = tmp / "db.sqlite3"
    apply.apply_package(db_path, pkg, trust=trust, backup=False)
    return db_path, pkg


def _check_exactly_the_two_moves(diff: d.Diff) -> None:
    assert diff.added == [] and diff.removed == []
    assert {c.new.name for c in diff.changed} == MOVED
    for change in diff.changed:
        j = change.to_json()["changes"]
        assert {f["field"]: (f["old"], f["new"]) for f in j} == {
            "section": (r.WEST, r.NEGOTIATED),
            "payment_standard": (None, "保密"),
            "agreement": (None, "2024-01-01至2025-12-31"),
        }
    # yao.xlsx has no 中药饮片: the revised variant brings those sections, it does not "add 924 drugs".
    assert diff.sections_loaded == {r.PIECES: 892, r.PIECES_EXCLUDED: 32}
    assert diff.renumbered > 0  # numbering after the moved drugs shifts; that is not a change
    text = diff.text()
    assert "阿伐替尼片" in text and "保密" in text and "新增药品" not in text and "删除药品" not in text


def test_first_publication_to_revised_full_package(
    installed_first: tuple[Path, Path],
    revised_2024: r.EditionData,
    key: keys.PrivateKey,
    trust: dict,
    tmp_path: Path,
) -> None:
    from desktop.storage import catalogue as store

    pkg = build.edition_package(revised_2024, tmp_path / "rev.zip", key, package_id="nrdl-2024-revised", sequence=2)
    db = store.open_db(installed_first[0])
    _check_exactly_the_two_moves(apply.diff_package(db, pkg, trust))


def test_first_publication_to_revised_revision_package(
    installed_first: tuple[Path, Path],
    yao_2024: r.EditionData,
    revised_2024: r.EditionData,
    key: keys.PrivateKey,
    trust: dict,
    tmp_path: Path,
) -> None:
    from desktop.storage import catalogue as store

    pkg = build.revision_package(
        yao_2024.rows,
        "nrdl-2024-first",
        revised_2024,
        tmp_path / "delta.zip",
        key,
        package_id="nrdl-2024-first-to-revised",
        sequence=2,
    )
    db = store.open_db(installed_first[0])
    _check_exactly_the_two_moves(apply.diff_package(db, pkg, trust))


def test_confidential_amount_never_in_diff_json() -> None:
    old = d.Row("x|y", r.NEGOTIATED, "x", "y", "乙", None, "12.34元(1片)", None, None, 1, None)
    new = d.Row("x|y", r.NEGOTIATED, "x", "y", "乙", None, "*", None, None, 1, None)
    diff = d.diff_rows([old], [new])
    (change,) = diff.to_json()["changed"]
    assert change["changes"] == [
        {"field": "payment_standard", "label": "医保支付标准", "old": "12.34元(1片)", "new": "保密"}
    ]
    assert "*" not in diff.text()


def test_renumbering_alone_is_not_a_change() -> None:
    a = d.Row("x|y", r.WEST, "x", "y", "甲", None, None, None, None, 10, None)
    b = d.Row("x|y", r.WEST, "x", "y", "甲", None, None, None, None, 11, None)
    diff = d.diff_rows([a], [b])
    assert diff.empty and diff.renumbered == 1
