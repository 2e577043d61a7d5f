"""Eligibility: can the insurance pay for this drug here, on this day — pure rules over records.

``assess`` receives everything as plain records (the drug, the edition that answers, the
overlay facts naming the drug, the region's installed overlay lists, the policy profile),
wraps them in one typed ``AssessContext`` and runs named steps over it:

1. ``_edition_step``: which edition answers the day;
2. the drug rules (``DRUG_RULES``), one small function per catalogue clause (凡例 item) or
   notice, each citing its source, in the order their reasons are listed;
3. the regional lists and requirements (``_list_steps``);
4. ``_verdict_of``: the ``Eligibility``.

Verdicts, strongest first: any reason that excludes payment -> ``not_covered``; else any
missing or partial data -> ``unknown``; else any condition not yet confirmed ->
``conditional``; else ``covered``. No SQL, files or Qt here.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from typing import Any

from desktop.catalogue import records as r
from desktop.rules import lists
from desktop.rules.contract import (  # noqa: F401 (re-exported: the verdict types live in the contract)
    VERDICT_LABELS,
    Condition,
    Eligibility,
    ListState,
    ListStatus,
    Reason,
    Verdict,
)
from desktop.rules.labels import CONDITIONS, INSURANCES
from desktop.rules.policy import Profile, Selectors
from desktop.storage import overlays as ov

COVERED = Verdict.COVERED
CONDITIONAL = Verdict.CONDITIONAL
NOT_COVERED = Verdict.NOT_COVERED
UNKNOWN = Verdict.UNKNOWN

#: Every reason code ``assess`` can give, with its meaning for staff. docs/rules.md lists each one
#: (a test keeps them in step).
REASON_CODES = {
    "edition": "按当日生效的目录版本判断",
    "edition_outside": "所查日期不在任何已导入目录版本的有效期内",
    "no_edition": "没有导入任何目录版本",
    "not_in_edition": "当日生效的目录中没有该药品",
    "what_if": "假设药品：按请求给出的甲乙类和支付标准计算",
    "uninsured": "未参保，医保基金不予支付",
    "section_not_paid": "所在目录部分不属于基金支付范围",
    "commercial_list": "商保创新药目录药品，基本医保基金不予支付",
    "class_a": "甲类药品",
    "class_b": "乙类药品（先行自付后按规定支付）",
    "negotiated": "协议期内谈判药品，按乙类支付",
    "pieces": "基金予以支付的中药饮片",
    "no_class_distinction": "工伤保险、生育保险不区分甲乙类",
    "work_injury_only": "限工伤保险，其他险种不予支付",
    "work_injury_listed": "限工伤保险药品，工伤保险可支付",
    "maternity_only": "限生育保险，职工基本医保不予支付",
    "maternity_listed": "限生育保险药品，生育保险可支付",
    "maternity_resident": "限生育保险药品，城乡居民与生育有关的费用也可支付",
    "work_injury_no_restriction": "工伤保险支付时不受限定支付范围限制",
    "restriction": "备注规定了限定支付范围，需确认符合",
    "second_line": "二线用药，需有一线药品无效或不能耐受的证据",
    "inpatient_nutrition": "胃肠外营养液仅限住院患者，零售药店不予支付",
    "nutrition_screening": "肠内营养剂需经营养风险筛查",
    "group_product": "◇ 类别统称，需确认所售产品属于该类",
    "piece_alone": "□ 饮片单独使用或处方全部由此类饮片组成时不予支付",
    "natural_musk_bezoar": "含天然麝香、天然牛黄的药品不予支付",
    "agreement": "协议（支付标准）有效期内",
    "agreement_not_started": "协议（支付标准）尚未生效",
    "agreement_ended": "协议（支付标准）已到期",
    "transition": "续约失败调出目录，过渡期内按原支付标准支付",
    "transition_ended": "过渡期已结束，不予支付",
    "confidential_standard": "医保支付标准保密，不显示",
    "dual_channel_listed": "列入本地区“双通道”药品范围",
    "dual_channel_removed": "已调出本地区“双通道”药品范围",
    "dual_channel_expired": "本地区“双通道”/单行支付执行期或过渡期已结束",
    "dual_channel_lapsed": "谈判药品协议到期，“双通道”属性随之失效",
    "dual_channel_not_listed": "不在本地区“双通道”药品范围",
    "dual_channel_unknown": "本地区“双通道”清单不完整或未导入，无法判断",
    "single_payment": "列入湖南省“双通道”单行支付药品目录",
    "two_diseases_listed": "列入“两病”门诊用药范围",
    "two_diseases_not_listed": "不在“两病”门诊用药范围",
    "two_diseases_unknown": "“两病”用药清单不完整或未导入，无法判断",
    "high_value": "高值药品，实行“三定”管理",
    "critical_illness": "大病保险药品",
    "list_answered_by": "答复所依据的地区清单及其执行时长",
    "list_outdated": "地区清单按规定每年调整，所依据的清单已逾调整周期，结果可能已过时",
    "overlay_form_differs": "通知所列剂型与目录剂型不同，按同一药品适用（凡例七、八）",
    "two_diseases_employee": "“两病”门诊用药保障属城乡居民医保待遇，职工医保不适用（医保发〔2019〕54号）",
    "high_value_unknown": "高值药品名单未导入，无法判断谈判药品是否实行“三定”管理",
    "policy_note": "本地区政策说明（与本次答复有关）",
    "requirement": "本地区对该渠道的要求，需确认",
    "confirmed": "工作人员已确认的条件",
}

_NEGOTIATED_SECTIONS = (r.NEGOTIATED, r.BIDDING)
#: The two-disease outpatient benefit is one of 城乡居民医保 (医保发〔2019〕54号); employees are not covered by it.
_TWO_DISEASES_NOT_FOR = ("employee", "retiree")
_TWO_DISEASES_SOURCE = "医保发〔2019〕54号"
_TWO_DISEASES_TEXT = (
    "“两病”门诊用药保障是城乡居民医保参保人的待遇（医保发〔2019〕54号），职工医保不适用；请改按普通门诊或门诊慢特病。"
)
_FANLI = "《药品目录》凡例"
_F2 = f"{_FANLI}（二）"
_F3 = f"{_FANLI}（三）"
_F4 = f"{_FANLI}（四）"
_F10 = f"{_FANLI}（十）"
_F11 = f"{_FANLI}（十一）"
_F14 = f"{_FANLI}（十四）"
_F15 = f"{_FANLI}（十五）"
_F16 = f"{_FANLI}（十六）"
_F17 = f"{_FANLI}（十七）"
# Remarks that only restate the fund (限工伤/限生育) or the ◇ marker are not an indication limit.
_NON_INDICATION = re.compile(r"限工伤保险。?|限生育保险。?|◇")


@dataclass(frozen=True)
class Drug:
    """What eligibility needs to know about a drug: a catalogue entry, or a what-if item."""

    name: str
    dosage_form: str | None
    section: str | None
    drug_class: str | None
    flags: tuple[str, ...] = ()
    remark: str | None = None
    agreement_start: date | None = None
    agreement_end: date | None = None
    confidential: bool = False
    entry_id: str | None = None

    @classmethod
    def from_entry(cls, entry: r.Entry) -> Drug:
        return cls(
            name=entry.name,
            dosage_form=entry.dosage_form,
            section=entry.section,
            drug_class=entry.drug_class,
            flags=entry.flags,
            remark=entry.remark,
            agreement_start=entry.agreement_start,
            agreement_end=entry.agreement_end,
            confidential=entry.confidential,
            entry_id=entry.id,
        )

    @property
    def negotiated(self) -> bool:
        return self.section in _NEGOTIATED_SECTIONS

    @property
    def pay_class(self) -> str | None:
        """The class the fund pays it as: negotiated drugs are paid as 乙 (凡例 二)."""
        return r.CLASS_B if self.negotiated else self.drug_class


_NO_DRUG = Drug(name="", dosage_form=None, section=None, drug_class=None)


@dataclass(frozen=True)
class EditionContext:
    """The edition that answers the question (label), and whether it is in force that day."""

    label: str | None
    exact: bool
    note: str | None = None


@dataclass(frozen=True)
class Query:
    day: date
    insurance: str
    group: str = "general"
    channel: str = "outpatient"
    confirmed: frozenset[str] = frozenset()


@dataclass(frozen=True)
class AssessContext:
    """Everything one assessment reads, decided once: the steps and rules take it, never a dict."""

    drug: Drug | None
    query: Query
    profile: Profile
    edition: EditionContext
    facts: tuple[ov.OverlayFact, ...]
    installed: tuple[ov.OverlayInfo, ...]
    what_if: bool
    #: Transition entries (续约失败调出) in force on the day, and those already ended.
    transition_active: tuple[ov.OverlayFact, ...]
    transition_past: tuple[ov.OverlayFact, ...]

    @property
    def day(self) -> date:
        return self.query.day

    @property
    def insurance(self) -> str:
        return self.query.insurance

    @property
    def work_injury(self) -> bool:
        return self.query.insurance == "work_injury"

    @property
    def probe(self) -> Drug:
        """The drug, or a blank one (lists and requirements still apply to a transition entry)."""
        return self.drug or _NO_DRUG

    def active(self, *kinds: str) -> list[ov.OverlayFact]:
        return _active(self.facts, kinds, self.day)

    def selectors(self, listed_in: frozenset[str]) -> Selectors:
        return Selectors(
            insurance=self.query.insurance,
            group=self.query.group,
            channel=self.query.channel,
            drug_class=self.probe.pay_class,
            section=self.probe.section,
            listed_in=listed_in,
        )


@dataclass
class _Collector:
    query: Query
    reasons: list[Reason] = field(default_factory=list)
    blockers: int = 0
    unknowns: int = 0
    conditions: list[Condition] = field(default_factory=list)
    confirmed: list[Condition] = field(default_factory=list)

    def info(self, code: str, text: str, source: str | None = None) -> None:
        self.reasons.append(Reason(code, text, source))

    def block(self, code: str, text: str, source: str | None = None) -> None:
        self.blockers += 1
        self.info(code, text, source)

    def unknown(self, code: str, text: str, source: str | None = None) -> None:
        self.unknowns += 1
        self.info(code, text, source)

    def need(self, code: str, text: str, source: str | None = None) -> None:
        """A condition staff must confirm (merged per code, texts joined)."""
        bucket = self.confirmed if code in self.query.confirmed else self.conditions
        for i, c in enumerate(bucket):
            if c.code == code:
                if text not in c.text:
                    bucket[i] = Condition(code, f"{c.text}；{text}", c.source or source)
                return
        bucket.append(Condition(code, text, source))

    def has(self, code: str) -> bool:
        return any(x.code == code for x in self.reasons)

    def verdict(self) -> Verdict:
        if self.blockers:
            return NOT_COVERED
        if self.unknowns:
            return UNKNOWN
        if self.conditions:
            return CONDITIONAL
        return COVERED


def _overlay_source(info: ov.OverlayInfo) -> str:
    return f"{info.title}（{info.document}）" if info.document else info.title


def _active(facts: Iterable[ov.OverlayFact], kinds: Iterable[str], day: date) -> list[ov.OverlayFact]:
    kinds = tuple(kinds)
    return [f for f in facts if f.overlay.kind in kinds and f.item.active_on(day) and _overlay_active(f.overlay, day)]


def _overlay_active(info: ov.OverlayInfo, day: date) -> bool:
    return (info.effective_start is None or info.effective_start <= day) and (
        info.effective_end is None or day <= info.effective_end
    )


def list_status(
    kinds: tuple[str, ...],
    drug: Drug,
    day: date,
    facts: list[ov.OverlayFact],
    installed: list[ov.OverlayInfo],
    what: str,
    revision: lists.Revision | None = None,
) -> ListStatus:
    """The drug's status on the region's lists of ``kinds`` on ``day`` (``desktop.rules.lists``).

    The newest list in force decides; a partial list that does not name the drug answers
    ``unknown`` with its note, never "not listed"; only a complete list can say "not listed".
    """
    a = lists.answer(kinds, day, facts, installed, revision)
    info = a.overlay
    src = _overlay_source(info) if info else None
    by = lists.age_text(info, day) if info else None
    if a.status == "removed":
        assert info is not None
        return ListStatus(
            ListState.REMOVED, f"已调出{what}", src, info.complete, info.note, answered_by=by, caveat=a.caveat
        )
    if a.status == "listed":
        assert info is not None and a.fact is not None
        until = a.fact.item.end or info.effective_end
        if drug.negotiated and drug.agreement_end and day > drug.agreement_end:
            return ListStatus(ListState.LAPSED, f"协议到期，{what}属性失效", src, info.complete, answered_by=by)
        return ListStatus(
            ListState.LISTED, f"已列入{what}", src, info.complete, info.note, until, answered_by=by, caveat=a.caveat
        )
    if a.status == "expired":
        assert info is not None and a.fact is not None
        end = a.fact.item.end if a.fact.item.end and a.fact.item.end < day else info.effective_end
        assert end is not None
        return ListStatus(
            ListState.EXPIRED,
            f"{what}执行期/过渡期已于{end.isoformat()}结束",
            src,
            info.complete,
            info.note,
            end,
            answered_by=by,
        )
    if a.status == "not_listed":
        assert info is not None
        return ListStatus(ListState.NOT_LISTED, f"不在{what}", src, True, info.note, answered_by=by, caveat=a.caveat)
    if a.status == "unknown":
        assert info is not None
        note = info.note or "该清单只包含通知中点名的药品，不是完整清单。"
        return ListStatus(
            ListState.UNKNOWN, f"{what}清单不完整，未列出该药，无法判断", src, False, note, answered_by=by
        )
    if a.ended is not None:
        assert a.ended.effective_end is not None
        return ListStatus(
            ListState.UNKNOWN,
            f"本地区{what}清单（{a.ended.title}）已于{a.ended.effective_end.isoformat()}到期，未导入新的清单，无法判断",
            _overlay_source(a.ended),
            None,
            "请导入本地区最新清单（更新包）。",
        )
    return ListStatus(
        ListState.UNKNOWN, f"未导入本地区{what}清单，无法判断", None, None, "请导入本地区清单（更新包）。"
    )


def _attrs(item: ov.OverlayItem) -> dict[str, Any]:
    """An item's attributes as a dict (a package may carry them JSON-encoded once more)."""
    attrs = item.attrs
    if isinstance(attrs, str):
        try:
            attrs = json.loads(attrs)
        except ValueError:
            return {}
    return attrs if isinstance(attrs, dict) else {}


