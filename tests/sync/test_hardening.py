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
    changed = [replace(x, remark=(x.remark or "") + "（修订）") if x.name_published == west.name_published else x
               for x in data.rows]
    two = build.edition_package(replace(data, rows=changed), tmp_path / "b.zip", key, package_id="dup-2", sequence=2)
    apply.apply_package(db_path, two, trust=trust)
    db = store.open_db(db_path)
    got = db.execute(
        "select section, remark from entry where name_published = ? order by section", [west.name_published]
    ).fetchall()
    db.close()
    assert len(got) == 2 and all(remark.endswith("（修订）") for _s, remark in got)
