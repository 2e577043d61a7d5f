"""Tests for desktop/receipts/pdf.py through real issues: extracted text, embedded font, pages, no leak."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from desktop.receipts import issue, layout
from desktop.rules import service
from tests.receipts.conftest import CONFIDENTIAL, PRICE, SETTINGS, pdffonts_rows, pdfinfo, pdftotext

ISSUER = layout.Issuer.from_settings(SETTINGS)


def _issue(db, request, fmt, tmp_path, **kw):  # type: ignore[no-untyped-def]
    parsed = service.parse_request(db, request, SETTINGS)
    result = service.estimate(db, parsed, SETTINGS)
    kw.setdefault("force", True)  # some tests draw twice into the same file
    return result, issue.issue(db, parsed, result, ISSUER, fmt, tmp_path / f"r-{fmt}.pdf", **kw)


def test_engine_gives_the_totals_the_layout_tests_use(db, request_json) -> None:  # type: ignore[no-untyped-def]
    from tests.receipts.test_layout import RESULT

    result = service.estimate_json(db, request_json, SETTINGS)
    keys = [k for k, _ in layout.BREAKDOWN]
    assert {k: result[k] for k in keys} == {k: RESULT[k] for k in keys}
    assert [ln["over_standard"] for ln in result["lines"]] == [ln["over_standard"] for ln in RESULT["lines"]]


@pytest.mark.parametrize("fmt", ["58mm", "80mm", "a5"])
def test_text_of_each_layout_matches_its_lines(db, request_json, tmp_path, fmt) -> None:  # type: ignore[no-untyped-def]
    _, done = _issue(db, request_json, fmt, tmp_path, patient_name="张三", patient_id="220102199001011239")
    data = done.path.read_bytes()
    assert data.startswith(b"%PDF-")
    expected = [" ".join(t.split()) for t in done.receipt.text_lines()]
    assert pdftotext(done.path) == expected
    assert "本单为费用预估，以医保结算为准" in expected
    rows = pdftotext(done.path)
    for row in (
        "总费用 4435.00",
        "全自费 0.00",
        "超支付标准 2.34",
        "先行自付 2.77",
        "政策范围内费用 49.89",
        "起付线 0.00",
        "统筹支付 2043.01",
        "个人自付 14.97",
        "保密品种个人负担（不分项） 2371.91",
        "个人负担合计 2391.99",
        "4380.00 × 1 4380.00",
        "12.50 × 2 25.00",
        "10.00 × 3 30.00",
    ):
        assert row in rows, row
    assert "证件号：220***********1239" in " ".join(expected)
    assert "220102199001011239" not in " ".join(pdftotext(done.path))
    info = pdfinfo(done.path)
    if fmt == "a5":
        width, height = (float(v) for v in info["Page size"].split()[0:3:2])
        assert (round(width / 72 * 25.4), round(height / 72 * 25.4)) == (148, 210)
    else:
        assert info["Pages"] == "1"
        width = float(info["Page size"].split()[0])
        assert round(width / 72 * 25.4) == int(fmt[:2])


def test_thermal_page_height_follows_the_content(db, request_json, tmp_path) -> None:  # type: ignore[no-untyped-def]
    _, short = _issue(db, {**request_json, "items": request_json["items"][1:2]}, "80mm", tmp_path)
    short_h = float(pdfinfo(short.path)["Page size"].split()[2])
    _, long = _issue(db, {**request_json, "items": request_json["items"] * 6}, "80mm", tmp_path)
    info = pdfinfo(long.path)
    assert info["Pages"] == "1"
    assert float(info["Page size"].split()[2]) > short_h * 2


def test_a5_breaks_long_baskets_onto_numbered_pages(db, request_json, tmp_path) -> None:  # type: ignore[no-untyped-def]
    _, done = _issue(db, {**request_json, "items": request_json["items"] * 6}, "a5", tmp_path)
    pages = int(pdfinfo(done.path)["Pages"])
    assert pages >= 2
    raw = subprocess.run(["pdftotext", str(done.path), "-"], capture_output=True, text=True, check=True).stdout
    assert f"第{pages}/{pages}页" in "".join(raw.split())
    assert pdftotext(done.path) == [" ".join(t.split()) for t in done.receipt.text_lines()]


@pytest.mark.parametrize("fmt", ["58mm", "80mm", "a5"])
def test_font_is_embedded_and_nothing_else_is_needed(db, request_json, tmp_path, fmt) -> None:  # type: ignore[no-untyped-def]
    _, done = _issue(db, request_json, fmt, tmp_path)
    rows = pdffonts_rows(done.path)
    assert rows, "no fonts listed"
    assert all(row["emb"] == "yes" for row in rows), rows
    assert all("WenQuanYiMicroHei" in row["name"] for row in rows), rows


def _render_gray(pdf: Path, env: dict[str, str] | None = None) -> bytes:
    out = subprocess.run(
        ["pdftoppm", "-r", "50", "-gray", "-f", "1", "-l", "1", str(pdf)], capture_output=True, check=True, env=env
    ).stdout
    return out


def test_renders_the_same_with_no_system_font(db, request_json, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A fontconfig with no font directory at all: the receipt still draws, pixel for pixel."""
    _, done = _issue(db, request_json, "58mm", tmp_path)
    conf = tmp_path / "fonts.conf"
    conf.write_text(
        '<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd"><fontconfig>'
        f"<cachedir>{tmp_path / 'fc-cache'}</cachedir></fontconfig>",
        encoding="utf-8",
    )
    bare = {**os.environ, "FONTCONFIG_FILE": str(conf), "FONTCONFIG_PATH": str(tmp_path)}
    listed = subprocess.run(["fc-list"], capture_output=True, text=True, env=bare).stdout if _has("fc-list") else ""
    assert listed.strip() == ""
    normal, without = _render_gray(done.path), _render_gray(done.path, bare)
    assert without == normal
    header_end = without.index(b"255\n") + 4
    pixels = without[header_end:]
    assert sum(1 for b in pixels if b < 128) > len(pixels) // 50  # text and QR are really there


