"""Plain records of the catalogue: what adapters produce and what the store returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

# Section labels, exactly as staff read them. ``section`` in the database and in JSON is one of these.
WEST = "西药"
TCM = "中成药"
NEGOTIATED = "协议期内谈判药品"
BIDDING = "竞价药品"
PIECES = "中药饮片"
PIECES_EXCLUDED = "不得纳入基金支付的饮片"
COMMERCIAL = "商保创新药"  # 2025: commercial-insurance innovative list, never paid by the basic fund

SECTIONS = (WEST, TCM, NEGOTIATED, BIDDING, PIECES, PIECES_EXCLUDED, COMMERCIAL)
#: Sections whose rows carry an official number (编号) and a ★ repeat mechanism.
NUMBERED_SECTIONS = (WEST, TCM, NEGOTIATED, BIDDING)
#: Sections paid by the basic fund at all (the others are lists of what is *not* paid).
PAID_SECTIONS = (WEST, TCM, NEGOTIATED, BIDDING, PIECES)

CLASS_A = "甲"
CLASS_B = "乙"

# Markers derived from the remark and the 凡例 (flags in JSON).
FLAG_WORK_INJURY = "限工伤"
FLAG_MATERNITY = "限生育"
FLAG_SECOND_LINE = "二线用药"
FLAG_GROUP = "◇"
FLAG_PIECE_ALONE = "□"
FLAG_INPATIENT_NUTRITION = "限住院营养"
FLAG_NUTRITION_SCREENING = "营养风险筛查"
FLAG_RESTRICTED = "限定支付范围"
FLAG_CONFIDENTIAL = "支付标准保密"
FLAG_ETHNIC = "民族药"
FLAG_NOT_PAID = "基金不予支付"

#: Since this day a designated pharmacy scans each pack's 药品追溯码 before a 医保 settlement (DOMAIN.md,
#: "Products and codes"); 中药饮片 and 配方颗粒 are exempt for now (``trace_exempt``).
TRACE_REQUIRED_FROM = date(2025, 7, 1)


def trace_exempt(section: str | None, name: str | None) -> bool:
    """中药饮片 and 配方颗粒 (granules) need no 追溯码.

    >>> trace_exempt(PIECES, "黄芪"), trace_exempt(None, "黄芪配方颗粒"), trace_exempt(WEST, "阿莫西林")
    (True, True, False)
    """
    return section in (PIECES, PIECES_EXCLUDED) or "配方颗粒" in (name or "")


@dataclass(frozen=True)
class SourceRow:
    """One catalogue row as an adapter read it from an official source.

    ``name_published`` and ``remark`` keep the official wording; adapters only repair what
    a conversion broke (stray line breaks and spaces). Everything derived (normalised
    name, flags, dates, key) is computed by ``desktop.catalogue.derive``.
    """

    section: str
    name_published: str
    seq: int  # position in the publication, 1-based over the whole edition
    subsection: str | None = None  # 西药 / 中成药 inside the negotiated section
    number: int | None = None  # official 编号; None for ★ rows and unnumbered lists
    star_of: int | None = None  # ★(n): this row repeats item n of the same section
    dosage_form: str | None = None
    drug_class: str | None = None  # 甲 / 乙 / None
    category_code: str | None = None
    category_path: str | None = None  # "内科用药 > 解表剂 > 表里双解剂"
    remark: str | None = None  # 备注 / 限定支付范围, verbatim
    payment_standard: str | None = None  # as published; "*" when confidential
    agreement_text: str | None = None  # 协议有效期 / 支付标准有效期, verbatim
    ethnic: bool = False  # 民族药


@dataclass(frozen=True)
class SectionInfo:
    """Completeness of one section of an edition as loaded."""

    section: str
    complete: bool
    expected: int | None = None  # numbered items (or listed pieces) stated by the 凡例
    note: str | None = None


@dataclass(frozen=True)
class EditionInfo:
    name: str  # "2024"
    variant: str  # "first" (首次公布) / "revised" (修订) / ...
    title: str
    document: str | None  # 医保发〔2024〕33号
    published: date | None
    effective_start: date
    effective_end: date | None
    source: str  # file name(s) it was read from
    checksum: str  # sha256 of the source file(s)


@dataclass
class EditionData:
    """An edition as read by an adapter, ready to be validated and stored."""

    info: EditionInfo
    rows: list[SourceRow]
    sections: dict[str, SectionInfo] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class PaymentStandard:
    """One published payment standard: an amount per specification, or confidential, or tiered.

    ``unit`` is the unit the amount is per when the catalogue names one ("479.00元/盒(…)" -> "盒");
    ``tiers`` is a tiered price per unit stated in a note of the catalogue (治疗用碘[131I]化钠胶囊:
    "见备注2"): (from, to, yuan per unit) with ``unit`` the unit counted ("毫居").
    """

    amount: str | None  # decimal string in yuan, None when confidential or tiered
    spec: str | None  # "10mg/瓶"
    confidential: bool = False
    unit: str | None = None
    tiers: tuple[tuple[int, int, str], ...] = ()

    def __post_init__(self) -> None:
        # Read back from JSON the tiers are lists; keep the record hashable.
        tiers = self.tiers
        if not isinstance(tiers, tuple) or (tiers and any(not isinstance(t, tuple) for t in tiers)):
            object.__setattr__(self, "tiers", tuple(tuple(t) for t in self.tiers))

    @property
    def text(self) -> str:
        """The standard as published (brackets half-width): "479.00元/盒(先诺特韦片…)"."""
        if self.confidential:
            return "*"
        if self.tiers:
            steps = "，".join(f"{a}-{b}{self.unit}每{self.unit}{price}元" for a, b, price in self.tiers)
            return f"阶梯价格（{steps}）" + (f"({self.spec})" if self.spec else "")
        unit = f"/{self.unit}" if self.unit else ""
        return f"{self.amount}元{unit}" + (f"({self.spec})" if self.spec else "")


@dataclass(frozen=True)
class Edition:
    id: int
    name: str
    variant: str
    title: str
    document: str | None
    published: date | None
    effective_start: date
    effective_end: date | None
    source: str
    checksum: str
    loaded_at: str
    package_id: str | None = None  # the catalogue package it was installed from
    sections: tuple[SectionInfo, ...] = ()
    counts: dict[str, int] = field(default_factory=dict)

    def covers(self, day: date) -> bool:
        return self.effective_start <= day and (self.effective_end is None or day <= self.effective_end)

    @property
    def label(self) -> str:
        return f"{self.name}年版（{VARIANT_LABELS.get(self.variant, self.variant)}）"


VARIANT_LABELS = {"first": "首次公布", "revised": "修订版", "official": "正式公布"}


@dataclass(frozen=True)
class Entry:
    """A catalogue row as stored: what every answer about a drug is built from."""

    id: str
    edition: str  # edition name, e.g. "2025"
    edition_id: int
    key: str  # stable across editions and revisions: normalised name | dosage form
    section: str
    subsection: str | None
    number: int | None
    star_of: int | None
    name: str  # normalised
    name_published: str
    dosage_form: str | None
    drug_class: str | None
    category_code: str | None
    category_path: str | None
    remark: str | None
    flags: tuple[str, ...]
    payment_standard: str | None  # as published, "*" when confidential
    payment_standards: tuple[PaymentStandard, ...]
    agreement_text: str | None
    agreement_start: date | None
    agreement_end: date | None
    ethnic: bool
    seq: int

    @property
    def confidential(self) -> bool:
        return any(p.confidential for p in self.payment_standards)

    @property
    def display_number(self) -> str:
        if self.star_of is not None:
            return f"★({self.star_of})"
        return "" if self.number is None else str(self.number)

    def to_json(self) -> dict[str, object]:
        """The JSON row of ``yaomu search --json`` / ``yaomu show --json``."""
        return {
            "id": self.id,
            "edition": self.edition,
            "section": self.section,
            "subsection": self.subsection,
            "number": self.number,
            "star_of": self.star_of,
            "name": self.name,
            "name_published": self.name_published,
            "dosage_form": self.dosage_form,
            "class": self.drug_class,
            "category_code": self.category_code,
            "category_path": self.category_path,
            "remark": self.remark,
            "payment_standard": self.payment_standard,
            "agreement_start": self.agreement_start.isoformat() if self.agreement_start else None,
            "agreement_end": self.agreement_end.isoformat() if self.agreement_end else None,
            "flags": list(self.flags),
            "key": self.key,
        }
