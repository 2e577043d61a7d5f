"""The receipt commands never write over the database, its WAL or a back-up, nor over a file without --force."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from desktop.cli import main
from desktop.storage import catalogue as store


@pytest.fixture()
def setup(db, real_db_copy: Path, request_json, tmp_path: Path):  # type: ignore[no-untyped-def]
    db.execute("pragma wal_checkpoint(truncate)")
    db.close()
    req = tmp_path / "req.json"
    req.write_text(json.dumps(request_json, ensure_ascii=False), encoding="utf-8")
    return real_db_copy, req


def _hash(path: Path) -> str:
    db = store.open_db(path, readonly=True)
    try:
        return store.content_hash(db)
    finally:
        db.close()


@pytest.mark.parametrize("suffix", ["", "-wal"])
def test_receipt_and_export_to_the_database_are_refused(setup, capsys, suffix: str) -> None:  # type: ignore[no-untyped-def]
    db_path, req = setup
    before = _hash(db_path)
    target = str(db_path) + suffix
    base = ["--db", str(db_path)]
    assert main([*base, "receipt", str(req), "--out", target, "--force"]) == 2
    assert "数据库或其备份" in capsys.readouterr().err
    assert main([*base, "receipts", "export", "--out", target, "--force"]) == 2
    assert "数据库或其备份" in capsys.readouterr().err
    assert _hash(db_path) == before
    assert main([*base, "receipts", "list", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []  # no number spent on the refused receipt


def test_existing_output_needs_force(setup, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    db_path, req = setup
    base = ["--db", str(db_path)]
    out = tmp_path / "h.csv"
    out.write_text("keep", encoding="utf-8")
    assert main([*base, "receipts", "export", "--out", str(out)]) == 2
    assert "已存在" in capsys.readouterr().err and out.read_text(encoding="utf-8") == "keep"
    assert main([*base, "receipts", "export", "--out", str(out), "--force"]) == 0
    assert out.read_text(encoding="utf-8-sig").startswith("单号")
    pdf = tmp_path / "r.pdf"
    pdf.write_bytes(b"old")
    assert main([*base, "receipt", str(req), "--out", str(pdf)]) == 2
    assert pdf.read_bytes() == b"old"
    assert main([*base, "receipt", str(req), "--out", str(pdf), "--force"]) == 0
    assert pdf.read_bytes().startswith(b"%PDF")