def _natural_musk(drug: Drug) -> bool:
    return drug.section in (r.TCM, r.NEGOTIATED) and ("麝香" in drug.name or "牛黄" in drug.name)


def assess(
    drug: Drug | None,
    query: Query,
    profile: Profile,
    edition: EditionContext,
    facts: list[ov.OverlayFact] | None = None,
    installed: list[ov.OverlayInfo] | None = None,
    *,
    what_if: bool = False,
) -> Eligibility:
    """Decide whether the fund may pay for ``drug`` under ``query`` and ``profile``.

    Args:
        drug: the drug (None: not in the edition that answers the day).
        query: day, insurance, patient group, channel and the conditions staff confirmed.
        profile: the region's policy profile.
        edition: the edition that answers (its label; ``exact`` False when the day is outside it).
        facts: overlay items naming the drug (region + national), any date.
        installed: the overlays installed for the region (to tell "not listed" from "unknown").
        what_if: the drug is a hypothetical item carrying its own class and standard.
    """
    ctx = _context(drug, query, profile, edition, facts or [], installed or [], what_if)
    c = _Collector(query)
    _edition_step(ctx, c)
    if ctx.drug is None:
        _not_in_edition_step(ctx, c)
    else:
        for rule in DRUG_RULES:
            rule(ctx, ctx.drug, c)
    listed_in = _listed_in(ctx)
    dual = _list_steps(ctx, c, listed_in)
    return _verdict_of(ctx, c, listed_in, dual)


