"""Tests for numbering.py, history.py, check.py and issue.py: numbers, crash safety, reprints, export, verify."""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import subprocess
import sys
from datetime import date, datetime
from pathlib import Path

import pytest

from desktop.errors import DatabaseError, NotFound, UserFacingError
from desktop.receipts import check, issue, layout, numbering, stored
from desktop.rules import service
from desktop.storage import catalogue as store
from desktop.storage import receipts as history
from tests.receipts.conftest import SETTINGS, pdftotext

ISSUER = layout.Issuer.from_settings(SETTINGS)
ROOT = Path(__file__).resolve().parents[2]


def _issue(db, request, tmp_path, name="r.pdf", **kw):  # type: ignore[no-untyped-def]
    parsed = service.parse_request(db, request, SETTINGS)
    result = service.estimate(db, parsed, SETTINGS)
    return issue.issue(db, parsed, result, ISSUER, kw.pop("fmt", "80mm"), tmp_path / name, **kw)


def test_numbers_are_unique_and_increase_per_pharmacy() -> None:
    db = store.open_db(":memory:")
    days = [date(2025, 3, 1)] * 3 + [date(2025, 3, 2), date(2025, 2, 27), date(2025, 3, 2)]
    taken = [numbering.next_number(db, "P1", d) for d in days]
    other = numbering.next_number(db, "P2", date(2025, 3, 1))
    assert [str(n) for n in taken] == [
        "P1-20250301-0001",
        "P1-20250301-0002",
        "P1-20250301-0003",
        "P1-20250302-0001",
        # the clock went back to 02-27: stay on the last day used, never go below a printed number
        "P1-20250302-0002",
        "P1-20250302-0003",
    ]
    assert taken == sorted(taken) and len(set(taken)) == len(taken)
    assert str(other) == "P2-20250301-0001"


_CRASHER = r"""
import json, sys, time
from datetime import datetime
from pathlib import Path
from desktop.storage import catalogue as store
from desktop.receipts import issue, layout
from desktop import settings as s
from desktop.rules import service

db = store.open_db(sys.argv[1])
settings = s.get(db)
request = service.parse_request(db, json.loads(Path(sys.argv[2]).read_text(encoding="utf-8")), settings)
result = service.estimate(db, request, settings)

def reserved(number):
    print(number, flush=True)
    time.sleep(60)  # killed here: the number is committed, the PDF never drawn

issue.issue(db, request, result, layout.Issuer.from_settings(settings), "58mm", Path(sys.argv[3]),
            on_reserved=reserved)
"""


