"""BrowserWidget (F7): the edition in force as a tree of sections and categories, with filters; offline."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QProgressBar,
    QSplitter,
    QTableView,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import isValid
from sqlite_utils import Database

from desktop.catalogue import records as r
from desktop.errors import UserFacingError
from desktop.storage import catalogue as store
from desktop.storage import overlays
from desktop.ui.entry_table_model import COL_NAME, COL_NUMBER, EntryRole, EntryTableModel
from desktop.ui.workers import Job, Pool, SynchronousPool, run_in_background

#: Role of a tree item: the (section, category path prefix) it stands for.
NodeRole = Qt.ItemDataRole.UserRole


@dataclass(frozen=True)
class Filters:
    section: str | None = None
    category: str | None = None  # category path prefix ("A > B")
    drug_class: str | None = None  # 甲 / 乙
    negotiated: bool = False
    dual_channel: bool = False
    restricted: bool = False
    changed: bool = False
    text: str = ""


def category_parts(entry: r.Entry) -> list[str]:
    if entry.category_path:
        return [p.strip() for p in entry.category_path.split(">") if p.strip()]
    return [entry.category_code] if entry.category_code else []


def is_restricted(entry: r.Entry) -> bool:
    return bool(entry.remark and entry.remark.strip()) or r.FLAG_RESTRICTED in entry.flags


def sort_key(e: r.Entry, column: int) -> int | str:
    """What a column sorts by: publication order for the number, the text shown otherwise."""
    return e.seq if column == COL_NUMBER else EntryTableModel.display(e, column)


class EntryFilterProxy(EntryTableModel):
    """The browser's visible rows: a source EntryTableModel's entries, filtered and sorted in Python.

    Not a QSortFilterProxyModel: that one calls back into Python for every row and every comparison,
    2.3 s on the GUI thread for an edition's 10,000 rows; filtering and sorting the list takes a few ms.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.filters = Filters()
        self.dual_ids: frozenset[str] = frozenset()
        self.changed_ids: frozenset[str] = frozenset()
        self._source: EntryTableModel | None = None
        self._order = (COL_NUMBER, Qt.SortOrder.AscendingOrder)

    def setSourceModel(self, model: EntryTableModel) -> None:  # noqa: N802 - the proxy models' name
        self._source = model
        model.modelReset.connect(self.refresh)
        self.refresh()

    def sourceModel(self) -> EntryTableModel | None:  # noqa: N802
        return self._source

    def set_filters(self, filters: Filters) -> None:
        self.filters = filters
        self.refresh()

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        self._order = (column, order)
        self.refresh()

    def refresh(self) -> None:
        column, order = self._order
        rows = [e for e in (self._source.entries() if self._source else []) if self.accepts(e)]
        rows.sort(key=lambda e: sort_key(e, column), reverse=order == Qt.SortOrder.DescendingOrder)
        self.set_rows(rows)

    def accepts(self, e: r.Entry) -> bool:
        f = self.filters
        if f.section and e.section != f.section:
            return False
        if f.category:
            path = " > ".join(category_parts(e))
            if path != f.category and not path.startswith(f.category + " > "):
                return False
        if f.drug_class and e.drug_class != f.drug_class:
            return False
        if f.negotiated and e.section not in (r.NEGOTIATED, r.BIDDING):
            return False
        if f.dual_channel and e.id not in self.dual_ids:
            return False
        if f.restricted and not is_restricted(e):
            return False
        if f.changed and e.id not in self.changed_ids:
            return False
        return not f.text or f.text in e.name or f.text in e.name_published


def dual_channel_ids(db: Database, rows: list[r.Entry]) -> frozenset[str]:
    """Entries named by an installed dual-channel list (added or set, not removed), as its notice names them
    (generic name without radicals, merged dosage form: ``desktop.catalogue.matching``)."""
    from desktop.catalogue import matching

    facts = [f for f in overlays.region_facts(db, None) if f.overlay.kind == overlays.DUAL_CHANNEL]
    if not facts:
        return frozenset()
    index = matching.FactIndex(facts)
    out = set()
    for e in rows:
        actions = [f.item.action for f in index.facts(e.name, e.dosage_form, e.section)]
        if actions and "remove" not in actions:
            out.add(e.id)
    return frozenset(out)


def changed_since_previous(db: Database, edition: r.Edition) -> frozenset[str]:
    """Ids of entries of ``edition`` that are new or differ (class, section, remark, standard) from the previous."""
    installed = [e for e in store.editions(db) if e.effective_start < edition.effective_start]
    if not installed:
        return frozenset()
    previous = max(installed, key=lambda e: e.effective_start)

    def sig(e: r.Entry) -> tuple:
        return (e.drug_class, e.section, (e.remark or "").strip(), (e.payment_standard or "").strip())

    before = {(e.key, e.section): sig(e) for e in store.entries(db, previous.id)}
    before_keys = {e_key for e_key, _s in before}
    out = set()
    for e in store.entries(db, edition.id):
        old = before.get((e.key, e.section))
        if old is None and e.key in before_keys:
            out.add(e.id)  # moved between sections (e.g. into the negotiated list)
        elif old is None or old != sig(e):
            out.add(e.id)
    return frozenset(out)


