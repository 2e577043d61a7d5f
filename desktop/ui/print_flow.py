"""F5: issue the current estimate as a numbered receipt, then print it (Qt print preview) or save it as PDF.

The number is reserved and recorded by ``desktop.receipts.issue`` before anything is drawn (issue
#5), so both paths issue first: "save as PDF" writes the PDF where staff choose; "print" keeps the
PDF in the data folder and draws the same receipt lines on the chosen printer, with a preview.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from PySide6.QtCore import QMarginsF, QRectF, QSizeF, Qt
from PySide6.QtGui import QColor, QFont, QPageLayout, QPageSize, QPainter
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop import paths
from desktop.errors import UserFacingError, os_reason
from desktop.rules.contract import Estimate
from desktop.ui import services

log = logging.getLogger(__name__)

#: ui_state key of the folder a receipt PDF was last saved to.
PDF_FOLDER_STATE = "pdf_folder"

PAPERS = {"58mm": "58 mm 热敏纸", "80mm": "80 mm 热敏纸", "a5": "A5 纸"}
POINT_MM = 25.4 / 72


def _modules() -> tuple[Any, Any, Any]:
    from desktop.receipts import issue, layout

    return issue, layout, services.settings()


class PrintDialog(QDialog):
    """Paper, optional patient name and ID, then 打印 (preview) or 保存为 PDF."""

    def __init__(self, parent: QWidget | None, counter: Any) -> None:
        super().__init__(parent)
        self.counter = counter
        self.issue_mod, self.layout_mod, self.settings_mod = _modules()
        self.settings = self.settings_mod.get(counter.db)
        self.issued: Any = None
        self.cancelled = False
        self.setWindowTitle("打印费用预估单（F5）")
        self.paper = QComboBox()
        self.paper.setObjectName("paper")
        for code, label in PAPERS.items():
            self.paper.addItem(label, code)
        self.paper.setCurrentIndex(max(self.paper.findData(self.settings.paper or "80mm"), 0))
        self.patient_name = QLineEdit()
        self.patient_name.setObjectName("patientName")
        self.patient_name.setPlaceholderText("可不填")
        self.patient_id = QLineEdit()
        self.patient_id.setObjectName("patientId")
        self.patient_id.setPlaceholderText("可不填；打印时只显示前 3 位和后 4 位")
        result: Estimate = counter.estimate
        summary = QLabel(
            f"共 {len(result.lines)} 种药品，总费用 {result.amounts.total} 元，"
            f"个人负担合计 {result.amounts.patient_total} 元。"
        )
        summary.setWordWrap(True)
        self.print_button = QPushButton("打印…(&P)")
        self.print_button.setObjectName("printButton")
        self.print_button.setDefault(True)
        self.print_button.clicked.connect(self.print_receipt)
        self.pdf_button = QPushButton("保存为 PDF…(&S)")
        self.pdf_button.setObjectName("pdfButton")
        self.pdf_button.clicked.connect(self.save_pdf)
        cancel = QPushButton("取消")
        cancel.clicked.connect(self.reject)
        form = QFormLayout()
        form.addRow("纸张：", self.paper)
        form.addRow("患者姓名：", self.patient_name)
        form.addRow("证件号：", self.patient_id)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.print_button)
        buttons.addWidget(self.pdf_button)
        buttons.addWidget(cancel)
        layout = QVBoxLayout(self)
        layout.addWidget(summary)
        layout.addLayout(form)
        layout.addWidget(QLabel("本单为费用预估，以医保结算为准。开具后即编号登记，可在收据记录（F6）中补打。"))
        layout.addLayout(buttons)

    def _issue(self, out: Path) -> Any:
        issuer = self.layout_mod.Issuer.from_settings(self.settings)
        return self.issue_mod.issue(
            self.counter.db,
            self.counter.request(),
            self.counter.estimate,
            issuer,
            self.paper.currentData(),
            out,
            patient_name=self.patient_name.text().strip() or None,
            patient_id=self.patient_id.text().strip() or None,
            printable_width_mm=self._printable_width(),
            force=True,  # the save dialog asked before overwriting; the print copy is a scratch file
        )

    def _printable_width(self) -> str | None:
        """The printer's printable width applies to the paper it was set for."""
        return (
            getattr(self.settings, "printable_width_mm", None)
            if self.paper.currentData() == getattr(self.settings, "paper", None)
            else None
        )

    def _draft(self) -> Any:
        issuer = self.layout_mod.Issuer.from_settings(self.settings)
        return self.issue_mod.draft(
            self.counter.db,
            self.counter.estimate,
            issuer,
            self.paper.currentData(),
            patient_name=self.patient_name.text().strip() or None,
            patient_id=self.patient_id.text().strip() or None,
            printable_width_mm=self._printable_width(),
        )

    def _fail(self, err: UserFacingError) -> None:
        box = QMessageBox(QMessageBox.Icon.Warning, "无法打印", str(err), QMessageBox.StandardButton.Ok, self)
        box.setObjectName("errorDialog")
        box.exec()

    def save_pdf(self) -> None:
        """Save as PDF: the documents folder the first time, then the folder used last."""
        folder = pdf_folder(self.counter.db)
        suggested = str(Path(folder) / f"费用预估单-{self.counter.as_of().isoformat()}.pdf")
        name, _filter = QFileDialog.getSaveFileName(self, "保存费用预估单", suggested, "PDF 文件 (*.pdf)")
        if not name:
            return
        out = Path(name)
        if out.suffix.lower() != ".pdf":
            out = out.with_suffix(".pdf")
        try:
            self.issued = self._issue(out)
        except UserFacingError as err:
            self._fail(err)
            return
        remember_pdf_folder(self.counter.db, out.parent)
        self.accept()

    def print_receipt(self) -> None:
        """Preview first (nothing numbered yet); only 打印 in the preview issues, records and prints."""
        try:
            preview = self._draft()
        except UserFacingError as err:
            self._fail(err)
            return
        printer = make_printer(getattr(self.settings, "printer", "") or "")
        setup_page(printer, preview)
        if not confirm_preview(self, printer, preview):
            self.cancelled = True
            self.reject()  # cancelled: no number taken, nothing recorded or printed
            return
        folder = paths.data_dir() / "receipts"
        try:
            folder.mkdir(parents=True, exist_ok=True)
            self.issued = self._issue(folder / "pending.pdf")
            final = folder / f"{self.issued.number}.pdf"
            Path(self.issued.path).replace(final)
        except OSError as err:
            self._fail(UserFacingError(f"无法保存收据：{os_reason(err)}（{folder}）。", hint="请检查磁盘空间和权限。"))
            return
        except UserFacingError as err:
            self._fail(err)
            return
        setup_page(printer, self.issued.receipt)
        paint_receipt(printer, self.issued.receipt)
        self.accept()