def test_number_survives_a_crash_after_reserving(db, real_db_copy, request_json, tmp_path) -> None:  # type: ignore[no-untyped-def]
    first = _issue(db, request_json, tmp_path, "first.pdf")
    req = tmp_path / "req.json"
    req.write_text(json.dumps(request_json, ensure_ascii=False), encoding="utf-8")
    out = tmp_path / "crashed.pdf"
    with subprocess.Popen(
        [sys.executable, "-c", _CRASHER, str(real_db_copy), str(req), str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    ) as proc:
        try:
            crashed_number = proc.stdout.readline().strip()  # type: ignore[union-attr]
        finally:
            os.kill(proc.pid, signal.SIGKILL)  # the crash: no clean-up, no exception handler runs
            _, err = proc.communicate()
    assert crashed_number, err
    assert proc.returncode == -signal.SIGKILL
    assert not out.exists()

    after = store.open_db(real_db_copy)
    nxt = _issue(after, request_json, tmp_path, "next.pdf")
    seq = lambda n: int(n.rsplit("-", 1)[1])  # noqa: E731
    assert seq(first.number) < seq(crashed_number) < seq(nxt.number)
    record = history.get(after, crashed_number)
    assert record.status == "reserved"
    # the reserved receipt can still be drawn, as a 补打, with its own number
    again = issue.reprint(after, crashed_number, tmp_path / "recovered.pdf")
    assert f"单号：{crashed_number}" in pdftotext(again.path)
    after.close()


def test_reprint_is_the_original_plus_the_mark(db, request_json, tmp_path) -> None:  # type: ignore[no-untyped-def]
    for fmt in ("58mm", "80mm", "a5"):
        original = _issue(
            db, request_json, tmp_path, f"o-{fmt}.pdf", fmt=fmt, patient_name="张三", patient_id="220102199001011239"
        )
        again = issue.reprint(db, original.number, tmp_path / f"re-{fmt}.pdf", staff="李明")
        before, after = pdftotext(original.path), pdftotext(again.path)
        assert after.count(layout.REPRINT_MARK) == 1 and layout.REPRINT_MARK not in before
        assert [row for row in after if row != layout.REPRINT_MARK] == before
        assert again.check_value == original.check_value
    record = history.get(db, original.number)
    assert record.reprints == 1 and record.status == "printed"


def test_history_keeps_everything_and_searches(db, request_json, tmp_path) -> None:  # type: ignore[no-untyped-def]
    a = _issue(db, request_json, tmp_path, "a.pdf", now=datetime(2025, 3, 1, 9, 0, 0))
    b = _issue(db, request_json, tmp_path, "b.pdf", now=datetime(2025, 3, 2, 9, 0, 0), patient_name="张三")
    rec = history.get(db, a.number)
    parsed = service.parse_request(db, request_json, SETTINGS)
    # Kept as printed: the "*" line's standard from the request is not stored (issue 10).
    kept = stored.load_request(rec.request, rec.number)
    want = parsed.to_json()
    assert kept["items"][1:] == want["items"][1:]
    assert kept["items"][0] == {k: v for k, v in want["items"][0].items() if k != "payment_standard"}
    assert stored.load_estimate(rec.result, rec.number) == service.estimate(db, parsed, SETTINGS)
    assert rec.staff == "王芳" and rec.issued_at == "2025-03-01 09:00:00"
    assert rec.catalogue_version.startswith("2024年版（修订版），数据校验 ")
    assert [r.number for r in history.search(db, day=date(2025, 3, 2))] == [b.number]
    assert [r.number for r in history.search(db, number="20250301")] == [a.number]
    assert [r.number for r in history.search(db)] == [b.number, a.number]
    assert history.search(db, number="%") == []
    with pytest.raises(NotFound, match="没有单号"):
        history.get(db, "P22010200123-20990101-0001")


def test_full_id_number_is_never_stored(db, request_json, tmp_path) -> None:  # type: ignore[no-untyped-def]
    done = _issue(db, request_json, tmp_path, patient_id="220102199001011239")
    dump = "\n".join(db.conn.iterdump())
    assert "220102199001011239" not in dump
    assert history.get(db, done.number).patient_id_masked == "220***********1239"


def test_csv_export_is_safe_against_formula_injection(db, request_json, tmp_path) -> None:  # type: ignore[no-untyped-def]
    names = ['=HYPERLINK("http://evil","x")', "+1", "-2+3", "@SUM(A1)", "\tTab", "\rCR", "张三"]
    for n, name in enumerate(names):
        _issue(
            db,
            request_json,
            tmp_path,
            f"{n}.pdf",
            patient_name=name.replace("\t", "").replace("\r", "") if name[0] in "\t\r" else name,
        )
    text = history.to_csv(history.search(db))
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:3] == ["单号", "开具时间", "经办人"]
    col = rows[0].index("患者")
    cells = [row[col] for row in rows[1:]]
    for cell in cells:
        assert not cell.startswith(history.FORMULA_STARTS), cell
    assert '\'=HYPERLINK("http://evil","x")' in cells and "'+1" in cells and "'-2+3" in cells
    assert "'@SUM(A1)" in cells and "张三" in cells
    assert history.safe_cell("\tTab") == "'\tTab" and history.safe_cell("\rCR") == "'\rCR"


