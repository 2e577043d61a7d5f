"""Package and apply holes closed by issue 12: duplicate sections, namespaces, totals whatever the variant, limits."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from desktop.catalogue import records as r
from desktop.storage import catalogue as store
from desktop.sync import apply, build, keys
from desktop.sync import package as p


def test_a_drug_listed_in_two_sections_survives_the_next_update(
    tmp_path: Path, small_2024: r.EditionData, key: keys.PrivateKey, trust: dict, db_path: Path
) -> None:
    west = next(x for x in small_2024.rows if x.section == r.WEST)
    twice = replace(west, section=r.NEGOTIATED, subsection=r.WEST, seq=len(small_2024.rows) + 1, number=None)
    data = replace(small_2024, rows=[*small_2024.rows, twice])
    one = build.edition_package(data, tmp_path / "a.zip", key, package_id="dup-1", sequence=1)
    apply.apply_package(db_path, one, trust=trust)
    changed = [
        replace(x, remark=(x.remark or "") + "（修订）") if x.name_published == west.name_published else x
        for x in data.rows
    ]
    two = build.edition_package(replace(data, rows=changed), tmp_path / "b.zip", key, package_id="dup-2", sequence=2)
    apply.apply_package(db_path, two, trust=trust)
    db = store.open_db(db_path)
    got = db.execute(
        "select section, remark from entry where name_published = ? order by section", [west.name_published]
    ).fetchall()
    db.close()
    assert len(got) == 2 and all(remark.endswith("（修订）") for _s, remark in got)


def _transition_def():  # type: ignore[no-untyped-def]
    return build.read_overlay_def(
        Path(__file__).resolve().parents[2] / "resources/overlays/national-transition-2024.json"
    )


def test_overlay_ids_and_edition_names_have_separate_sequences(
    tmp_path: Path, small_2024: r.EditionData, key: keys.PrivateKey, trust: dict, db_path: Path
) -> None:
    d = _transition_def()
    squatter = build.overlay_package(
        replace(d.info, overlay_id="2024"), d.items, tmp_path / "o.zip", key, package_id="overlay-2024", sequence=99
    )
    apply.apply_package(db_path, squatter, trust=trust)
    edition = build.edition_package(small_2024, tmp_path / "e.zip", key, package_id="ed-2024", sequence=5)
    report = apply.apply_package(db_path, edition, trust=trust)  # not "older than overlay-2024 (99)"
    assert report.target == "2024"
    newer_overlay = build.overlay_package(
        replace(d.info, overlay_id="2024"),
        d.items[:1],
        tmp_path / "o2.zip",
        key,
        package_id="overlay-2024b",
        sequence=6,
    )
    with pytest.raises(p.PackageConflict) as caught:  # within its own namespace the sequence still counts
        apply.apply_package(db_path, newer_overlay, trust=trust)
    assert caught.value.code == "older"


def test_any_variant_of_an_official_edition_is_checked_against_its_fanli(
    tmp_path: Path, sources_dir: Path, key: keys.PrivateKey, trust: dict, db_path: Path
) -> None:
    from desktop.catalogue.sources import yao_xlsx
    from desktop.errors import ImportCountMismatch

    rows_2024 = yao_xlsx.read(sources_dir / "yao.xlsx")
    info = replace(rows_2024.info, name="2025", variant="official2")
    disguised = build.edition_package(
        replace(rows_2024, info=info), tmp_path / "d.zip", key, package_id="nrdl-2025-official2", sequence=9
    )
    db = store.open_db(db_path)
    before = store.content_hash(db)
    db.close()
    with pytest.raises(ImportCountMismatch, match="凡例"):
        apply.apply_package(db_path, disguised, trust=trust)
    db = store.open_db(db_path)
    assert store.content_hash(db) == before
    db.close()
    # The same rows under their own edition and an unheard-of variant name meet the 2024 凡例 and apply.
    own = replace(rows_2024.info, variant="reprint")
    ok = build.edition_package(
        replace(rows_2024, info=own), tmp_path / "ok.zip", key, package_id="nrdl-2024-reprint", sequence=3
    )
    assert apply.apply_package(db_path, ok, trust=trust).target == "2024"


def test_json_lines_with_u2028_inside_a_string_is_accepted(
    tmp_path: Path, small_2024: r.EditionData, key: keys.PrivateKey, trust: dict
) -> None:
    rows = list(small_2024.rows)
    rows[0] = replace(rows[0], remark="限成人\u2028（第二行）")
    pkg = build.edition_package(replace(small_2024, rows=rows), tmp_path / "u.zip", key, package_id="u2028")
    verified = p.verify_package(pkg, trust)
    assert verified.rows[0].remark == "限成人\u2028（第二行）" and len(verified.rows) == len(rows)


def test_an_overlay_naming_unknown_drugs_applies_with_a_listed_warning(
    real_db_copy: Path, tmp_path: Path, key: keys.PrivateKey, trust: dict
) -> None:
    d = _transition_def()
    items = [*d.items, replace(d.items[0], name="不存在的药甲"), replace(d.items[0], name="依沃西单抗")]
    pkg = build.overlay_package(d.info, items, tmp_path / "w.zip", key, package_id="transition-w", sequence=50)
    report = apply.apply_package(real_db_copy, pkg, trust=trust)
    (warning,) = [w for w in report.warnings if "找不到" in w]
    listed = warning.rpartition("：")[2].rstrip("。").split("、")
    # The transition drugs left the list before 2024 (so no installed edition has them), the made-up one
    # is unknown; 依沃西单抗 is the notice's name for the catalogue's 依沃西单抗注射液.
    assert sorted(listed) == sorted([*(i.name for i in d.items), "不存在的药甲"])
    assert f"有 {len(listed)} 个药品" in warning