def _context(
    drug: Drug | None,
    query: Query,
    profile: Profile,
    edition: EditionContext,
    facts: list[ov.OverlayFact],
    installed: list[ov.OverlayInfo],
    what_if: bool,
) -> AssessContext:
    day = query.day
    return AssessContext(
        drug=drug,
        query=query,
        profile=profile,
        edition=edition,
        facts=tuple(facts),
        installed=tuple(installed),
        what_if=what_if,
        transition_active=tuple(_active(facts, (ov.TRANSITION,), day)),
        transition_past=tuple(f for f in facts if f.overlay.kind == ov.TRANSITION and f.item.end and f.item.end < day),
    )


# --- step 1: the edition ---------------------------------------------------------------------------


def _edition_step(ctx: AssessContext, c: _Collector) -> None:
    """The edition in force on the day answers (目录 通知: each edition's effective dates)."""
    edition = ctx.edition
    if ctx.what_if and ctx.transition_past and not ctx.transition_active:
        f = ctx.transition_past[-1]
        c.info("what_if", "过渡期药品：目录中已无条目（协议期内谈判药品，乙类）。", _overlay_source(f.overlay))
    elif ctx.what_if and ctx.transition_active:
        c.info(
            "what_if",
            "过渡期药品：目录中已无条目，按协议期内谈判药品（乙类）估算。",
            _overlay_source(ctx.transition_active[-1].overlay),
        )
    elif ctx.what_if:
        c.info("what_if", "假设药品：按请求给出的甲乙类和支付标准估算，未经目录核对。")
    elif edition.label is None:
        c.unknown("no_edition", edition.note or "没有导入任何目录版本。")
    elif not edition.exact:
        c.unknown("edition_outside", edition.note or "所查日期不在已导入目录的有效期内。", edition.label)
    else:
        c.info("edition", f"按{edition.label}判断（{ctx.day.isoformat()}）。", edition.label)


