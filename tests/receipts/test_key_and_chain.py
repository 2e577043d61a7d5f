"""The check-value key lives outside the database; a hash chain over issued receipts catches edited and deleted rows."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from desktop.cli import main
from desktop.receipts import check, issue, keystore, layout
from desktop.rules import service
from desktop.storage import catalogue as store
from tests.receipts.conftest import SETTINGS

ISSUER = layout.Issuer.from_settings(SETTINGS)
ROOT = Path(__file__).resolve().parents[2]


def _issue(db, request, tmp_path, name):  # type: ignore[no-untyped-def]
    parsed = service.parse_request(db, request, SETTINGS)
    return issue.issue(db, parsed, service.estimate(db, parsed, SETTINGS), ISSUER, "80mm", tmp_path / name)


def test_the_key_is_not_in_the_database_nor_its_backups(db, real_db_copy, request_json, tmp_path) -> None:  # type: ignore[no-untyped-def]
    _issue(db, request_json, tmp_path, "a.pdf")
    key = check.secret(db)
    bak = store.backup(db, real_db_copy, reason="sync")
    db.execute("pragma wal_checkpoint(truncate)")
    for path in (real_db_copy, bak):
        assert key.hex().encode() not in path.read_bytes() and key not in path.read_bytes(), path
    assert db.execute("select count(*) from receipt_key").fetchone()[0] == 0
    key_file = keystore.key_file(real_db_copy)
    assert json.loads(key_file.read_text(encoding="utf-8"))["secret"] == key.hex()
    if sys.platform != "win32":
        assert stat.S_IMODE(key_file.stat().st_mode) == 0o600


def test_a_secret_kept_in_the_database_by_an_older_version_moves_out(db, real_db_copy) -> None:  # type: ignore[no-untyped-def]
    old = "ab" * 32
    db.execute("insert into receipt_key (id, secret, created_at) values (1, ?, '2025-01-01T00:00:00')", [old])
    assert check.secret(db) == bytes.fromhex(old)  # receipts printed before still verify
    assert db.execute("select count(*) from receipt_key").fetchone()[0] == 0
    assert json.loads(keystore.key_file(real_db_copy).read_text(encoding="utf-8"))["secret"] == old


def test_edited_request_deleted_middle_and_deleted_last_rows_are_detected(db, request_json, tmp_path) -> None:  # type: ignore[no-untyped-def]
    done = [_issue(db, request_json, tmp_path, f"{i}.pdf") for i in range(4)]
    assert all(issue.verify(db, d.number, d.check_value).valid for d in done)

    # Not printed, so the check value still matches, but the chain covers the whole stored row.
    (original,) = db.execute("select request from receipt where number = ?", [done[1].number]).fetchone()
    db.execute("update receipt set request = ? where number = ?", [original.replace("2025", "2024"), done[1].number])
    verdict = issue.verify(db, done[0].number, done[0].check_value)
    assert not verdict.valid and done[1].number in verdict.message and "被改动" in verdict.message
    db.execute("update receipt set request = ? where number = ?", [original, done[1].number])
    assert issue.verify(db, done[0].number, done[0].check_value).valid

    saved = db.execute("select * from receipt where number = ?", [done[3].number]).fetchone()
    db.execute("delete from receipt where number = ?", [done[3].number])  # the newest
    verdict = issue.verify(db, done[0].number, done[0].check_value)
    assert not verdict.valid and "被删除" in verdict.message and "4 张" in verdict.message
    db.execute(f"insert into receipt values ({', '.join('?' for _ in saved)})", list(saved))
    assert issue.verify(db, done[0].number, done[0].check_value).valid

    db.execute("delete from receipt where number = ?", [done[2].number])  # one in the middle
    verdict = issue.verify(db, done[0].number, done[0].check_value)
    assert not verdict.valid and done[3].number in verdict.message


def test_a_database_copied_without_its_key_refuses_cleanly(db, real_db_copy, request_json, tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    d = _issue(db, request_json, tmp_path, "a.pdf")
    db.execute("pragma wal_checkpoint(truncate)")
    db.close()
    elsewhere = tmp_path / "other" / "yaomu.sqlite3"
    elsewhere.parent.mkdir()
    shutil.copy(real_db_copy, elsewhere)
    assert main(["--db", str(elsewhere), "receipts", "verify", d.number, d.check_value]) == 2
    err = capsys.readouterr().err
    assert "收据校验密钥" in err and keystore.FILE_SUFFIX in err
    shutil.copy(keystore.key_file(real_db_copy), keystore.key_file(elsewhere))
    assert main(["--db", str(elsewhere), "receipts", "verify", d.number, d.check_value]) == 0


FULL = r"""
import json, resource, signal, sys
from pathlib import Path
from desktop.cli import main
db, req, out = sys.argv[1:4]
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (2048, 2048))  # the disk is full: nothing can grow past 2 KB
sys.exit(main(["--db", db, "receipt", req, "--out", out]))
"""


@pytest.mark.skipif(sys.platform == "win32", reason="RLIMIT_FSIZE")
def test_receipt_on_a_full_disk_is_a_clean_refusal(db, real_db_copy, request_json, tmp_path) -> None:  # type: ignore[no-untyped-def]
    db.execute("pragma wal_checkpoint(truncate)")
    db.close()
    req = tmp_path / "req.json"
    req.write_text(json.dumps(request_json, ensure_ascii=False), encoding="utf-8")
    run = subprocess.run(
        [sys.executable, "-c", FULL, str(real_db_copy), str(req), str(tmp_path / "r.pdf")],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
        timeout=300,
    )
    assert run.returncode == 2, run.stderr
    assert "内部错误" not in run.stderr and "错误：" in run.stderr


def test_receipt_on_a_read_only_database_is_a_clean_refusal(db, real_db_copy, request_json, tmp_path) -> None:  # type: ignore[no-untyped-def]
    check.secret(db)  # the key exists; only the receipt itself needs a write
    db.execute("pragma wal_checkpoint(truncate)")
    db.close()
    ro = store.open_db(real_db_copy, readonly=True)
    parsed = service.parse_request(ro, request_json, SETTINGS)
    result = service.estimate(ro, parsed, SETTINGS)
    with pytest.raises(issue.DatabaseError, match="无法登记收据"):
        issue.issue(ro, parsed, result, ISSUER, "80mm", tmp_path / "r.pdf")
    ro.close()
    assert not (tmp_path / "r.pdf").exists()
    if shutil.which("chattr") is None:
        return
    req = tmp_path / "req.json"
    req.write_text(json.dumps(request_json, ensure_ascii=False), encoding="utf-8")
    if subprocess.run(["chattr", "+i", str(real_db_copy)], capture_output=True).returncode != 0:
        return  # not permitted here: the in-process case above stands
    try:
        code = main(["--db", str(real_db_copy), "receipt", str(req), "--out", str(tmp_path / "r.pdf")])
    finally:
        subprocess.run(["chattr", "-i", str(real_db_copy)], check=True)
    assert code == 2
    con = sqlite3.connect(real_db_copy)
    assert con.execute("select count(*) from receipt").fetchone()[0] == 0
    con.close()
