"""The glue between the database and the pure rules: ``check`` one drug, ``estimate`` a basket.

Reads entries, editions and overlays through the catalogue store, the profile through
``policy``, the pharmacy's figures through ``settings``; decides with ``eligibility`` and
computes with ``copay``. This module never shows a confidential payment standard: the
value (from the request or the settings) goes into the arithmetic only.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from sqlite_utils import Database

from desktop.catalogue import matching
from desktop.catalogue import records as r
from desktop.catalogue.normalise import match_key
from desktop.errors import RequestError
from desktop.rules import confidential as conf
from desktop.rules import copay, eligibility, labels, policy, standards
from desktop.rules import request as request_mod
from desktop.rules.contract import (
    EMPTY,
    ZERO,
    Amounts,
    Eligibility,
    Estimate,
    EstimateLine,
    EstimateRequest,
    Insurance,
    Reason,
    RequestItem,
    Verdict,
)
from desktop.rules.eligibility import Drug, EditionContext, Query
from desktop.settings import Settings
from desktop.storage import catalogue as store
from desktop.storage import memo
from desktop.storage import overlays as ov

#: Codes the estimate adds to a line's reasons (besides eligibility.REASON_CODES); docs/rules.md lists them.
ESTIMATE_CODES = {
    "not_confirmed": "有需确认的条件尚未确认，本行按全自费估算",
    "unknown_self_pay": "无法判断是否可报销，本行按全自费估算",
    "confidential_assumed_within": "保密支付标准未录入，按挂网价格不高于支付标准估算（吉医保联〔2023〕45号 四（一））",
    "standard_lowest": "该药有多个规格的支付标准且未指明规格，按最低标准估算",
    "spec_not_listed": "所售规格未载明支付标准，须由国家医保局确定后才能支付，本行按全自费估算",
    "spec_matched": "所售规格按目录中相同含量的规格（或多个相同规格中的一个）确定支付标准",
    "bidding_above_standard": "竞价药品售价高于支付标准，超出部分由参保人承担",
    "pieces_alone_basket": "本次所购中药饮片全部为□饮片，不予支付",
    "resolved_in_force": "条目已换为当日生效目录中的同一药品",
    "transition_standard_missing": "过渡期药品按原支付标准支付，但原支付标准未载入，本行按售价计算",
    "fund_ratio_unset": "未设置统筹支付比例：统筹支付和个人负担暂无法估算，其余各项照常计算",
    "channel_per_line": "“双通道”购药中的普通药品按普通门诊判断和计算（渠道按行）",
    "trace_missing": "自 2025-07-01 起医保结算前须逐盒扫描药品追溯码，本行尚未扫码",
    "trace_partial": "本行追溯码少于数量：整盒销售须逐盒扫码（拆零销售时一盒的追溯码对应从该盒拆出的数量）",
}

CONFIDENTIAL_SHOWN = "保密"


#: Approved names of Western drugs end in a product form; notices name the generic and the
#: catalogue's merged form (凡例 八): "依沃西单抗注射液" is "依沃西单抗（剂型：注射剂）".
_FORM_SUFFIXES = (
    ("缓释胶囊", "缓释控释剂型"),
    ("缓释片", "缓释控释剂型"),
    ("控释片", "缓释控释剂型"),
    ("肠溶胶囊", "口服常释剂型"),
    ("肠溶片", "口服常释剂型"),
    ("分散片", "口服常释剂型"),
    ("软胶囊", "口服常释剂型"),
    ("胶囊", "口服常释剂型"),
    ("片", "口服常释剂型"),
    ("干混悬剂", "口服液体剂"),
    ("口服混悬液", "口服液体剂"),
    ("口服溶液", "口服液体剂"),
    ("颗粒", "颗粒剂"),
    ("注射液", "注射剂"),
    ("滴眼液", "滴眼剂"),
    ("乳膏", "软膏剂"),
)


def overlay_names(name: str, form: str | None, section: str | None) -> list[tuple[str, str | None]]:
    """The names (and forms) under which a notice may list this drug.

    >>> overlay_names("依沃西单抗注射液", None, "协议期内谈判药品")
    [('依沃西单抗注射液', None), ('依沃西单抗', '注射剂')]
    >>> overlay_names("注射用艾普拉唑钠", None, "协议期内谈判药品")
    [('注射用艾普拉唑钠', None), ('艾普拉唑钠', '注射剂')]
    """
    out: list[tuple[str, str | None]] = [(name, form)]
    if form is None and section in (r.WEST, r.NEGOTIATED, r.BIDDING):
        base = name
        suffix_form = None
        if base.startswith("注射用"):
            base, suffix_form = base[3:], "注射剂"
        else:
            for suffix, merged in _FORM_SUFFIXES:
                # Keep a trailing roman numeral group: "二甲双胍恩格列净片(Ⅲ)" -> "二甲双胍恩格列净(Ⅲ)".
                head, paren, tail = base.partition("(")
                if head.endswith(suffix) and len(head) > len(suffix):
                    base, suffix_form = head[: -len(suffix)] + paren + tail, merged
                    break
        if suffix_form:
            out.append((base, suffix_form))
    return out


def form_matches(item_form: str | None, form: str | None) -> bool:
    """A notice's form ("口服常释") matches the catalogue's ("口服常释剂型"); no form matches all."""
    if not item_form or not form:
        return True
    a, b = (match_key(x).removesuffix("剂型") for x in (item_form, form))
    return a == b or a.startswith(b) or b.startswith(a)


def _facts(
    db: Database,
    region: str,
    name: str,
    form: str | None,
    section: str | None,
    index: matching.FactIndex | None = None,
    edition_id: int | None = None,
) -> list[ov.OverlayFact]:
    """The overlay items naming this drug (凡例 七/八 matching, ``desktop.catalogue.matching``)."""
    index = index or _fact_index(db, region)

    def siblings() -> list[matching.Reading]:
        if edition_id is None:
            return []
        fragment = matching.core(matching.read_entry(name, form, section))
        return matching.sibling_readings(ov.entries_named_like(db, edition_id, fragment))

    return index.facts(name, form, section, siblings)


def _fact_index(db: Database, region: str) -> matching.FactIndex:
    """The region's overlay items by generic name, built once per generation of the connection."""
    return memo.cached(db, "fact_index", region, lambda: matching.FactIndex(ov.region_facts(db, region)))


