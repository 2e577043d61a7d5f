"""Settings (F12): proper fields with units (no JSON), Tab never stuck, bad values refused once, nothing saved."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLabel, QLineEdit, QPlainTextEdit, QTextEdit

from desktop import settings
from desktop.ui.settings_dialog import SettingsDialog


def open_dialog(qtbot, db):  # type: ignore[no-untyped-def]
    dialog = SettingsDialog(db)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.activateWindow()
    qtbot.waitActive(dialog)
    return dialog


def test_edit_by_keys_and_save(qtbot, db, pharmacy):
    dialog = open_dialog(qtbot, db)
    name = dialog.editors["pharmacy_name"]
    qtbot.waitUntil(name.hasFocus, timeout=2000)
    name.selectAll()
    qtbot.keyClicks(name, "Yaomu 2")
    qtbot.keyClick(dialog, Qt.Key.Key_2, Qt.KeyboardModifier.AltModifier)  # the region and printing tab
    paper = dialog.editors["paper"]
    paper.setFocus()
    qtbot.keyClicks(paper, "5")  # combo boxes jump to the choice typed
    assert paper.currentData() == "58mm"
    qtbot.keyClick(dialog, Qt.Key.Key_3, Qt.KeyboardModifier.AltModifier)
    ratio = dialog.editors["fund_ratio"]
    assert ratio.text() == "80"  # shown in %, stored as 0.80
    ratio.setFocus()
    ratio.selectAll()
    qtbot.keyClicks(ratio, "75")
    dialog.editors["deductible"].setFocus()
    qtbot.keyClick(dialog.editors["deductible"], Qt.Key.Key_0)
    qtbot.keyClick(dialog.editors["deductible"], Qt.Key.Key_Return)  # Enter saves (the default button)
    saved = settings.get(db)
    assert saved.pharmacy_name == "Yaomu 2" and saved.paper == "58mm"
    assert saved.parameters == {"fund_ratio": "0.75", "first_self_pay": "0.10", "deductible": "0"}


def test_no_json_and_tab_walks_every_field_and_leaves(qtbot, db, pharmacy):
    dialog = open_dialog(qtbot, db)
    assert not dialog.findChildren(QPlainTextEdit) and not dialog.findChildren(QTextEdit)
    texts = " ".join(w.text() for w in dialog.findChildren(QLabel))
    assert "{" not in texts
    assert "%" in texts and "元" in texts and "来源" in texts
    dialog.tabs.setCurrentIndex(2)
    dialog.editors["fund_ratio"].setFocus()
    qtbot.waitUntil(dialog.editors["fund_ratio"].hasFocus)
    seen = []
    for _ in range(40):
        widget = QApplication.focusWidget()
        seen.append(widget.objectName())
        qtbot.keyClick(widget, Qt.Key.Key_Tab)
    # Tab reaches the narrowed figures' table and goes on past it to the buttons and back round.
    assert "narrowTable" in seen
    after = seen[seen.index("narrowTable") + 1 :]
    assert after and after[0] != "narrowTable"
    assert seen.count("setting_fund_ratio") >= 2  # the focus chain wraps round: nothing holds it


def test_narrowed_figure_by_keys(qtbot, db, pharmacy):
    dialog = open_dialog(qtbot, db)
    dialog.tabs.setCurrentIndex(2)
    form = dialog.form
    form.new_insurance.setFocus()
    qtbot.keyClick(form.new_insurance, Qt.Key.Key_Down)
    qtbot.keyClick(form.new_insurance, Qt.Key.Key_Down)
    qtbot.keyClick(form.new_insurance, Qt.Key.Key_Down)  # 城乡居民医保
    assert form.new_insurance.currentData() == "resident"
    qtbot.keyClicks(form.new_value, "60")
    qtbot.keyClick(form.new_value, Qt.Key.Key_Return)  # adds the row; does not save and close the dialog
    assert dialog.isVisible()
    assert form.table.rowCount() == 1 and "城乡居民医保" in form.table.item(0, 0).text()
    assert form.table.item(0, 1).text() == "60%"
    dialog.save()
    assert settings.get(db).parameters["fund_ratio:resident"] == "0.6"


def test_bad_values_are_refused_once_and_nothing_saved(qtbot, db, pharmacy, dialogs):
    dialog = open_dialog(qtbot, db)
    code = dialog.editors["institution_code"]
    code.selectAll()
    qtbot.keyClicks(code, "P-22 01")  # the field takes letters and digits only
    assert code.text() == "P2201"
    ratio = dialog.editors["fund_ratio"]
    ratio.setText("0.8")
    cap = dialog.editors["cap"]
    cap.setText("-1")
    dialog.save()
    assert len(dialogs) == 1
    message = dialogs[0][1]
    assert "80 表示 80%" in message and "年度最高支付限额" in message
    assert settings.get(db) == pharmacy
    assert dialog.isVisible()
    assert dialog.tabs.currentIndex() == 2
    qtbot.waitUntil(ratio.hasFocus)  # the cursor is on the first bad field


def test_confidential_standards_are_never_shown(qtbot, db, pharmacy):
    key = "司美格鲁肽注射液|"
    settings.save(db, pharmacy.with_changes(confidential_standards={key: "123.45"}))
    dialog = open_dialog(qtbot, db)
    texts = [w.text() for w in dialog.findChildren(QLineEdit)] + [w.text() for w in dialog.findChildren(QLabel)]
    assert not any("123.45" in t for t in texts)
    # The field is a button to the entry form (desktop.ui.confidential_dialog), never a value.
    from PySide6.QtWidgets import QPushButton

    button = dialog.findChild(QPushButton, "setting_confidential_standards")
    assert button is not None and "保密支付标准" in button.text()


def test_f12_opens_settings_from_the_counter(qtbot, window, monkeypatch):
    opened = []
    monkeypatch.setattr(SettingsDialog, "exec", lambda self: opened.append(self) or 0)
    qtbot.keyClick(window, Qt.Key.Key_F12)
    assert opened and window.counter.search.hasFocus()