@dataclass(frozen=True)
class BrowserData:
    """What the browser shows, read off the GUI thread: the edition in force, its rows and the tree."""

    edition: r.Edition | None
    note: str | None
    rows: list[r.Entry]
    dual_ids: frozenset[str]
    changed_ids: frozenset[str]
    #: Tree nodes (section, category, ...) in first-seen order, each with its number of entries.
    nodes: list[tuple[tuple[str, ...], int]]


def tree_nodes(rows: list[r.Entry]) -> list[tuple[tuple[str, ...], int]]:
    """Every (section, category path prefix) of the rows, parents first, with its count."""
    counts: dict[tuple[str, ...], int] = {}
    for e in rows:
        parts = [e.section, *category_parts(e)][:4]  # deeper levels would make the tree unreadable
        for depth in range(1, len(parts) + 1):
            key = tuple(parts[:depth])
            counts[key] = counts.get(key, 0) + 1
    return list(counts.items())


def read_browser_data(db: Database, day: date) -> BrowserData:
    """Everything the browser needs for ``day`` (runs on a worker with its own connection)."""
    choice = store.edition_on(db, day)
    edition = choice.edition
    rows = list(store.entries(db, edition.id)) if edition else []
    return BrowserData(
        edition=edition,
        note=choice.note,
        rows=rows,
        dual_ids=dual_channel_ids(db, rows),
        changed_ids=changed_since_previous(db, edition) if edition else frozenset(),
        nodes=tree_nodes(rows),
    )


