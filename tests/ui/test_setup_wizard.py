"""The first-start wizard: keyboard only, validated fields with units, skippable, reachable again from Settings."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from desktop import settings
from desktop.ui import setup_wizard
from desktop.ui.settings_dialog import SettingsDialog
from tests.ui.helpers import drive_modals, key, type_chinese


def _focus():  # type: ignore[no-untyped-def]
    return QApplication.focusWidget()


def test_first_start_by_keys_alone_saves_every_page(qtbot, window, db):
    assert setup_wizard.should_offer(db)
    pages = []

    def fill(wizard):  # type: ignore[no-untyped-def]
        key(wizard, Qt.Key.Key_Return)  # the intro -> the pharmacy
        pages.append(wizard.currentPage().title())
        type_chinese(_focus(), "示例大药房")
        QTest.keyClick(_focus(), Qt.Key.Key_Tab)
        QTest.keyClicks(_focus(), "P22010100001")
        QTest.keyClick(_focus(), Qt.Key.Key_Tab)
        QTest.keyClicks(_focus(), "No.1")
        QTest.keyClick(_focus(), Qt.Key.Key_Return)  # -> region and printing
        pages.append(wizard.currentPage().title())
        profile = _focus()
        while profile.currentData() != "jilin":
            QTest.keyClick(profile, Qt.Key.Key_Down)
        QTest.keyClick(profile, Qt.Key.Key_Tab)
        QTest.keyClick(_focus(), Qt.Key.Key_Down)  # paper: the default 80 mm -> A5
        QTest.keyClick(_focus(), Qt.Key.Key_Return)  # -> local figures
        pages.append(wizard.currentPage().title())
        QTest.keyClicks(_focus(), "70")  # fund ratio, %
        QTest.keyClick(_focus(), Qt.Key.Key_Tab)
        QTest.keyClicks(_focus(), "10%")  # first self-pay
        QTest.keyClick(_focus(), Qt.Key.Key_Tab)
        QTest.keyClicks(_focus(), "600")  # deductible, 元
        QTest.keyClick(_focus(), Qt.Key.Key_Tab)
        QTest.keyClicks(_focus(), "100000")  # cap, 元
        QTest.keyClick(_focus(), Qt.Key.Key_Return)  # -> summary
        pages.append(wizard.currentPage().title())
        assert "70%" in wizard.summary.text() and "600 元" in wizard.summary.text()
        QTest.keyClick(_focus() or wizard, Qt.Key.Key_Return)  # 完成并保存

    timer = drive_modals(fill)
    window.run_setup_wizard()
    timer.stop()
    assert pages == ["药店信息", "地区与打印", "本地支付比例", "确认"]
    saved = settings.get(db)
    assert saved.pharmacy_name == "示例大药房" and saved.institution_code == "P22010100001"
    assert saved.counter == "No.1" and saved.profile == "jilin" and saved.paper == "a5"
    assert saved.parameters == {"fund_ratio": "0.7", "first_self_pay": "0.1", "deductible": "600", "cap": "100000"}
    assert not setup_wizard.should_offer(db)
    assert window.counter.profile == "jilin"  # the counter uses the new settings at once
    qtbot.waitUntil(window.counter.search.hasFocus)


def test_a_bad_figure_keeps_the_page_and_says_why_once(qtbot, window, db, dialogs):
    def fill(wizard):  # type: ignore[no-untyped-def]
        for _ in range(3):
            key(wizard, Qt.Key.Key_Return)  # intro, pharmacy (left empty), region
        QTest.keyClicks(_focus(), "0.8")
        QTest.keyClick(_focus(), Qt.Key.Key_Return)
        assert wizard.currentPage().title() == "本地支付比例"  # refused: stays
        QTest.keyClick(_focus() or wizard, Qt.Key.Key_Escape)

    timer = drive_modals(fill)
    window.run_setup_wizard()
    timer.stop()
    assert len(dialogs) == 1 and "80 表示 80%" in dialogs[0][1]
    assert not settings.is_saved(db)


def test_skipping_saves_nothing_and_the_wizard_does_not_come_back_by_itself(qtbot, window, db):
    timer = drive_modals(lambda wizard: key(wizard, Qt.Key.Key_Escape))
    window.run_setup_wizard()
    timer.stop()
    assert not settings.is_saved(db)
    assert settings.get(db) == settings.Settings()
    assert not setup_wizard.should_offer(db)


def test_settings_open_the_wizard_again(qtbot, window, db, monkeypatch):
    opened = []
    monkeypatch.setattr(SettingsDialog, "exec", lambda self: self.wizard_button.click() or 0)
    monkeypatch.setattr(setup_wizard.SetupWizard, "exec", lambda self: opened.append(self) or 0)
    qtbot.keyClick(window, Qt.Key.Key_F12)
    assert len(opened) == 1