def _edition_context(choice: store.EditionChoice) -> EditionContext:
    if choice.edition is None:
        return EditionContext(None, False, choice.note)
    return EditionContext(choice.edition.label, choice.exact, choice.note)


def _in_force(
    db: Database, entry: r.Entry, choice: store.EditionChoice, same_drug: Mapping[str, Sequence[r.Entry]] | None = None
) -> r.Entry | None:
    """The same drug (same key) in the edition that answers the day; the entry itself if it belongs there.

    ``same_drug``: the answering edition's entries by key (``_same_drug``), read for the whole basket at once.
    """
    if choice.edition is None or entry.edition_id == choice.edition.id:
        return entry
    if same_drug is None or entry.key not in same_drug:
        same_drug = store.entries_of_keys(db, choice.edition.id, [entry.key])
    same = same_drug[entry.key]
    if not same:
        return None
    return next((e for e in same if e.section == entry.section), same[0])


def _same_drug(
    db: Database, entries: Sequence[r.Entry | None], choice: store.EditionChoice
) -> dict[str, tuple[r.Entry, ...]]:
    """The answering edition's entries of the drugs (keys) of entries from another edition, in one read."""
    if choice.edition is None:
        return {}
    keys = [e.key for e in entries if e is not None and e.edition_id != choice.edition.id]
    return store.entries_of_keys(db, choice.edition.id, keys) if keys else {}


def _validate_query(profile: str, insurance: str, group: str, channel: str, confirmed: frozenset[str]) -> list[str]:
    problems = []
    if profile not in policy.available():
        problems.append(f"地区政策“{profile}”不存在，可选：{'、'.join(policy.available())}。")
    if insurance not in labels.INSURANCES:
        problems.append(f"险种“{insurance}”无法识别，可选：{'、'.join(labels.INSURANCES)}。")
    if group not in labels.GROUPS:
        problems.append(f"人员类别“{group}”无法识别，可选：{'、'.join(labels.GROUPS)}。")
    if channel not in labels.CHANNELS:
        problems.append(f"待遇渠道“{channel}”无法识别，可选：{'、'.join(labels.CHANNELS)}。")
    unknown = sorted(set(confirmed) - set(labels.CONDITIONS))
    if unknown:
        problems.append(f"已确认条件“{'、'.join(unknown)}”无法识别，可选：{'、'.join(labels.CONDITIONS)}。")
    return problems


def check(
    db: Database,
    entry_id: str,
    day: date,
    profile: str,
    insurance: str,
    group: str = "general",
    channel: str = "outpatient",
    confirmed: frozenset[str] = frozenset(),
) -> Eligibility:
    """Can the insurance pay for this catalogue entry on ``day``, and under which conditions?

    Raises:
        RequestError: unknown profile, insurance, group, channel or condition code (all at once).
        NotFound: no entry with that id.
    """
    problems = _validate_query(profile, insurance, group, channel, frozenset(confirmed))
    if problems:
        raise RequestError(problems)
    prof = policy.load(profile)
    query = Query(day, insurance, group, channel, frozenset(confirmed))
    with memo.held(db):  # one generation of the catalogue for the whole answer
        return _check(db, entry_id, query, prof)


def _check(db: Database, entry_id: str, query: Query, prof: policy.Profile) -> Eligibility:
    day = query.day
    entry = store.entries_by_ids(db, [entry_id]).get(entry_id)
    if entry is None:  # a transition drug has no entry: check takes its name
        transition = _check_transition(db, entry_id, query, prof)
        if transition is not None:
            return transition
        entry = store.get_entry(db, entry_id)  # raises NotFound with its message
    choice = store.edition_on(db, day)
    current = _in_force(db, entry, choice)
    facts = _facts(db, prof.region, entry.name, entry.dosage_form, entry.section, edition_id=entry.edition_id)
    installed = ov.overlays(db, prof.region)
    drug = Drug.from_entry(current) if current else None
    return eligibility.assess(drug, query, prof, _edition_context(choice), facts, installed)