def pdf_folder(db: Any) -> str:
    """Where 保存为 PDF opens: the folder used last, else the user's documents folder (never the working directory)."""
    from PySide6.QtCore import QStandardPaths

    last = services.settings().ui_state(db, PDF_FOLDER_STATE)
    if isinstance(last, str) and last and Path(last).is_dir():
        return last
    docs = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    return docs or str(Path.home())


def remember_pdf_folder(db: Any, folder: Path) -> None:
    try:
        services.settings().set_ui_state(db, PDF_FOLDER_STATE, str(folder))
    except Exception:  # not remembering a folder is no reason to fail a saved receipt
        log.warning("could not remember the PDF folder", exc_info=True)


def make_printer(printer_name: str = "") -> Any:
    from PySide6.QtPrintSupport import QPrinter

    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    if printer_name:
        printer.setPrinterName(printer_name)
    return printer


class PreviewDialog(QDialog):
    """The receipt as it will print, before anything is issued: 打印 (Enter) or 取消 (Esc)."""

    def __init__(self, parent: QWidget | None, printer: Any, receipt: Any) -> None:
        from PySide6.QtPrintSupport import QPrintPreviewWidget

        super().__init__(parent)
        self.setWindowTitle("打印预览（确认后才编号开具）")
        self.preview = QPrintPreviewWidget(printer, self)
        self.preview.setObjectName("printPreview")
        self.preview.paintRequested.connect(lambda p: paint_receipt(p, receipt))
        self.preview.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        note = QLabel(
            f"打印机：{printer.printerName() or '系统默认打印机'}。按“打印”后才编号并登记收据；取消则不开具。"
        )
        note.setWordWrap(True)
        self.print_button = QPushButton("打印(&P)")
        self.print_button.setObjectName("previewPrint")
        self.print_button.setDefault(True)
        self.print_button.clicked.connect(self.accept)
        cancel = QPushButton("取消")
        cancel.setObjectName("previewCancel")
        cancel.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addWidget(note, 1)
        buttons.addWidget(self.print_button)
        buttons.addWidget(cancel)
        layout = QVBoxLayout(self)
        layout.addWidget(self.preview, 1)
        layout.addLayout(buttons)
        self.resize(520, 700)
        self.print_button.setFocus()


