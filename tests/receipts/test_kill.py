"""SIGKILL while receipts are being issued: numbers are never reused, the chain stays whole, no PDF is half written."""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from desktop.receipts import check, issue, layout
from desktop.rules import service
from desktop.storage import catalogue as store
from tests.receipts.conftest import SETTINGS
from tests.soak import budget

ROOT = Path(__file__).resolve().parents[2]
KILLS = budget(6, 150)

CHILD = r"""
import json, sys
from pathlib import Path
from desktop import settings as settings_mod
from desktop.receipts import issue, layout
from desktop.rules import service
from desktop.storage import catalogue as store
db_path, req_path, out_dir = sys.argv[1:4]
db = store.open_db(db_path)
settings = settings_mod.get(db)
request = service.parse_request(db, json.loads(Path(req_path).read_text(encoding="utf-8")), settings)
result = service.estimate(db, request, settings)
issuer = layout.Issuer.from_settings(settings)
issue.issue(db, request, result, issuer, "58mm", Path(out_dir) / "warm.pdf", force=True)  # fonts, imports
print("ready", flush=True)
sys.stdin.readline()
i = 0
while True:
    issue.issue(db, request, result, issuer, "58mm", Path(out_dir) / f"{i % 5}.pdf", force=True)
    i += 1
"""


def _state(db_path: Path) -> tuple[str, list[tuple[str, int, str]], int]:
    con = sqlite3.connect(db_path)
    try:
        integrity = con.execute("pragma integrity_check").fetchone()[0]
        rows = con.execute("select number, seq, status from receipt order by id").fetchall()
        (last,) = con.execute("select coalesce(max(last_seq), 0) from receipt_counter").fetchone()
    finally:
        con.close()
    return integrity, rows, last


@pytest.mark.slow
def test_sigkill_while_issuing_receipts(db, real_db_copy: Path, request_json, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    db.execute("pragma wal_checkpoint(truncate)")
    db.close()
    req = tmp_path / "req.json"
    req.write_text(json.dumps(request_json, ensure_ascii=False), encoding="utf-8")
    out = tmp_path / "pdf"
    out.mkdir()
    rng = random.Random(20261202)
    killed = 0
    seen: set[str] = set()
    for _ in range(KILLS * 2):
        if killed >= KILLS:
            break
        proc = subprocess.Popen(
            [sys.executable, "-c", CHILD, str(real_db_copy), str(req), str(out)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=dict(os.environ, PYTHONPATH=str(ROOT)),
            cwd=ROOT,
            text=True,
        )
        assert proc.stdout is not None and proc.stdin is not None
        try:
            assert proc.stdout.readline().strip() == "ready", proc.stderr.read() if proc.stderr else ""
            proc.stdin.write("go\n")
            proc.stdin.flush()
            time.sleep(rng.uniform(0.05, 1.5))
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=60)
            killed += proc.returncode == -signal.SIGKILL
        finally:
            for stream in (proc.stdout, proc.stderr, proc.stdin):
                if stream:
                    stream.close()
        integrity, rows, last = _state(real_db_copy)
        assert integrity == "ok"
        numbers = [n for n, _s, _st in rows]
        assert len(numbers) == len(set(numbers)) and seen <= set(numbers)  # none lost, none twice
        assert last >= max(s for _n, s, _st in rows)  # the counter never falls behind a number handed out
        seen = set(numbers)
        for pdf in out.glob("*.pdf"):  # every PDF in place is whole: written to a temporary name, then renamed
            data = pdf.read_bytes()
            assert data.startswith(b"%PDF") and data.rstrip().endswith(b"%%EOF"), pdf
    assert killed >= KILLS
    db2 = store.open_db(real_db_copy)
    key = check.secret(db2)
    assert check.chain_problem(db2, key) is None  # every receipt issued is there, as issued
    parsed = service.parse_request(db2, request_json, SETTINGS)
    result = service.estimate(db2, parsed, SETTINGS)
    after = issue.issue(db2, parsed, result, layout.Issuer.from_settings(SETTINGS), "58mm", tmp_path / "x.pdf")
    assert after.number not in seen and issue.verify(db2, after.number, after.check_value).valid
    db2.close()
    print(f"receipts: {killed} kills, {len(seen)} receipts issued between them")