def _check_transition(db: Database, name: str, query: Query, prof: policy.Profile) -> Eligibility | None:
    """A transition drug has no entry: ``check`` takes its name (as search shows it) and answers it as the
    what-if line the estimate prices (乙类, the overlay's dates decide); None when no transition item names it."""
    cls = ov.transition_class(db, name.strip())
    if cls is None:
        return None
    drug = Drug(name=name.strip(), dosage_form=None, section=None, drug_class=cls)
    facts = _facts(db, prof.region, drug.name, None, None)
    edition = _edition_context(store.edition_on(db, query.day))
    installed = ov.overlays(db, prof.region)
    return eligibility.assess(drug, query, prof, edition, facts, installed, what_if=True)


# --- estimate --------------------------------------------------------------------------------
#
# ``estimate`` runs named steps over one typed ``_EstimateContext``:
#   _resolve      the entries the request names (and the one in force on the day)
#   _assess_line  eligibility of each line (``eligibility.assess``)
#   _price_line   what the arithmetic needs per line: payable?, S, r, ratio, deductible exemption
#   _totals       the patient's remaining deductible and cap, stated as assumptions
#   copay.settle  the arithmetic
#   _line_out     the typed ``EstimateLine``


class _EntryCache:
    """The ``known_entries`` check of ``parse_request`` over this catalogue, keeping what it read.

    ``estimate_json`` hands the entries to ``estimate``, so the JSON path reads them once.
    """

    def __init__(self, db: Database) -> None:
        self.db = db
        self.found: dict[str, r.Entry] = {}

    def __call__(self, ids: Sequence[str]) -> Collection[str]:
        self.found.update(_entries(self.db, list(ids)))
        return self.found.keys()


def parse_request(
    db: Database, data: object, settings: Settings | None = None, *, cache: _EntryCache | None = None
) -> EstimateRequest:
    """Check a request's JSON against the catalogue and the settings (every problem together).

    Raises:
        RequestError: every problem of the request.
    """
    settings = settings or Settings()
    known = cache if cache is not None else _EntryCache(db)
    with memo.held(db):
        data = _transition_classes(db, data)
        return request_mod.parse_request(data, default_profile=settings.profile, known_entries=known)


def _transition_classes(db: Database, data: object) -> object:
    """A transition drug named without a class takes the overlay's (negotiated: 乙, 001 一(三)), so the
    line the window resolves from search, or a request naming it, needs no hand-typed class."""
    if not isinstance(data, Mapping) or not isinstance(data.get("items"), list):
        return data
    items: list[object] = []
    for item in data["items"]:
        if isinstance(item, Mapping) and item.get("entry") in (None, "") and item.get("class") in (None, ""):
            name = item.get("name")
            cls = ov.transition_class(db, name.strip()) if isinstance(name, str) and name.strip() else None
            if cls:
                item = {**item, "class": cls}
        items.append(item)
    return {**data, "items": items}


def estimate_json(db: Database, data: object, settings: Settings | None = None) -> dict[str, Any]:
    """The JSON edge: a request's JSON in, the estimate's JSON (``yaomu estimate --json``) out.

    Raises:
        RequestError: every problem of the request at once; nothing is written anyway.
    """
    cache = _EntryCache(db)
    with memo.held(db):
        request = parse_request(db, data, settings, cache=cache)
        return _estimate(db, request, settings, cache.found).to_json()


def _entries(db: Database, ids: list[str]) -> dict[str, r.Entry]:
    """The entries with these ids, in one query (unknown ids are simply absent)."""
    return store.entries_by_ids(db, ids)


@dataclass(frozen=True)
class _EstimateContext:
    """What every step of one estimate reads: the request, the profile, the edition, the overlays."""

    db: Database
    request: EstimateRequest
    settings: Settings
    profile: policy.Profile
    choice: store.EditionChoice
    edition: EditionContext
    installed: list[ov.OverlayInfo]
    index: matching.FactIndex
    #: The answering edition's entries of the basket's drugs that come from another edition, by key.
    same_drug: Mapping[str, Sequence[r.Entry]]

    @property
    def day(self) -> date:
        return self.request.day


@dataclass
class _Line:
    """One line on its way through the steps (mutable only inside ``estimate``)."""

    index: int
    item: RequestItem
    entry: r.Entry | None  # the entry that answers (in force), None for what-if / not in edition
    drug: Drug | None = None
    eligibility: Eligibility | None = None
    notes: list[Reason] = field(default_factory=list)
    shown: str | None = None
    confidential: bool = False
    verdict_override: Verdict | None = None  # the amounts decided otherwise (□ alone, unlisted spec)
    channel: str | None = None  # the line's channel (item 9); the basket's when None
    channel_note: str | None = None
    fund_unset: bool = False

    @property
    def name(self) -> str:
        return self.entry.name if self.entry is not None else (self.item.name or "")

    @property
    def verdict(self) -> Eligibility:
        assert self.eligibility is not None
        return self.eligibility