def test_verify_accepts_the_original_and_rejects_a_forgery(db, request_json, tmp_path) -> None:  # type: ignore[no-untyped-def]
    done = _issue(db, request_json, tmp_path)
    ok = issue.verify(db, done.number, done.check_value.lower().replace("-", " "))
    assert ok.valid and "核验通过" in ok.message
    assert "个人负担合计 2391.99" in ok.lines
    scanned = check.parse_qr(done.receipt.qr_payload)
    assert (scanned.number, scanned.check) == (done.number, done.check_value)
    flipped = ("A" if done.check_value[0] != "A" else "B") + done.check_value[1:]
    bad = issue.verify(db, done.number, flipped)
    assert not bad.valid and "核验不通过" in bad.message
    with pytest.raises(UserFacingError, match="校验码"):
        issue.verify(db, done.number, "12345")


def test_altered_history_is_refused(db, request_json, tmp_path) -> None:  # type: ignore[no-untyped-def]
    done = _issue(db, request_json, tmp_path)
    record = history.get(db, done.number)
    forged = {**record.result, "patient_total": "1.00"}
    db.execute("update receipt set result = ? where number = ?", [json.dumps(forged, ensure_ascii=False), done.number])
    with pytest.raises(DatabaseError, match="不一致"):
        issue.reprint(db, done.number, tmp_path / "x.pdf")
    verdict = issue.verify(db, done.number, done.check_value)  # paper and check value are genuine, the row is not
    assert not verdict.valid and "不一致" in verdict.message


def test_check_value_depends_on_content_number_and_key() -> None:
    base = check.compute(b"k" * 32, "P1-20250301-0001", "个人负担合计 7.50")
    assert check.compute(b"k" * 32, "P1-20250301-0001", "个人负担合计 7.51") != base
    assert check.compute(b"k" * 32, "P1-20250301-0002", "个人负担合计 7.50") != base
    assert check.compute(b"j" * 32, "P1-20250301-0001", "个人负担合计 7.50") != base


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"fmt": "a4"}, "纸张格式"),
        ({"patient_id": "220102-1990"}, "证件号码无效"),
        ({"patient_name": "张" * 41}, "患者姓名无效"),
        ({"name": "missing/dir/r.pdf"}, "不存在"),
    ],
)
def test_bad_input_changes_nothing(db, request_json, tmp_path, kw, message) -> None:  # type: ignore[no-untyped-def]
    before = store.content_hash(db)
    with pytest.raises(UserFacingError, match=message):
        _issue(db, request_json, tmp_path, **kw)
    assert store.content_hash(db) == before


def test_unwritable_output_keeps_the_number_for_a_reprint(db, request_json, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    def fail(out, data):  # type: ignore[no-untyped-def]
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(issue, "_write", fail)
    with pytest.raises(UserFacingError, match="已登记") as err:
        _issue(db, request_json, tmp_path)
    number = history.search(db)[0].number
    assert number in str(err.value) and "reprint" in str(err.value)
    assert history.get(db, number).status == "reserved"


_COUNTER = r"""
import json, sys
from pathlib import Path
from desktop.storage import catalogue as store
from desktop.receipts import issue, layout
from desktop import settings as s
from desktop.rules import service

db = store.open_db(sys.argv[1])
settings = s.get(db)
request = service.parse_request(db, json.loads(Path(sys.argv[2]).read_text(encoding="utf-8")), settings)
result = service.estimate(db, request, settings)
issuer = layout.Issuer.from_settings(settings.with_changes(counter=sys.argv[3]))
for i in range(int(sys.argv[4])):
    done = issue.issue(db, request, result, issuer, "58mm", Path(sys.argv[5]) / f"{sys.argv[3]}-{i}.pdf")
    print(done.number, flush=True)
"""


def test_two_counters_sharing_the_database_never_share_a_number(db, real_db_copy, request_json, tmp_path) -> None:  # type: ignore[no-untyped-def]
    req = tmp_path / "req.json"
    req.write_text(json.dumps(request_json, ensure_ascii=False), encoding="utf-8")
    db.close()
    n = 12
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _COUNTER, str(real_db_copy), str(req), counter, str(n), str(tmp_path)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        for counter in ("1号", "2号")
    ]
    numbers: list[str] = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        numbers += out.split()
    assert len(numbers) == len(set(numbers)) == 2 * n
    assert sorted(int(x.rsplit("-", 1)[1]) for x in numbers) == list(range(1, 2 * n + 1))
    after = store.open_db(real_db_copy)
    assert {r.number for r in history.search(after)} == set(numbers)
    after.close()


