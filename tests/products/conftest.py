"""Product fixtures: the bundled catalogue with the real NHSA products CSV imported, and store lists built
from real product rows (the store's own 商品编码, barcodes and prices are the store's: made up here)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from stdnum import ean

from desktop import paths
from desktop.storage import catalogue as store
from tests.helpers import copy_database

PRODUCTS_CSV = paths.resource_path("products/nhsa-first-batch.csv")
DAY = "2025-06-01"  # the 2024 edition, which the NHSA export's 目录编号 cite


def barcode(n: int) -> str:
    """A valid EAN-13 of a Chinese maker (69…), different for each n."""
    body = f"69{n:010d}"
    return body + ean.calc_check_digit(body)


@pytest.fixture()
def products_db_file(products_db_path: Path, tmp_path: Path) -> Path:
    return copy_database(products_db_path, tmp_path / "products.sqlite3")


@pytest.fixture()
def pdb(products_db_file: Path):  # type: ignore[no-untyped-def]
    db = store.open_db(products_db_file)
    yield db
    db.close()


def linked_products(db, n: int, *, edition: str = "2024") -> list[dict]:  # type: ignore[no-untyped-def]
    """Real products with full details, linked (without disagreement) to an entry of ``edition``, one per
    本位码 (so a 本位码 names one product), different drugs first."""
    return list(
        db.query(
            "select p.* from product p join entry e on e.key = p.entry_key join edition d on d.id = e.edition_id "
            "where d.name = ? and p.link_problem is null and p.standard_code is not null and p.spec is not null "
            "and p.manufacturer is not null and p.approval_no is not null "
            "and (select count(*) from product q where q.standard_code = p.standard_code) = 1 "
            "and (select count(*) from product q where q.approval_no = p.approval_no and q.spec = p.spec) = 1 "
            "group by p.code order by p.entry_key, p.code limit ?",
            [edition, n],
        )
    )


def write_store_csv(path: Path, rows: list[dict], headers: dict[str, str]) -> Path:
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(headers.values())
        for row in rows:
            w.writerow([row.get(k, "") for k in headers])
    return path