@dataclass
class _Collected:
    """What the pricing step gathers across lines: warnings, parameters used, parameters missing."""

    warnings: list[str]
    used_params: dict[str, str] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)
    confidential_used: bool = False
    assumed_within: bool = False


def estimate(db: Database, request: EstimateRequest, settings: Settings | None = None) -> Estimate:
    """Estimate what the fund pays and what the patient pays for a basket, as of a date.

    Args:
        db: the catalogue database.
        request: the checked request (``parse_request``, or built by the UI).
        settings: the pharmacy's settings (local parameters, confidential standards); None = none set.

    Raises:
        RequestError: an entry the catalogue does not have, or a parameter nothing states (all at once).
    """
    with memo.held(db):  # one generation of the catalogue for the whole estimate
        return _estimate(db, request, settings, None)


def _estimate(
    db: Database, request: EstimateRequest, settings: Settings | None, found: Mapping[str, r.Entry] | None
) -> Estimate:
    settings = settings or Settings()
    lines = _resolve(db, request, found)
    conflicts = _standard_conflicts(lines)
    if conflicts:
        raise RequestError(conflicts)
    ctx = _context(db, request, settings, lines)
    collected = _Collected(warnings=[ctx.choice.note] if ctx.choice.note else [])
    for line in lines:
        _assess_line(ctx, line, collected.warnings)
    pieces_alone = _pieces_alone(lines)
    inputs = [_price_line(ctx, line, pieces_alone, collected) for line in lines]
    for line in lines:
        _trace_notes(ctx, line, collected.warnings)
    if collected.missing:
        raise RequestError(collected.missing)
    deductible, cap, assumptions = _totals(request)
    assumptions += _parameter_assumptions(lines, collected)
    amounts, total = copay.settle(inputs, deductible, cap)
    folded = Decimal(0)
    per_line: list[Decimal | None] = [None] * len(lines)
    if any(line.confidential for line in lines):
        amounts, total, folded, per_line = _fold(lines, amounts)
    unset = any(line.fund_unset for line in lines)
    if unset:
        collected.warnings.append(
            f"{FUND_UNSET}：{ctx.profile.label}的政策文件没有规定本地统筹支付比例，"
            "统筹支付和个人负担暂无法估算；全自费、超支付标准、先行自付、政策范围内费用照常计算。"
            "请在设置中填写本地比例，或在请求的 policy 中给出。"
        )
    return Estimate(
        day=request.day,
        profile=ctx.profile.id,
        profile_label=ctx.profile.label,
        insurance=request.insurance,
        patient_group=request.patient_group,
        channel=request.channel,
        edition=ctx.edition.label,
        edition_note=ctx.choice.note,
        amounts=total,
        lines=tuple(
            _line_out(line, inp, amt, part)
            for line, inp, amt, part in zip(lines, inputs, amounts, per_line, strict=True)
        ),
        assumptions=tuple(assumptions),
        warnings=tuple(collected.warnings),
        edition_id=ctx.choice.edition_id,
        confidential_patient=folded,
        fund_unset=unset,
    )


def _resolve(db: Database, request: EstimateRequest, found: Mapping[str, r.Entry] | None = None) -> list[_Line]:
    """The lines with their catalogue entries (as requested; ``_assess_line`` moves them to the day's edition)."""
    wanted = [item.entry for item in request.items if item.entry is not None]
    if found is None or any(entry_id not in found for entry_id in wanted):
        found = _entries(db, wanted)
    unknown = [
        f"第 {i} 项：目录中没有编号为“{item.entry}”的条目，请先用 yaomu search 查找药品并使用结果中的 id。"
        for i, item in enumerate(request.items, 1)
        if item.entry is not None and item.entry not in found
    ]
    if unknown:
        raise RequestError(unknown)
    return [
        _Line(i, item, found[item.entry] if item.entry is not None else None) for i, item in enumerate(request.items, 1)
    ]


def _context(db: Database, request: EstimateRequest, settings: Settings, lines: list[_Line]) -> _EstimateContext:
    prof = policy.load(request.profile)
    choice = store.edition_on(db, request.day)
    return _EstimateContext(
        db=db,
        request=request,
        settings=settings,
        profile=prof,
        choice=choice,
        edition=_edition_context(choice),
        installed=ov.overlays(db, prof.region),
        index=_fact_index(db, prof.region),
        same_drug=_same_drug(db, [line.entry for line in lines], choice),
    )


