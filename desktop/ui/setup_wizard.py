"""SetupWizard: the first start's short set-up, keyboard only, skippable, reachable again from Settings (F12).

Pages: what will be asked, the pharmacy (name, 定点医药机构编码, counter, staff), region and
printing (profile, paper, printer), the local figures (fund ratio and first self-pay in %,
deductible and cap in 元, where each comes from), and a summary. The fields are the settings
dialog's (``SettingsForm``); Enter goes to the next page, Alt+B back, Esc or 跳过 leaves without
saving anything. Each page is checked before the next one opens (the problem is shown once and the
cursor goes to the field); 完成 saves everything in one transaction.
"""

from __future__ import annotations

import html
import logging
import sqlite3
from typing import Any

from PySide6.QtWidgets import QLabel, QMessageBox, QVBoxLayout, QWidget, QWizard, QWizardPage
from sqlite_utils import Database

from desktop.errors import RequestError, UserFacingError
from desktop.ui import services
from desktop.ui.settings_form import SettingsForm

log = logging.getLogger(__name__)

#: ui_state key: the wizard was offered (finished or skipped); it does not open by itself again.
OFFERED = "setup_wizard_offered"


def should_offer(db: Database) -> bool:
    """At first start: nothing was ever saved and the wizard was not yet offered."""
    s = services.settings()
    return not s.is_saved(db) and not s.ui_state(db, OFFERED)


class _Page(QWizardPage):
    def __init__(self, wizard: SetupWizard, title: str, subtitle: str, body: QWidget | None) -> None:
        super().__init__()
        self.owner = wizard
        self.setTitle(title)
        self.setSubTitle(subtitle)
        layout = QVBoxLayout(self)
        if body is not None:
            layout.addWidget(body)

    def validatePage(self) -> bool:  # noqa: N802 - Qt override
        return self.owner.check()


class SetupWizard(QWizard):
    """The first-start set-up. ``saved`` is the Settings written by 完成 (None when skipped)."""

    def __init__(self, db: Database, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.db = db
        self.module = services.settings()
        self.saved: Any = None
        self.problem_shown: str | None = None
        self.setObjectName("setupWizard")
        self.setWindowTitle("药目首次设置")
        self.setWizardStyle(QWizard.WizardStyle.ClassicStyle)
        self.setOption(QWizard.WizardOption.NoBackButtonOnStartPage, True)
        for button, text in (
            (QWizard.WizardButton.BackButton, "上一步(&B)"),
            (QWizard.WizardButton.NextButton, "下一步(&N)"),
            (QWizard.WizardButton.FinishButton, "完成并保存(&F)"),
            (QWizard.WizardButton.CancelButton, "跳过(&K)"),
        ):
            self.setButtonText(button, text)
        self.form = SettingsForm(self.module.get(db))
        intro = QLabel(
            "欢迎使用药目。下面几步填写本店信息，用于收据抬头和费用预估：\n\n"
            "1. 药店名称、定点医药机构编码、收款台、经办人；\n"
            "2. 所在地区的政策、收据纸张和打印机；\n"
            "3. 本市医保公布的统筹支付比例、先行自付比例、起付线和年度限额。\n\n"
            "全部用键盘操作：Tab 换栏，Enter 下一步，Alt+B 上一步。"
            "不知道的数字可以先空着，以后在“设置（F12）”中补填，也可以在那里再次打开本向导。"
            "按“跳过”或 Esc 则不作任何改动。"
        )
        intro.setWordWrap(True)
        self.summary = QLabel()
        self.summary.setObjectName("setupSummary")
        self.summary.setWordWrap(True)
        self.pages = [
            _Page(self, "开始", "约一分钟即可完成。", intro),
            _Page(self, "药店信息", "印在每张收据的抬头。", self.form.pharmacy_page),
            _Page(self, "地区与打印", "地区决定按哪些政策文件计算。", self.form.region_page),
            _Page(self, "本地支付比例", "政策文件未规定的数字，按本市医保经办机构公布的填写。", self.form.figures_page),
            _Page(self, "确认", "检查后按“完成并保存”。", self.summary),
        ]
        for page in self.pages:
            self.addPage(page)
        self.currentIdChanged.connect(self._page_changed)
        self.resize(760, 620)

    def _page_changed(self, page_id: int) -> None:
        page = self.page(page_id)
        first: QWidget | None = {
            self.pages[1]: self.form.editors["pharmacy_name"],
            self.pages[2]: self.form.editors["profile"],
            self.pages[3]: self.form.editors["fund_ratio"],
        }.get(page)  # type: ignore[call-overload]  # page() is typed QWizardPage; the keys are its _Page subclass
        if first is not None:
            first.setFocus()
        if page is self.pages[4]:
            self._fill_summary()

    def _fill_summary(self) -> None:
        s = self.module
        try:
            new = self.form.collect()
        except RequestError:
            return
        rows = [
            f"<tr><td>{html.escape(r['label'])}：</td><td><b>{html.escape(r['shown'])}</b></td></tr>"
            for r in s.rows(new)
        ]
        warning = (
            ""
            if new.ready_to_issue
            else "<p style='color:#b3261e'>未填写药店名称或定点医药机构编码：可以查询和预估，但不能开具收据。</p>"
        )
        self.summary.setText(f"<table>{''.join(rows)}</table>{warning}")

    def check(self) -> bool:
        """The fields so far are valid (else the problem is shown once and the cursor goes to the field)."""
        try:
            self.form.collect()
        except RequestError as err:
            self._show("\n".join(err.problems))
            bad = self.form.first_bad_editor(err.problems)
            if bad is not None:
                bad.setFocus()
            return False
        return True

    def _show(self, text: str) -> None:
        self.problem_shown = text
        box = QMessageBox(QMessageBox.Icon.Warning, "请修改后继续", text, QMessageBox.StandardButton.Ok, self)
        box.setObjectName("errorDialog")
        box.exec()

    def accept(self) -> None:
        try:
            new = self.form.collect()
            self.module.save(self.db, new)
        except RequestError as err:
            self._show("\n".join(err.problems))
            return
        except UserFacingError as err:
            self._show(str(err))
            return
        self.saved = new
        self.module.set_ui_state(self.db, OFFERED, True)
        super().accept()

    def reject(self) -> None:
        try:
            self.module.set_ui_state(self.db, OFFERED, True)
        except sqlite3.Error:  # a read-only database: the wizard simply opens again next time
            log.warning("could not record that the set-up wizard was skipped")
        super().reject()
