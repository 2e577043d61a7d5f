"""CounterWidget: search, pick, check, add to the basket, estimate and print, all from the keyboard."""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import replace
from datetime import date
from decimal import Decimal, InvalidOperation

from PySide6.QtCore import QDate, QEvent, QModelIndex, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDateEdit,
    QFormLayout,
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QScrollArea,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)
from sqlite_utils import Database

from desktop.catalogue import records as r
from desktop.catalogue.search import Searcher
from desktop.errors import RequestError, UserFacingError
from desktop.rules.contract import Estimate, EstimateRequest
from desktop.ui import scan_box, services
from desktop.ui.basket_model import COL_PRICE, BasketModel
from desktop.ui.detail_panel import DetailPanel
from desktop.ui.entry_table_model import EntryTableModel

#: Function keys of the counter, shown in the key bar (key, label).
FUNCTION_KEYS = (
    ("F2", "搜索"),
    ("F3", "患者"),
    ("F4", "加入清单"),
    ("F5", "打印"),
    ("F6", "收据记录"),
    ("F7", "目录浏览"),
    ("F8", "新单"),
    ("F9", "目录更新"),
    ("F12", "设置"),
    ("Del", "删除行"),
)

#: The estimate's amounts in the order staff read them (DOMAIN.md steps 1-9).
BREAKDOWN = (
    ("total", "总费用"),
    ("full_self_pay", "全自费"),
    ("over_standard", "超支付标准部分"),
    ("first_self_pay", "先行自付"),
    ("policy_scope", "政策范围内费用"),
    ("deductible", "起付线"),
    ("fund", "统筹支付"),
    ("coinsurance", "个人自付"),
    ("confidential_patient", "保密品种个人负担（不分项）"),
    ("patient_total", "个人负担合计"),
)

_NAV_KEYS = (Qt.Key.Key_Up, Qt.Key.Key_Down, Qt.Key.Key_PageUp, Qt.Key.Key_PageDown)


