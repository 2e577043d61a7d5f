"""How catalogue facts read on screen (Chinese labels), shared by every widget; no Qt here."""

from __future__ import annotations

from desktop.catalogue import records as r
from desktop.storage.overlays import Transition

#: Shown instead of any confidential payment standard (the value is never displayed).
CONFIDENTIAL_TEXT = "保密"


def payment_standard_text(entry: r.Entry) -> str:
    """The payment standard as staff may see it: "保密" when confidential, never the value.

    >>> from desktop.catalogue.records import PaymentStandard
    >>> e = _example(payment_standard="*", payment_standards=(PaymentStandard(None, None, True),))
    >>> payment_standard_text(e)
    '保密'
    >>> payment_standard_text(_example(payment_standard="1.05元(每片)", payment_standards=()))
    '1.05元(每片)'
    """
    if entry.confidential or (entry.payment_standard or "").strip() == "*":
        return CONFIDENTIAL_TEXT
    return entry.payment_standard or ""


def agreement_text(entry: r.Entry) -> str:
    if entry.agreement_start and entry.agreement_end:
        return f"{entry.agreement_start.isoformat()} 至 {entry.agreement_end.isoformat()}"
    return entry.agreement_text or ""


def section_text(entry: r.Entry) -> str:
    return f"{entry.section}（{entry.subsection}）" if entry.subsection else entry.section


def class_text(entry: r.Entry) -> str:
    return f"{entry.drug_class}类" if entry.drug_class else ""


def transition_text(t: Transition) -> str:
    """A transition drug's period as staff read it (it was dropped from the list; paid on its old standard).

    >>> from datetime import date
    >>> transition_text(Transition("头孢托仑匹酯颗粒", date(2025, 6, 30), "过渡期", start=date(2025, 1, 1)))
    '过渡期药品（已调出目录）：过渡期 2025-01-01 至 2025-06-30，期内按原支付标准支付'
    """
    start = f"{t.start.isoformat()} 至 " if t.start else "至 "
    end = f"{t.end.isoformat()}" if t.end else "另行通知"
    return f"过渡期药品（已调出目录）：过渡期 {start}{end}，期内按原支付标准支付"


def _example(**overrides: object) -> r.Entry:
    """A minimal entry for the doctests above (fields irrelevant to them are blank)."""
    fields: dict[str, object] = dict(
        id="2025-00000000",
        edition="2025",
        edition_id=1,
        key="",
        section=r.NEGOTIATED,
        subsection=None,
        number=None,
        star_of=None,
        name="",
        name_published="",
        dosage_form=None,
        drug_class=None,
        category_code=None,
        category_path=None,
        remark=None,
        flags=(),
        payment_standard=None,
        payment_standards=(),
        agreement_text=None,
        agreement_start=None,
        agreement_end=None,
        ethnic=False,
        seq=1,
    )
    fields.update(overrides)
    return r.Entry(**fields)  # type: ignore[arg-type]
