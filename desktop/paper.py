"""Receipt paper: the formats (thermal rolls, A5) and the printable width a thermal printer may be set to.

Below both the settings (which validate ``printable_width_mm``) and the receipts (which lay out and draw
on these formats), so neither has to import the other.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation


@dataclass(frozen=True)
class PageFormat:
    """A paper format. Thermal rolls have no fixed height: the page is fitted to the content."""

    name: str
    width_mm: float
    height_mm: float | None  # None: fitted to the content (thermal roll)
    margin_mm: float
    font_size: float  # points
    qr_mm: float
    leading: float = 1.45  # line height in multiples of the font size
    qr_beside_header: bool = False  # QR at the top right, header rows narrowed beside it (A5)
    #: Thermal rolls: the width the print head reaches, centred on the paper (None: width less margins).
    printable_mm: float | None = None

    @property
    def side_mm(self) -> float:
        """Left and right margin: whatever the print head cannot reach, else ``margin_mm``."""
        if self.printable_mm is None:
            return self.margin_mm
        return (self.width_mm - self.printable_mm) / 2

    @property
    def qr_em(self) -> float:
        """The QR code's side in em of the body font."""
        return self.qr_mm * 72 / 25.4 / self.font_size

    @property
    def width_em(self) -> float:
        """Usable line width in em of the body font."""
        return (self.width_mm - 2 * self.side_mm) * 72 / 25.4 / self.font_size


#: Printable widths a thermal printer may be set to (the settings' ``printable_width_mm``).
PRINTABLE_MIN_MM = 30.0

FORMATS: dict[str, PageFormat] = {
    # Most 58 mm printers print 48 mm wide (a few 52 mm: configurable); 7.5 pt keeps 18 Chinese characters a line.
    "58mm": PageFormat("58mm", 58, None, 3.5, 7.5, 24, printable_mm=48),
    # 80 mm printers print 72 mm wide.
    "80mm": PageFormat("80mm", 80, None, 4.0, 8.5, 28, printable_mm=72),
    "a5": PageFormat("a5", 148, 210, 10.0, 8.5, 24, leading=1.3, qr_beside_header=True),
}


def mm(value: object) -> Decimal:
    """A width as staff type it: ``48``, ``48.5``, ``48mm``, ``48 毫米`` (NaN when it is none)."""
    text = str(value).strip().lower().removesuffix("mm").removesuffix("毫米").strip()
    try:
        return Decimal(text)
    except InvalidOperation:
        return Decimal("NaN")


def printable_width_problem(paper: str, value: float | str | None) -> str | None:
    """What is wrong with a printable width for ``paper`` (None when it is fine or not set)."""
    fmt = FORMATS.get(str(paper).lower())
    if value in (None, "") or fmt is None or fmt.height_mm is not None:
        return None
    width = mm(value)
    if not width.is_finite() or not PRINTABLE_MIN_MM <= width <= fmt.width_mm:
        return (
            f"可打印宽度“{value}”无效：{fmt.width_mm:g} 毫米纸应在 {PRINTABLE_MIN_MM:g} 到 {fmt.width_mm:g} 毫米之间"
            f"（多数打印机为 {fmt.printable_mm:g} 毫米）。"
        )
    return None
