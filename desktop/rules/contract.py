"""The typed contract between the rules core and everything above it (CLI, UI, receipts).

Frozen records and ``StrEnum`` vocabularies: an ``EstimateRequest`` goes in (built by the UI, or
parsed once at the edge by ``desktop.rules.request.parse_request``), an ``Estimate`` or an
``Eligibility`` comes out. JSON appears only at the edges: ``to_json`` gives the exact shape of
``yaomu estimate --json`` / ``yaomu check --json``; ``Estimate.from_json`` reads it back (receipt
history, see ``desktop.receipts.stored``).

Amounts are ``Decimal`` yuan, never float; in JSON they are strings with two decimals.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any

from desktop.rules import labels

Json = dict[str, Any]

#: Zero yuan, to the fen.
ZERO = Decimal("0.00")

AMOUNT_FIELDS = (
    "total",
    "full_self_pay",
    "over_standard",
    "first_self_pay",
    "policy_scope",
    "deductible",
    "fund",
    "coinsurance",
    "patient_total",
)


@dataclass(frozen=True)
class Amounts:
    """The nine amounts of DOMAIN.md's steps 1-9, for one line or a basket (``copay.settle``)."""

    total: Decimal
    full_self_pay: Decimal
    over_standard: Decimal
    first_self_pay: Decimal
    policy_scope: Decimal
    deductible: Decimal
    fund: Decimal
    coinsurance: Decimal
    patient_total: Decimal

    def as_tuple(self) -> tuple[Decimal, ...]:
        """The amounts in ``AMOUNT_FIELDS`` order."""
        return (
            self.total,
            self.full_self_pay,
            self.over_standard,
            self.first_self_pay,
            self.policy_scope,
            self.deductible,
            self.fund,
            self.coinsurance,
            self.patient_total,
        )

    def to_json(self) -> dict[str, str]:
        return {name: str(getattr(self, name)) for name in AMOUNT_FIELDS}

    def __add__(self, other: Amounts) -> Amounts:
        return Amounts(
            self.total + other.total,
            self.full_self_pay + other.full_self_pay,
            self.over_standard + other.over_standard,
            self.first_self_pay + other.first_self_pay,
            self.policy_scope + other.policy_scope,
            self.deductible + other.deductible,
            self.fund + other.fund,
            self.coinsurance + other.coinsurance,
            self.patient_total + other.patient_total,
        )


EMPTY = Amounts(*(ZERO,) * 9)


class Verdict(StrEnum):
    """Can the fund pay? Strongest first: not_covered > unknown > conditional > covered."""

    COVERED = "covered"
    CONDITIONAL = "conditional"
    NOT_COVERED = "not_covered"
    UNKNOWN = "unknown"

    @property
    def label(self) -> str:
        return VERDICT_LABELS[self]


VERDICT_LABELS: Mapping[Verdict, str] = {
    Verdict.COVERED: "可以报销",
    Verdict.CONDITIONAL: "有条件报销（需确认）",
    Verdict.NOT_COVERED: "不予报销（全自费）",
    Verdict.UNKNOWN: "无法判断（资料不全）",
}


class Insurance(StrEnum):
    """险种; labels in ``labels.INSURANCES``."""

    EMPLOYEE = "employee"
    RETIREE = "retiree"
    RESIDENT = "resident"
    WORK_INJURY = "work_injury"
    MATERNITY = "maternity"
    UNINSURED = "uninsured"

    @property
    def label(self) -> str:
        return labels.INSURANCES[self]


class PatientGroup(StrEnum):
    """人员类别; labels in ``labels.GROUPS``."""

    GENERAL = "general"
    TEKUN = "tekun"
    DIBAO = "dibao"
    ORPHAN = "orphan"
    DE_FACTO_ORPHAN = "de_facto_orphan"
    POVERTY_RELAPSE = "poverty_relapse"

    @property
    def label(self) -> str:
        return labels.GROUPS[self]


class Channel(StrEnum):
    """待遇渠道; labels in ``labels.CHANNELS``."""

    OUTPATIENT = "outpatient"
    CHRONIC = "chronic"
    TWO_DISEASES = "two_diseases"
    DUAL_CHANNEL = "dual_channel"

    @property
    def label(self) -> str:
        return labels.CHANNELS[self]