class CounterWidget(QWidget):
    """The counter screen.

    Signals:
        picked(object): an entry was picked (Enter); carries the ``Entry``.
        estimate_changed(object): the latest ``Estimate`` (or None when there is none).
        error_raised(str): a message staff must read in a dialog (what is wrong, what to do).
    """

    picked = Signal(object)
    estimate_changed = Signal(object)
    error_raised = Signal(str)

    def __init__(self, db: Database, *, today: Callable[[], date] = date.today, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.db = db
        self.today = today
        self.searcher = Searcher(db)
        self.current: r.Entry | None = None
        self.confirmed: dict[str, frozenset[str]] = {}  # entry id -> conditions ticked
        self.estimate: Estimate | None = None
        self.estimate_problem: str | None = None
        self._build()
        self._wire()
        self.refresh_settings()

    # --- construction ---
    # Longer than 60 lines: widget construction in layout order; split, it would only scatter one screen's layout.
    def _build(self) -> None:
        self.search = QLineEdit()
        self.search.setObjectName("search")
        self.search.setPlaceholderText("F2 搜索：拼音首字母（如 amxl）、中文名、编号或分类代码；扫码枪输入后按 Enter")
        self.search.setClearButtonEnabled(True)
        font = self.search.font()
        font.setPointSize(font.pointSize() + 4)
        self.search.setFont(font)
        self.search_note = QLabel()
        self.search_note.setObjectName("searchNote")
        self.search_note.setWordWrap(True)

        self.results_model = EntryTableModel(self)
        self.results = QTableView()
        self.results.setObjectName("results")
        self.results.setModel(self.results_model)
        self.results.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.results.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.results.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.results.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # the search box keeps the keyboard
        self.results.verticalHeader().hide()
        # Fixed widths: ResizeToContents measured every row on each keystroke (up to 100 ms with 100 rows).
        header = self.results.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        for col, width in enumerate((64, 220, 110, 56, 190, 90)):
            self.results.setColumnWidth(col, width)
        self.results.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.results.setWordWrap(False)

        self.detail = DetailPanel()
        self.detail.setObjectName("detail")
        self.detail.confidential_requested.connect(self.enter_confidential)
        detail_scroll = QScrollArea()  # long restrictions wrap inside the pane instead of widening it
        detail_scroll.setWidget(self.detail)
        detail_scroll.setWidgetResizable(True)
        detail_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        detail_scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        detail_scroll.setFrameShape(QFrame.Shape.NoFrame)

        # Patient (F3).
        self.patient_box = QGroupBox("F3 患者")
        self.insurance = self._combo(services.INSURANCE, "insurance")
        self.group = self._combo(services.GROUPS, "group")
        self.channel = self._combo(services.CHANNELS, "channel")
        self.deductible = QLineEdit()
        self.deductible.setObjectName("deductible")
        self.deductible.setPlaceholderText("未知（按已付清计算并注明）")
        self.day = QDateEdit()
        self.day.setObjectName("day")
        self.day.setCalendarPopup(True)
        self.day.setDisplayFormat("yyyy-MM-dd")
        t = self.today()
        self.day.setDate(QDate(t.year, t.month, t.day))
        pform = QFormLayout(self.patient_box)
        pform.addRow("险种：", self.insurance)
        pform.addRow("人员类别：", self.group)
        pform.addRow("待遇渠道：", self.channel)
        pform.addRow("起付线尚需（元）：", self.deductible)
        pform.addRow("结算日期：", self.day)

        # Basket and estimate.
        self.basket_model = BasketModel(self)
        self.basket = QTableView()
        self.basket.setObjectName("basket")
        self.basket.setModel(self.basket_model)
        self.basket.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.basket.setEditTriggers(
            QAbstractItemView.EditTrigger.DoubleClicked
            | QAbstractItemView.EditTrigger.EditKeyPressed
            | QAbstractItemView.EditTrigger.AnyKeyPressed
        )
        self.basket.verticalHeader().hide()
        self.basket.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.basket.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.breakdown_labels: dict[str, QLabel] = {}
        grid = QGridLayout()
        for i, (key, title) in enumerate(BREAKDOWN):
            value = QLabel("—")
            value.setObjectName(f"amount_{key}")
            value.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self.breakdown_labels[key] = value
            grid.addWidget(QLabel(title + "："), i // 3, (i % 3) * 2)
            grid.addWidget(value, i // 3, (i % 3) * 2 + 1)
            grid.setColumnStretch((i % 3) * 2 + 1, 1)
        self.breakdown_labels["patient_total"].setStyleSheet("font-weight:bold; font-size:14pt; color:#b3261e")
        self.estimate_note = QLabel()
        self.estimate_note.setObjectName("estimateNote")
        self.estimate_note.setWordWrap(True)
        basket_box = QGroupBox("F4 购药清单与费用预估（单价、数量可直接修改）")
        bl = QVBoxLayout(basket_box)
        bl.addWidget(self.basket, 1)
        notes = QScrollArea()  # assumptions and warnings can be long: they scroll beside the amounts
        notes.setWidget(self.estimate_note)
        notes.setWidgetResizable(True)
        notes.setFrameShape(QFrame.Shape.NoFrame)
        notes.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        notes.setMaximumHeight(110)
        amounts = QHBoxLayout()
        amounts.addLayout(grid, 3)
        amounts.addWidget(notes, 2)
        bl.addLayout(amounts)

        self.keybar = QLabel("   ".join(f"<b>{k}</b> {html.escape(v)}" for k, v in FUNCTION_KEYS))
        self.keybar.setObjectName("keybar")
        self.keybar.setStyleSheet("background:#eef3f8; padding:4px; border-top:1px solid #c8d3df")

        left = QWidget()
        ll = QVBoxLayout(left)
        ll.setContentsMargins(0, 0, 0, 0)
        ll.addWidget(self.search)
        ll.addWidget(self.search_note)
        ll.addWidget(self.results, 1)
        right = QWidget()
        rl = QVBoxLayout(right)
        rl.setContentsMargins(0, 0, 0, 0)
        rl.addWidget(detail_scroll, 1)
        rl.addWidget(self.patient_box)
        top = QSplitter(Qt.Orientation.Horizontal)
        top.addWidget(left)
        top.addWidget(right)
        top.setStretchFactor(0, 3)
        top.setStretchFactor(1, 2)
        main = QSplitter(Qt.Orientation.Vertical)
        main.addWidget(top)
        main.addWidget(basket_box)
        main.setStretchFactor(0, 1)
        main.setStretchFactor(1, 1)
        main.setSizes([520, 330])
        layout = QVBoxLayout(self)
        layout.addWidget(main, 1)
        layout.addWidget(self.keybar)

    @staticmethod
    def _combo(options: dict[str, str], name: str) -> QComboBox:
        box = QComboBox()
        box.setObjectName(name)
        for code, label in options.items():
            box.addItem(label, code)
        return box

    def _wire(self) -> None:
        self.search.textChanged.connect(self.run_search)
        self.search.returnPressed.connect(self.pick_current)
        self.search.installEventFilter(self)
        self.results.clicked.connect(self._clicked)
        self.results.doubleClicked.connect(lambda _i: self.pick_current())
        self.detail.confirmed_changed.connect(self._confirmed_changed)
        for combo in (self.insurance, self.group, self.channel):
            combo.currentIndexChanged.connect(self._patient_changed)
        self.deductible.editingFinished.connect(self._patient_changed)
        self.deductible.returnPressed.connect(self.focus_search)
        self.day.dateChanged.connect(self._day_changed)
        self.basket_model.lines_changed.connect(self.recompute)
        self.basket_model.input_rejected.connect(self.error_raised)
        # After the view has handled the closed editor (it takes the focus itself), give it back.
        self.basket.itemDelegate().closeEditor.connect(lambda *_: QTimer.singleShot(0, self.focus_search))
        self.basket.installEventFilter(self)
        for key, slot in (
            ("F2", self.focus_search),
            ("F3", self.focus_patient),
            ("F4", self.add_current),
            ("F8", self.new_sale),
        ):
            shortcut = QShortcut(QKeySequence(key), self)
            shortcut.setContext(Qt.ShortcutContext.WindowShortcut)
            shortcut.activated.connect(slot)
        for n in range(1, 10):
            shortcut = QShortcut(QKeySequence(f"Alt+{n}"), self)
            shortcut.setContext(Qt.ShortcutContext.WindowShortcut)
            shortcut.activated.connect(lambda n=n: self.detail.toggle(n))
        for widget in (self.patient_box, self.insurance, self.group, self.channel, self.deductible, self.day):
            widget.installEventFilter(self)

    # --- keyboard ---
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if event.type() != QEvent.Type.KeyPress or not isinstance(event, QKeyEvent):
            return super().eventFilter(watched, event)
        key = event.key()
        if watched is self.search and key in _NAV_KEYS:
            self._move(key)
            return True
        if watched is self.basket and key == Qt.Key.Key_Delete:
            self.remove_current_line()
            return True
        if key == Qt.Key.Key_Escape and watched is not self.search:
            self.focus_search()
            return True
        return super().eventFilter(watched, event)

    def _move(self, key: int) -> None:
        rows = self.results_model.rowCount()
        if not rows:
            return
        row = self.results.currentIndex().row()
        steps: dict[int, int] = {Qt.Key.Key_Up: -1, Qt.Key.Key_Down: 1, Qt.Key.Key_PageUp: -10, Qt.Key.Key_PageDown: 10}
        step = steps[key]
        row = min(max(0 if row < 0 else row + step, 0), rows - 1)
        self._select_row(row)

    def _select_row(self, row: int) -> None:
        index = self.results_model.index(row, 0)
        self.results.setCurrentIndex(index)
        self.results.selectRow(row)
        self.results.scrollTo(index)

    def _clicked(self, index: QModelIndex) -> None:
        self._select_row(index.row())
        self.focus_search()

    def focus_search(self) -> None:
        """F2: the search box takes the keyboard back, its text selected so the next scan replaces it."""
        self.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.selectAll()

    def focus_patient(self) -> None:
        """F3: patient details; Enter or Esc returns to the search box."""
        self.insurance.setFocus(Qt.FocusReason.ShortcutFocusReason)

    # --- search and pick ---
    def as_of(self) -> date:
        d = self.day.date()
        return date(d.year(), d.month(), d.day())

    def run_search(self, text: str) -> None:
        """Results follow the typing (the core search is indexed: a few ms per query on the GUI thread)."""
        if scan_box.show(self, text):  # a scanned code: item, product, entry (desktop/ui/scan_box.py)
            return
        result = self.searcher.search(text, day=self.as_of(), limit=100)
        self.results_model.set_rows(result.entries)
        if result.entries:
            self._select_row(0)
        notes = []
        if result.note:
            notes.append(result.note)
        if text.strip() and not result.entries:
            notes.append(self._not_found(text.strip()))
        # Set only what changed: a style sheet re-polishes the label and a new text re-lays out the panel.
        note, style = "\n".join(notes), "color:#b3261e" if notes else ""
        if self.search_note.text() != note:
            self.search_note.setText(note)
        if self.search_note.styleSheet() != style:
            self.search_note.setStyleSheet(style)

    @staticmethod
    def _not_found(text: str) -> str:
        if text.isdigit() and len(text) >= 8:
            return (
                f"条码/编码“{text}”未在目录中找到：医保目录按通用名收录，不含商品条码。"
                "请输入药品名称、拼音首字母或目录编号查找。"
            )
        return f"未找到“{text}”。请检查拼写，或改用拼音首字母、中文名的一部分、目录编号查找。"

    def pick_current(self) -> None:
        """Enter: pick the highlighted result and show its detail and eligibility."""
        if scan_box.pick(self):  # an unknown 追溯码 prefix: which item is it?
            return
        entry = self.results_model.entry(self.results.currentIndex().row())
        if entry is None:
            if self.search.text().strip():
                self.search_note.setText(self._not_found(self.search.text().strip()))
            return
        self.current = entry
        self.show_current()
        self.search.selectAll()
        self.picked.emit(entry)

    def show_current(self) -> None:
        entry = self.current
        if entry is None:
            self.detail.show_entry(None)
            return
        rules = services.rules()
        patient = self.patient()
        confirmed = self.confirmed.get(entry.id, frozenset())
        try:
            eligibility = rules.check(
                self.db,
                entry.id,
                self.as_of(),
                self.profile,
                patient.insurance,
                patient.group,
                patient.channel,
                confirmed,
            )
        except UserFacingError as err:
            self.detail.show_entry(entry, None, str(err))
            return
        self.detail.show_entry(entry, eligibility, confirmed=confirmed)

    def _confirmed_changed(self, codes: frozenset[str]) -> None:
        if self.current is None:
            return
        self.confirmed[self.current.id] = codes
        for row, line in enumerate(self.basket_model.lines()):
            if line.entry.id == self.current.id and line.confirmed != codes:
                self.basket_model.replace_line(row, replace(line, confirmed=codes))
        self.show_current()
        self.focus_search()

    # --- patient ---
    @property
    def profile(self) -> str:
        return self._profile

    def refresh_settings(self) -> None:
        """Read the region profile from the pharmacy's settings (national until they are set)."""
        self._profile = "national"
        self.settings = None
        module = services.settings()
        try:
            self.settings = module.get(self.db)
        except UserFacingError as err:
            self.error_raised.emit(str(err))
            return
        self._profile = self.settings.profile or "national"

    def patient(self) -> services.Patient:
        deductible: Decimal | None = None
        text = self.deductible.text().strip()
        if text:
            try:
                deductible = Decimal(text)
            except InvalidOperation:
                deductible = None
        return services.Patient(
            insurance=self.insurance.currentData(),
            group=self.group.currentData(),
            channel=self.channel.currentData(),
            deductible_remaining=deductible,
        )

    def _patient_changed(self, *_args: object) -> None:
        text = self.deductible.text().strip()
        if text:
            try:
                value = Decimal(text)
                if not value.is_finite() or value < 0 or value != value.quantize(Decimal("0.01")):
                    raise InvalidOperation
            except InvalidOperation:
                self.deductible.clear()
                self.error_raised.emit(f"起付线“{text}”无效：请输入不小于 0、最多两位小数的金额；不知道时留空。")
        self.show_current()
        self.recompute()

    def _day_changed(self, *_args: object) -> None:
        self.run_search(self.search.text())
        self.show_current()
        self.recompute()

    # --- basket and estimate ---
    def add_current(self) -> None:
        """F4: add the picked (or highlighted) entry to the basket and type its unit price."""
        entry = self.current or self.results_model.entry(self.results.currentIndex().row())
        if entry is None:
            self.error_raised.emit("请先在搜索框中查找并选中药品（↑/↓ 选择，Enter 确认），再按 F4 加入清单。")
            return
        if self.current is None:
            self.current = entry
            self.show_current()
        row = self.basket_model.add(entry, confirmed=self.confirmed.get(entry.id, frozenset()))
        index = self.basket_model.index(row, COL_PRICE)
        self.basket.setCurrentIndex(index)
        if self.basket_model.line(row) and self.basket_model.line(row).unit_price is None:  # type: ignore[union-attr]
            self.basket.setFocus()
            self.basket.edit(index)
        else:
            self.focus_search()

    def remove_current_line(self) -> None:
        self.basket_model.remove(self.basket.currentIndex().row())
        self.focus_search()

    def new_sale(self) -> None:
        """F8: empty basket, forget confirmations and the patient's amounts; keep the settings."""
        self.basket_model.clear()
        self.confirmed = {}
        self.current = None
        self.deductible.clear()
        self.insurance.setCurrentIndex(0)
        self.group.setCurrentIndex(0)
        self.channel.setCurrentIndex(0)
        self.search.clear()
        self.detail.show_entry(None)
        self.focus_search()

    def request(self) -> EstimateRequest:
        """The estimate request for the current sale, checked like any other (the screen is an edge).

        Raises:
            RequestError: what is wrong (an entry no longer in the catalogue, a price of 0 ...).
        """
        return services.rules().parse_request(self.db, self.request_json(), self.settings)

    def request_json(self) -> dict[str, object]:
        """The current sale in the request format of docs/rules.md (what ``yaomu estimate`` reads)."""
        patient = self.patient()
        return {
            "date": self.as_of().isoformat(),
            "profile": self.profile,
            "insurance": patient.insurance,
            "patient_group": patient.group,
            "channel": patient.channel,
            "deductible_remaining": (
                None if patient.deductible_remaining is None else f"{patient.deductible_remaining:.2f}"
            ),
            "cap_remaining": None,
            "items": self.basket_model.request_items(),
            "policy": {},
        }

    def recompute(self) -> None:
        """Redo the estimate after every change (≤ 2 ms for 20 lines in the rules core)."""
        self.estimate = None
        self.estimate_problem = None
        lines = self.basket_model.lines()
        rules = services.rules()
        if not lines:
            self._show_estimate(None, "")
            return
        missing = [line.entry.name for line in lines if line.unit_price is None]
        if missing:
            self._show_estimate(
                None, "请输入单价：" + "、".join(missing) + "（在清单中选中单价一栏直接输入，Enter 确认）。"
            )
            return
        try:
            result = rules.estimate(self.db, self.request(), self.settings)
        except RequestError as err:
            self._show_estimate(None, "无法预估：\n" + "\n".join(f"- {p}" for p in err.problems))
            return
        except UserFacingError as err:
            self._show_estimate(None, f"无法预估：{err}")
            return
        self.estimate = result
        notes = [f"⚠ {w}" for w in result.warnings]
        notes += [f"· {a}" for a in result.assumptions]
        notes.append("本单为费用预估，以医保结算为准。")
        self._show_estimate(result, "\n".join(notes))

    def enter_confidential(self, entry_id: str) -> None:
        """The entry form of "*" standards, on the drug picked in the detail panel; the estimate is redone."""
        from desktop.ui.confidential_dialog import ConfidentialDialog

        ConfidentialDialog(self.db, self, entry_id=entry_id).exec()
        self.recompute()

    def _show_estimate(self, result: Estimate | None, note: str) -> None:
        for key, label in self.breakdown_labels.items():
            label.setText(_amount_text(result, key))
        self.basket_model.set_results(list(result.lines) if result else None)
        self.estimate_note.setText(note)
        self.estimate_problem = None if result else (note or None)
        self.estimate_changed.emit(result)


def _amount_text(result: Estimate | None, key: str) -> str:
    """A breakdown figure: "—" without an estimate; the folded "*" part; "未设置统筹支付比例" while unset."""
    if result is None:
        return "—"
    if key == "confidential_patient":
        return str(result.confidential_patient)
    if result.fund_unset and key in ("fund", "coinsurance", "patient_total"):
        return "未设置统筹支付比例"
    return str(getattr(result.amounts, key))