def _assess_line(ctx: _EstimateContext, line: _Line, warnings: list[str]) -> None:
    """Eligibility of one line; a catalogue entry is first moved to the edition in force on the day."""
    region = ctx.profile.region
    if line.entry is None:
        item = line.item
        name = item.name or ""
        drug_class = str(item.drug_class) if item.drug_class else None
        line.drug = Drug(name=name, dosage_form=item.dosage_form, section=None, drug_class=drug_class)
        facts = _facts(ctx.db, region, name, item.dosage_form, None, ctx.index)
        query = _query(ctx, line, facts)
        line.eligibility = eligibility.assess(
            line.drug, query, ctx.profile, ctx.edition, facts, ctx.installed, what_if=True
        )
        return
    asked = line.entry
    current = _in_force(ctx.db, asked, ctx.choice, ctx.same_drug)
    if current is not None and current.id != asked.id:
        warnings.append(
            f"第 {line.index} 项：条目 {asked.id} 属于{asked.edition}年版，已按当日生效目录中的同一药品 "
            f"{current.id} 计算。"
        )
    facts = _facts(ctx.db, region, asked.name, asked.dosage_form, asked.section, ctx.index, asked.edition_id)
    line.drug = Drug.from_entry(current) if current else None
    line.entry = current or asked
    query = _query(ctx, line, facts)
    line.eligibility = eligibility.assess(line.drug, query, ctx.profile, ctx.edition, facts, ctx.installed)


def _query(ctx: _EstimateContext, line: _Line, facts: list[ov.OverlayFact]) -> Query:
    """The question for one line: the basket's, except its channel (item 9): an ordinary drug in a
    dual-channel sale (not negotiated, on no dual-channel list) is an ordinary outpatient line."""
    req = ctx.request
    channel = str(req.channel)
    if (
        channel == "dual_channel"
        and line.drug is not None
        and not line.drug.negotiated
        and not any(f.overlay.kind in ctx.profile.dual_channel_lists for f in facts)
    ):
        channel = "outpatient"
        line.channel_note = "本行不是“双通道”药品，按普通门诊判断和计算（“双通道”购药可同时包含普通药品）。"
    line.channel = channel
    return Query(req.day, req.insurance, req.patient_group, channel, frozenset(line.item.confirmed))


def _pieces_alone(lines: list[_Line]) -> bool:
    """凡例 (十六): the pieces of the basket are all □ pieces (then none of them is paid)."""
    pieces = [ln.drug for ln in lines if ln.drug is not None and ln.drug.section == r.PIECES]
    return bool(pieces) and all(r.FLAG_PIECE_ALONE in drug.flags for drug in pieces)


def _note(code: str, text: str, source: str | None = None) -> Reason:
    return Reason(code, text, source)


def _payable(line: _Line, pieces_alone: bool, collected: _Collected) -> bool:
    """The verdict decides: only ``covered`` lines are paid; say why the others are estimated as self-pay."""
    el = line.verdict
    if el.verdict == eligibility.CONDITIONAL:
        text = "尚有条件未确认：" + "；".join(c.text for c in el.conditions) + "。确认后请勾选，否则按全自费估算。"
        line.notes.append(_note("not_confirmed", text))
    elif el.verdict == eligibility.UNKNOWN:
        line.notes.append(_note("unknown_self_pay", "资料不全，无法判断能否报销，本行暂按全自费估算。"))
        why = "；".join(x.text for x in el.reasons if x.code in _UNKNOWN_CODES)
        collected.warnings.append(f"第 {line.index} 项“{line.name}”无法判断能否报销：{why}")
    payable = el.verdict == eligibility.COVERED
    if line.channel_note:
        line.notes.append(_note("channel_per_line", line.channel_note))
    if payable and line.drug is not None and line.drug.section == r.PIECES and pieces_alone:
        line.notes.append(_note("pieces_alone_basket", "本次所购中药饮片全部为□饮片，单独使用不予支付（凡例十六）。"))
        line.verdict_override = eligibility.NOT_COVERED  # the verdict says what the amounts do
        return False
    return payable


_UNKNOWN_CODES = ("dual_channel_unknown", "two_diseases_unknown", "edition_outside", "no_edition")


def _price_line(ctx: _EstimateContext, line: _Line, pieces_alone: bool, collected: _Collected) -> copay.LineInput:
    """What the arithmetic needs for one line (payable, S, r, ratio, exemption), every figure with its source."""
    payable = _payable(line, pieces_alone, collected)
    standard, line.shown, line.confidential = _standard(ctx.db, line, ctx.settings, collected.warnings)
    if payable and any(n.code == "spec_not_listed" for n in line.notes):
        payable = False  # 003 二(三): not payable until the NHSA sets the spec's standard
        line.verdict_override = eligibility.CONDITIONAL
    if payable and line.confidential and standard is None:
        collected.assumed_within = True  # 000 四(一): the listed price is not above the standard
        line.notes.append(_note("confidential_assumed_within", conf.ASSUMED_TEXT, conf.ASSUMED_SOURCE))
    item = line.item
    if not payable:
        return copay.LineInput(item.unit_price, item.quantity, False, Decimal(0), Decimal(0), standard, False)
    collected.confidential_used = collected.confidential_used or (line.confidential and standard is not None)
    r_value, ratio, exempt = _parameters(ctx, line, collected)
    return copay.LineInput(item.unit_price, item.quantity, True, r_value, ratio, standard, exempt)