def _has(tool: str) -> bool:
    import shutil

    return shutil.which(tool) is not None


@pytest.mark.parametrize("fmt", ["58mm", "80mm", "a5"])
def test_confidential_standard_never_printed(db, request_json, tmp_path, fmt) -> None:  # type: ignore[no-untyped-def]
    result, done = _issue(db, request_json, fmt, tmp_path)
    line = result.to_json()["lines"][0]
    assert line["confidential"] and line["payment_standard_shown"] == "保密"
    over_per_unit = f"{float(PRICE) - float(CONFIDENTIAL):.2f}"  # 1192.55: what would give the standard away
    # The engine did use the supplied standard: base 3187.45, first 10 % 318.75, scope 2868.70, fund 70 % 2008.09;
    # the line shows none of its components.
    assert line["fund"] == "2008.09" and line["over_standard"] is None and line["first_self_pay"] is None
    text = "\n".join(pdftotext(done.path))
    squashed = "".join(text.split())
    for secret in (CONFIDENTIAL, CONFIDENTIAL.replace(".", ""), "3187.5", over_per_unit, "318.75", "2868.70", "860.61"):
        assert secret not in text and secret not in squashed, secret
    assert "支付标准：保密" in squashed
    assert done.pdf.find(CONFIDENTIAL.encode()) == -1


