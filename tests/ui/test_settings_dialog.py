"""Settings (F12): the form follows desktop.settings.Settings; bad values are refused with a message, not saved."""

from __future__ import annotations

from PySide6.QtCore import Qt

from desktop import settings
from desktop.ui.settings_dialog import SettingsDialog


def test_edit_and_save(qtbot, db, pharmacy):
    dialog = SettingsDialog(db)
    qtbot.addWidget(dialog)
    name = dialog.editors["pharmacy_name"]
    name.selectAll()
    qtbot.keyClicks(name, "Yaomu 2")
    paper = dialog.editors["paper"]
    paper.setCurrentIndex(paper.findData("58mm"))
    dialog.save()
    saved = settings.get(db)
    assert saved.pharmacy_name == "Yaomu 2" and saved.paper == "58mm"
    assert saved.parameters == pharmacy.parameters  # untouched fields keep their values


def test_bad_code_is_refused_and_nothing_saved(qtbot, db, pharmacy, dialogs):
    dialog = SettingsDialog(db)
    qtbot.addWidget(dialog)
    code = dialog.editors["institution_code"]
    code.selectAll()
    qtbot.keyClicks(code, "P-22 01")
    dialog.save()
    assert dialogs and "定点医药机构编码" in dialogs[-1][1]
    assert settings.get(db).institution_code == pharmacy.institution_code
    assert dialog.isVisible() or not dialog.result()  # stays open for correction


def test_confidential_standards_are_never_shown(qtbot, db, pharmacy):
    key = "司美格鲁肽注射液|"
    settings.save(db, settings.Settings(**{**pharmacy.__dict__, "confidential_standards": {key: "123.45"}}))
    dialog = SettingsDialog(db)
    qtbot.addWidget(dialog)
    texts = [w.text() for w in dialog.findChildren(type(dialog.editors["pharmacy_name"]))]
    from PySide6.QtWidgets import QLabel, QPlainTextEdit

    texts += [w.text() for w in dialog.findChildren(QLabel)]
    texts += [w.toPlainText() for w in dialog.findChildren(QPlainTextEdit)]
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
