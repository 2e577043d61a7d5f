"""BrowserWidget (F7): the edition in force as a tree of sections and categories, with filters; offline."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QSortFilterProxyModel, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QSplitter,
    QTableView,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)
from sqlite_utils import Database

from desktop.catalogue import records as r
from desktop.catalogue.normalise import match_key
from desktop.storage import catalogue as store
from desktop.storage import overlays
from desktop.ui.entry_table_model import COL_NAME, EntryRole, EntryTableModel, SortRole

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


class EntryFilterProxy(QSortFilterProxyModel):
    """Filters EntryTableModel rows by tree node and check boxes."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.filters = Filters()
        self.dual_ids: frozenset[str] = frozenset()
        self.changed_ids: frozenset[str] = frozenset()
        self.setSortRole(SortRole)

    def set_filters(self, filters: Filters) -> None:
        self.beginFilterChange()
        self.filters = filters
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

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

    def filterAcceptsRow(self, source_row: int, source_parent: QModelIndex | QPersistentModelIndex) -> bool:  # noqa: N802
        model = self.sourceModel()
        entry = model.data(model.index(source_row, 0, source_parent), EntryRole)
        return entry is not None and self.accepts(entry)


def dual_channel_ids(db: Database, rows: list[r.Entry]) -> frozenset[str]:
    """Entries named by an installed dual-channel list (added or set, not removed), as its notice names them.

    Notices name drugs without the dosage form in the name ("依沃西单抗（剂型：注射剂）"); the rules
    service knows those spellings, so its name variants are used when it is installed.
    """
    items: dict[str, list[tuple[str | None, str]]] = {}
    for row in db.query(
        "select i.match_key, i.dosage_form, i.action from overlay_item i join overlay o on o.id = i.overlay_id "
        "where o.kind = ?",
        [overlays.DUAL_CHANNEL],
    ):
        items.setdefault(row["match_key"], []).append((row["dosage_form"], row["action"]))
    if not items:
        return frozenset()
    from desktop.rules.service import form_matches, overlay_names

    def names(e: r.Entry) -> list[tuple[str, str | None]]:
        return overlay_names(e.name, e.dosage_form, e.section)

    def form_ok(item_form: str | None, form: str | None) -> bool:
        return form_matches(item_form, form)

    out = set()
    for e in rows:
        actions = [
            action
            for name, form in names(e)
            for item_form, action in items.get(match_key(name), ())
            if form_ok(item_form, form)
        ]
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


class BrowserWidget(QWidget):
    """The catalogue browser.

    Signals:
        entry_activated(object): Enter or double-click on an entry (the ``Entry``).
    """

    entry_activated = Signal(object)

    def __init__(self, db: Database, *, today: Callable[[], date] = date.today, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.db = db
        self.today = today
        self.tree = QTreeWidget()
        self.tree.setObjectName("tree")
        self.tree.setHeaderLabels(["目录部分与分类", "条目"])
        self.tree.header().setStretchLastSection(False)
        self.tree.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.tree.header().setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        self.tree.setMinimumWidth(280)
        self.tree.currentItemChanged.connect(lambda *_: self.apply_filters())
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

        filters = QHBoxLayout()
        filters.addWidget(self.text, 1)
        filters.addWidget(self.drug_class)
        for box in self.checks.values():
            filters.addWidget(box)
        right = QWidget()
        rl = QVBoxLayout(right)
        rl.setContentsMargins(0, 0, 0, 0)
        rl.addLayout(filters)
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
        self.edition: r.Edition | None = None
        self.reload()

    def reload(self) -> None:
        """Read the edition in force (all offline, from the local database) and rebuild the tree."""
        choice = store.edition_on(self.db, self.today())
        self.edition = choice.edition
        rows = list(store.entries(self.db, self.edition.id)) if self.edition else []
        self.model.set_rows(rows)
        self.proxy.dual_ids = dual_channel_ids(self.db, rows)
        self.proxy.changed_ids = changed_since_previous(self.db, self.edition) if self.edition else frozenset()
        self._build_tree(rows, choice.note)
        self.apply_filters()

    def _build_tree(self, rows: list[r.Entry], note: str | None) -> None:
        self.tree.clear()
        label = self.edition.label if self.edition else "未安装目录"
        root = QTreeWidgetItem([label, str(len(rows))])
        root.setData(0, NodeRole, (None, None))
        if note:
            root.setToolTip(0, note)
        self.tree.addTopLevelItem(root)
        nodes: dict[tuple[str, ...], QTreeWidgetItem] = {}
        counts: dict[tuple[str, ...], int] = {}
        for e in rows:
            parts = [e.section, *category_parts(e)][:4]  # deeper levels would make the tree unreadable
            for depth in range(1, len(parts) + 1):
                key = tuple(parts[:depth])
                counts[key] = counts.get(key, 0) + 1
                if key in nodes:
                    continue
                parent = nodes.get(key[:-1], root)
                item = QTreeWidgetItem([key[-1], ""])
                item.setData(0, NodeRole, (key[0], " > ".join(key[1:]) or None))
                parent.addChild(item)
                nodes[key] = item
        for key, item in nodes.items():
            item.setText(1, str(counts[key]))
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
        return [self.proxy.data(self.proxy.index(i, 0), EntryRole) for i in range(self.proxy.rowCount())]
