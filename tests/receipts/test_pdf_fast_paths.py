"""desktop/receipts/pdf.py's own versions of reportlab and qrcode steps give those libraries' own results.

``pdf.py`` replaces a few steps that cost most of a receipt's drawing time (the font subset, the
characters' subset codes, the QR codewords, the page's text operators) with cheaper code. Each is
compared here with the library step it stands for, over inputs far wider than one receipt's.
"""

from __future__ import annotations

import io
import random
import re
import string
import zlib
from typing import Any

import pytest

from desktop.receipts import layout, pdf

#: Texts as receipts print them, and ones no receipt should (Latin-1, no-break space, a character
#: outside the font, rare Chinese characters, PDF string delimiters).
TEXTS = [
    "长春市益民大药房（人民大街店）",
    "定点机构编码：P22010200123",
    "1. 阿莫西林胶囊 口服常释剂型 0.25g×24粒",
    "12.50 × 2",
    "追溯码 81234567890123456789",
    "支付标准：保密；超出支付标准部分（如有）已计入个人负担合计，不列",
    "Été · × ± ° µ é ü ß ½ \u00a0nbsp\u00a0 (a)\\b) 𠀀 \ue000 ☃",
    "龘靐齉 鱻 爨 罍 — …",
    "",
    "\t\n",
]


def _font() -> Any:
    from reportlab.pdfbase import pdfmetrics

    return pdfmetrics.getFont(pdf.register_font())


def _document() -> Any:
    from reportlab.pdfgen.canvas import Canvas

    canvas = Canvas(io.BytesIO(), initialFontName=pdf.register_font())
    pdf._seed(canvas)
    return canvas._doc  # type: ignore[attr-defined]


def test_font_subsets_are_reportlabs_own() -> None:
    """Every character of the font, 255 at a time, and random mixes with missing characters."""
    face = _font().face
    codes = sorted(face.charToGlyph)
    subsets = [[0, *codes[i : i + 255]] for i in range(0, len(codes), 255)]
    rng = random.Random(7)
    subsets += [[0, *rng.sample(codes, rng.randint(1, 255)), 0x10FFFF] for _ in range(40)]
    for subset in subsets:
        assert pdf._make_subset(face, subset) == face.makeSubset(subset), subset[:4]


def test_subset_codes_are_those_reportlab_gives() -> None:
    """Texts split in one document by reportlab, in another by ``_split``: the same runs, the same state."""
    font = _font()
    theirs, ours = _document(), _document()
    added: dict[str, int] = {}
    rng = random.Random(3)
    seeded = list(pdf._seeded().codes)
    others = [chr(c) for c in rng.sample(sorted(font.face.charToGlyph), 600)]
    texts = TEXTS + ["".join(rng.choice(seeded + others) for _ in range(rng.randint(0, 40))) for _ in range(300)]
    for text in texts:
        assert pdf._split(font, text, ours, added) == font.splitString(text, theirs), text
    assert font.state[ours].assignments == font.state[theirs].assignments
    assert font.state[ours].subsets == font.state[theirs].subsets
    assert len(font.state[ours].subsets) > 3  # the texts went well past the seeded subsets


def test_the_seeded_state_is_what_splitting_the_seed_text_gives() -> None:
    font = _font()
    document = _document()  # seeded by copying
    from reportlab.pdfgen.canvas import Canvas

    fresh = Canvas(io.BytesIO(), initialFontName=pdf.register_font())._doc  # type: ignore[attr-defined]
    font.splitString("".join(ch for ch in pdf.SEED_CHARS if ord(ch) in font.face.charToGlyph), fresh)
    ours, theirs = font.state[document], font.state[fresh]
    assert ours.nextCode == pdf._SEEDED_CODES
    assert ours.subsets == [subset for subset in theirs.subsets[:2]]
    assert ours.assignments == {ch: n for ch, n in theirs.assignments.items() if n < pdf._SEEDED_CODES}


def test_widths_are_the_sums_of_reportlabs_character_widths() -> None:
    from reportlab.pdfbase.pdfmetrics import stringWidth

    for text in TEXTS * 2:  # the second time from the text cache
        expected = 0.0
        for ch in text:
            expected += stringWidth(ch, pdf.register_font(), 1.0)
        assert pdf.measure(text) == expected


def _qrcode_matrix(payload: str) -> list[list[bool]]:
    import qrcode
    from qrcode.constants import ERROR_CORRECT_M

    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=0, mask_pattern=pdf.QR_MASK)
    code.add_data(payload)
    code.make(fit=True)
    matrix: list[list[bool]] = code.get_matrix()
    return matrix