class ConditionCode(StrEnum):
    """A condition staff confirm; labels in ``labels.CONDITIONS``."""

    RESTRICTION = "restriction"
    SECOND_LINE = "second_line"
    FILING = "filing"
    E_PRESCRIPTION = "e_prescription"
    RESPONSIBLE_PHYSICIAN = "responsible_physician"
    THREE_FIXED = "three_fixed"
    TREATMENT_APPROVAL = "treatment_approval"

    @property
    def label(self) -> str:
        return labels.CONDITIONS[self]


class DrugClass(StrEnum):
    """甲类 / 乙类 (the catalogue's own words)."""

    A = "甲"
    B = "乙"


class ListState(StrEnum):
    """A drug's state on a regional list (dual-channel, two-disease) on the day."""

    LISTED = "listed"
    REMOVED = "removed"
    EXPIRED = "expired"
    LAPSED = "lapsed"
    NOT_LISTED = "not_listed"
    UNKNOWN = "unknown"


# --- eligibility ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reason:
    """One reason of a verdict (or a note the estimate adds), in Chinese, with its source."""

    code: str
    text: str
    source: str | None = None

    def to_json(self) -> dict[str, str | None]:
        return {"code": self.code, "text": self.text, "source": self.source}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Reason:
        return cls(str(data["code"]), str(data["text"]), _opt_str(data.get("source")))


@dataclass(frozen=True)
class Condition:
    """A condition staff must confirm (``code`` is a ``ConditionCode`` value)."""

    code: str
    text: str
    source: str | None = None

    def to_json(self) -> dict[str, str | None]:
        return {"code": self.code, "text": self.text, "source": self.source}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Condition:
        return cls(str(data["code"]), str(data["text"]), _opt_str(data.get("source")))


@dataclass(frozen=True)
class ListStatus:
    """A drug's status on a regional list (dual-channel, two-disease) on the day."""

    status: ListState
    label: str
    overlay: str | None = None
    complete: bool | None = None
    note: str | None = None
    until: date | None = None
    requirements: tuple[str, ...] = ()
    #: Which list answered and how old it is on the day (issue 10 item 1).
    answered_by: str | None = None
    #: A newer list may exist (the region revises it yearly): said with the answer.
    caveat: str | None = None

    @property
    def listed(self) -> bool:
        return self.status == ListState.LISTED

    def to_json(self) -> dict[str, object]:
        return {
            "answered_by": self.answered_by,
            "caveat": self.caveat,
            "status": str(self.status),
            "label": self.label,
            "listed": self.listed,
            "overlay": self.overlay,
            "complete": self.complete,
            "note": self.note,
            "until": self.until.isoformat() if self.until else None,
            "requirements": list(self.requirements),
        }


@dataclass(frozen=True)
class Eligibility:
    """The answer of ``eligibility.assess``: a verdict, every reason, the conditions to confirm."""

    verdict: Verdict
    reasons: tuple[Reason, ...]
    conditions: tuple[Condition, ...]  # not yet confirmed
    confirmed: tuple[Condition, ...]
    edition: str | None
    edition_note: str | None
    dual_channel: ListStatus | None
    #: Overlay kinds that list the drug on the day (e.g. {"dual_channel", "high_value"}); copay selectors.
    listed_in: frozenset[str] = frozenset()
    #: Per-drug first self-pay from a provincial list (Hunan), with the list's title.
    self_pay_ratio: tuple[Decimal, str] | None = None
    #: During a transition the original payment standard applies; an overlay may carry it.
    transition_standard: str | None = None
    pay_class: str | None = None

    @property
    def verdict_label(self) -> str:
        return self.verdict.label

    @property
    def codes(self) -> list[str]:
        return [x.code for x in self.reasons]

    def to_json(self) -> dict[str, object]:
        return {
            "verdict": str(self.verdict),
            "verdict_label": self.verdict_label,
            "reasons": [x.to_json() for x in self.reasons],
            "conditions": [c.to_json() for c in self.conditions],
            "confirmed": [c.to_json() for c in self.confirmed],
            "edition": self.edition,
            "edition_note": self.edition_note,
            "dual_channel": self.dual_channel.to_json() if self.dual_channel else None,
        }