class BrowserWidget(QWidget):
    """The catalogue browser.

    The edition is read on a worker thread (its own read-only connection to ``db_path``) behind a
    busy indicator; only the models and the tree are filled on the GUI thread. Without ``db_path``
    (an in-memory database) the read runs at once on the GUI thread's connection.

    Signals:
        entry_activated(object): Enter or double-click on an entry (the ``Entry``).
        loaded(): the edition has been read and shown (after each ``reload``).
    """

    entry_activated = Signal(object)
    loaded = Signal()

    def __init__(
        self,
        db: Database,
        *,
        today: Callable[[], date] = date.today,
        db_path: Path | None = None,
        pool: Pool | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.db = db
        self.db_path = db_path
        self.pool: Pool | None = pool if db_path is not None else SynchronousPool()
        self.job: Job | None = None
        self._generation = 0
        self.today = today
        self._make_tree()
        self._make_table()
        self._make_filters()
        self._lay_out()
        self.edition: r.Edition | None = None
        self.reload()

    def _make_tree(self) -> None:
        self.tree = QTreeWidget()
        self.tree.setObjectName("tree")
        self.tree.setHeaderLabels(["目录部分与分类", "条目"])
        self.tree.header().setStretchLastSection(False)
        self.tree.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.tree.header().setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        self.tree.setMinimumWidth(280)
        self.tree.currentItemChanged.connect(lambda *_: self.apply_filters())

    def _make_table(self) -> None:
        self.model = EntryTableModel(self)
        self.proxy = EntryFilterProxy(self)
        self.proxy.setSourceModel(self.model)
        self.table = QTableView()
        self.table.setObjectName("entries")
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)  # publication order
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setColumnWidth(COL_NAME, 240)
        self.table.doubleClicked.connect(self._activate)
        self.table.activated.connect(self._activate)

    def _make_filters(self) -> None:
        self.text = QLineEdit()
        self.text.setObjectName("browserText")
        self.text.setPlaceholderText("名称包含…")
        self.text.textChanged.connect(lambda *_: self.apply_filters())
        self.drug_class = QComboBox()
        self.drug_class.setObjectName("classFilter")
        for label, code in (("甲/乙：全部", None), ("甲类", r.CLASS_A), ("乙类", r.CLASS_B)):
            self.drug_class.addItem(label, code)
        self.drug_class.currentIndexChanged.connect(lambda *_: self.apply_filters())
        self.checks: dict[str, QCheckBox] = {}
        for key, label in (
            ("negotiated", "谈判/竞价药品(&N)"),
            ("dual_channel", "双通道(&D)"),
            ("restricted", "有限定支付范围(&L)"),
            ("changed", "较上一版本有变化(&U)"),
        ):
            box = QCheckBox(label)
            box.setObjectName(f"filter_{key}")
            box.toggled.connect(lambda *_: self.apply_filters())
            self.checks[key] = box
        self.summary = QLabel()
        self.summary.setObjectName("browserSummary")
        self.summary.setWordWrap(True)
        self.busy = QProgressBar()
        self.busy.setObjectName("browserBusy")
        self.busy.setRange(0, 0)  # the read reports no steps: an indeterminate bar
        self.busy.setFormat("正在读取目录…")
        self.busy.setTextVisible(True)
        self.busy.hide()

    def _lay_out(self) -> None:
        filters = QHBoxLayout()
        filters.addWidget(self.text, 1)
        filters.addWidget(self.drug_class)
        for box in self.checks.values():
            filters.addWidget(box)
        right = QWidget()
        rl = QVBoxLayout(right)
        rl.setContentsMargins(0, 0, 0, 0)
        rl.addLayout(filters)
        rl.addWidget(self.busy)
        rl.addWidget(self.table, 1)
        rl.addWidget(self.summary)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self.tree)
        split.addWidget(right)
        split.setStretchFactor(0, 1)
        split.setStretchFactor(1, 3)
        split.setSizes([360, 1000])
        layout = QVBoxLayout(self)
        layout.addWidget(split)

    def reload(self) -> None:
        """Read the edition in force (all offline, from the local database) and rebuild the tree.

        The read runs on a worker; a reload asked while one runs supersedes it (its result is dropped).
        """
        if self.job is not None and not self.job.done:
            self.job.cancel()
        day, db_path = self.today(), self.db_path
        self.busy.show()

        def work(job: Job) -> BrowserData | None:
            if db_path is None:
                return read_browser_data(self.db, day)
            reader = store.open_db(db_path, readonly=True)
            try:
                return None if job.cancelled() else read_browser_data(reader, day)
            finally:
                reader.close()

        self._generation += 1
        generation = self._generation
        self.job = run_in_background(work, lambda data: self._show(generation, data), self._failed, pool=self.pool)

    def _show(self, generation: int, data: BrowserData | None) -> None:
        if data is None or generation != self._generation or not isValid(self.busy):
            return  # superseded by a later reload, or the widget was closed meanwhile
        self.busy.hide()
        self.edition = data.edition
        self.proxy.dual_ids = data.dual_ids
        self.proxy.changed_ids = data.changed_ids
        self.tree.blockSignals(True)  # one filter pass below, not one per tree change
        try:
            self._build_tree(data)
        finally:
            self.tree.blockSignals(False)
        self.proxy.filters = self.filters()
        self.model.set_rows(data.rows)  # the proxy filters and sorts the new rows once
        self._show_summary()
        self.loaded.emit()

    def _failed(self, err: BaseException) -> None:
        if not isValid(self.busy):
            return
        self.busy.hide()
        if not isinstance(err, UserFacingError):
            raise err
        self.summary.setText(f"无法读取目录：{err}")

    def _build_tree(self, data: BrowserData) -> None:
        self.tree.clear()
        label = data.edition.label if data.edition else "未安装目录"
        root = QTreeWidgetItem([label, str(len(data.rows))])
        root.setData(0, NodeRole, (None, None))
        if data.note:
            root.setToolTip(0, data.note)
        self.tree.addTopLevelItem(root)
        items: dict[tuple[str, ...], QTreeWidgetItem] = {}
        for key, count in data.nodes:  # parents come before their children
            item = QTreeWidgetItem([key[-1], str(count)])
            item.setData(0, NodeRole, (key[0], " > ".join(key[1:]) or None))
            items.get(key[:-1], root).addChild(item)
            items[key] = item
        root.setExpanded(True)
        self.tree.setCurrentItem(root)

    def filters(self) -> Filters:
        item = self.tree.currentItem()
        section, category = item.data(0, NodeRole) if item is not None else (None, None)
        return Filters(
            section=section,
            category=category,
            drug_class=self.drug_class.currentData(),
            negotiated=self.checks["negotiated"].isChecked(),
            dual_channel=self.checks["dual_channel"].isChecked(),
            restricted=self.checks["restricted"].isChecked(),
            changed=self.checks["changed"].isChecked(),
            text=self.text.text().strip(),
        )

    def apply_filters(self) -> None:
        self.proxy.set_filters(self.filters())
        self._show_summary()

    def _show_summary(self) -> None:
        shown, total = self.proxy.rowCount(), self.model.rowCount()
        extra = ""
        if self.checks["dual_channel"].isChecked() and not self.proxy.dual_ids:
            extra = " 未安装双通道名单，无法按双通道筛选。"
        elif self.checks["dual_channel"].isChecked():
            extra = " 双通道名单可能不完整（按已安装的地方名单）。"
        label = self.edition.label if self.edition else "无目录"
        self.summary.setText(f"显示 {shown} / {total} 条（{label}）。{extra}")

    def _activate(self, index: QModelIndex) -> None:
        entry = self.proxy.data(index, EntryRole)
        if entry is not None:
            self.entry_activated.emit(entry)

    def visible_entries(self) -> list[r.Entry]:
        return self.proxy.entries()
