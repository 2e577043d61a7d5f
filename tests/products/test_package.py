"""Products travel as a signed package (kind ``products``, split into parts): desktop/sync/package.py,
build.py and desktop/sync/products.import_package."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from desktop.products import database
from desktop.storage import catalogue as store
from desktop.sync import apply, build, keys
from desktop.sync import package as p
from desktop.sync import products as products_package


@pytest.fixture()
def signed(pdb, tmp_path: Path, monkeypatch):  # type: ignore[no-untyped-def]
    key = keys.generate("测试发布方")
    monkeypatch.setattr(p, "MAX_PRODUCT_ROWS", 4000)  # the real split is 100,000 rows; the fixture has ~9,000
    rows = database.total_rows(pdb, "2024")
    out = build.products_package(rows, tmp_path / "products.zip", key, package_id="products-2025-07", sequence=1)
    return out, {key.key_id: key.public}, rows


def test_a_signed_products_package_imports_like_the_file(signed, real_db_copy: Path) -> None:  # type: ignore[no-untyped-def]
    out, trust, rows = signed
    with zipfile.ZipFile(out) as zf:
        parts = sorted(n for n in zf.namelist() if n.startswith("data/"))
    assert parts == ["data/products-1.csv", "data/products-2.csv", "data/products-3.csv"]
    verified = p.verify_package(out, trust)
    assert verified.kind == "products" and len(verified.product_parts) == 3
    db = store.open_db(real_db_copy)
    report = products_package.import_package(db, out, trust=trust)
    assert report.format == "package" and report.source == "products-2025-07"
    assert report.problems == [] and len(report.added) == len(rows) - 1 == database.count(db)
    with pytest.raises(p.PackageConflict, match="yaomu products import"):
        apply.apply_package(db, out, trust=trust, backup=False)


def test_a_tampered_or_oversized_products_package_is_refused(signed, tmp_path: Path, real_db_copy: Path) -> None:  # type: ignore[no-untyped-def]
    out, trust, _ = signed
    bad = tmp_path / "bad.zip"
    with zipfile.ZipFile(out) as src, zipfile.ZipFile(bad, "w") as dst:
        for name in src.namelist():
            data = src.read(name)
            if name == "data/products-2.csv":
                data = data.replace(b"\xe8", b"\xe9", 1)
            dst.writestr(name, data)
    with pytest.raises(p.IntegrityError):
        p.verify_package(bad, trust)
    db = store.open_db(real_db_copy)
    with pytest.raises(p.PackageLimitError, match="超过上限 4000 行"):
        key = keys.generate("测试发布方")
        rows = database.total_rows(store.open_db(real_db_copy), "2024") or [[]]
        big = [rows[0], *([["x"] * 26] * 4001)]
        manifest = build._base_manifest("products", "too-big", 1, "测试", None)
        body = "\n".join(",".join(r) for r in big).encode()
        build.write_package(tmp_path / "big.zip", manifest, [("data/p.csv", "products", "csv", body, 4001)], key)
        p.verify_package(tmp_path / "big.zip", {key.key_id: key.public})
    assert database.count(db) == 0