def test_qr_codes_are_qrcodes_own() -> None:
    """Payloads of every segment mode and many versions, up to more than a QR code holds."""
    from qrcode.exceptions import DataOverflowError

    rng = random.Random(5)
    alphabets = [
        string.ascii_uppercase + string.digits + ":-",  # alphanumeric mode, like the receipts' payload
        string.digits,  # numeric
        string.ascii_letters + string.digits,  # byte and mixed segments
        "药品追溯码0123456789ABC:-",
    ]
    payloads = [f"YAOMU1:P22010200123-20250301-{i:04d}:RNJ7-HNYS-Z7UU-2VBD" for i in range(20)]
    for i in range(600):
        alphabet = alphabets[i % len(alphabets)]
        payloads.append("".join(rng.choice(alphabet) for _ in range(rng.randint(1, 300 if i % 10 == 0 else 80))))
    payloads.append("9" * 3000)  # more than version 40 holds
    for payload in payloads:
        try:
            expected: object = _qrcode_matrix(payload)
        except DataOverflowError:
            expected = DataOverflowError
        try:
            got: object = pdf._qr_matrix(payload)
        except DataOverflowError:
            got = DataOverflowError
        assert got == expected, payload


@pytest.mark.parametrize("fmt", ["58mm", "80mm", "a5"])
def test_text_operators_are_those_of_reportlabs_text_object(fmt: str) -> None:
    """The page's text as reportlab's PDFTextObject writes it (setFont, setTextRenderMode,
    setTextOrigin, textOut) for the same rows, byte for byte."""
    from reportlab.pdfgen.canvas import Canvas

    page = layout.FORMATS[fmt]
    rows = [
        layout.Line(text, right="12.50" if i % 3 else "", style=style)
        for i, text in enumerate(TEXTS)
        for style in ("text", "strong", "title")
    ]
    rows = layout.wrap(rows, page, pdf.measure)

    ours = Canvas(io.BytesIO(), initialFontName=pdf.register_font(), initialFontSize=page.font_size)
    pdf._seed(ours)
    writer = pdf._Writer(ours, pdf.register_font(), page.font_size, {})
    for n, row in enumerate(rows):
        writer.line(row, 10.0, 150.0, 300.0 - 9 * n)
    writer.flush()

    theirs = Canvas(io.BytesIO(), initialFontName=pdf.register_font(), initialFontSize=page.font_size)
    pdf._seed(theirs)
    text = theirs.beginText()
    size, mode = 0.0, 0
    for n, row in enumerate(rows):
        for fsize, rmode, x, baseline, part in _placed(row, page.font_size, 10.0, 150.0, 300.0 - 9 * n):
            if fsize != size:
                text.setFont(pdf.register_font(), fsize)
                size = fsize
            if rmode != mode:
                text.setTextRenderMode(rmode)
                mode = rmode
            text.setTextOrigin(x, baseline)
            text.textOut(part)
    theirs.setLineWidth(page.font_size * 0.03)
    theirs.drawText(text)

    assert ours._code == theirs._code  # type: ignore[attr-defined]


def _placed(row: layout.Line, size: float, left: float, right: float, bottom: float):  # type: ignore[no-untyped-def]
    """Where ``_Writer.line`` puts a row's parts, worked out again (font size, render mode, x, baseline, text)."""
    fsize = size * (layout.TITLE_SCALE if row.style == "title" else 1.0) * row.scale
    baseline = bottom + 0.38 * fsize
    x = left + row.indent * size
    avail = right - x
    right_w = pdf.measure(row.right) * fsize if row.right else 0.0
    text_w = pdf.measure(row.text) * fsize
    need = text_w + (right_w + size if row.right else 0.0)
    if need > avail:
        fsize *= avail / need
        text_w, right_w = text_w * avail / need, right_w * avail / need
    mode = 2 if row.style in ("strong", "mark") else 0
    if row.style in ("title", "center", "mark") and not row.right:
        yield fsize, mode, left + (right - left - text_w) / 2, baseline, row.text
    else:
        yield fsize, mode, x, baseline, row.text
    if row.right:
        yield fsize, mode, right - right_w, baseline, row.right


def test_page_content_is_flate_only_and_fonts_stay_embedded() -> None:
    """The page stream decodes with Flate alone (no ASCII85) and every font is an embedded subset."""
    fmt = layout.FORMATS["80mm"]
    lines = tuple(layout.wrap([layout.Line(t) for t in TEXTS], fmt, pdf.measure))
    data = pdf.render(layout.Receipt(format=fmt, number="N", lines=lines, qr_payload="YAOMU1:N:C", check_value="C"))
    streams = list(re.finditer(rb"<<([^>]*?)/Length (\d+)([^>]*?)>>\nstream\n", data))
    assert len(streams) >= 7  # the page, and a font program and a ToUnicode map per subset
    decoded = []
    for stream in streams:
        dictionary = stream.group(1) + stream.group(3)
        assert b"/ASCII85Decode" not in dictionary and b"/FlateDecode" in dictionary
        decoded.append(zlib.decompress(data[stream.end() : stream.end() + int(stream.group(2))]))
    assert any(b") Tj" in content for content in decoded)  # the page
    fonts = re.findall(rb"/BaseFont /[A-Z]{6}\+", data)
    assert len(fonts) >= 3 and data.count(b"/FontFile2") == len(fonts)