def _not_in_edition_step(ctx: AssessContext, c: _Collector) -> None:
    """Not in the edition: not paid, unless a transition notice keeps paying it (续约失败过渡期)."""
    if ctx.transition_active:
        f = ctx.transition_active[-1]
        c.info("transition", f"续约失败调出目录，过渡期至{f.item.end}，按原支付标准支付。", _overlay_source(f.overlay))
    else:
        label = ctx.edition.label
        c.block("not_in_edition", f"{label or '目录'}中没有该药品，基金不予支付。", label)


# --- step 2: one rule per clause -------------------------------------------------------------------

DrugRule = Callable[[AssessContext, Drug, _Collector], None]


def _rule_uninsured(ctx: AssessContext, drug: Drug, c: _Collector) -> None:
    """An uninsured patient pays everything (no fund at all)."""
    if ctx.insurance == "uninsured":
        c.block("uninsured", "患者未参保，全部自费。")


def _rule_section_not_paid(ctx: AssessContext, drug: Drug, c: _Collector) -> None:
    """凡例 (三): the pieces the fund never pays; the 2025 commercial-insurance list is not the basic fund's."""
    if drug.section == r.COMMERCIAL:
        c.block("commercial_list", "商保创新药目录药品，基本医保基金不予支付。", ctx.edition.label)
    elif drug.section == r.PIECES_EXCLUDED or r.FLAG_NOT_PAID in drug.flags:
        c.block("section_not_paid", f"属于“{drug.section}”，基金不予支付。", _F3)


def _rule_inpatient_nutrition(ctx: AssessContext, drug: Drug, c: _Collector) -> None:
    """凡例 (十四): parenteral nutrition is for inpatients only, so never at a pharmacy."""
    if r.FLAG_INPATIENT_NUTRITION in drug.flags:
        c.block("inpatient_nutrition", "胃肠外营养液仅限经营养风险筛查的住院患者支付，零售药店不予支付。", _F14)


