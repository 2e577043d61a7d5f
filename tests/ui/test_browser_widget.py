"""Catalogue browser (F7): sections and categories as a tree, filters, dual-channel from an installed list."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import Qt

from desktop.catalogue import records as r
from desktop.storage import catalogue as store
from desktop.storage import overlays
from desktop.ui.browser_widget import BrowserWidget, NodeRole, is_restricted
from tests.ui.conftest import DAY_2024


def make(qtbot, db, day=DAY_2024):  # type: ignore[no-untyped-def]
    widget = BrowserWidget(db, today=lambda: day)
    qtbot.addWidget(widget)
    return widget


def test_tree_has_the_sections_of_the_edition_in_force(qtbot, db):
    browser = make(qtbot, db)
    root = browser.tree.topLevelItem(0)
    assert root.text(0) == "2024年版（修订版）"
    sections = {root.child(i).text(0) for i in range(root.childCount())}
    in_db = {e.section for e in store.entries(db, browser.edition.id)}
    assert sections == in_db
    assert int(root.text(1)) == browser.model.rowCount()
    west = next(root.child(i) for i in range(root.childCount()) if root.child(i).text(0) == r.WEST)
    browser.tree.setCurrentItem(west)
    shown = browser.visible_entries()
    assert shown and all(e.section == r.WEST for e in shown)
    assert len(shown) == int(west.text(1))
    category = west.child(0)
    browser.tree.setCurrentItem(category)
    section, path = category.data(0, NodeRole)
    assert section == r.WEST and path
    assert all(
        " > ".join((e.category_path or e.category_code or "").split(" > ")).startswith(path)
        for e in browser.visible_entries()
    )


def test_filters(qtbot, db):
    browser = make(qtbot, db)
    total = browser.model.rowCount()
    browser.drug_class.setCurrentIndex(browser.drug_class.findData("甲"))
    shown = browser.visible_entries()
    assert 0 < len(shown) < total and all(e.drug_class == "甲" for e in shown)
    browser.drug_class.setCurrentIndex(0)
    browser.checks["negotiated"].setChecked(True)
    shown = browser.visible_entries()
    assert shown and all(e.section in (r.NEGOTIATED, r.BIDDING) for e in shown)
    browser.checks["restricted"].setChecked(True)
    both = browser.visible_entries()
    assert both and all(is_restricted(e) and e.section in (r.NEGOTIATED, r.BIDDING) for e in both)
    assert "显示" in browser.summary.text()


def test_dual_channel_filter_follows_the_installed_list(qtbot, db):
    """Jilin 2024 (seed 001): 依沃西单抗（剂型：注射剂） added to the dual-channel list."""
    info = overlays.OverlayInfo(
        overlay_id="test-jilin-dual-2024",
        kind=overlays.DUAL_CHANNEL,
        region="jilin",
        title="吉林省“双通道药品”调整（测试）",
        complete=False,
        note="仅通知中点名的调整",
    )
    overlays.store_overlay(db, info, [overlays.OverlayItem("依沃西单抗", "add", dosage_form="注射剂")])
    browser = make(qtbot, db)
    browser.checks["dual_channel"].setChecked(True)
    names = {e.name for e in browser.visible_entries()}
    assert "依沃西单抗注射液" in names
    assert "阿莫西林" not in names
    assert "不完整" in browser.summary.text()


def test_changed_since_the_previous_edition(qtbot, db):
    browser = make(qtbot, db, date(2026, 3, 1))
    assert browser.edition.name == "2025"
    browser.checks["changed"].setChecked(True)
    changed = browser.visible_entries()
    assert changed and len(changed) < browser.model.rowCount()
    previous = {(e.key, e.section): e for e in store.entries(db, store.edition_on(db, DAY_2024).edition.id)}
    for e in changed[:50]:
        old = previous.get((e.key, e.section))
        assert (
            old is None
            or (old.drug_class, old.remark, old.payment_standard) != (e.drug_class, e.remark, e.payment_standard)
            or (old.remark or "").strip() != (e.remark or "").strip()
        )


def test_enter_sends_the_entry_to_the_counter(qtbot, window):
    window.open_browser()
    browser = window.browser
    qtbot.waitUntil(lambda: browser.edition is not None, timeout=20000)
    assert window.tabs.currentWidget() is browser
    browser.table.setFocus()
    browser.table.setCurrentIndex(browser.proxy.index(0, 0))
    entry = browser.visible_entries()[0]
    qtbot.keyClick(browser.table, Qt.Key.Key_Return)
    assert window.tabs.currentWidget() is window.counter
    assert window.counter.current == entry
    assert window.counter.search.hasFocus()


def test_the_edition_is_read_on_a_worker_behind_a_busy_bar(qtbot, db, db_path, monkeypatch):
    import threading

    from desktop.ui import browser_widget

    threads = []
    real = browser_widget.read_browser_data

    def spy(conn, day):  # type: ignore[no-untyped-def]
        threads.append(threading.current_thread())
        return real(conn, day)

    monkeypatch.setattr(browser_widget, "read_browser_data", spy)
    widget = BrowserWidget(db, today=lambda: DAY_2024, db_path=db_path)
    qtbot.addWidget(widget)
    assert not widget.busy.isHidden() and widget.model.rowCount() == 0  # shown at once, filled later
    with qtbot.waitSignal(widget.loaded, timeout=20000):
        pass
    assert threads and threads[0] is not threading.main_thread()
    assert widget.busy.isHidden()
    assert widget.tree.topLevelItem(0).text(0) == "2024年版（修订版）"
    assert int(widget.tree.topLevelItem(0).text(1)) == widget.model.rowCount() > 0


def test_a_reload_supersedes_one_still_running(qtbot, db, db_path):
    widget = BrowserWidget(db, today=lambda: DAY_2024, db_path=db_path)
    qtbot.addWidget(widget)
    widget.today = lambda: date(2026, 3, 1)
    widget.reload()  # the first read (2024) is still running or its result is now stale
    qtbot.waitUntil(lambda: widget.edition is not None and widget.edition.name == "2025", timeout=20000)
    qtbot.wait(200)  # the superseded result, if it arrives now, must not replace the 2025 edition
    assert widget.edition.name == "2025"
    assert widget.tree.topLevelItem(0).text(0).startswith("2025")