def _parameters(ctx: _EstimateContext, line: _Line, collected: _Collected) -> tuple[Decimal, Decimal, bool]:
    """r, the fund ratio and the deductible exemption of a payable line; a figure nothing states is missing."""
    el, prof, day = line.verdict, ctx.profile, ctx.day
    req = ctx.request
    channel = line.channel or str(req.channel)
    sel = policy.Selectors(
        insurance=req.insurance,
        group=req.patient_group,
        channel=channel,
        drug_class=el.pay_class,
        section=line.drug.section if line.drug else None,
        listed_in=el.listed_in,
    )
    r_value, r_src = _first_self_pay(ctx, sel, el, channel)
    ratio, f_src = _fund_ratio(ctx, sel, channel)
    for name, value, src in (("first_self_pay", r_value, r_src), ("fund_ratio", ratio, f_src)):
        label = labels.PARAMETERS[name]
        if src is None and name == "fund_ratio":
            # Issue 11: everything the catalogue decides is still answered; the fund's share is marked unset.
            line.fund_unset = True
            line.notes.append(_note("fund_ratio_unset", FUND_UNSET + "：本行统筹支付和个人负担无法估算。"))
        elif src is None:
            collected.missing.append(_missing_first_self_pay(line, prof))
        elif (key := f"{name}={value}") not in collected.used_params:
            collected.used_params[key] = f"{label} {_percent(value)}：{src}"
    rule = prof.lookup("deductible", day, sel)
    exempt = rule is not None and rule.decimal == 0
    if rule is not None and exempt:
        collected.used_params.setdefault(
            "deductible_exempt", f"{labels.PARAMETERS['deductible']}：本行不设起付线（{rule.source.label}）"
        )
    return r_value, ratio, exempt


def _needs_trace(ctx: _EstimateContext, line: _Line) -> bool:
    """Does this line need its packs' 药品追溯码 (DOMAIN.md, "Products and codes")? From 2025-07-01 a 医保
    settlement needs each pack scanned: a line of a real drug (a catalogue entry, or a transition drug) that the
    fund may pay, in an insured sale on or after that day; 中药饮片 and 配方颗粒 are exempt."""
    req = ctx.request
    if req.day < r.TRACE_REQUIRED_FROM or req.insurance == Insurance.UNINSURED:
        return False
    if line.entry is None and ov.TRANSITION not in line.verdict.listed_in:
        return False  # a what-if drug names no product being sold
    if (line.verdict_override or line.verdict.verdict) == Verdict.NOT_COVERED:
        return False  # fully self-paid: the fund settles nothing for it
    return not r.trace_exempt(line.drug.section if line.drug else None, line.name)


def _trace_notes(ctx: _EstimateContext, line: _Line, warnings: list[str]) -> None:
    """Say when a line that needs 追溯码 has none (``trace_missing``), or fewer than its quantity (``trace_partial``:
    allowed, 拆零 sells several units from one pack)."""
    if not _needs_trace(ctx, line):
        return
    given, quantity = len(line.item.trace_codes), line.item.quantity
    head = f"第 {line.index} 项“{line.name}”"
    if not given:
        line.notes.append(
            _note(
                "trace_missing",
                "本行未扫描药品追溯码：自 2025-07-01 起医保结算前须逐盒扫码（中药饮片、配方颗粒除外）。",
            )
        )
        warnings.append(f"{head}未扫描药品追溯码：医保结算前须逐盒扫码，请扫描每盒的追溯码。")
    elif given < quantity:
        text = (
            f"数量 {quantity}，只扫描了 {given} 个追溯码：整盒销售须逐盒扫码；"
            "拆零销售时，一盒的追溯码对应从该盒拆出的数量。"
        )
        line.notes.append(_note("trace_partial", f"本行{text}"))
        warnings.append(f"{head}{text}")


def _totals(request: EstimateRequest) -> tuple[Decimal, Decimal | None, list[str]]:
    """The patient's remaining deductible and cap for this settlement, each stated as an assumption."""
    assumptions: list[str] = []
    if not request.day_given:
        assumptions.append(f"请求未给出日期，按今天（{request.day.isoformat()}）计算。")
    deductible, cap = request.deductible_remaining, request.cap_remaining
    pol = request.policy
    if deductible is None and pol.deductible is not None:
        deductible = pol.deductible
        assumptions.append(f"起付线按请求给出的 {deductible} 元计算（视为本年度尚未支付）。")
    elif deductible is None:
        deductible = Decimal(0)
        assumptions.append("起付线按已付清计算（未提供剩余起付线）。")
    else:
        assumptions.append(f"剩余起付线按 {deductible} 元计算。")
    if cap is None and pol.cap is not None:
        cap = pol.cap
        assumptions.append(f"年度最高支付限额余额按请求给出的 {cap} 元计算。")
    elif cap is None:
        assumptions.append("未提供年度最高支付限额余额，按未达限额计算。")
    else:
        assumptions.append(f"年度最高支付限额余额按 {cap} 元计算。")
    return deductible, cap, assumptions