def _rule_agreement_period(ctx: AssessContext, drug: Drug, c: _Collector) -> None:
    """The agreement (payment-standard) period of a negotiated or bidding drug, as the catalogue prints it."""
    day, label = ctx.day, ctx.edition.label
    if drug.agreement_start and day < drug.agreement_start:
        c.block("agreement_not_started", f"协议有效期自{drug.agreement_start.isoformat()}起，所查日期尚未生效。", label)
    elif drug.agreement_end and day > drug.agreement_end:
        if ctx.transition_active:
            f = ctx.transition_active[-1]
            c.info("transition", f"协议已到期，过渡期至{f.item.end}，按原支付标准支付。", _overlay_source(f.overlay))
        else:
            c.block("agreement_ended", f"协议有效期已于{drug.agreement_end.isoformat()}结束，基金不予支付。", label)
    elif drug.agreement_end:
        c.info("agreement", f"协议有效期至{drug.agreement_end.isoformat()}。", label)


def _rule_transition(ctx: AssessContext, drug: Drug, c: _Collector) -> None:
    """Transition notices (续约失败调出目录): paid at the original standard until the period ends."""
    if ctx.transition_active and not c.has("transition"):
        f = ctx.transition_active[-1]
        c.info("transition", f"续约失败调出目录，过渡期至{f.item.end}，按原支付标准支付。", _overlay_source(f.overlay))
    if ctx.transition_active and (ctx.what_if or ctx.drug is None):  # an entry carries its own remark
        _transition_remark(ctx.transition_active[-1], c)
    if ctx.transition_past and not ctx.transition_active:
        f = ctx.transition_past[-1]
        c.block("transition_ended", f"过渡期已于{f.item.end}结束，基金不予支付。", _overlay_source(f.overlay))


#: The 2023 edition (where a transition drug was last listed) is not shipped: its remark is not known.
_TRANSITION_REMARK_UNKNOWN = "该药最后列入的目录版本（2023年版）未载入，备注（限定支付范围）未知：请按原目录核对后确认"


def _transition_remark(f: ov.OverlayFact, c: _Collector) -> None:
    """001 一(三): paid as before, so the remark it was last listed with still limits it; say it when unknown."""
    remark = _attrs(f.item).get("remark")
    source = _overlay_source(f.overlay)
    if remark:
        c.info("restriction", f"原目录备注（限定支付范围）：{remark}", source)
        c.need("restriction", str(remark), source)
    else:
        c.need("restriction", _TRANSITION_REMARK_UNKNOWN, source)


def _rule_work_injury_only(ctx: AssessContext, drug: Drug, c: _Collector) -> None:
    """凡例 (十一) 3: 限工伤保险 drugs are paid by the work-injury fund only."""
    if r.FLAG_WORK_INJURY not in drug.flags:
        return
    if ctx.work_injury:
        c.info("work_injury_listed", "限工伤保险药品，工伤保险基金可支付。", _F11)
    else:
        c.block("work_injury_only", f"限工伤保险，仅工伤保险基金支付，{INSURANCES[ctx.insurance]}不予支付。", _F11)


def _rule_maternity_only(ctx: AssessContext, drug: Drug, c: _Collector) -> None:
    """凡例 (十一) 4: 限生育保险 drugs: maternity insurance, and residents' maternity costs."""
    if r.FLAG_MATERNITY not in drug.flags or ctx.work_injury:
        return
    ins = ctx.insurance
    if ins == "maternity":
        c.info("maternity_listed", "限生育保险药品，生育保险基金可支付。", _F11)
    elif ins == "resident":
        c.info("maternity_resident", "限生育保险药品：城乡居民发生与生育有关的费用时也可支付。", _F11)
        c.need("restriction", "费用与生育有关（城乡居民）", _F11)
    elif ins != "uninsured":
        c.block("maternity_only", f"限生育保险，{INSURANCES[ins]}不予支付。", _F11)


def _rule_pay_class(ctx: AssessContext, drug: Drug, c: _Collector) -> None:
    """凡例 (四): work injury and maternity make no class distinction; (二): negotiated drugs pay as 乙."""
    label = ctx.edition.label
    if ctx.insurance in ("work_injury", "maternity"):
        c.info("no_class_distinction", "工伤保险和生育保险支付药品费用时不区分甲、乙类。", _F4)
    elif drug.negotiated:
        c.info("negotiated", "协议期内谈判药品，按照乙类支付。", _F2)
    elif drug.drug_class == r.CLASS_A:
        c.info("class_a", "甲类药品。", label)
    elif drug.drug_class == r.CLASS_B:
        c.info("class_b", "乙类药品：先按本地比例先行自付，再按规定支付。", label)
    elif drug.section == r.PIECES:
        c.info("pieces", "基金予以支付的中药饮片。", label)


def _indication(drug: Drug) -> str:
    return _NON_INDICATION.sub("", drug.remark or "").strip()


def _rule_work_injury_unrestricted(ctx: AssessContext, drug: Drug, c: _Collector) -> None:
    """凡例 (十一): work injury is not bound by the 限定支付范围 of the 备注 column."""
    if ctx.work_injury and (_indication(drug) or r.FLAG_SECOND_LINE in drug.flags):
        c.info("work_injury_no_restriction", "工伤保险支付药品费用时不受限定支付范围限制。", _F11)


