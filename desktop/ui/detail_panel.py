"""DetailPanel: the picked drug, its eligibility verdict, reasons and the conditions staff confirm."""

from __future__ import annotations

import html

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QFrame,
    QGroupBox,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from desktop.catalogue import records as r
from desktop.rules.contract import Condition, Eligibility
from desktop.storage.overlays import Transition
from desktop.ui import services
from desktop.ui.format import agreement_text, class_text, payment_standard_text, section_text, transition_text


def pick_id(drug: r.Entry | Transition) -> str:
    """What ``rules.service.check`` takes: an entry's id, a transition drug's name."""
    return drug.name if isinstance(drug, Transition) else drug.id


def _label(text: str = "") -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.setFocusPolicy(Qt.FocusPolicy.NoFocus)
    return label


class DetailPanel(QWidget):
    """Shows one entry and the answer of ``rules.service.check`` for the current patient.

    Signals:
        confirmed_changed(object): the frozenset of condition codes staff ticked.
    """

    confirmed_changed = Signal(object)
    #: The entry id of a "*" drug whose confidential standard staff want to enter.
    confidential_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.entry: r.Entry | Transition | None = None
        self.eligibility: Eligibility | None = None
        self.verdict = _label()
        self.verdict.setObjectName("verdict")
        self.verdict.setMinimumHeight(36)
        self.name = _label()
        self.name.setObjectName("drugName")
        self.fields: dict[str, QLabel] = {}
        form = QFormLayout()
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        for key, title in (
            ("class", "甲/乙类"),
            ("section", "目录部分"),
            ("number", "编号"),
            ("form", "剂型"),
            ("category", "分类"),
            ("restriction", "限定支付范围"),
            ("standard", "医保支付标准"),
            ("agreement", "协议有效期"),
            ("dual", "双通道"),
            ("edition", "目录版本"),
        ):
            self.fields[key] = _label()
            form.addRow(title + "：", self.fields[key])
        self.reasons = _label()
        self.reasons.setObjectName("reasons")
        self.conditions_box = QGroupBox("需确认的条件（Alt+数字勾选）")
        self.conditions_layout = QVBoxLayout(self.conditions_box)
        self.checks: dict[str, QCheckBox] = {}
        self.note = _label()
        self.note.setObjectName("note")
        self.confidential_button = QPushButton("录入保密支付标准…")
        self.confidential_button.setObjectName("enterConfidential")
        self.confidential_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.confidential_button.clicked.connect(
            lambda: isinstance(self.entry, r.Entry) and self.confidential_requested.emit(self.entry.id)
        )

        # Name and verdict stay in view; the reasons, conditions and fields below them scroll
        # (Ctrl+↑/↓ from the counter, ``scroll_by``), keeping their place when a condition is ticked.
        body = QWidget()
        bl = QVBoxLayout(body)
        bl.setContentsMargins(0, 0, 4, 0)
        bl.addWidget(self.reasons)
        bl.addWidget(self.conditions_box)
        bl.addLayout(form)
        bl.addWidget(self.note)
        bl.addWidget(self.confidential_button)
        bl.addStretch(1)
        self.details = QScrollArea()
        self.details.setObjectName("detailScroll")
        self.details.setWidget(body)
        self.details.setWidgetResizable(True)
        self.details.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.details.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.details.setFrameShape(QFrame.Shape.NoFrame)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.name)
        layout.addWidget(self.verdict)
        layout.addWidget(self.details, 1)
        self.show_entry(None)

    def scroll_by(self, steps: int) -> None:
        """Scroll the details by ``steps`` lines (negative: up); the name and verdict do not move."""
        bar = self.details.verticalScrollBar()
        bar.setValue(bar.value() + steps * max(bar.singleStep(), self.fontMetrics().lineSpacing()))

    def confirmed(self) -> frozenset[str]:
        return frozenset(code for code, box in self.checks.items() if box.isChecked())

    # Longer than 60 lines: the panel top to bottom, one labelled block per fact staff read.
    def show_entry(
        self,
        entry: r.Entry | Transition | None,
        eligibility: Eligibility | None = None,
        note: str | None = None,
        confirmed: frozenset[str] = frozenset(),
    ) -> None:
        """Display ``entry`` with its ``eligibility`` (``rules.service.check``).

        Args:
            entry: the picked entry or transition drug (None clears the panel).
            eligibility: the rules' answer, None while the rules are not available.
            note: what is missing or special, said plainly.
            confirmed: the condition codes already ticked for this entry.
        """
        same = entry is not None and self.entry is not None and pick_id(entry) == pick_id(self.entry)
        keep = self.details.verticalScrollBar().value() if same else 0
        self.entry = entry
        self.eligibility = eligibility
        self._fill(entry, eligibility, note, confirmed)
        # A new drug starts at the top; the same drug again (a condition ticked) keeps its place.
        body = self.details.widget()
        if body is not None:
            body.adjustSize()
        self.details.verticalScrollBar().setValue(keep)

    def _fill(
        self,
        entry: r.Entry | Transition | None,
        eligibility: Eligibility | None,
        note: str | None,
        confirmed: frozenset[str],
    ) -> None:
        if entry is None:
            self.name.setText(
                "<span style='color:#5f6368'>输入拼音首字母、中文名或编号查找药品，↑/↓ 选择，Enter 查看。</span>"
            )
            self.verdict.setText("")
            self.verdict.setStyleSheet("")
            self.reasons.setText("")
            for label in self.fields.values():
                label.setText("")
            self._set_conditions([], frozenset())
            self.conditions_box.hide()
            self.confidential_button.hide()
            self.note.setText(note or "")
            return
        if isinstance(entry, Transition):
            self._fill_transition(entry)
        else:
            self._fill_entry(entry)
        if eligibility is None:
            self.verdict.setText(note or "")
            self.verdict.setStyleSheet("color:#5f6368")
            self.reasons.setText("")
            self._set_conditions([], frozenset())
            self.conditions_box.hide()
            self.note.setText("")
            return
        self._show_eligibility(eligibility, note, confirmed)

    def _fill_transition(self, t: Transition) -> None:
        """A transition drug: dropped from the list (no entry, number or form), paid on its old standard."""
        self.name.setText(f"<b style='font-size:16pt'>{html.escape(t.name)}</b>")
        f = self.fields
        f["class"].setText(f"{t.drug_class}类")
        f["section"].setText(f"{t.section}（已调出目录）" if t.section else "已调出目录")
        for key in ("number", "form", "category", "agreement", "dual"):
            f[key].setText("—")
        f["restriction"].setText("未知（原目录备注未载入，需核对）")
        f["standard"].setText(transition_text(t))
        f["edition"].setText(t.title)
        self.confidential_button.hide()

    def _fill_entry(self, entry: r.Entry) -> None:
        self.name.setText(f"<b style='font-size:16pt'>{html.escape(entry.name_published.replace(chr(10), '、'))}</b>")
        f = self.fields
        f["class"].setText(class_text(entry) or "—")
        f["section"].setText(section_text(entry))
        f["number"].setText(entry.display_number or "—")
        f["form"].setText(entry.dosage_form or "—")
        f["category"].setText(" ".join(x for x in (entry.category_code, entry.category_path) if x) or "—")
        f["restriction"].setText(entry.remark or "无")
        f["standard"].setText(payment_standard_text(entry) or "—")
        self.confidential_button.setVisible(entry.confidential)
        f["agreement"].setText(agreement_text(entry) or "—")
        f["edition"].setText(f"{entry.edition}年版")
        f["dual"].setText("—")

    def _show_eligibility(self, eligibility: Eligibility, note: str | None, confirmed: frozenset[str]) -> None:
        f = self.fields
        verdict = eligibility.verdict
        colour = services.VERDICT_COLOURS.get(verdict, "#5f6368")
        self.verdict.setText(f"● {html.escape(eligibility.verdict_label)}")
        self.verdict.setStyleSheet(
            f"color:white; background:{colour}; font-size:15pt; font-weight:bold; padding:4px 8px; border-radius:4px"
        )
        self.reasons.setText(
            "<br>".join(
                f"• {html.escape(x.text)}"
                + (f" <span style='color:#5f6368'>〔{html.escape(x.source)}〕</span>" if x.source else "")
                for x in eligibility.reasons
            )
        )
        if eligibility.edition:
            f["edition"].setText(eligibility.edition)
        if eligibility.dual_channel is not None:
            f["dual"].setText(eligibility.dual_channel.label or "—")
        # Confirmed conditions stay listed (ticked) so staff can untick them again.
        conditions = [*eligibility.confirmed, *eligibility.conditions]
        ticked = confirmed | {c.code for c in eligibility.confirmed}
        self._set_conditions(conditions, frozenset(ticked))
        self.note.setText(eligibility.edition_note or note or "")
        self.note.setStyleSheet("color:#b3261e" if eligibility.edition_note else "")

    def toggle(self, number: int) -> bool:
        """Alt+number: tick or untick the number-th condition; False when there is no such condition."""
        boxes = list(self.checks.values())
        if not 1 <= number <= len(boxes):
            return False
        boxes[number - 1].toggle()
        return True

    def _set_conditions(self, conditions: list[Condition], ticked: frozenset[str]) -> None:
        for box in self.checks.values():
            self.conditions_layout.removeWidget(box)
            box.deleteLater()
        self.checks = {}
        for i, cond in enumerate(conditions, start=1):
            code = cond.code
            # A short label (check boxes do not wrap); the full wording is in the reasons and the tooltip.
            box = QCheckBox(f"[Alt+{i}] {services.CONDITIONS.get(code) or cond.text or code}")
            box.setToolTip(cond.text)
            box.setObjectName(f"condition_{code}")
            box.setChecked(code in ticked)
            box.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # Alt+n toggles (toggle()); typing stays in the search box
            box.toggled.connect(lambda _checked: self.confirmed_changed.emit(self.confirmed()))
            self.conditions_layout.addWidget(box)
            self.checks[code] = box
        self.conditions_box.setVisible(bool(conditions))