def confirm_preview(parent: QWidget | None, printer: Any, receipt: Any) -> bool:
    """Show the preview; True when staff chose 打印."""
    dialog = PreviewDialog(parent, printer, receipt)
    return dialog.exec() == QDialog.DialogCode.Accepted


def preview_and_print(parent: QWidget | None, receipt: Any, printer_name: str = "") -> bool:
    """Preview an already issued receipt (a reprint) and print it when staff confirm; True when printed."""
    printer = make_printer(printer_name)
    setup_page(printer, receipt)
    if not confirm_preview(parent, printer, receipt):
        return False
    paint_receipt(printer, receipt)
    return True


def _line_height_mm(receipt: Any) -> float:
    return receipt.format.font_size * receipt.format.leading * POINT_MM


def setup_page(printer: Any, receipt: Any) -> None:
    fmt = receipt.format
    lines = len(receipt.lines) + len(receipt.footer) + 2
    height = fmt.height_mm or (2 * fmt.margin_mm + lines * _line_height_mm(receipt) + fmt.qr_mm + 4)
    size = QPageSize(QSizeF(fmt.width_mm, height), QPageSize.Unit.Millimeter, f"yaomu-{fmt.name}")
    printer.setPageLayout(
        QPageLayout(size, QPageLayout.Orientation.Portrait, QMarginsF(0, 0, 0, 0), QPageLayout.Unit.Millimeter)
    )


def paint_receipt(printer: Any, receipt: Any) -> None:
    """Draw the receipt lines, their rules and the QR code on ``printer``.

    Coordinates are tenths of a millimetre (small fonts stay crisp at any printer resolution).
    """
    fmt = receipt.format
    painter = QPainter(printer)
    try:
        rect = printer.pageLayout().paintRectPixels(printer.resolution())
        painter.scale(rect.width() / fmt.width_mm / 10, rect.width() / fmt.width_mm / 10)
        em = fmt.font_size * POINT_MM * 10  # the body font size, in tenths of a mm
        left, right = fmt.side_mm * 10, (fmt.width_mm - fmt.side_mm) * 10  # the printable width only
        line_h = _line_height_mm(receipt) * 10
        y = fmt.margin_mm * 10
        painter.setPen(QColor("black"))
        for line in (*receipt.lines, *receipt.footer):
            font = QFont()
            font.setPixelSize(max(1, round(em * (1.25 if line.style == "title" else 1) * line.scale)))
            font.setBold(line.style in ("strong", "title"))
            painter.setFont(font)
            x = left + line.indent * em
            box = QRectF(x, y, right - x, line_h)
            if line.style == "rule":
                painter.drawLine(int(left), int(y + line_h / 2), int(right), int(y + line_h / 2))
            elif line.style in ("title", "center"):
                painter.drawText(box, int(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignVCenter), line.text)
            else:
                painter.drawText(box, int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter), line.text)
                if line.right:
                    painter.drawText(box, int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter), line.right)
            y += line_h
        side = fmt.qr_mm * 10
        if receipt.qr_payload:  # a preview has no number yet, hence no QR code
            _paint_qr(painter, receipt.qr_payload, (fmt.width_mm * 10 - side) / 2, y + 20, side)
    finally:
        painter.end()


def _paint_qr(painter: QPainter, payload: str, x: float, y: float, side: float) -> None:
    import qrcode  # lazy: only when printing

    code = qrcode.QRCode(border=0, error_correction=qrcode.constants.ERROR_CORRECT_M)
    code.add_data(payload)
    code.make(fit=True)
    matrix = code.get_matrix()
    cell = side / len(matrix)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor("black"))
    for r, row in enumerate(matrix):
        for c, dark in enumerate(row):
            if dark:
                painter.drawRect(QRectF(x + c * cell, y + r * cell, cell, cell))


def print_receipt(parent: QWidget, counter: Any) -> Any:
    """F5 from the counter: refuse plainly when there is nothing to print; else the print dialog."""
    if counter.estimate is None:
        problem = counter.estimate_problem or "清单为空。"
        raise UserFacingError(
            f"还没有可打印的费用预估：{problem}",
            hint="请先按 F4 把药品加入清单并输入单价，待下方显示预估金额后再按 F5。",
        )
    dialog = PrintDialog(parent, counter)
    dialog.exec()
    return dialog.issued