def _parameter_assumptions(lines: list[_Line], collected: _Collected) -> list[str]:
    out = list(collected.used_params.values())
    if collected.confidential_used:
        out.append("保密支付标准已按本省下发的实际值参与计算，按规定不予显示。")
    if collected.assumed_within:
        out.append(f"{conf.ASSUMED_TEXT}（{conf.ASSUMED_SOURCE}）")
    out.extend(_policy_notes(lines))
    out.append("本结果为预估，实际以医保结算为准。")
    return out


def _line_out(line: _Line, inp: copay.LineInput, amt: Amounts, folded: Decimal | None = None) -> EstimateLine:
    el, drug = line.verdict, line.drug
    return EstimateLine(
        entry=line.entry.id if line.entry is not None else None,
        name=line.name,
        dosage_form=(drug.dosage_form if drug else None) or line.item.dosage_form,
        spec=line.item.spec,
        quantity=line.item.quantity,
        unit_price=line.item.unit_price,
        drug_class=el.pay_class if drug is None else (drug.drug_class or el.pay_class),
        section=drug.section if drug else None,
        flags=tuple(drug.flags) if drug else (),
        confidential=line.confidential,
        payment_standard_shown=line.shown,
        verdict=line.verdict_override or el.verdict,
        reasons=el.reasons + tuple(line.notes),
        conditions=el.conditions,
        first_self_pay_ratio=inp.first_self_pay if amt.fund or amt.policy_scope else None,
        fund_ratio=inp.fund_ratio if amt.policy_scope and not line.fund_unset else None,
        amounts=amt,
        confidential_patient=folded,
        fund_unset=line.fund_unset,
        channel=line.channel,
        trace_codes=line.item.trace_codes,
    )


def _percent(d: Decimal) -> str:
    return f"{(d * 100).normalize():f}%"


def _standard(
    db: Database, line: _Line, settings: Settings, warnings: list[str]
) -> tuple[Decimal | None, str | None, bool]:
    """The payment standard S for the arithmetic, what may be shown of it, and whether it is confidential."""
    el, item = line.verdict, line.item
    entry = line.entry if not item.what_if else None
    confidential = bool(entry and entry.confidential)
    if item.payment_standard is not None:
        shown = CONFIDENTIAL_SHOWN if confidential else str(item.payment_standard)
        return item.payment_standard, shown, confidential
    if el.transition_standard:
        return Decimal(el.transition_standard), el.transition_standard, False
    if ov.TRANSITION in el.listed_in and (entry is None or not entry.payment_standards):
        line.notes.append(_note("transition_standard_missing", _TRANSITION_TEXT, "吉林省2024年版目录执行通知 二（三）"))
        warnings.append(f"第 {line.index} 项“{line.name}”：{_TRANSITION_TEXT}")
    if entry is None:
        return None, None, False
    if confidential:
        value, note = conf.standard_for(db, entry, item.spec)
        if note:
            warnings.append(f"第 {line.index} 项“{entry.name}”：{note}。")
        return value, CONFIDENTIAL_SHOWN, True
    return _published_standard(line, entry, warnings)


_TRANSITION_TEXT = (
    "过渡期内按原支付标准支付，但本机没有该药的原支付标准：本行按售价计算，统筹支付可能偏高；"
    "请核对原支付标准后在 payment_standard 中给出。"
)


def _published_standard(line: _Line, entry: r.Entry, warnings: list[str]) -> tuple[Decimal | None, str | None, bool]:
    """The published standard for the sold spec (``rules.standards``): matched, or not payable when unlisted."""
    choice = standards.choose(entry, line.item.spec)
    if choice.status == "none":
        return None, entry.payment_standard, False
    if choice.status == "unlisted":
        line.notes.append(_note("spec_not_listed", standards.SPEC_TEXT, standards.SPEC_CLAUSE))
        warnings.append(f"第 {line.index} 项“{entry.name}”规格“{line.item.spec}”未载明支付标准，本行按全自费估算。")
        return None, entry.payment_standard, False
    assert choice.amount is not None and choice.standard is not None
    if choice.note:
        line.notes.append(_note("spec_matched", choice.note + "。"))
    if choice.status == "lowest":
        line.notes.append(
            _note("standard_lowest", f"该药有多个规格的支付标准，未指明规格（spec），按最低的 {choice.amount} 元估算。")
        )
        warnings.append(f"第 {line.index} 项“{entry.name}”未指明规格，支付标准按最低规格估算；请在 spec 中填写规格。")
        return choice.amount, entry.payment_standard, False
    price = line.item.unit_price
    if entry.section == r.BIDDING and price > choice.amount:
        text = (
            f"竞价药品售价 {price} 元高于支付标准 {choice.amount} 元，超出部分由参保人承担；"
            "应优先配备同通用名下价格不高于支付标准的品种。"
        )
        line.notes.append(_note("bidding_above_standard", text, standards.BIDDING_CLAUSE))
        warnings.append(f"第 {line.index} 项“{entry.name}”：{text}")
    return choice.amount, choice.standard.text, False


