"""A catalogue update (a signed revision package) that removes a product's entry makes its 对码 stale in the
updates report (desktop/sync/apply.py → desktop/products/items.py)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from desktop.catalogue import records as r
from desktop.catalogue.normalise import drug_key, normalise_name
from desktop.products import items
from desktop.storage import catalogue as store
from desktop.sync import apply, build, keys
from tests.products.conftest import barcode, linked_products, write_store_csv


def test_a_revision_removing_an_entry_makes_the_mapping_stale(pdb, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    p = linked_products(pdb, 1, edition="2025")[0]
    row = {"id": "SP1", "name": p["registered_name"], "insurance_code": p["code"], "barcode": barcode(1)}
    headers = {k: v for k, v in items.FIELD_LABELS.items() if k in row}
    items.import_file(pdb, write_store_csv(tmp_path / "s.csv", [row], headers))
    assert items.recheck(pdb) == 0
    ed = store.edition_named(pdb, "2025")
    assert ed is not None and ed.package_id
    base = store.source_rows(pdb, ed.id)
    info = r.EditionInfo(
        ed.name, "revised", ed.title, ed.document, ed.published, ed.effective_start, ed.effective_end,
        ed.source, ed.checksum,
    )  # fmt: skip
    new_rows = [x for x in base if drug_key(normalise_name(x.name_published), x.dosage_form) != p["entry_key"]]
    assert 0 < len(base) - len(new_rows) <= 3
    # Every variant of an official edition meets its 凡例 (issue 12): the sections losing rows say so.
    dropped = {x.section for x in base} - {x.section for x in new_rows} | {
        x.section for x in base if drug_key(normalise_name(x.name_published), x.dosage_form) == p["entry_key"]
    }
    sections = {
        name: replace(s, complete=False, note="测试：删去一个药品") if name in dropped else s
        for name, s in store.section_info(pdb, ed.id).items()
    }
    key = keys.generate("测试发布方")
    pkg = build.revision_package(
        base, ed.package_id, r.EditionData(info, new_rows, sections), tmp_path / "rev.zip", key,
        package_id="test-2025-drop", sequence=99,
    )  # fmt: skip
    report = apply.apply_package(pdb, pkg, trust={key.key_id: key.public}, backup=False)
    assert any("对码需复核" in w for w in report.warnings)
    stale = {x["id"]: x["stale"] for x in items.listing(pdb, stale=True)}
    assert "不在现行目录" in stale["SP1"]
