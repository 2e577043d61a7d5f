"""ReceiptHistoryDialog (F6): issued estimates by date or number, and reprint (marked 补打)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from PySide6.QtCore import QDate
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDateEdit,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)
from sqlite_utils import Database

from desktop import paths
from desktop.errors import UserFacingError
from desktop.ui import services

COLUMNS = (
    ("number", "收据号"),
    ("issued_at", "开具时间"),
    ("staff", "开具人"),
    ("patient_name", "患者"),
    ("total", "总费用"),
    ("fund", "统筹支付"),
    ("patient_total", "个人负担"),
    ("format", "纸张"),
    ("edition", "目录版本"),
    ("reprints", "补打次数"),
)


class ReceiptHistoryDialog(QDialog):
    def __init__(self, db: Database, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.db = db
        from desktop.receipts import issue
        from desktop.storage import receipts as history

        self.history = history
        self.issue = issue
        self.records: list[Any] = []
        self.last_reprint: Any = None
        self.setWindowTitle("收据记录（F6）")
        self.resize(1000, 560)
        self.number = QLineEdit()
        self.number.setObjectName("numberFilter")
        self.number.setPlaceholderText("收据号（可输入一部分）")
        self.number.textChanged.connect(lambda *_: self.reload())
        self.use_day = QCheckBox("按日期(&D)")
        self.use_day.setObjectName("useDay")
        self.day = QDateEdit()
        self.day.setDisplayFormat("yyyy-MM-dd")
        self.day.setCalendarPopup(True)
        t = date.today()
        self.day.setDate(QDate(t.year, t.month, t.day))
        self.use_day.toggled.connect(lambda *_: self.reload())
        self.day.dateChanged.connect(lambda *_: self.reload())
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setObjectName("receipts")
        self.table.setHorizontalHeaderLabels([c[1] for c in COLUMNS])
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.note = QLabel()
        self.note.setObjectName("historyNote")
        self.note.setWordWrap(True)
        self.reprint_pdf = QPushButton("补打为 PDF…(&S)")
        self.reprint_pdf.setObjectName("reprintPdf")
        self.reprint_pdf.clicked.connect(self.reprint_to_pdf)
        self.reprint_print = QPushButton("补打…(&P)")
        self.reprint_print.setObjectName("reprintPrint")
        self.reprint_print.clicked.connect(self.reprint_to_printer)
        close = QPushButton("关闭(&X)")
        close.clicked.connect(self.accept)
        top = QHBoxLayout()
        top.addWidget(self.number, 1)
        top.addWidget(self.use_day)
        top.addWidget(self.day)
        buttons = QHBoxLayout()
        buttons.addWidget(self.note, 1)
        buttons.addWidget(self.reprint_print)
        buttons.addWidget(self.reprint_pdf)
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        self.reload()
        self.number.setFocus()

    def reload(self) -> None:
        day = None
        if self.use_day.isChecked():
            d = self.day.date()
            day = date(d.year(), d.month(), d.day())
        self.records = self.history.search(self.db, day=day, number=self.number.text().strip() or None, limit=500)
        self.table.setRowCount(len(self.records))
        for i, rec in enumerate(self.records):
            summary = rec.summary()
            for j, (key, _title) in enumerate(COLUMNS):
                value = summary.get(key)
                self.table.setItem(i, j, QTableWidgetItem("" if value is None else str(value)))
        if self.records:
            self.table.selectRow(0)
        self.note.setText(f"共 {len(self.records)} 张。" if self.records else "没有符合条件的收据。")

    def selected(self) -> Any:
        row = self.table.currentRow()
        return self.records[row] if 0 <= row < len(self.records) else None

    def _staff(self) -> str | None:
        return services.settings().get(self.db).staff or None

    def _fail(self, err: UserFacingError) -> None:
        box = QMessageBox(QMessageBox.Icon.Warning, "无法补打", str(err), QMessageBox.StandardButton.Ok, self)
        box.setObjectName("errorDialog")
        box.exec()

    def reprint_to_pdf(self) -> None:
        rec = self.selected()
        if rec is None:
            self._fail(UserFacingError("请先在列表中选中要补打的收据。"))
            return
        name, _f = QFileDialog.getSaveFileName(self, "补打收据", f"{rec.number}-补打.pdf", "PDF 文件 (*.pdf)")
        if not name:
            return
        try:
            self.last_reprint = self.issue.reprint(self.db, rec.number, Path(name), staff=self._staff(), force=True)
        except UserFacingError as err:
            self._fail(err)
            return
        self.note.setText(f"已补打收据 {rec.number}：{name}")
        self.reload()

    def reprint_to_printer(self) -> None:
        rec = self.selected()
        if rec is None:
            self._fail(UserFacingError("请先在列表中选中要补打的收据。"))
            return
        folder = paths.data_dir() / "receipts"
        folder.mkdir(parents=True, exist_ok=True)
        try:
            self.last_reprint = self.issue.reprint(
                self.db, rec.number, folder / f"{rec.number}-reprint.pdf", staff=self._staff(), force=True
            )
        except UserFacingError as err:
            self._fail(err)
            return
        from desktop.ui.print_flow import preview_and_print

        printer = services.settings().get(self.db).printer
        preview_and_print(self, self.last_reprint.receipt, printer or "")
        self.reload()
