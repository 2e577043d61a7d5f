"""Render docs/receipt-{58mm,80mm,a5}.png, and docs/receipt-58mm-36mm.png, from a real 2024-edition basket.

    .venv/bin/python docs/render_receipts.py        (needs pdftoppm from poppler-utils)

A throw-away database gets the bundled catalogue and demo settings; ``yaomu receipt`` writes
each PDF and ``pdftoppm -r 150`` turns its first page into the PNG shown in the docs. Three packs carry
a 药品追溯码; receipt-58mm-36mm.png is a 58 mm roll whose printer prints only 36 mm wide, where each
code gets a row of its own (docs/receipts.md).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from dataclasses import replace
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from desktop import settings  # noqa: E402
from desktop.catalogue import search  # noqa: E402
from desktop.cli import main  # noqa: E402
from desktop.storage import catalogue as store  # noqa: E402
from desktop.sync import bundled  # noqa: E402

DAY = date(2025, 3, 1)  # the 2024 edition is in force


def entry_id(db, name: str, form: str | None = None) -> str:  # type: ignore[no-untyped-def]
    for e in search.search(db, name, day=DAY).entries:
        if e.name == name and (form is None or e.dosage_form == form):
            return e.id
    raise SystemExit(f"{name} not found")


def render() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="yaomu-receipts-"))
    db_path = tmp / "demo.sqlite3"
    bundled.install(db_path)
    db = store.open_db(db_path)
    settings.save(
        db,
        settings.Settings(
            pharmacy_name="长春市益民大药房（人民大街店）",
            institution_code="P22010200123",
            counter="2号收款台",
            staff="王芳",
            profile="jilin",
        ),
    )
    request = {
        "date": DAY.isoformat(),
        "profile": "jilin",
        "insurance": "employee",
        "patient_group": "general",
        "channel": "outpatient",
        "deductible_remaining": "0.00",
        "cap_remaining": None,
        "policy": {"first_self_pay": "0.10", "fund_ratio": "0.70"},
        "items": [
            # The standard of 阿伐替尼片 is confidential; 3187.45 stands for the value a province receives.
            {
                "entry": entry_id(db, "阿伐替尼片"),
                "spec": "100mg×30片",
                "unit_price": "4380.00",
                "quantity": 1,
                "payment_standard": "3187.45",
                "confirmed": ["restriction"],
                "trace_codes": ["81055660012345678901"],
            },
            {
                "entry": entry_id(db, "阿莫西林", "口服常释剂型"),
                "spec": "0.25g×24粒",
                "unit_price": "12.50",
                "quantity": 2,
                "trace_codes": ["83917520000456123402", "83917520000456123419"],
            },
            {"entry": entry_id(db, "一贯煎颗粒"), "spec": "12g×9袋", "unit_price": "10.00", "quantity": 3},
        ],
    }
    req = tmp / "request.json"
    req.write_text(json.dumps(request, ensure_ascii=False), encoding="utf-8")
    db.close()
    for fmt, printable in (("58mm", ""), ("80mm", ""), ("a5", ""), ("58mm", "36")):
        name = f"receipt-{fmt}-{printable}mm" if printable else f"receipt-{fmt}"
        # A copy of the database per receipt: the same packs (追溯码) cannot be sold twice in one.
        copy = tmp / f"{name}.sqlite3"
        shutil.copyfile(db_path, copy)
        each = store.open_db(copy)
        settings.save(each, replace(settings.get(each), paper=fmt, printable_width_mm=printable))
        each.close()
        pdf = tmp / f"{name}.pdf"
        code = main(
            [
                "--db",
                str(copy),
                "receipt",
                str(req),
                "--format",
                fmt,
                "--out",
                str(pdf),
                "--patient-name",
                "张三",
                "--patient-id",
                "220102199001011239",
            ]
        )
        if code:
            raise SystemExit(code)
        png = ROOT / "docs" / name
        subprocess.run(["pdftoppm", "-r", "150", "-png", "-singlefile", str(pdf), str(png)], check=True)
        print(f"docs/{name}.png")


if __name__ == "__main__":
    render()