#: What an estimate shows instead of the fund's share while no fund ratio is set (issue 11).
FUND_UNSET = "未设置统筹支付比例"


def _missing_first_self_pay(line: _Line, prof: policy.Profile) -> str:
    head = f"第 {line.index} 项“{line.name}”缺少{labels.PARAMETERS['first_self_pay']}（first_self_pay）："
    if prof.self_pay_list:
        title, source = prof.self_pay_list
        return (
            f"{head}{prof.label}按药品逐一规定乙类自付比例（{title}，{source}），本机未导入该清单；"
            "请导入本省自付比例清单（更新包），或在设置、请求的 policy 中给出。"
        )
    return f"{head}{prof.label}的政策文件没有规定，请在设置中填写，或在请求的 policy 中给出。"


def _standard_conflicts(lines: list[_Line]) -> list[str]:
    """A published standard always wins: a different one in the request is refused, naming both (item 3)."""
    out = []
    for line in lines:
        if line.entry is not None and line.item.payment_standard is not None:
            why = standards.request_conflict(line.entry, line.item.spec, line.item.payment_standard)
            if why:
                out.append(f"第 {line.index} 项：{why}")
    return out


def _policy_notes(lines: list[_Line]) -> list[str]:
    """The region's notes that concern this sale, once each (they go on the receipt too: item 7)."""
    notes = (
        f"政策说明：{x.text}（{x.source}）"
        for ln in lines
        if ln.eligibility is not None
        for x in ln.eligibility.reasons
        if x.code == "policy_note"
    )
    return list(dict.fromkeys(notes))


def _fold(lines: list[_Line], amounts: list[Amounts]) -> tuple[list[Amounts], Amounts, Decimal, list[Decimal | None]]:
    """Fold every "*" line's components into one figure (``rules.confidential``): none of its over-standard,
    first self-pay, policy scope, deductible or coinsurance is shown, and the basket's components count the
    public lines only, so no difference of shown figures gives a confidential standard."""
    out: list[Amounts] = []
    folded = Decimal(0)
    per_line: list[Decimal | None] = []
    for line, amt in zip(lines, amounts, strict=True):
        if not line.confidential:
            out.append(amt)
            per_line.append(None)
            continue
        part = amt.patient_total - amt.full_self_pay
        folded += part
        per_line.append(part)
        z = ZERO
        out.append(Amounts(amt.total, amt.full_self_pay, z, z, z, z, amt.fund, z, amt.patient_total))
    total = EMPTY
    for amt in out:
        total = total + amt
    return out, total, folded, per_line


def _first_self_pay(
    ctx: _EstimateContext, sel: policy.Selectors, el: Eligibility, channel: str
) -> tuple[Decimal, str | None]:
    """r and where it comes from, first source that states it wins; (0, None) when nothing does.

    Order: the catalogue's fixed rule (甲类 0, 凡例 二) > the request > a provincial per-drug list >
    the profile's notice > the pharmacy's settings.
    """
    prof, day, req = ctx.profile, ctx.day, ctx.request
    fixed = prof.lookup("first_self_pay", day, sel, fixed_only=True)
    if fixed is not None:
        return fixed.decimal, f"{fixed.source.label}"
    if req.policy.first_self_pay is not None:
        return req.policy.first_self_pay, "本次请求指定"
    if el.self_pay_ratio is not None:
        return el.self_pay_ratio[0], el.self_pay_ratio[1]
    rule = prof.lookup("first_self_pay", day, sel)
    if rule is not None:
        return rule.decimal, rule.source.label
    found = ctx.settings.parameter("first_self_pay", req.insurance, channel)
    if found is not None:
        return Decimal(found[0]), f"本店设置（{_setting_label(found[1])}）"
    return Decimal(0), None


def _fund_ratio(ctx: _EstimateContext, sel: policy.Selectors, channel: str) -> tuple[Decimal, str | None]:
    """The fund ratio: the request > the profile's notice > the pharmacy's settings; (0, None) when none."""
    req = ctx.request
    if req.policy.fund_ratio is not None:
        return req.policy.fund_ratio, "本次请求指定"
    rule = ctx.profile.lookup("fund_ratio", ctx.day, sel)
    if rule is not None:
        return rule.decimal, rule.source.label
    found = ctx.settings.parameter("fund_ratio", req.insurance, channel)
    if found is not None:
        return Decimal(found[0]), f"本店设置（{_setting_label(found[1])}）"
    return Decimal(0), None


def _setting_label(key: str) -> str:
    """A setting's key as staff read it (``fund_ratio:resident`` -> 统筹基金支付比例（城乡居民医保））."""
    from desktop.settings import key_label  # lazy: settings imports the rules' labels

    return key_label(key)