def _rule_restriction(ctx: AssessContext, drug: Drug, c: _Collector) -> None:
    """凡例 (十一): the 备注 column's 限定支付范围 must be met (staff confirm it)."""
    indication = _indication(drug)
    if not ctx.work_injury and indication and r.FLAG_RESTRICTED in drug.flags:
        c.info("restriction", f"限定支付范围：{indication}", _F11)
        c.need("restriction", indication, _F11)


def _rule_second_line(ctx: AssessContext, drug: Drug, c: _Collector) -> None:
    """凡例 (十一): 二线用药 needs evidence that first-line drugs failed or were not tolerated."""
    if not ctx.work_injury and r.FLAG_SECOND_LINE in drug.flags:
        c.info("second_line", "二线用药：支付时应有使用一线药品无效或不能耐受的证据。", _F11)
        c.need("second_line", "有使用一线药品无效或不能耐受的证据", _F11)


def _rule_nutrition_screening(ctx: AssessContext, drug: Drug, c: _Collector) -> None:
    """凡例 (十五): enteral nutrition needs a nutrition-risk screening."""
    if not ctx.work_injury and r.FLAG_NUTRITION_SCREENING in drug.flags:
        c.info("nutrition_screening", "肠内营养剂需经营养风险筛查，明确具有营养风险。", _F15)
        c.need("restriction", "经营养风险筛查明确具有营养风险，且不能经饮食补充足够营养", _F15)


def _rule_group_product(ctx: AssessContext, drug: Drug, c: _Collector) -> None:
    """凡例 (十): ◇ names a class of products; the product sold must belong to it."""
    if r.FLAG_GROUP in drug.flags:
        c.info("group_product", "◇：名称为一类药品的统称，需确认所售产品属于凡例所列品种。", _F10)
        c.need("restriction", "所售产品属于该◇类别所列品种", _F10)


def _rule_piece_alone(ctx: AssessContext, drug: Drug, c: _Collector) -> None:
    """凡例 (十六): □ pieces are not paid alone (the basket-wide half is in ``service``)."""
    if r.FLAG_PIECE_ALONE in drug.flags:
        c.info("piece_alone", "□：单独使用时不予支付，且全部由这些饮片组成的处方也不予支付。", _F16)
        c.need("restriction", "不单独使用，且处方不全部由□饮片组成", _F16)


def _rule_natural_musk(ctx: AssessContext, drug: Drug, c: _Collector) -> None:
    """凡例 (十七): drugs with natural musk or natural bezoar are not paid."""
    if _natural_musk(drug):
        c.info(
            "natural_musk_bezoar", "含天然麝香、天然牛黄的药品不予支付；需确认所售产品用的是人工麝香/人工牛黄等。", _F17
        )
        c.need("restriction", "产品所含麝香/牛黄为人工麝香、人工/培植/体外培育牛黄", _F17)


def _rule_confidential(ctx: AssessContext, drug: Drug, c: _Collector) -> None:
    """A "*" payment standard is confidential: never shown (the catalogue's own note)."""
    if drug.confidential:
        c.info("confidential_standard", "医保支付标准保密（“*”），不予显示。", ctx.edition.label)


#: The drug rules in the order their reasons are listed.
DRUG_RULES: tuple[DrugRule, ...] = (
    _rule_uninsured,
    _rule_section_not_paid,
    _rule_inpatient_nutrition,
    _rule_agreement_period,
    _rule_transition,
    _rule_work_injury_only,
    _rule_maternity_only,
    _rule_pay_class,
    _rule_work_injury_unrestricted,
    _rule_restriction,
    _rule_second_line,
    _rule_nutrition_screening,
    _rule_group_product,
    _rule_piece_alone,
    _rule_natural_musk,
    _rule_confidential,
)


# --- step 3: regional lists and requirements -------------------------------------------------------

_LIST_KINDS = (ov.DUAL_CHANNEL, ov.SINGLE_PAYMENT, ov.TWO_DISEASES, ov.HIGH_VALUE, ov.CRITICAL_ILLNESS, ov.CENTRALIZED)


def _listed_in(ctx: AssessContext) -> frozenset[str]:
    """The overlay kinds that list the drug on the day (added or set, and not removed)."""
    if not ctx.facts:  # most drugs: no notice names them
        return frozenset()
    listed: set[str] = set()
    facts, installed = list(ctx.facts), list(ctx.installed)
    for kind in _LIST_KINDS:
        # The newest list in force decides (a later 调入 beats an earlier 调出 and the other way round).
        if any(f.overlay.kind == kind for f in facts) and lists.answer((kind,), ctx.day, facts, installed).status == (
            "listed"
        ):
            listed.add(kind)
    if ctx.transition_active:
        listed.add(ov.TRANSITION)
    return frozenset(listed)


