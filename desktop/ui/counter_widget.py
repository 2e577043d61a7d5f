"""CounterWidget: search, pick, check, add to the basket, estimate and print, all from the keyboard."""

from __future__ import annotations

import html
import logging
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import date
from decimal import Decimal, InvalidOperation

from PySide6.QtCore import QDate, QEvent, QModelIndex, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDateEdit,
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
from desktop.catalogue.normalise import normalise_name
from desktop.catalogue.pinyin import keys as pinyin_keys
from desktop.catalogue.search import Searcher
from desktop.errors import RequestError, UserFacingError
from desktop.products.scan import SaleLine, ScanResult
from desktop.rules.contract import Estimate, EstimateRequest
from desktop.ui import scan_box, services
from desktop.ui.basket_model import COL_PRICE, COL_QUANTITY, EDITABLE, BasketModel
from desktop.ui.detail_panel import DetailPanel, pick_id
from desktop.ui.entry_table_model import EntryTableModel, Pick, WithTransitions

log = logging.getLogger(__name__)

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
    ("F10", "清单⇄搜索"),
    ("F12", "设置"),
    ("Del", "删除行"),
    ("Ctrl+↑↓", "详情滚动"),
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
        picked(object): a drug was picked (Enter); carries the ``Entry`` (or the transition drug).
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
        self.current: Pick | None = None
        self.confirmed: dict[str, frozenset[str]] = {}  # entry id (a transition drug's name) -> conditions ticked
        self.estimate: Estimate | None = None
        self.estimate_problem: str | None = None
        self._in_basket = False  # staff came to the basket with F10 (stay there after an edit)
        self._scan_result: ScanResult | None = None  # the answer to a code in the search box (scan_box.show)
        self._build()
        self._wire()
        self.refresh_settings()
        scan_box.warm_up(db)

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

        self.detail = DetailPanel()  # name and verdict stay on top; the rest scrolls (Ctrl+↑/↓)
        self.detail.setObjectName("detail")
        self.detail.confidential_requested.connect(self.enter_confidential)

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
        pform = QGridLayout(self.patient_box)  # two columns: the detail above keeps the height
        pform.setContentsMargins(6, 4, 6, 4)
        pform.setVerticalSpacing(3)
        for i, (title, widget) in enumerate(
            (
                ("险种：", self.insurance),
                ("人员类别：", self.group),
                ("待遇渠道：", self.channel),
                ("起付线尚需（元）：", self.deductible),
                ("结算日期：", self.day),
            )
        ):
            pform.addWidget(QLabel(title), i // 2, (i % 2) * 2)
            pform.addWidget(widget, i // 2, (i % 2) * 2 + 1)
        pform.setColumnStretch(1, 1)
        pform.setColumnStretch(3, 1)

        # Basket and estimate.
        self.basket_model = BasketModel(self)
        self.basket = QTableView()
        self.basket.setObjectName("basket")
        self.basket.setModel(self.basket_model)
        self.basket.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectItems)
        self.basket.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.basket.setTabKeyNavigation(False)  # Tab/←/→ move between the editable cells (eventFilter)
        # The current cell stands out (staff must see which figure the next key types into).
        self.basket.setStyleSheet(
            "QTableView#basket::item:selected { background:#1a73e8; color:white; }"
            "QTableView#basket::item:selected:!active { background:#c6dafc; color:black; }"
        )
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
        basket_box = QGroupBox(
            "F4 购药清单与费用预估（F10 进入清单：←/→ 单价、数量，直接输入数字修改，Enter 确认；"
            "Backspace 撤销最后一个追溯码）"
        )
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
        rl.addWidget(self.detail, 1)
        rl.addWidget(self.patient_box)
        top = QSplitter(Qt.Orientation.Horizontal)
        top.addWidget(left)
        top.addWidget(right)
        top.setStretchFactor(0, 3)
        top.setStretchFactor(1, 2)
        main = QSplitter(Qt.Orientation.Vertical)
        main.addWidget(top)
        main.addWidget(basket_box)
        main.setStretchFactor(0, 3)
        main.setStretchFactor(1, 2)
        main.setSizes([600, 400])  # proportions: the splitters fit whatever height the window has
        self.splitters = {"top": top, "main": main}
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 2)
        layout.addWidget(main, 1)
        layout.addWidget(self.keybar)

    @staticmethod
    def _combo(options: dict[str, str], name: str) -> QComboBox:
        box = QComboBox()
        box.setObjectName(name)
        box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        box.setMinimumContentsLength(6)
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
        # After the view has handled the closed editor (it takes the focus itself): back to the search box
        # after the price typed on F4; staying on the line when staff came with F10.
        self.basket.itemDelegate().closeEditor.connect(lambda *_: QTimer.singleShot(0, self._editor_closed))
        self.basket.installEventFilter(self)
        for key, slot in (
            ("F2", self.focus_search),
            ("F3", self.focus_patient),
            ("F4", self.add_current),
            ("F8", self.new_sale),
            ("F10", self.toggle_basket),
            ("Ctrl+Up", lambda: self.detail.scroll_by(-1)),
            ("Ctrl+Down", lambda: self.detail.scroll_by(1)),
            ("Ctrl+PgUp", lambda: self.detail.scroll_by(-5)),
            ("Ctrl+PgDown", lambda: self.detail.scroll_by(5)),
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
        if (
            watched is self.basket
            and key == Qt.Key.Key_Backspace
            and self.basket.state() != QAbstractItemView.State.EditingState
        ):
            self.undo_code()
            return True
        if watched is self.basket and self._basket_key(event):
            return True
        if key == Qt.Key.Key_Escape and watched is not self.search:
            self.focus_search()
            return True
        return super().eventFilter(watched, event)

    def _basket_key(self, event: QKeyEvent) -> bool:
        """Keys on the basket: ←/→/Tab between the editable cells only, a digit edits the quantity."""
        index = self.basket.currentIndex()
        rows = self.basket_model.rowCount()
        if not rows:
            return False
        row = max(index.row(), 0)
        col = index.column() if index.isValid() else COL_QUANTITY
        key = event.key()
        mods = event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
        if key in (Qt.Key.Key_Left, Qt.Key.Key_Right, Qt.Key.Key_Tab, Qt.Key.Key_Backtab) and mods in (
            Qt.KeyboardModifier.NoModifier,
            Qt.KeyboardModifier.ShiftModifier,
        ):
            forward = key in (Qt.Key.Key_Right, Qt.Key.Key_Tab) and mods == Qt.KeyboardModifier.NoModifier
            if key in (Qt.Key.Key_Left, Qt.Key.Key_Right):  # along the line, between price and quantity
                if col in EDITABLE:
                    i = min(max(EDITABLE.index(col) + (1 if forward else -1), 0), len(EDITABLE) - 1)
                    col = EDITABLE[i]
                else:
                    col = COL_QUANTITY if forward else COL_PRICE
                self._set_basket_cell(row, col)
                return True
            cells = [(r, c) for r in range(rows) for c in EDITABLE]  # Tab: every editable cell, line by line
            if (row, col) in cells:
                i = cells.index((row, col)) + (1 if forward else -1)
            else:
                i = cells.index((row, EDITABLE[0] if forward else EDITABLE[-1]))
            if not 0 <= i < len(cells):
                self.focus_search()  # Tab past the last cell (or Shift+Tab before the first) leaves the basket
                return True
            self._set_basket_cell(*cells[i])
            return True
        if key in (Qt.Key.Key_Up, Qt.Key.Key_Down) and mods == Qt.KeyboardModifier.NoModifier:
            row = min(max(row + (1 if key == Qt.Key.Key_Down else -1), 0), rows - 1)
            self._set_basket_cell(row, col if col in EDITABLE else COL_QUANTITY)
            return True
        text = event.text()
        if text and text.isdigit() and col not in EDITABLE:
            # Typing a number on the line edits its quantity (the read-only cells take no typing).
            self._set_basket_cell(row, COL_QUANTITY)
            self._edit_with(event)
            return True
        if (
            key in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
            and col in EDITABLE
            and self.basket.state() != QAbstractItemView.State.EditingState
        ):
            self.basket.edit(self.basket_model.index(row, col))
            return True
        return False

    def _edit_with(self, event: QKeyEvent) -> None:
        """Open the current cell's editor with ``event``'s character typed into it (replacing the value)."""
        index = self.basket.currentIndex()
        self.basket.edit(index)
        editor = self.basket.indexWidget(index) or self.basket.focusWidget()
        if isinstance(editor, QLineEdit):
            editor.setText(event.text())

    def _set_basket_cell(self, row: int, col: int) -> None:
        index = self.basket_model.index(row, col)
        self.basket.setCurrentIndex(index)
        self.basket.scrollTo(index)

    def toggle_basket(self) -> None:
        """F10: to the basket's current line (its quantity), and back to the search box."""
        if self.basket.hasFocus() or self.basket.isAncestorOf(self.focusWidget() or self):
            self.focus_search()
            return
        rows = self.basket_model.rowCount()
        if not rows:
            self.search_note.setText("清单为空：先查找药品，按 F4 加入清单。")
            return
        index = self.basket.currentIndex()
        row = index.row() if index.isValid() else rows - 1
        self._in_basket = True
        self.basket.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self._set_basket_cell(row, COL_QUANTITY)  # a number typed now is the quantity; ← goes to the price

    def _editor_closed(self) -> None:
        if self._in_basket:
            self.basket.setFocus()
        else:
            self.focus_search()

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
        self._in_basket = False
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
        try:
            if scan_box.show(self, text):  # a scanned code: item, product, entry (desktop/ui/scan_box.py)
                return
            result = self.searcher.search(text, day=self.as_of(), limit=100)
        except UserFacingError as err:
            self.results_model.set_rows([])
            self.search_note.setText(str(err))
            self.search_note.setStyleSheet("color:#b3261e")
            return
        except Exception:  # a bug: logged; the box keeps taking keys (a modal dialog would swallow a scan)
            log.exception("search failed for %r", text)
            self.results_model.set_rows([])
            self.search_note.setText("搜索出错，已记录到日志。请换个写法再试，或联系技术支持。")
            self.search_note.setStyleSheet("color:#b3261e")
            return
        rows = self._with_transitions(text, result.entries)
        self.results_model.set_rows(rows)
        if rows:
            self._select_row(0)
        notes = []
        if result.note:
            notes.append(result.note)
        if text.strip() and not rows:
            notes.append(self._not_found(text.strip()))
        # Set only what changed: a style sheet re-polishes the label and a new text re-lays out the panel.
        note, style = "\n".join(notes), "color:#b3261e" if notes else ""
        if self.search_note.text() != note:
            self.search_note.setText(note)
        if self.search_note.styleSheet() != style:
            self.search_note.setStyleSheet(style)

    def _with_transitions(self, text: str, entries: Sequence[r.Entry]) -> Sequence[Pick]:
        """The entries, with the transition drugs the text names (no entries of their own: picked by name);
        one named exactly (its name, pinyin or initials) comes first, the others after the entries."""
        drugs = self.searcher.transition_drugs(text)
        if not drugs:
            return entries
        typed = normalise_name(text).strip().lower()
        exact = [
            t
            for t in drugs
            if typed == normalise_name(t.name).lower() or (typed.isascii() and typed in pinyin_keys(t.name))
        ]
        return WithTransitions(entries, exact, [t for t in drugs if t not in exact])

    @staticmethod
    def _not_found(text: str) -> str:
        if text.isdigit() and len(text) >= 8:
            kind = "药品追溯码" if len(text) == 20 else "商品条码" if len(text) in (8, 12, 13, 14) else "扫码内容"
            return (
                f"{kind}“{text}”（{len(text)} 位）未在目录中找到：医保目录按通用名收录，不含商品条码和追溯码。"
                "请输入药品名称、拼音首字母或目录编号查找；再次扫码会替换这段数字。"
            )
        return f"未找到“{text}”。请检查拼写，或改用拼音首字母、中文名的一部分、目录编号查找。"

    def pick_current(self) -> None:
        """Enter: pick the highlighted result and show its detail and eligibility; a scanned box goes into the
        basket (``scan_box.pick``: the item, its price and 追溯码)."""
        if scan_box.pick(self):  # a scanned code: added to the basket, or which item an unknown 追溯码 is
            return
        entry = self.results_model.pick(self.results.currentIndex().row())
        if entry is None:
            # A scanned code keeps the scan's own answer (desktop/ui/scan_box.py); other text says what to try.
            if self.search.text().strip() and self._scan_result is None:
                self.search_note.setText(self._not_found(self.search.text().strip()))
                self.search_note.setStyleSheet("color:#b3261e")
            self.search.selectAll()  # the next scan replaces what is there, never appends to it
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
        confirmed = self.confirmed.get(pick_id(entry), frozenset())
        try:
            eligibility = rules.check(
                self.db,
                pick_id(entry),  # a transition drug is checked by its name
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
        self.confirmed[pick_id(self.current)] = codes
        for row, line in enumerate(self.basket_model.lines()):
            if line.pick_id == pick_id(self.current) and line.confirmed != codes:
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
        """F4: add the highlighted result (else the entry picked last) to the basket and type its unit price;
        a scanned box adds as Enter does (``scan_box.pick``)."""
        if scan_box.pick(self):
            return
        entry = self.results_model.pick(self.results.currentIndex().row()) or self.current
        if entry is None:
            self.error_raised.emit("请先在搜索框中查找并选中药品（↑/↓ 选择，Enter 确认），再按 F4 加入清单。")
            return
        if self.current != entry:
            self.current = entry
            self.show_current()
        row = self.basket_model.add(entry, confirmed=self.confirmed.get(pick_id(entry), frozenset()))
        self._after_add(row)

    def add_scanned(self, entry: r.Entry, sale: SaleLine) -> bool:
        """A scanned box into the basket (Enter or F4 after a scan); False when its 追溯码 is refused.

        A 追溯码 already in this sale, already on an issued receipt, or of another item is refused with
        the core's message (``products.trace.check``); the box text is selected so the next scan replaces it.
        """
        if sale.trace_code:
            problems = self._trace_problems(sale)
            if problems:
                self.search_note.setText("无法加入清单：\n" + "\n".join(problems))
                self.search_note.setStyleSheet("color:#b3261e")
                self.focus_search()
                return False
        if self.current != entry:
            self.current = entry
            self.show_current()
        row = self.basket_model.add_scanned(entry, sale, self.confirmed.get(entry.id, frozenset()))
        line = self.basket_model.line(row)
        assert line is not None
        codes = f"，追溯码 {len(line.trace_codes)} 个" if line.trace_codes else ""
        self.search_note.setText(
            scan_box.describe(self._scan_result) + f"\n已加入清单第 {row + 1} 行：数量 {line.quantity}{codes}。"
            if self._scan_result is not None
            else f"已加入清单第 {row + 1} 行。"
        )
        self._after_add(row)
        return True

    def _trace_problems(self, sale: SaleLine) -> list[str]:
        """What the core says of the sale's 追溯码 with this box's added (repeats, codes sold before, another item)."""
        from desktop.products import trace

        lines = [
            (line.key, list(line.trace_codes), line.goods.item_id if line.goods else None)
            for line in self.basket_model.lines()
        ]
        row = self.basket_model.row_of(sale.key)
        if row is None:
            lines.append((sale.key, [], sale.item_id))
            row = len(lines) - 1
        assert sale.trace_code is not None
        lines[row][1].append(sale.trace_code)
        problems: list[str] = []
        trace.check(self.db, [(i, codes, item) for i, (_key, codes, item) in enumerate(lines, 1)], problems)
        return problems

    def _after_add(self, row: int) -> None:
        """A line added: type its unit price when it has none, else back to the search box for the next drug."""
        index = self.basket_model.index(row, COL_PRICE)
        self.basket.setCurrentIndex(index)
        line = self.basket_model.line(row)
        if line is not None and line.unit_price is None:
            self._in_basket = False  # after the price, back to the search box
            self.basket.setFocus()
            self.basket.edit(index)
        else:
            self.focus_search()

    def undo_code(self) -> None:
        """Backspace on a basket line: take back its last 追溯码 (a box scanned by mistake)."""
        row = self.basket.currentIndex().row()
        code = self.basket_model.undo_code(row)
        self.search_note.setText(
            f"已撤销第 {row + 1} 行的追溯码 {code}。" if code else "本行没有扫描的追溯码可撤销（Del 删除整行）。"
        )
        self.search_note.setStyleSheet("")

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
        t = self.today()
        self.day.setDate(QDate(t.year, t.month, t.day))  # a new sale is settled today
        self.search.clear()
        self.detail.show_entry(None)
        self.focus_search()

    def show_entry(self, entry: r.Entry) -> None:
        """An entry chosen elsewhere (the browser, F7 → Enter) becomes the highlighted result and the pick."""
        self.search.blockSignals(True)
        self.search.setText(entry.name)
        self.search.blockSignals(False)
        self._scan_result = None  # the box now holds a name, not the code scanned before
        self.results_model.set_rows([entry])
        self._select_row(0)
        self.search_note.setText("")
        self.current = entry
        self.show_current()
        self.focus_search()

    def request(self) -> EstimateRequest:
        """The estimate request for the current sale, checked like any other (the screen is an edge).

        Raises:
            RequestError: what is wrong (an entry no longer in the catalogue, a price of 0 ...).
        """
        from desktop.products import request as by_product  # lines naming a store item or product, 追溯码

        return by_product.parse(self.db, self.request_json(), self.settings)

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
        missing = [line.name for line in lines if line.unit_price is None]
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
    if result.fund_unset and key in ("fund", "coinsurance", "patient_total", "confidential_patient"):
        return "未设置统筹支付比例"
    if key == "confidential_patient":  # folded "*" part: "—" when the basket holds no "*" drug
        return f"{result.confidential_patient.quantize(Decimal('0.01'))}" if result.any_confidential else "—"
    return str(getattr(result.amounts, key))