# --- the request ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class RequestItem:
    """One basket line as asked: a catalogue entry, or a what-if drug (name + class)."""

    quantity: int
    unit_price: Decimal
    entry: str | None = None  # catalogue entry id; None for a what-if drug
    name: str | None = None  # what-if only
    drug_class: DrugClass | None = None  # what-if only
    dosage_form: str | None = None  # what-if: its form; an entry: shown when the catalogue has none
    payment_standard: Decimal | None = None  # overrides the catalogue's (or supplies a confidential one)
    spec: str | None = None
    confirmed: frozenset[ConditionCode] = frozenset()
    trace_codes: tuple[str, ...] = ()  # 药品追溯码 of the packs sold (desktop/products/trace.py)

    @property
    def what_if(self) -> bool:
        return self.entry is None

    def to_json(self) -> Json:
        out: Json = {"entry": self.entry} if self.entry is not None else {}
        if self.what_if:
            out.update(name=self.name, **{"class": str(self.drug_class) if self.drug_class else None})
        if self.dosage_form is not None:
            out["dosage_form"] = self.dosage_form
        out.update(unit_price=str(self.unit_price), quantity=self.quantity)
        if self.payment_standard is not None:
            out["payment_standard"] = str(self.payment_standard)
        if self.spec is not None:
            out["spec"] = self.spec
        out["confirmed"] = sorted(self.confirmed)
        if self.trace_codes:
            out["trace_codes"] = list(self.trace_codes)
        return out


@dataclass(frozen=True)
class PolicyOverrides:
    """Local policy figures the request states for this estimate (they beat the settings)."""

    first_self_pay: Decimal | None = None  # ratio 0..1
    fund_ratio: Decimal | None = None  # ratio 0..1
    deductible: Decimal | None = None  # yuan
    cap: Decimal | None = None  # yuan

    def to_json(self) -> dict[str, str]:
        return {
            name: str(value)
            for name in ("first_self_pay", "fund_ratio", "deductible", "cap")
            if (value := getattr(self, name)) is not None
        }


@dataclass(frozen=True)
class EstimateRequest:
    """What to estimate: who, when, under which profile, and the basket."""

    day: date
    profile: str
    insurance: Insurance
    items: tuple[RequestItem, ...]
    patient_group: PatientGroup = PatientGroup.GENERAL
    channel: Channel = Channel.OUTPATIENT
    deductible_remaining: Decimal | None = None  # None: unknown (assumed met, and said so)
    cap_remaining: Decimal | None = None  # None: no cap reached
    policy: PolicyOverrides = field(default_factory=PolicyOverrides)
    day_given: bool = True  # False: the request named no date, today was taken (and said so)

    def to_json(self) -> Json:
        """The request in the format ``parse_request`` reads (the CLI's REQUEST.json)."""
        return {
            "date": self.day.isoformat() if self.day_given else None,
            "profile": self.profile,
            "insurance": str(self.insurance),
            "patient_group": str(self.patient_group),
            "channel": str(self.channel),
            "deductible_remaining": _opt_dec(self.deductible_remaining),
            "cap_remaining": _opt_dec(self.cap_remaining),
            "items": [item.to_json() for item in self.items],
            "policy": self.policy.to_json(),
        }


#: The reason code of a line that needs 药品追溯码 and has none (``rules.service``; docs/rules.md).
TRACE_MISSING = "trace_missing"


# --- the estimate --------------------------------------------------------------------------------