def _list_steps(ctx: AssessContext, c: _Collector, listed_in: frozenset[str]) -> ListStatus | None:
    """Dual channel, two diseases, managed lists, then the region's requirements; the dual-channel status."""
    dual = _dual_channel_status(ctx, listed_in)
    dual, listed_in = _all_negotiated(dual, ctx, listed_in)
    if ctx.query.channel == "dual_channel" and dual is not None:
        _list_caveat(c, dual, ctx.profile.revision(ctx.profile.dual_channel_lists))
        _dual_channel_rule(dual, listed_in, c)
    elif ctx.query.channel == "two_diseases" and ctx.query.insurance in _TWO_DISEASES_NOT_FOR:
        c.block("two_diseases_employee", _TWO_DISEASES_TEXT, _TWO_DISEASES_SOURCE)
    elif ctx.query.channel == "two_diseases":
        _two_diseases_rule(ctx, c)
    _managed_list_rules(ctx, c, listed_in)
    if ctx.facts:
        _match_notes(c, list(ctx.facts), ctx.day)
    if ctx.drug is not None:
        _missing_lists(c, ctx, listed_in)
        if ctx.profile.answer_notes:
            for note in ctx.profile.notes_for(ctx.day, ctx.selectors(listed_in)):
                c.info("policy_note", note.text or "", note.source.label)
    requirements = _requirement_rules(ctx, c, listed_in)
    if dual is not None and requirements and ctx.query.channel == "dual_channel":
        dual = replace(dual, requirements=tuple(requirements))
    for cond in c.confirmed:
        c.info("confirmed", f"已确认：{cond.text}", cond.source)
    return dual


def _dual_channel_status(ctx: AssessContext, listed_in: frozenset[str]) -> ListStatus | None:
    """Asked for on the dual-channel channel, or shown for negotiated drugs and listed ones."""
    lists = ctx.profile.dual_channel_lists
    if ctx.query.channel == "dual_channel" or ctx.probe.negotiated or listed_in & set(lists):
        return list_status(
            lists,
            ctx.probe,
            ctx.day,
            list(ctx.facts),
            list(ctx.installed),
            "“双通道”药品范围",
            ctx.profile.revision(lists),
        )
    return None


def _dual_channel_rule(dual: ListStatus, listed_in: frozenset[str], c: _Collector) -> None:
    """The region's dual-channel list (双通道 notices): listed pays; removed, expired, lapsed or absent does not."""
    src = dual.overlay
    if dual.status == ListState.LISTED:
        c.info("dual_channel_listed", dual.label + (f"（至{dual.until}）" if dual.until else ""), src)
        if ov.SINGLE_PAYMENT in listed_in:
            c.info("single_payment", "列入“双通道”单行支付药品目录。", src)
    elif dual.status == ListState.REMOVED:
        c.block("dual_channel_removed", dual.label + "，不能按“双通道”报销。", src)
    elif dual.status == ListState.EXPIRED:
        c.block("dual_channel_expired", dual.label + "，到期后不予支付。", src)
    elif dual.status == ListState.LAPSED:
        c.block("dual_channel_lapsed", dual.label + "。", src)
    elif dual.status == ListState.NOT_LISTED:
        c.block("dual_channel_not_listed", dual.label + "，不能按“双通道”报销。", src)
    else:
        c.unknown("dual_channel_unknown", f"{dual.label}。{dual.note or ''}".strip(), src)


def _two_diseases_rule(ctx: AssessContext, c: _Collector) -> None:
    """The two-disease (高血压、糖尿病) outpatient list: only listed drugs are paid on that channel."""
    revision = ctx.profile.revision((ov.TWO_DISEASES,))
    two = list_status(
        (ov.TWO_DISEASES,), ctx.probe, ctx.day, list(ctx.facts), list(ctx.installed), "“两病”门诊用药范围", revision
    )
    _list_caveat(c, two, revision)
    if two.status == ListState.LISTED:
        c.info("two_diseases_listed", two.label + "。", two.overlay)
    elif two.status == ListState.UNKNOWN:
        c.unknown("two_diseases_unknown", f"{two.label}。{two.note or ''}".strip(), two.overlay)
    else:
        c.block("two_diseases_not_listed", two.label + "，不能按“两病”门诊报销。", two.overlay)


def _managed_list_rules(ctx: AssessContext, c: _Collector, listed_in: frozenset[str]) -> None:
    """High-value (三定) and critical-illness lists: informational, with the list that names the drug."""
    if ov.HIGH_VALUE in listed_in:
        f = ctx.active(ov.HIGH_VALUE)[-1]
        c.info("high_value", "高值药品，实行“三定”管理（定医疗机构、定责任医师、定患者）。", _overlay_source(f.overlay))
    if ov.CRITICAL_ILLNESS in listed_in:
        f = ctx.active(ov.CRITICAL_ILLNESS)[-1]
        c.info("critical_illness", "大病保险药品。", _overlay_source(f.overlay))


def _requirement_rules(ctx: AssessContext, c: _Collector, listed_in: frozenset[str]) -> list[str]:
    """The region's requirements for this channel / list (filing, e-prescription, 三定 ...), from its profile."""
    requirements: list[str] = []
    if ctx.drug is None and not ctx.transition_active:
        return requirements
    for req in ctx.profile.requirements_for(ctx.day, ctx.selectors(listed_in)):
        requirements.append(req.name)
        c.info("requirement", req.text or CONDITIONS[req.name], req.source.label)
        c.need(req.name, req.text or CONDITIONS[req.name], req.source.label)
    return requirements


