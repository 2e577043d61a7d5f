"""Tests for desktop/commands/receipts.py: the commands end to end, exit codes and Chinese messages."""

from __future__ import annotations

import csv
import json

from desktop.cli import main
from tests.receipts.conftest import CONFIDENTIAL, pdftotext


def test_receipt_list_reprint_export_verify(db, real_db_copy, request_json, tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    db.close()
    req = tmp_path / "req.json"
    req.write_text(json.dumps(request_json, ensure_ascii=False), encoding="utf-8")
    out = tmp_path / "r.pdf"
    base = ["--db", str(real_db_copy)]
    assert (
        main(
            [
                *base,
                "receipt",
                str(req),
                "--format",
                "58mm",
                "--out",
                str(out),
                "--patient-name",
                "张三",
                "--patient-id",
                "220102199001011239",
                "--json",
            ]
        )
        == 0
    )
    issued = json.loads(capsys.readouterr().out)
    assert issued["patient_total"] == "2391.99"
    text = "".join(pdftotext(out))
    assert issued["number"] in text and "220***********1239" in text and CONFIDENTIAL not in text

    assert main([*base, "receipts", "list", "--json", "--number", issued["number"][-8:]]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [r["number"] for r in listed] == [issued["number"]]
    assert main([*base, "receipts", "list", "--date", "1999-01-01"]) == 0
    assert "没有符合条件的收据" in capsys.readouterr().out

    again = tmp_path / "again.pdf"
    assert main([*base, "receipts", "reprint", issued["number"], "--out", str(again)]) == 0
    assert "【补打】" in pdftotext(again)

    csv_path = tmp_path / "h.csv"
    assert main([*base, "receipts", "export", "--out", str(csv_path)]) == 0
    rows = list(csv.reader(csv_path.read_text(encoding="utf-8-sig").splitlines()))
    assert rows[1][0] == issued["number"] and rows[1][rows[0].index("补打次数")] == "1"

    capsys.readouterr()
    assert main([*base, "receipts", "verify", f"YAOMU1:{issued['number']}:{issued['check']}"]) == 0
    assert "核验通过" in capsys.readouterr().out
    assert main([*base, "receipts", "verify", issued["number"], "AAAA-AAAA-AAAA-AAAA"]) == 3
    assert "核验不通过" in capsys.readouterr().out


def test_refusals_are_chinese_with_exit_2(db, real_db_copy, request_json, tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    db.close()
    base = ["--db", str(real_db_copy)]
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    assert main([*base, "receipt", str(bad), "--out", str(tmp_path / "x.pdf")]) == 2
    assert "不是有效的 JSON" in capsys.readouterr().err
    req = tmp_path / "req.json"
    req.write_text(
        json.dumps({**request_json, "items": [{**request_json["items"][1], "quantity": 0}]}), encoding="utf-8"
    )
    assert main([*base, "receipt", str(req), "--out", str(tmp_path / "x.pdf")]) == 2
    assert "错误：" in capsys.readouterr().err
    assert main([*base, "receipts", "reprint", "P1-20990101-0001", "--out", str(tmp_path / "y.pdf")]) == 2
    assert "没有单号" in capsys.readouterr().err
    assert main([*base, "receipts", "list"]) == 0
    assert "没有符合条件的收据" in capsys.readouterr().out  # the refused requests spent no number