def test_confidential_standard_entered_never_printed(db, request_json, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from desktop.rules import confidential
    from desktop.storage import catalogue as store

    item = dict(request_json["items"][0])
    standard = item.pop("payment_standard")
    confidential.enter(db, store.get_entry(db, item["entry"]), "", standard)  # the form's path
    request = service.parse_request(db, {**request_json, "items": [item]}, SETTINGS)
    result = service.estimate(db, request, SETTINGS)
    assert str(result.lines[0].amounts.fund) == "2008.09"  # computed with the entered standard
    done = issue.issue(db, request, result, ISSUER, "80mm", tmp_path / "s.pdf")
    text = "".join("".join(pdftotext(done.path)).split())
    assert CONFIDENTIAL not in text and "1192.55" not in text


@pytest.mark.parametrize("fmt", ["58mm", "80mm", "a5"])
def test_qr_code_scans_at_thermal_printer_resolution(db, request_json, tmp_path, fmt) -> None:  # type: ignore[no-untyped-def]
    """Rendered black-and-white at 203 dpi (a thermal head), a barcode reader gets number and check back."""
    import shutil

    if shutil.which("zbarimg") is None:
        pytest.fail("zbarimg is required: apt-get install -y zbar-tools")
    _, done = _issue(db, request_json, fmt, tmp_path)
    pages = int(pdfinfo(done.path)["Pages"])
    prefix = tmp_path / f"scan-{fmt}"
    subprocess.run(
        ["pdftoppm", "-r", "203", "-mono", "-png", "-f", str(pages), "-l", str(pages), str(done.path), str(prefix)],
        check=True,
    )
    image = next(tmp_path.glob(f"scan-{fmt}*.png"))
    scanned = subprocess.run(["zbarimg", "-q", "--raw", str(image)], capture_output=True, text=True).stdout.strip()
    assert scanned == f"YAOMU1:{done.number}:{done.check_value}"
    assert issue.verify(db, *scanned.split(":")[1:]).valid


def _dark_columns(pdf: Path, tmp_path: Path, dpi: int = 203) -> tuple[int, int, int]:
    """Rendered black-and-white at ``dpi`` (a thermal head): (page width px, first, last dark column)."""
    out = tmp_path / f"{pdf.stem}-{dpi}"
    subprocess.run(["pdftoppm", "-r", str(dpi), "-mono", "-f", "1", "-l", "1", str(pdf), str(out)], check=True)
    data = next(tmp_path.glob(f"{out.name}*.pbm")).read_bytes()
    fields = data.split(maxsplit=3)  # P4, width, height, packed rows (1 = black)
    assert fields[0] == b"P4"
    width, height, bits = int(fields[1]), int(fields[2]), fields[3]
    stride = (width + 7) // 8
    first, last = width, -1
    for row in range(height):
        line = bits[row * stride : (row + 1) * stride]
        if not any(line):
            continue
        for x in range(width):
            if line[x // 8] & (0x80 >> (x % 8)):
                first = min(first, x)
                break
        for x in range(width - 1, -1, -1):
            if line[x // 8] & (0x80 >> (x % 8)):
                last = max(last, x)
                break
    return width, first, last


@pytest.mark.parametrize(("fmt", "printable", "setting"), [("58mm", 48, None), ("58mm", 52, "52"), ("80mm", 72, None)])
def test_thermal_receipt_stays_within_the_printable_width(db, request_json, tmp_path, fmt, printable, setting) -> None:  # type: ignore[no-untyped-def]
    """At 203 dpi nothing is drawn where the print head does not reach (58 mm rolls print 48 mm by default)."""
    _, done = _issue(db, request_json, fmt, tmp_path, printable_width_mm=setting)
    width, first, last = _dark_columns(done.path, tmp_path)
    dots_per_mm = 203 / 25.4
    paper = float(fmt.removesuffix("mm"))
    assert abs(width - paper * dots_per_mm) <= 1
    left_edge = (paper - printable) / 2 * dots_per_mm
    assert first >= left_edge - 1 and last <= width - left_edge + 1, (first, last, left_edge)
    # and the printable width is used: the text reaches close to both edges of it
    assert first <= left_edge + 3 * dots_per_mm and last >= width - left_edge - 3 * dots_per_mm
    # a reprint is laid out for the same printer
    again = issue.reprint(db, done.number, tmp_path / "again.pdf")
    assert _dark_columns(again.path, tmp_path)[1:] == (first, last)


def test_printable_width_is_checked_before_anything_is_recorded(db, request_json, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from desktop.errors import UserFacingError

    before = db.execute("select count(*) from receipt").fetchone()[0]
    with pytest.raises(UserFacingError, match="可打印宽度“60”无效"):
        _issue(db, request_json, "58mm", tmp_path, printable_width_mm="60")
    assert db.execute("select count(*) from receipt").fetchone()[0] == before
    assert layout.get_format("a5", "60") is layout.FORMATS["a5"]  # A5 has no print head
    assert layout.get_format("58mm", "50 mm").printable_mm == 50


TRACE = ["81055660012345678901", "83917520000456123402", "83917520000456123419"]


@pytest.mark.parametrize(("fmt", "printable", "setting"), [("58mm", 48, None), ("58mm", 30, "30"), ("80mm", 72, None)])
def test_trace_codes_print_whole_within_the_width(db, request_json, tmp_path, fmt, printable, setting) -> None:  # type: ignore[no-untyped-def]
    """The PDF's text has each 药品追溯码 whole on one row, and at 203 dpi nothing lies outside the width."""
    request = {**request_json, "items": [dict(item) for item in request_json["items"]]}
    request["items"][0]["trace_codes"] = TRACE[:1]
    request["items"][1]["trace_codes"] = TRACE[1:]
    _, done = _issue(db, request, fmt, tmp_path, printable_width_mm=setting)
    rows = pdftotext(done.path)
    for code in TRACE:
        assert len([row for row in rows if code in row]) == 1, (code, rows)
    width, first, last = _dark_columns(done.path, tmp_path)
    left_edge = (float(fmt.removesuffix("mm")) - printable) / 2 * 203 / 25.4
    assert first >= left_edge - 1 and last <= width - left_edge + 1, (first, last, left_edge)
