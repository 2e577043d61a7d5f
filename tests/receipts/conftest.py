"""Receipt fixtures: a real catalogue copy with pharmacy settings, and a real estimate with a confidential drug."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from desktop import settings as settings_mod
from desktop.catalogue import search
from desktop.storage import catalogue as store

#: The real payment standard a province would send for 阿伐替尼片 (the catalogue prints "*").
#: Made up for the test, like any figure a pharmacy keys in; distinctive so it cannot occur by chance.
CONFIDENTIAL = "3187.45"
PRICE = "4380.00"
#: The "第 n / m 页" mark an A5 page carries (not a receipt line).
PAGE_MARK = re.compile(r"第\s*\d+\s*/\s*\d+\s*页")

SETTINGS = settings_mod.Settings(
    pharmacy_name="长春市益民大药房（人民大街店）",
    institution_code="P22010200123",
    counter="2号收款台",
    staff="王芳",
    profile="jilin",
)


def _need(tool: str) -> None:
    if shutil.which(tool) is None:
        pytest.fail(f"{tool} (poppler-utils) is required: apt-get install -y poppler-utils")


def pdftotext(path: Path) -> list[str]:
    """The PDF's text, one entry per printed row, whitespace collapsed, page marks dropped."""
    _need("pdftotext")
    out = subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True).stdout
    rows = [" ".join(row.split()) for row in out.splitlines()]
    return [row for row in rows if row and not PAGE_MARK.fullmatch(row)]


def pdfinfo(path: Path) -> dict[str, str]:
    _need("pdfinfo")
    out = subprocess.run(["pdfinfo", str(path)], check=True, capture_output=True, text=True).stdout
    return {k.strip(): v.strip() for k, v in (line.split(":", 1) for line in out.splitlines() if ":" in line)}


def norm(lines: list[str]) -> list[str]:
    return [" ".join(line.split()) for line in lines if line.strip()]


@pytest.fixture()
def db(real_db_copy: Path):  # type: ignore[no-untyped-def]
    database = store.open_db(real_db_copy)
    settings_mod.save(database, SETTINGS)
    yield database
    database.close()


def entry_id(db, query: str, *, confidential: bool | None = None) -> str:  # type: ignore[no-untyped-def]
    from datetime import date

    found = search.search(db, query, day=date(2025, 3, 1)).entries
    for entry in found:
        is_conf = any(s.confidential for s in entry.payment_standards)
        if confidential is None or is_conf == confidential:
            return entry.id
    raise AssertionError(f"{query} not found in the real catalogue")


@pytest.fixture()
def request_json(db) -> dict:  # type: ignore[no-untyped-def]
    """A Jilin employee basket: a confidential negotiated drug priced above its (supplied) standard,
    a class-A drug and a negotiated drug with a public standard."""
    return {
        "date": "2025-03-01",
        "profile": "jilin",
        "insurance": "employee",
        "patient_group": "general",
        "channel": "outpatient",
        "deductible_remaining": "0.00",
        "cap_remaining": None,
        "policy": {"first_self_pay": "0.10", "fund_ratio": "0.70"},
        "items": [
            {
                "entry": entry_id(db, "阿伐替尼片", confidential=True),
                "unit_price": PRICE,
                "quantity": 1,
                "spec": "100mg×30片",
                "payment_standard": CONFIDENTIAL,
                "confirmed": ["restriction"],
            },
            {"entry": entry_id(db, "阿莫西林"), "unit_price": "12.50", "quantity": 2, "spec": "0.25g×24粒"},
            # a negotiated drug with a public standard (9.22 元 a bag), sold above it
            {"entry": entry_id(db, "一贯煎颗粒"), "unit_price": "10.00", "quantity": 3, "spec": "12g×9袋"},
        ],
    }


def pdffonts_rows(path: Path) -> list[dict[str, str]]:
    """``pdffonts`` as rows: name, type, emb (yes/no)."""
    _need("pdffonts")
    out = subprocess.run(["pdffonts", str(path)], check=True, capture_output=True, text=True).stdout.splitlines()
    rows = []
    for line in out[2:]:
        parts = line.split()
        # name type [subtype words] encoding emb sub uni object-id gen
        rows.append({"name": parts[0], "emb": parts[-5]})
    return rows