@dataclass(frozen=True)
class EstimateLine:
    """One line of an estimate: the drug as answered, its verdict and its amounts."""

    entry: str | None  # the entry that answered (in force on the day); None for a what-if drug
    name: str
    dosage_form: str | None
    spec: str | None
    quantity: int
    unit_price: Decimal
    drug_class: str | None
    section: str | None
    flags: tuple[str, ...]
    confidential: bool
    payment_standard_shown: str | None  # what may be printed ("保密" for a confidential standard)
    verdict: Verdict
    reasons: tuple[Reason, ...]
    conditions: tuple[Condition, ...]
    first_self_pay_ratio: Decimal | None
    fund_ratio: Decimal | None
    amounts: Amounts
    #: A "*" line: its over-standard, first self-pay, policy scope, deductible and coinsurance are folded into
    #: this one figure (their ``amounts`` fields are 0) so that none gives the standard by subtraction.
    confidential_patient: Decimal | None = None
    #: No fund ratio is set: fund, coinsurance and patient total are unknown (issue 11); shown as None.
    fund_unset: bool = False
    channel: str | None = None  # the line's channel when it differs from the basket's (issue 10 item 9)
    trace_codes: tuple[str, ...] = ()  # 药品追溯码 of the packs sold, printed on the receipt

    @property
    def verdict_label(self) -> str:
        return self.verdict.label

    @property
    def trace_missing(self) -> bool:
        """The line needs its packs' 药品追溯码 and none was scanned (the estimate's ``trace_missing`` note)."""
        return any(x.code == TRACE_MISSING for x in self.reasons)

    def to_json(self) -> Json:
        return {
            "entry": self.entry,
            "name": self.name,
            "dosage_form": self.dosage_form,
            "spec": self.spec,
            "quantity": self.quantity,
            "unit_price": str(self.unit_price),
            "class": self.drug_class,
            "section": self.section,
            "flags": list(self.flags),
            "confidential": self.confidential,
            "payment_standard_shown": self.payment_standard_shown,
            "verdict": str(self.verdict),
            "verdict_label": self.verdict_label,
            "reasons": [x.to_json() for x in self.reasons],
            "conditions": [c.to_json() for c in self.conditions],
            "first_self_pay_ratio": _opt_dec(self.first_self_pay_ratio),
            "fund_ratio": _opt_dec(self.fund_ratio),
            **_amounts_json(self.amounts, self.confidential_patient is not None, self.fund_unset),
            # The folded part depends on the fund's share: unknown (None) while no fund ratio is set.
            **(
                {"confidential_patient": None if self.fund_unset else str(self.confidential_patient)}
                if self.confidential_patient is not None
                else {}
            ),
            **({"channel": self.channel} if self.channel else {}),
            **({"trace_codes": list(self.trace_codes)} if self.trace_codes else {}),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> EstimateLine:
        """Read a line of ``to_json`` (or of an older history row, where optional fields may be absent)."""
        return cls(
            entry=_opt_str(data.get("entry")),
            name=str(data.get("name") or ""),
            dosage_form=_opt_str(data.get("dosage_form")),
            spec=_opt_str(data.get("spec")),
            quantity=int(data["quantity"]),
            unit_price=_money(data["unit_price"], "unit_price"),
            drug_class=_opt_str(data.get("class")),
            section=_opt_str(data.get("section")),
            flags=tuple(str(f) for f in data.get("flags") or ()),
            confidential=bool(data.get("confidential")),
            payment_standard_shown=_opt_str(data.get("payment_standard_shown")),
            verdict=Verdict(data["verdict"]),
            reasons=tuple(_reason(x) for x in data.get("reasons") or ()),
            conditions=tuple(_condition(x) for x in data.get("conditions") or ()),
            first_self_pay_ratio=_dec_or_none(data.get("first_self_pay_ratio")),
            fund_ratio=_dec_or_none(data.get("fund_ratio")),
            amounts=_amounts(data, line=True),
            confidential_patient=(_dec_or_none(data["confidential_patient"]) or ZERO)
            if "confidential_patient" in data
            else None,
            fund_unset=data.get("fund") is None,
            channel=_opt_str(data.get("channel")),
            trace_codes=tuple(str(c) for c in data.get("trace_codes") or ()),
        )


@dataclass(frozen=True)
class Estimate:
    """What the fund pays and what the patient pays for a basket, with every assumption stated."""

    day: date
    profile: str
    profile_label: str
    insurance: Insurance
    patient_group: PatientGroup
    channel: Channel
    edition: str | None  # label of the edition that answered
    edition_note: str | None
    amounts: Amounts
    lines: tuple[EstimateLine, ...]
    assumptions: tuple[str, ...]
    warnings: tuple[str, ...]
    edition_id: int | None = None  # the installed edition that answered (not part of the CLI's JSON)
    #: The "*" lines' folded part of the patient's share; ``amounts``' components exclude those lines.
    confidential_patient: Decimal = Decimal(0)
    #: No fund ratio is set for some line: the fund's share is "未设置统筹支付比例" (issue 11).
    fund_unset: bool = False

    @property
    def any_confidential(self) -> bool:
        return any(line.confidential for line in self.lines)

    @property
    def folded(self) -> bool:
        """The "*" lines' components are folded (every result since issue 10; not an older saved one)."""
        return any(line.confidential_patient is not None for line in self.lines)

    def to_json(self) -> Json:
        """The JSON of ``yaomu estimate --json``: amounts as strings with two decimals."""
        return {
            "date": self.day.isoformat(),
            "profile": self.profile,
            "profile_label": self.profile_label,
            "insurance": str(self.insurance),
            "insurance_label": self.insurance.label,
            "patient_group": str(self.patient_group),
            "patient_group_label": self.patient_group.label,
            "channel": str(self.channel),
            "channel_label": self.channel.label,
            "edition": self.edition,
            "edition_note": self.edition_note,
            **_amounts_json(self.amounts, False, self.fund_unset),
            **(
                {"confidential_patient": None if self.fund_unset else str(self.confidential_patient)}
                if self.folded
                else {}
            ),
            **({"fund_unset": FUND_UNSET} if self.fund_unset else {}),
            "lines": [line.to_json() for line in self.lines],
            "assumptions": list(self.assumptions),
            "warnings": list(self.warnings),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Estimate:
        """Read ``to_json``'s shape back (an ``edition_id`` key, when present, is read too).

        Raises:
            KeyError, ValueError, TypeError: the data is not an estimate.
        """
        edition_id = data.get("edition_id")
        return cls(
            day=date.fromisoformat(str(data["date"])),
            profile=str(data.get("profile") or ""),
            profile_label=str(data.get("profile_label") or data.get("profile") or ""),
            insurance=Insurance(data["insurance"]),
            patient_group=PatientGroup(data.get("patient_group") or PatientGroup.GENERAL),
            channel=Channel(data.get("channel") or Channel.OUTPATIENT),
            edition=_opt_str(data.get("edition")),
            edition_note=_opt_str(data.get("edition_note")),
            amounts=_amounts(data),
            lines=tuple(EstimateLine.from_json(x) for x in data.get("lines") or ()),
            assumptions=tuple(str(a) for a in data.get("assumptions") or ()),
            warnings=tuple(_text(w) for w in data.get("warnings") or ()),
            edition_id=int(edition_id) if edition_id is not None else None,
            confidential_patient=_dec_or_none(data.get("confidential_patient")) or Decimal(0),
            fund_unset=bool(data.get("fund_unset")),
        )


# --- JSON helpers --------------------------------------------------------------------------------


def _opt_str(value: object) -> str | None:
    return None if value is None else str(value)


def _opt_dec(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _dec_or_none(value: object) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def _text(value: object) -> str:
    """A warning or note: a string, or (in some older rows) an object with a ``text``."""
    if isinstance(value, Mapping):
        return str(value.get("text") or "")
    return str(value)


def _reason(value: object) -> Reason:
    return Reason.from_json(value) if isinstance(value, Mapping) else Reason("", str(value))


def _condition(value: object) -> Condition:
    return Condition.from_json(value) if isinstance(value, Mapping) else Condition("", str(value))


def _money(value: object, what: str) -> Decimal:
    """An amount of the JSON: a decimal string (or an int); a float or null here is a bug upstream."""
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        raise TypeError(f"{what} is {type(value).__name__} ({value!r}); amounts must be decimal strings")
    return Decimal(str(value))


def _amounts(data: Mapping[str, Any], line: bool = False) -> Amounts:
    """The nine amounts of a JSON object; a None is read as 0 only where the shape allows it: a "*" line's
    folded components (beside ``confidential_patient``) and an unset fund share (fund, coinsurance and
    patient total all None). Anything else None is not an estimate (TypeError)."""
    allowed: set[str] = set()
    if line and "confidential_patient" in data:
        allowed |= set(FOLDED_FIELDS)
    if all(data.get(name, 0) is None for name in UNSET_FIELDS):
        allowed |= set(UNSET_FIELDS)
    return Amounts(
        *(ZERO if data[name] is None and name in allowed else _money(data[name], name) for name in AMOUNT_FIELDS)
    )


#: What an estimate shows instead of the fund's share while no fund ratio is set (issue 11).
FUND_UNSET = "未设置统筹支付比例"
#: The components a "*" line never shows (each would give its standard by subtraction).
FOLDED_FIELDS = ("over_standard", "first_self_pay", "policy_scope", "deductible", "coinsurance")
UNSET_FIELDS = ("fund", "coinsurance", "patient_total")


def _amounts_json(amounts: Amounts, folded: bool, unset: bool) -> dict[str, str | None]:
    out: dict[str, str | None] = dict(amounts.to_json())
    for name in FOLDED_FIELDS if folded else ():
        out[name] = None
    for name in UNSET_FIELDS if unset else ():
        out[name] = None
    return out
