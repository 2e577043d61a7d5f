"""Drug-by-drug differences between an installed edition (or overlay) and a package.

Rows are paired by the stable drug key (normalised name | dosage form), so renumbering is
not a change, and a remark that differs only in full-/half-width punctuation or a final 。
(``，`` vs ``,``: how two conversions of one PDF wrote it) is not a change either.
Compared fields: section, class, remark, payment standard (shown as 保密 when
confidential, never the amount), agreement period. A section that the installed edition
lacks (marked incomplete, no rows) and the package brings is reported as "section now
loaded", not as hundreds of new drugs.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from desktop.catalogue import derive
from desktop.catalogue import records as r
from desktop.catalogue.normalise import drug_key, normalise_name

#: Compared fields and their Chinese labels, in display order.
FIELDS = {
    "section": "目录部分",
    "class": "甲乙类",
    "remark": "备注（限定支付范围）",
    "payment_standard": "医保支付标准",
    "agreement": "协议有效期",
}
CONFIDENTIAL_LABEL = "保密"


@dataclass(frozen=True)
class Row:
    """The comparable view of one catalogue row."""

    key: str
    section: str
    name: str
    dosage_form: str | None
    drug_class: str | None
    remark: str | None
    payment_standard: str | None  # "*" when confidential
    agreement_start: date | None
    agreement_end: date | None
    number: int | None
    star_of: int | None

    def value(self, name: str) -> str | None:
        if name == "section":
            return self.section
        if name == "class":
            return self.drug_class
        if name == "remark":
            return self.remark
        if name == "payment_standard":
            return self.payment_standard
        if self.agreement_start is None and self.agreement_end is None:
            return None
        return f"{_d(self.agreement_start)}至{_d(self.agreement_end)}"

    def compare_value(self, name: str) -> str | None:
        """The value compared: remarks without width or final-stop differences (conversion artefacts)."""
        value = self.value(name)
        if name == "remark" and value:
            return unicodedata.normalize("NFKC", value).replace(" ", "").rstrip("。.")
        return value

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "name": self.name,
            "dosage_form": self.dosage_form,
            "section": self.section,
            "class": self.drug_class,
            "number": self.number,
            "star_of": self.star_of,
            "payment_standard": display_standard(self.payment_standard),
            "agreement": self.value("agreement"),
        }


def _d(d: date | None) -> str:
    return d.isoformat() if d else "?"


def _standard(text: str | None) -> str | None:
    if not text or not text.strip():
        return None
    if any(s.confidential for s in derive.parse_standards(text)) or derive.CONFIDENTIAL_WORDS in text:
        return "*"
    return text.strip()


def display_standard(value: str | None) -> str | None:
    """What staff may see of a payment standard: 保密 for a confidential one."""
    return CONFIDENTIAL_LABEL if value == "*" else value


def from_source(row: r.SourceRow) -> Row:
    name = normalise_name(row.name_published)
    start, end = derive.parse_period(row.agreement_text)
    return Row(
        drug_key(name, row.dosage_form),
        row.section,
        name,
        row.dosage_form,
        row.drug_class,
        row.remark or None,
        _standard(row.payment_standard),
        start,
        end,
        row.number,
        row.star_of,
    )


def from_entry(e: r.Entry) -> Row:
    return Row(
        e.key,
        e.section,
        e.name,
        e.dosage_form,
        e.drug_class,
        e.remark or None,
        _standard(e.payment_standard),
        e.agreement_start,
        e.agreement_end,
        e.number,
        e.star_of,
    )


@dataclass(frozen=True)
class FieldChange:
    field: str
    old: str | None
    new: str | None

    def to_json(self) -> dict[str, Any]:
        shown = (
            (display_standard(self.old), display_standard(self.new))
            if self.field == "payment_standard"
            else (self.old, self.new)
        )
        return {"field": self.field, "label": FIELDS[self.field], "old": shown[0], "new": shown[1]}


@dataclass(frozen=True)
class Change:
    old: Row
    new: Row
    fields: tuple[FieldChange, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.new.key,
            "name": self.new.name,
            "dosage_form": self.new.dosage_form,
            "changes": [c.to_json() for c in self.fields],
        }


@dataclass
class Diff:
    """What applying a package would change, drug by drug."""

    target: str
    kind: str  # edition / revision / overlay
    installed: str | None  # label of what is installed now (None: nothing)
    incoming: str
    added: list[Row] = field(default_factory=list)
    removed: list[Row] = field(default_factory=list)
    changed: list[Change] = field(default_factory=list)
    renumbered: int = 0  # rows whose number or position changed, nothing else
    sections_loaded: dict[str, int] = field(default_factory=dict)  # section absent before -> rows now
    sections_dropped: dict[str, int] = field(default_factory=dict)  # section no longer loaded -> rows before
    overlay_added: list[dict[str, Any]] = field(default_factory=list)
    overlay_removed: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (
            self.added
            or self.removed
            or self.changed
            or self.sections_loaded
            or self.sections_dropped
            or self.overlay_added
            or self.overlay_removed
        )

    def counts(self) -> dict[str, int]:
        return {
            "added": len(self.added),
            "removed": len(self.removed),
            "changed": len(self.changed),
            "renumbered": self.renumbered,
            "sections_loaded": sum(self.sections_loaded.values()),
            "overlay_added": len(self.overlay_added),
            "overlay_removed": len(self.overlay_removed),
        }

    def to_json(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "kind": self.kind,
            "installed": self.installed,
            "incoming": self.incoming,
            "counts": self.counts(),
            "added": [x.to_json() for x in self.added],
            "removed": [x.to_json() for x in self.removed],
            "changed": [c.to_json() for c in self.changed],
            "sections_loaded": self.sections_loaded,
            "sections_dropped": self.sections_dropped,
            "overlay_added": self.overlay_added,
            "overlay_removed": self.overlay_removed,
            "notes": self.notes,
        }

    def text(self) -> str:
        """The Chinese rendering shown before applying."""
        lines = [f"更新内容：{self.incoming}", f"当前已安装：{self.installed or '无'}"]
        if self.empty:
            lines.append("与已安装内容相比没有药品变化。")
        for section, n in self.sections_loaded.items():
            lines.append(f"新载入部分：{section}（{n} 行，此前未载入）")
        for section, n in self.sections_dropped.items():
            lines.append(f"不再载入部分：{section}（此前 {n} 行）")
        if self.added:
            lines.append(f"新增药品 {len(self.added)} 个：")
            lines += [f"  + {_label(x)}（{x.section}）" for x in self.added]
        if self.removed:
            lines.append(f"删除药品 {len(self.removed)} 个：")
            lines += [f"  - {_label(x)}（{x.section}）" for x in self.removed]
        if self.changed:
            lines.append(f"变更药品 {len(self.changed)} 个：")
            for c in self.changed:
                lines.append(f"  △ {_label(c.new)}")
                for f in c.fields:
                    j = f.to_json()
                    lines.append(f"      {j['label']}：{j['old'] or '（无）'} → {j['new'] or '（无）'}")
        if self.renumbered:
            lines.append(f"另有 {self.renumbered} 行仅编号或顺序变化（不算药品变化）。")
        for it in self.overlay_added:
            lines.append(
                f"  + {it['name']}{'（' + it['dosage_form'] + '）' if it.get('dosage_form') else ''} {it['action']}"
            )
        for it in self.overlay_removed:
            lines.append(
                f"  - {it['name']}{'（' + it['dosage_form'] + '）' if it.get('dosage_form') else ''} {it['action']}"
            )
        lines += self.notes
        return "\n".join(lines)


def _label(x: Row) -> str:
    return f"{x.name}" + (f" [{x.dosage_form}]" if x.dosage_form else "")


# Longer than 60 lines: one pass matching old and new rows; the categories it sorts into are listed in one place.
def diff_rows(
    old: list[Row],
    new: list[Row],
    *,
    old_sections: dict[str, r.SectionInfo] | None = None,
    new_sections: dict[str, r.SectionInfo] | None = None,
    target: str = "",
    kind: str = "edition",
    installed: str | None = None,
    incoming: str = "",
) -> Diff:
    """Pair rows by (key, section), then leftover rows by key alone (a drug that moved section)."""
    out = Diff(target, kind, installed, incoming)
    old_sections = old_sections or {}
    new_sections = new_sections or {}
    old_counts: dict[str, int] = {}
    for x in old:
        old_counts[x.section] = old_counts.get(x.section, 0) + 1
    new_counts: dict[str, int] = {}
    for x in new:
        new_counts[x.section] = new_counts.get(x.section, 0) + 1
    # A section the installed edition does not hold (and says so) is "loaded", not "added".
    absent_before = {
        s
        for s, n in new_counts.items()
        if not old_counts.get(s) and old and (s in old_sections and not old_sections[s].complete)
    }
    absent_after = {
        s
        for s, n in old_counts.items()
        if not new_counts.get(s) and (s in new_sections and not new_sections[s].complete)
    }
    out.sections_loaded = {s: new_counts[s] for s in sorted(absent_before)}
    out.sections_dropped = {s: old_counts[s] for s in sorted(absent_after)}

    old_by = {(x.key, x.section): x for x in old if x.section not in absent_after}
    new_by = {(x.key, x.section): x for x in new if x.section not in absent_before}
    pairs: list[tuple[Row, Row]] = []
    for ident, x in new_by.items():
        if ident in old_by:
            pairs.append((old_by.pop(ident), x))
    paired = {(b.key, b.section) for _, b in pairs}
    rest_new = [x for ident, x in new_by.items() if ident not in paired]
    rest_old_by_key: dict[str, list[Row]] = {}
    for x in old_by.values():
        rest_old_by_key.setdefault(x.key, []).append(x)
    for x in rest_new:
        candidates = rest_old_by_key.get(x.key)
        if candidates:
            pairs.append((candidates.pop(0), x))
        else:
            out.added.append(x)
    out.removed = [x for rows in rest_old_by_key.values() for x in rows]
    for a, b in pairs:
        changes = tuple(
            FieldChange(f, a.value(f), b.value(f)) for f in FIELDS if a.compare_value(f) != b.compare_value(f)
        )
        if changes:
            out.changed.append(Change(a, b, changes))
        elif (a.number, a.star_of) != (b.number, b.star_of):
            out.renumbered += 1
    out.changed.sort(key=lambda c: c.new.name)
    out.added.sort(key=lambda x: (x.section, x.name))
    out.removed.sort(key=lambda x: (x.section, x.name))
    return out
