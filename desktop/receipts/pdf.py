"""Drawing a laid-out receipt with reportlab: the bundled Chinese font embedded, nothing decided here.

``layout.py`` decides every word and where lines break; this module only places them. The font is
WenQuanYi Micro Hei from ``resources/fonts/`` as an embedded TrueType subset: the built-in CID font
``STSong-Light`` is not embedded and a viewer without Chinese fonts would show a blank receipt
(PLATFORM.md). Thermal formats get a single page as tall as the content; A5 breaks onto more pages.
"""

from __future__ import annotations

import io
from functools import cache
from typing import Any

from desktop import APP_TITLE, paths
from desktop.receipts.layout import RULE_HEIGHT, TITLE_SCALE, Line, PageFormat, Receipt, row_height

FONT_NAME = "YaomuWQY"
FONT_FILE = "fonts/wqy-microhei.ttc"

MM = 72 / 25.4
QR_MASK = 2


@cache
def register_font() -> str:
    """Register the bundled font with reportlab once per process (~180 ms); returns its name."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    pdfmetrics.registerFont(TTFont(FONT_NAME, str(paths.resource_path(FONT_FILE)), subfontIndex=0))
    return FONT_NAME


_WIDTHS: dict[str, float] = {}


def measure(text: str) -> float:
    """Width of ``text`` in em of the bundled font (the ``layout.Measure`` used for printing).

    reportlab's TrueType width is the plain sum of glyph advances (no kerning), so widths are
    cached per character: wrapping measures the same characters thousands of times.
    """
    total = 0.0
    for ch in text:
        width = _WIDTHS.get(ch)
        if width is None:
            from reportlab.pdfbase.pdfmetrics import stringWidth

            width = _WIDTHS[ch] = float(stringWidth(ch, register_font(), 1.0))
        total += width
    return total


def _height(line: Line, fmt: PageFormat) -> float:
    return row_height(line, fmt) * fmt.font_size


def _qr_matrix(payload: str) -> list[list[bool]]:
    import qrcode
    from qrcode.constants import ERROR_CORRECT_M

    # A fixed mask: choosing the "best" of eight costs more than the rest of the receipt, and any
    # mask gives a valid code that phone and counter scanners read.
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=0, mask_pattern=QR_MASK)
    code.add_data(payload)
    code.make(fit=True)
    return code.get_matrix()


def render(receipt: Receipt) -> bytes:
    """The PDF of ``receipt`` as bytes."""
    from reportlab.pdfgen.canvas import Canvas

    font = register_font()
    fmt = receipt.format
    size = fmt.font_size
    margin = fmt.margin_mm * MM
    width = fmt.width_mm * MM
    qr_side = fmt.qr_mm * MM
    beside = fmt.qr_beside_header
    qr_block = 0.0 if beside else qr_side + size  # the code plus a gap above it, when it closes the receipt
    body_h = sum(_height(line, fmt) for line in receipt.lines)
    foot_h = sum(_height(line, fmt) for line in receipt.footer)
    if fmt.height_mm is None:  # thermal roll: one page exactly as tall as the content
        height = 2 * margin + body_h + qr_block + foot_h
    else:
        height = fmt.height_mm * MM

    # Paginate first (A5 may need more pages), so each page can say "第 n / m 页".
    pages: list[list[Line]] = [[]]
    room = height - 2 * margin
    for line in receipt.lines:
        h = _height(line, fmt)
        if h > room and fmt.height_mm is not None and pages[-1]:
            pages.append([])
            room = height - 2 * margin
        pages[-1].append(line)
        room -= h
    if fmt.height_mm is not None and not beside and qr_block + foot_h > room and len(pages[-1]) > 1:
        # The QR must not stand alone on a page: take the notes and the disclaimer along with it.
        last = pages[-1]
        cut = max((i for i, line in enumerate(last) if line.style == "rule"), default=len(last) - 1) + 1
        cut = min(cut, len(last) - 1)
        pages[-1], tail = last[:cut], last[cut:]
        pages.append(tail)
    elif fmt.height_mm is not None and foot_h > room:
        pages.append([])

    buf = io.BytesIO()
    # types-reportlab 5.0 types initialFontName as a float; reportlab takes the font's name.
    fonts: dict[str, Any] = {"initialFontName": font, "initialFontSize": size}
    canvas = Canvas(buf, pagesize=(width, height), pageCompression=1, **fonts)
    canvas.setTitle(f"医保药品费用预估单 {receipt.number}")
    canvas.setCreator(APP_TITLE)
    matrix = _qr_matrix(receipt.qr_payload)
    for n, page in enumerate(pages, start=1):
        y = height - margin
        for line in page:
            h = _height(line, fmt)
            if beside and n == 1 and line.style not in ("title", "center", "mark") and matrix:
                # the first row under the title: the QR sits at its right (layout narrowed these rows)
                _draw_qr(canvas, matrix, width - margin - qr_side, y - qr_side, qr_side)
                matrix = []
            right = margin + line.width * size if line.width else width - margin
            _draw_line(canvas, line, font, size, margin, right, y - h)
            y -= h
        if len(pages) > 1:
            canvas.setFont(font, size * 0.8)
            canvas.drawCentredString(width / 2, margin / 2, f"第 {n} / {len(pages)} 页")
        if n < len(pages):
            canvas.showPage()
    if not beside:
        y -= size
        _draw_qr(canvas, matrix, (width - qr_side) / 2, y - qr_side, qr_side)
        y -= qr_side
    for line in receipt.footer:
        h = _height(line, fmt)
        _draw_line(canvas, line, font, size, margin, width - margin, y - h)
        y -= h
    canvas.showPage()
    canvas.save()
    return buf.getvalue()


def _draw_line(canvas, line: Line, font: str, size: float, left: float, right: float, bottom: float) -> None:  # type: ignore[no-untyped-def]
    if line.style == "rule":
        canvas.saveState()
        canvas.setLineWidth(0.5)
        canvas.setDash(2, 1.5)
        mid = bottom + RULE_HEIGHT * size / 2
        canvas.line(left, mid, right, mid)
        canvas.restoreState()
        return
    fsize = size * (TITLE_SCALE if line.style == "title" else 1.0)
    baseline = bottom + 0.38 * fsize  # descender room inside the line height
    x = left + line.indent * size
    avail = right - x
    right_w = measure(line.right) * fsize if line.right else 0.0
    text_w = measure(line.text) * fsize
    # layout.wrap keeps lines within the width; shrink rather than run off the paper if metrics disagree.
    need = text_w + (right_w + size if line.right else 0.0)
    if need > avail:
        fsize *= avail / need
        text_w, right_w = text_w * avail / need, right_w * avail / need
    canvas.saveState()  # the text render mode below is graphics state: keep it to this line
    text = canvas.beginText()
    text.setFont(font, fsize)
    if line.style in ("strong", "mark"):  # the font has no bold face: fill and stroke the outlines
        text.setTextRenderMode(2)
        canvas.setLineWidth(fsize * 0.03)
    if line.style in ("title", "center", "mark") and not line.right:
        text.setTextOrigin(left + (right - left - text_w) / 2, baseline)
    else:
        text.setTextOrigin(x, baseline)
    text.textOut(line.text)
    canvas.drawText(text)
    if line.right:
        rt = canvas.beginText()
        rt.setFont(font, fsize)
        if line.style in ("strong", "mark"):
            rt.setTextRenderMode(2)
        rt.setTextOrigin(right - right_w, baseline)
        rt.textOut(line.right)
        canvas.drawText(rt)
    canvas.restoreState()


def _draw_qr(canvas, matrix: list[list[bool]], x: float, y: float, side: float) -> None:  # type: ignore[no-untyped-def]
    """Draw the modules as one filled path: a rectangle per horizontal run of dark modules.

    Coordinates are whole modules under a scaling transform, which keeps the content stream
    short (about a third of the drawing time went into formatting fractional coordinates).
    """
    n = len(matrix)
    path = canvas.beginPath()
    for r, row in enumerate(matrix):
        c = 0
        while c < n:
            if not row[c]:
                c += 1
                continue
            start = c
            while c < n and row[c]:
                c += 1
            path.rect(start, n - 1 - r, c - start, 1)
    canvas.saveState()
    canvas.translate(x, y)
    canvas.scale(side / n, side / n)
    canvas.setFillColorRGB(0, 0, 0)
    canvas.drawPath(path, stroke=0, fill=1)
    canvas.restoreState()