_TIGHT = r"""
import sys
from datetime import date
from desktop.storage import catalogue as store
from desktop.receipts import numbering

db = store.open_db(sys.argv[1])
for _ in range(int(sys.argv[2])):
    with db.atomic():
        print(numbering.next_number(db, "P22010200123", date(2025, 3, 1)), flush=True)
"""


def test_concurrent_reservations_in_a_tight_loop_stay_unique(real_db_copy) -> None:  # type: ignore[no-untyped-def]
    n = 300
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _TIGHT, str(real_db_copy), str(n)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        for _ in range(3)
    ]
    numbers: list[str] = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        numbers += out.split()
    assert len(numbers) == len(set(numbers)) == 3 * n


def test_locked_database_is_a_clear_refusal(db, real_db_copy, request_json, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import sqlite3

    request = service.parse_request(db, request_json, SETTINGS)
    result = service.estimate(db, request, SETTINGS)
    check.secret(db)
    db.execute("PRAGMA busy_timeout = 50")
    other = sqlite3.connect(real_db_copy, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another program holds the write lock
    try:
        before = store.content_hash(db)
        with pytest.raises(DatabaseError, match="没有占用单号"):
            issue.issue(db, request, result, ISSUER, "80mm", tmp_path / "x.pdf")
        assert not (tmp_path / "x.pdf").exists()
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert store.content_hash(db) == before
    assert issue.issue(db, request, result, ISSUER, "80mm", tmp_path / "x.pdf").number.endswith("-0001")


V1_ROW = ROOT / "tests" / "receipts" / "data" / "receipt_v1.json"


def test_a_row_in_the_pre_schema_version_format_still_loads_reprints_and_verifies(db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """receipt_v1.json was written by the code before the typed contract (no schema_version)."""
    fixture = json.loads(V1_ROW.read_text(encoding="utf-8"))
    row = dict(fixture["row"])
    assert "schema_version" not in json.loads(row["result"]) and "schema_version" not in json.loads(row["request"])
    # Same database, same key: sign the captured text as the original database did.
    row["check_value"] = check.compute(check.secret(db), row["number"], fixture["signed_text"])
    db["receipt"].insert(row)
    record = history.get(db, row["number"])
    assert stored.load_estimate(record.result, record.number).to_json() == fixture["estimate_json"]  # nothing lost
    assert stored.load_request(record.request, record.number) == json.loads(row["request"])
    body, _issuer, _meta = issue._rebuild(db, record)
    assert layout.signed_text(body) == fixture["signed_text"]  # the same lines as the original receipt
    assert issue.verify(db, row["number"], row["check_value"]).valid
    again = issue.reprint(db, row["number"], tmp_path / "v1.pdf")
    assert f"单号：{row['number']}" in pdftotext(again.path)


def test_history_writes_the_current_schema_version_and_refuses_a_newer_one(db, request_json, tmp_path) -> None:  # type: ignore[no-untyped-def]
    done = _issue(db, request_json, tmp_path)
    record = history.get(db, done.number)
    result, request = record.result, record.request
    assert result["schema_version"] == request["schema_version"] == stored.SCHEMA_VERSION == 2
    assert isinstance(result["edition_id"], int)
    newer = json.dumps({**result, "schema_version": stored.SCHEMA_VERSION + 1}, ensure_ascii=False)
    db.execute("update receipt set result = ? where number = ?", [newer, done.number])
    with pytest.raises(DatabaseError, match="更新版本"):
        issue.reprint(db, done.number, tmp_path / "newer.pdf")
    with pytest.raises(DatabaseError, match="更新版本"):
        issue.verify(db, done.number, done.check_value)
