"""The settings staff fill in, as proper fields: shared by the first-start wizard and the settings dialog (F12).

Three groups, each a widget (a wizard page or a tab): the pharmacy (name, 定点医药机构编码,
counter, staff), the region and printing (profile, paper, printer), and the local figures the
notices leave to the city (fund ratio and first self-pay in %, deductible and cap in 元, each
with where it comes from, optionally narrowed by insurance type and channel). Every key and
check is ``desktop.settings``'s: ``collect`` turns the fields into a ``Settings`` or raises a
``SettingsError`` listing every problem. No JSON anywhere; Tab walks every field and leaves
each one (the table of narrowed figures does not trap Tab).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QRegularExpression, Qt
from PySide6.QtGui import QKeyEvent, QRegularExpressionValidator
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFormLayout,
    QGroupBox,
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

from desktop.errors import RequestError
from desktop.ui import services

MNEMONICS = {"pharmacy_name": "M", "institution_code": "C", "counter": "T", "staff": "U"}
#: Insurance and channel choices of a narrowed figure ("" = any).
ANY = ""


def _note(text: str) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setStyleSheet("color:#5f6368")
    label.setFocusPolicy(Qt.FocusPolicy.NoFocus)
    return label


class SettingsForm:
    """The fields of every setting, built once and laid out by the wizard or the dialog.

    Attributes:
        editors: key -> its editor (QLineEdit or QComboBox), for the pharmacy, region and base figures.
        pharmacy_page, region_page, figures_page: the three groups, each a QWidget.
    """

    def __init__(self, current: Any) -> None:
        self.module = services.settings()
        s = self.module
        self.current = current
        self.editors: dict[str, QWidget] = {}

        # --- the pharmacy ---
        self.pharmacy_page = QWidget()
        form = QFormLayout(self.pharmacy_page)
        for key in ("pharmacy_name", "institution_code", "counter", "staff"):
            k = s.KEYS[key]
            edit = QLineEdit(getattr(current, key))
            edit.setObjectName(f"setting_{key}")
            edit.setMaxLength(k.max_length)
            edit.setPlaceholderText(k.source)
            if key == "institution_code":
                edit.setValidator(QRegularExpressionValidator(QRegularExpression("[A-Za-z0-9]{0,32}"), edit))
            self.editors[key] = edit
            form.addRow(f"{k.label}(&{MNEMONICS[key]})：", edit)
        form.addRow(_note("药店名称和定点医药机构编码印在每张收据的抬头；未填写时不能开具收据。"))

        # --- region and printing ---
        self.region_page = QWidget()
        form = QFormLayout(self.region_page)
        profile = QComboBox()
        for code, label in s.profiles().items():
            profile.addItem(label, code)
        profile.setCurrentIndex(max(profile.findData(current.profile), 0))
        paper = QComboBox()
        for code, label in s.PAPERS.items():
            paper.addItem(label, code)
        paper.setCurrentIndex(max(paper.findData(current.paper), 0))
        printer = QComboBox()
        printer.setEditable(True)
        printer.addItem("（打印时选择）", "")
        for name in _printer_names():
            printer.addItem(name, name)
        if current.printer and printer.findData(current.printer) < 0:
            printer.addItem(current.printer, current.printer)
        printer.setCurrentIndex(max(printer.findData(current.printer), 0))
        width = QLineEdit(current.printable_width_mm)
        width.setPlaceholderText("按纸张常见值（58 毫米纸 48，80 毫米纸 72）")
        width.setMaxLength(10)
        for key, editor in (
            ("profile", profile),
            ("paper", paper),
            ("printer", printer),
            ("printable_width_mm", width),
        ):
            editor.setObjectName(f"setting_{key}")
            self.editors[key] = editor
        form.addRow("地区政策(&R)：", profile)
        form.addRow(_note(s.KEYS["profile"].source + "。选定后，政策文件已规定的支付比例、起付线等按文件计算。"))
        form.addRow("收据纸张(&P)：", paper)
        form.addRow("打印机(&I)：", printer)
        row = QHBoxLayout()
        row.addWidget(width, 1)
        row.addWidget(QLabel("毫米"))
        form.addRow("可打印宽度(&H)：", row)
        form.addRow(_note(s.KEYS["printable_width_mm"].source + "。"))

        # --- local figures ---
        self.figures_page = QWidget()
        layout = QVBoxLayout(self.figures_page)
        layout.addWidget(
            _note(
                "下列数字由本市医保经办机构公布，国家和省级文件没有统一规定。"
                "所选地区的政策文件已规定的情形以文件为准；这里填写的用于其余情形。未填写时，预估仍给出"
                "全自费、超支付标准、先行自付等部分，统筹支付注明“未设置”。"
            )
        )
        base = QFormLayout()
        for key in s.PARAMETER_NAMES:
            k = s.KEYS[key]
            edit = QLineEdit(s.display(key, current.parameters.get(key)).replace(" 元", "").rstrip("%"))
            edit.setObjectName(f"setting_{key}")
            edit.setPlaceholderText("未设置")
            edit.setToolTip(k.source)
            self.editors[key] = edit
            row = QHBoxLayout()
            row.addWidget(edit, 1)
            row.addWidget(QLabel(k.unit))
            base.addRow(f"{k.label}：", row)
            base.addRow(_note("来源：" + k.source))
        layout.addLayout(base)

        narrowed = QGroupBox("按险种、待遇渠道细分（可选；比上面的通用数字优先）")
        nl = QVBoxLayout(narrowed)
        add_row = QHBoxLayout()
        self.new_name = QComboBox()
        self.new_name.setObjectName("narrowName")
        for key in s.PARAMETER_NAMES:
            self.new_name.addItem(f"{s.KEYS[key].label}（{s.KEYS[key].unit}）", key)
        self.new_insurance = QComboBox()
        self.new_insurance.setObjectName("narrowInsurance")
        self.new_insurance.addItem("任意险种", ANY)
        for code, label in services.INSURANCE.items():
            self.new_insurance.addItem(label, code)
        self.new_channel = QComboBox()
        self.new_channel.setObjectName("narrowChannel")
        self.new_channel.addItem("任意渠道", ANY)
        for code, label in services.CHANNELS.items():
            self.new_channel.addItem(label, code)
        self.new_value = _EnterLineEdit()
        self.new_value.setObjectName("narrowValue")
        self.new_value.setPlaceholderText("数值")
        self.new_value.returnPressed.connect(self.add_narrowed)
        self.add_button = QPushButton("添加(&A)")
        self.add_button.setObjectName("narrowAdd")
        self.add_button.setAutoDefault(False)
        self.add_button.clicked.connect(self.add_narrowed)
        for w in (self.new_name, self.new_insurance, self.new_channel):
            add_row.addWidget(w)
        add_row.addWidget(self.new_value, 1)
        add_row.addWidget(self.add_button)
        nl.addLayout(add_row)
        self.table = QTableWidget(0, 2)
        self.table.setObjectName("narrowTable")
        self.table.setHorizontalHeaderLabels(("适用于", "数值"))
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setTabKeyNavigation(False)  # Tab leaves the table instead of walking its cells
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        self.table.setMinimumHeight(90)
        nl.addWidget(self.table, 1)
        self.remove_button = QPushButton("删除选中的细分(&D)")
        self.remove_button.setObjectName("narrowRemove")
        self.remove_button.setAutoDefault(False)
        self.remove_button.clicked.connect(self.remove_narrowed)
        nl.addWidget(self.remove_button, 0, Qt.AlignmentFlag.AlignRight)
        layout.addWidget(narrowed, 1)
        self.narrowed: dict[str, str] = {k: v for k, v in current.parameters.items() if ":" in k}
        self._fill_table()
        self._initial = self._values()

    # --- narrowed figures ---
    def _fill_table(self) -> None:
        s = self.module
        keys = sorted(self.narrowed)
        self.table.setRowCount(len(keys))
        for row, key in enumerate(keys):
            item = QTableWidgetItem(s.key_label(key))
            item.setData(Qt.ItemDataRole.UserRole, key)
            self.table.setItem(row, 0, item)
            self.table.setItem(row, 1, QTableWidgetItem(s.display(key, self.narrowed[key])))
        self.remove_button.setEnabled(bool(keys))

    def add_narrowed(self) -> None:
        """Add (or replace) the figure chosen in the row above the table; a bad value is refused with a message."""
        s = self.module
        key = s.parameter_key(
            self.new_name.currentData(),
            self.new_insurance.currentData() or None,
            self.new_channel.currentData() or None,
        )
        if ":" not in key:
            self._message("请选择险种或待遇渠道（至少一项）；不细分的数字请填在上面的通用栏。")
            return
        try:
            value = s.set_value(self.current.with_changes(parameters={}), key, self.new_value.text()).parameters.get(
                key
            )
        except RequestError as err:
            self._message("\n".join(err.problems))
            self.new_value.setFocus()
            self.new_value.selectAll()
            return
        if value is None:
            self._message("请填写数值。")
            self.new_value.setFocus()
            return
        self.narrowed[key] = value
        self._fill_table()
        self.new_value.clear()
        self.new_name.setFocus()

    def remove_narrowed(self) -> None:
        row = self.table.currentRow()
        item = self.table.item(row, 0) if row >= 0 else None
        if item is None:
            return
        self.narrowed.pop(item.data(Qt.ItemDataRole.UserRole), None)
        self._fill_table()

    def _message(self, text: str) -> None:
        box = QMessageBox(
            QMessageBox.Icon.Warning, "数值有误", text, QMessageBox.StandardButton.Ok, self.figures_page.window()
        )
        box.setObjectName("errorDialog")
        box.exec()

    # --- the whole form ---
    def collect(self) -> Any:
        """The settings the fields describe (unchanged fields keep their values).

        Raises:
            SettingsError: every problem of every field (nothing is saved).
        """
        s = self.module
        initial = self._initial
        values = {k: v for k, v in self._values().items() if v != initial.get(k)}  # untouched fields stay as saved
        params = {k: v for k, v in self.current.parameters.items() if ":" not in k}
        new = s.set_values(self.current.with_changes(parameters={**params, **self.narrowed}), values)
        found = s.problems(new)
        if found:
            raise s.SettingsError(found)
        return new

    def _values(self) -> dict[str, str]:
        values: dict[str, str] = {}
        for key, editor in self.editors.items():
            if isinstance(editor, QComboBox) and editor.isEditable():  # the printer: a listed or a typed name
                text = editor.currentText().strip()
                values[key] = "" if text == editor.itemText(0) else text
            elif isinstance(editor, QComboBox):
                values[key] = editor.currentData()
            else:
                assert isinstance(editor, QLineEdit)
                values[key] = editor.text().strip()
        return values

    def first_bad_editor(self, problems: list[str]) -> QWidget | None:
        """The editor the first problem is about (so the dialog can put the cursor there)."""
        s = self.module
        for problem in problems:
            for key, editor in self.editors.items():
                if s.KEYS[key].label in problem:
                    return editor
        return None


class _EnterLineEdit(QLineEdit):
    """A line edit whose Enter does only its own thing (a dialog's default button does not fire as well)."""

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.returnPressed.emit()
            event.accept()
            return
        super().keyPressEvent(event)


def _printer_names() -> list[str]:
    try:
        from PySide6.QtPrintSupport import QPrinterInfo

        return [str(n) for n in QPrinterInfo.availablePrinterNames()]
    except Exception:  # no print support on this machine: staff type the name
        return []