def _all_negotiated(
    dual: ListStatus | None, ctx: AssessContext, listed_in: frozenset[str]
) -> tuple[ListStatus | None, frozenset[str]]:
    """Where every negotiated drug in agreement is under dual-channel management (威海 004 一(一)), a list
    that cannot say is answered by that rule; a complete list that leaves the drug out still wins."""
    drug, day, profile = ctx.probe, ctx.day, ctx.profile
    in_agreement = drug.negotiated and not (drug.agreement_end and day > drug.agreement_end)
    if profile.all_negotiated_dual and in_agreement and (dual is None or dual.status == ListState.UNKNOWN):
        listed = ListStatus(
            ListState.LISTED,
            "已纳入“双通道”管理（协议期内国谈药品全部纳入）",
            profile.all_negotiated_dual,
            None,
            dual.note if dual else None,
            drug.agreement_end,
        )
        return listed, listed_in | {ov.DUAL_CHANNEL}
    return dual, listed_in


def _missing_lists(c: _Collector, ctx: AssessContext, listed_in: frozenset[str]) -> None:
    """A list the region's rules depend on is missing: the verdict drops to unknown, saying which (item 8).

    A negotiated drug may be one of Weihai's high-value drugs under "三定" management (004 一(一)1);
    without that list nobody can tell, so it is not "可以报销" without a caveat.
    """
    drug = ctx.probe
    if not drug.negotiated or ov.HIGH_VALUE in listed_in:
        return
    if any(ov.HIGH_VALUE in req.when.get("listed_in", ()) for req in ctx.profile.requirements):
        a = lists.answer((ov.HIGH_VALUE,), ctx.day, list(ctx.facts), list(ctx.installed))
        if a.status in ("unknown", "none"):
            src = _overlay_source(a.overlay) if a.overlay else None
            note = (a.overlay.note if a.overlay else None) or "请导入本地区高值药品名单。"
            c.unknown(
                "high_value_unknown",
                f"高值药品名单未导入，无法判断该谈判药品是否实行“三定”管理（定机构、定医师、定患者）。{note}",
                src,
            )


def _list_caveat(c: _Collector, status: ListStatus, revision: lists.Revision | None) -> None:
    """Say which list answered and, when the region revises it yearly and it is older, that it may be outdated."""
    if status.answered_by:
        c.info("list_answered_by", f"依据：{status.answered_by}。", status.overlay)
    if status.caveat:
        c.info("list_outdated", status.caveat, revision.source if revision else status.overlay)


def _match_notes(c: _Collector, facts: list[ov.OverlayFact], day: date) -> None:
    """Say when a notice's item was applied although its dosage form differs from the catalogue's."""
    for fact in facts:
        if fact.match_note and fact.item.active_on(day) and _overlay_active(fact.overlay, day):
            c.info("overlay_form_differs", f"{fact.overlay.title}：{fact.match_note}", _overlay_source(fact.overlay))


# --- step 4: the verdict ---------------------------------------------------------------------------


def _self_pay_ratio(ctx: AssessContext) -> tuple[Decimal, str] | None:
    """A provincial per-drug first self-pay list (Hunan): the last active item that states a ratio."""
    if not ctx.facts:
        return None
    ratio = None
    for f in ctx.active(ov.SELF_PAY_RATIO):
        value = _attrs(f.item).get("ratio")
        for_insurance = _attrs(f.item).get("insurance")
        if for_insurance and ctx.query.insurance not in str(for_insurance).replace("，", ",").split(","):
            continue  # a row for another insurance type (Hunan's list sets ratios per insurance)
        if value is not None:
            ratio = (Decimal(value), _overlay_source(f.overlay))
    return ratio


def _transition_standard(ctx: AssessContext) -> str | None:
    """During a transition the original payment standard applies; the notice may carry it."""
    return next(
        (
            str(_attrs(f.item)["payment_standard"])
            for f in ctx.transition_active
            if _attrs(f.item).get("payment_standard")
        ),
        None,
    )


def _verdict_of(ctx: AssessContext, c: _Collector, listed_in: frozenset[str], dual: ListStatus | None) -> Eligibility:
    drug, edition = ctx.drug, ctx.edition
    return Eligibility(
        verdict=c.verdict(),
        reasons=tuple(c.reasons),
        # Nothing to confirm when the fund cannot pay anyway.
        conditions=() if c.blockers else tuple(c.conditions),
        confirmed=tuple(c.confirmed),
        edition=edition.label,
        edition_note=edition.note if not edition.exact else None,
        dual_channel=dual,
        listed_in=listed_in,
        self_pay_ratio=_self_pay_ratio(ctx),
        transition_standard=_transition_standard(ctx),
        pay_class=(drug.pay_class if drug else r.CLASS_B if ctx.transition_active else None),
    )
