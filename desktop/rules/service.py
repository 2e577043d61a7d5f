"""The glue between the database and the pure rules: ``check`` one drug, ``estimate`` a basket.

Reads entries, editions and overlays through the catalogue store, the profile through
``policy``, the pharmacy's figures through ``settings``; decides with ``eligibility`` and
computes with ``copay``. This module never shows a confidential payment standard: the
value (from the request or the settings) goes into the arithmetic only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from sqlite_utils import Database

from desktop.catalogue import records as r
from desktop.catalogue.normalise import match_key
from desktop.errors import RequestError
from desktop.rules import copay, eligibility, policy
from desktop.rules.eligibility import Drug, EditionContext, Eligibility, Query
from desktop.settings import Settings
from desktop.storage import catalogue as store
from desktop.storage import overlays as ov

#: Codes the estimate adds to a line's reasons (besides eligibility.REASON_CODES); docs/rules.md lists them.
ESTIMATE_CODES = {
    "not_confirmed": "有需确认的条件尚未确认，本行按全自费估算",
    "unknown_self_pay": "无法判断是否可报销，本行按全自费估算",
    "confidential_standard_missing": "保密支付标准未提供，本行按全自费保守估算",
    "standard_lowest": "该药有多个规格的支付标准且未指明规格，按最低标准估算",
    "pieces_alone_basket": "本次所购中药饮片全部为□饮片，不予支付",
    "resolved_in_force": "条目已换为当日生效目录中的同一药品",
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


def _overlay_keys(db: Database, region: str) -> frozenset[str]:
    """The names (match keys) the region's and the national overlays mention: most drugs need no lookup."""
    rows = db.execute(
        "select distinct i.match_key from overlay_item i join overlay o on o.id = i.overlay_id "
        "where o.region in ('national', ?)",
        [region],
    ).fetchall()
    return frozenset(row[0] for row in rows)


def _facts(
    db: Database, region: str, name: str, form: str | None, section: str | None, keys: frozenset[str] | None = None
) -> list[ov.OverlayFact]:
    out: list[ov.OverlayFact] = []
    seen: set[tuple] = set()
    for alias, alias_form in overlay_names(name, form, section):
        if keys is not None and match_key(alias) not in keys:
            continue
        for fact in ov.facts_for(db, region, alias):
            key = (fact.overlay.overlay_id, fact.item.name, fact.item.dosage_form, fact.item.action, fact.item.start)
            if key in seen or not form_matches(fact.item.dosage_form, alias_form):
                continue
            seen.add(key)
            out.append(fact)
    return out


def _edition_context(choice: store.EditionChoice) -> EditionContext:
    if choice.edition is None:
        return EditionContext(None, False, choice.note)
    return EditionContext(choice.edition.label, choice.exact, choice.note)


def _in_force(db: Database, entry: r.Entry, choice: store.EditionChoice) -> r.Entry | None:
    """The same drug (same key) in the edition that answers the day; the entry itself if it belongs there."""
    if choice.edition is None or entry.edition_id == choice.edition.id:
        return entry
    same = [e for e in store.entries_by_key(db, entry.key) if e.edition_id == choice.edition.id]
    if not same:
        return None
    return next((e for e in same if e.section == entry.section), same[0])


def _validate_query(profile: str, insurance: str, group: str, channel: str, confirmed: frozenset[str]) -> list[str]:
    problems = []
    if profile not in policy.available():
        problems.append(f"地区政策“{profile}”不存在，可选：{'、'.join(policy.available())}。")
    if insurance not in policy.INSURANCES:
        problems.append(f"险种“{insurance}”无法识别，可选：{'、'.join(policy.INSURANCES)}。")
    if group not in policy.GROUPS:
        problems.append(f"人员类别“{group}”无法识别，可选：{'、'.join(policy.GROUPS)}。")
    if channel not in policy.CHANNELS:
        problems.append(f"待遇渠道“{channel}”无法识别，可选：{'、'.join(policy.CHANNELS)}。")
    unknown = sorted(set(confirmed) - set(policy.CONDITIONS))
    if unknown:
        problems.append(f"已确认条件“{'、'.join(unknown)}”无法识别，可选：{'、'.join(policy.CONDITIONS)}。")
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
    entry = store.get_entry(db, entry_id)
    choice = store.edition_on(db, day)
    current = _in_force(db, entry, choice)
    query = Query(day, insurance, group, channel, frozenset(confirmed))
    facts = _facts(db, prof.region, entry.name, entry.dosage_form, entry.section)
    installed = ov.overlays(db, prof.region)
    drug = Drug.from_entry(current) if current else None
    return eligibility.assess(drug, query, prof, _edition_context(choice), facts, installed)


# --- estimate --------------------------------------------------------------------------------


def _decimal(value: object) -> Decimal | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        d = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None
    return d if d.is_finite() else None


def _amount(value: object, what: str, problems: list[str], *, positive: bool = False) -> Decimal | None:
    """Parse a money amount: a number with at most two decimals (problems collected, never raised)."""
    d = _decimal(value)
    if d is None:
        problems.append(f"{what}“{value}”不是数字，请填写金额（如 12.50）。")
        return None
    if d.as_tuple().exponent < -2 and d != d.quantize(copay.FEN):
        problems.append(f"{what}“{value}”超过两位小数，请精确到分（如 12.50）。")
        return None
    if d < 0 or (positive and d == 0):
        problems.append(f"{what}“{value}”必须{'大于' if positive else '不小于'} 0。")
        return None
    return copay.money(d)


def _ratio(value: object, what: str, problems: list[str]) -> Decimal | None:
    d = _decimal(value)
    if d is None or not (0 <= d <= 1):
        problems.append(f"{what}“{value}”应为 0 到 1 之间的小数（如 0.80 表示 80%）。")
        return None
    return d


def _entries(db: Database, ids: list[str]) -> dict[str, r.Entry]:
    """The entries with these ids, in one query (unknown ids are simply absent)."""
    if not ids:
        return {}
    marks = ",".join("?" * len(set(ids)))
    return {
        row["id"]: store.row_to_entry(row)
        for row in db.query(f"{store.ENTRY_SELECT} where e.id in ({marks})", sorted(set(ids)))
    }


@dataclass
class _Line:
    index: int
    item: dict
    requested_id: str | None
    entry: r.Entry | None  # the entry that answers (in force), None for what-if / not in edition
    drug: Drug | None
    what_if: bool
    quantity: int
    unit_price: Decimal
    override_standard: Decimal | None
    spec: str | None
    confirmed: frozenset[str]
    eligibility: Eligibility | None = None


def _parse_item(db: Database, i: int, item: object, problems: list[str], found: dict[str, r.Entry]) -> _Line | None:
    n = f"第 {i} 项"
    if not isinstance(item, dict):
        problems.append(f"{n}格式不对：每一项应为一个对象（含 entry 或 name、unit_price、quantity）。")
        return None
    entry = None
    entry_id = item.get("entry")
    what_if = entry_id in (None, "")
    if not what_if:
        entry = found.get(str(entry_id))
        if entry is None:
            problems.append(f"{n}：目录中没有编号为“{entry_id}”的条目，请先用 yaomu search 查找药品并使用结果中的 id。")
    else:
        if not str(item.get("name") or "").strip():
            problems.append(f"{n}既没有目录条目（entry），也没有药品名称（name），请至少给出其一。")
        if item.get("class") not in (r.CLASS_A, r.CLASS_B):
            problems.append(f"{n}“{item.get('name') or ''}”为假设药品，需给出甲乙类（class：甲 或 乙）。")
    qty = item.get("quantity")
    if isinstance(qty, bool) or not isinstance(qty, int | float | str) or _decimal(qty) is None:
        problems.append(f"{n}的数量“{qty}”不是整数，请填写正整数。")
        quantity = 0
    else:
        dq = _decimal(qty)
        assert dq is not None
        if dq != dq.to_integral_value():
            problems.append(f"{n}的数量“{qty}”不是整数，请填写正整数（按最小包装计）。")
        elif dq <= 0:
            problems.append(f"{n}的数量“{qty}”必须大于 0。")
        quantity = int(dq) if dq == dq.to_integral_value() else 0
    price = _amount(item.get("unit_price"), f"{n}的单价", problems, positive=True)
    override = None
    if item.get("payment_standard") not in (None, ""):
        override = _amount(item.get("payment_standard"), f"{n}的支付标准", problems, positive=True)
    confirmed = item.get("confirmed") or []
    if not isinstance(confirmed, list) or any(c not in policy.CONDITIONS for c in confirmed):
        problems.append(f"{n}的已确认条件（confirmed）应为列表，取值：{'、'.join(policy.CONDITIONS)}。")
        confirmed = [c for c in confirmed if c in policy.CONDITIONS] if isinstance(confirmed, list) else []
    spec = item.get("spec")
    return _Line(
        index=i,
        item=item,
        requested_id=None if what_if else str(entry_id),
        entry=entry,
        drug=None,
        what_if=what_if,
        quantity=quantity,
        unit_price=price or Decimal(0),
        override_standard=override,
        spec=str(spec) if spec not in (None, "") else None,
        confirmed=frozenset(confirmed),
    )


def _parse_day(value: object, problems: list[str]) -> date:
    if value in (None, ""):
        return date.today()
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        problems.append(f"日期“{value}”无效，请使用 YYYY-MM-DD 格式（如 2025-03-01）。")
        return date.today()


def estimate(db: Database, request: dict, settings: Settings | None = None) -> dict:
    """Estimate what the fund pays and what the patient pays for a basket, as of a date.

    Args:
        db: the catalogue database.
        request: the request JSON (see docs/rules.md): date, profile, insurance, patient_group,
            channel, deductible_remaining, cap_remaining, items, policy.
        settings: the pharmacy's settings (profile default, local parameters, confidential
            standards); None = none set.

    Returns:
        The result JSON: amounts as strings with two decimals, lines, assumptions, warnings.

    Raises:
        RequestError: every problem of the request at once; nothing is written anyway.
    """
    settings = settings or Settings()
    problems: list[str] = []
    if not isinstance(request, dict):
        raise RequestError(["请求应为 JSON 对象（含 date、profile、insurance、items 等字段）。"])
    day = _parse_day(request.get("date"), problems)
    profile_id = str(request.get("profile") or settings.profile or "")
    insurance = str(request.get("insurance") or "")
    group = str(request.get("patient_group") or "general")
    channel = str(request.get("channel") or "outpatient")
    if not request.get("insurance"):
        problems.append(f"缺少险种（insurance），可选：{'、'.join(policy.INSURANCES)}。")
        problems.extend(_validate_query(profile_id, "employee", group, channel, frozenset()))
    else:
        problems.extend(_validate_query(profile_id, insurance, group, channel, frozenset()))

    deductible_remaining = None
    if request.get("deductible_remaining") is not None:
        deductible_remaining = _amount(request["deductible_remaining"], "剩余起付线（deductible_remaining）", problems)
    cap_remaining = None
    if request.get("cap_remaining") is not None:
        cap_remaining = _amount(request["cap_remaining"], "年度支付限额余额（cap_remaining）", problems)
    overrides: dict[str, Decimal] = {}
    pol = request.get("policy") or {}
    if not isinstance(pol, dict):
        problems.append('policy 应为对象，如 {"fund_ratio": "0.80"}。')
        pol = {}
    for key, value in pol.items():
        if key not in policy.PARAMETERS:
            problems.append(f"policy 中的参数“{key}”无法识别，可用：{'、'.join(policy.PARAMETERS)}。")
        elif key in ("first_self_pay", "fund_ratio"):
            d = _ratio(value, f"policy.{key}（{policy.PARAMETERS[key]}）", problems)
            if d is not None:
                overrides[key] = d
        else:
            d = _amount(value, f"policy.{key}（{policy.PARAMETERS[key]}）", problems)
            if d is not None:
                overrides[key] = d

    items = request.get("items")
    lines: list[_Line] = []
    if not isinstance(items, list) or not items:
        problems.append("没有药品（items 为空），请至少加入一种药品。")
    else:
        found = _entries(db, [str(it.get("entry")) for it in items if isinstance(it, dict) and it.get("entry")])
        for i, item in enumerate(items, 1):
            line = _parse_item(db, i, item, problems, found)
            if line is not None:
                lines.append(line)
    if problems:
        raise RequestError(problems)

    prof = policy.load(profile_id)
    choice = store.edition_on(db, day)
    edition_ctx = _edition_context(choice)
    installed = ov.overlays(db, prof.region)
    keys = _overlay_keys(db, prof.region)
    warnings: list[str] = []
    assumptions: list[str] = []
    if choice.note:
        warnings.append(choice.note)
    if request.get("date") in (None, ""):
        assumptions.append(f"请求未给出日期，按今天（{day.isoformat()}）计算。")

    for line in lines:
        query = Query(day, insurance, group, channel, line.confirmed)
        if line.what_if:
            name = str(line.item.get("name")).strip()
            form = line.item.get("dosage_form")
            line.drug = Drug(name=name, dosage_form=form, section=None, drug_class=line.item.get("class"))
            facts = _facts(db, prof.region, name, form, None, keys)
            line.eligibility = eligibility.assess(line.drug, query, prof, edition_ctx, facts, installed, what_if=True)
            continue
        assert line.entry is not None
        current = _in_force(db, line.entry, choice)
        if current is not None and current.id != line.entry.id:
            warnings.append(
                f"第 {line.index} 项：条目 {line.entry.id} 属于{line.entry.edition}年版，已按当日生效目录中的同一药品 "
                f"{current.id} 计算。"
            )
        facts = _facts(db, prof.region, line.entry.name, line.entry.dosage_form, line.entry.section, keys)
        line.drug = Drug.from_entry(current) if current else None
        line.entry = current or line.entry
        line.eligibility = eligibility.assess(line.drug, query, prof, edition_ctx, facts, installed)

    # □ pieces: not paid when the pieces of the prescription are all □ (凡例 十六).
    pieces = [ln for ln in lines if ln.drug is not None and ln.drug.section == r.PIECES]
    pieces_alone = bool(pieces) and all(r.FLAG_PIECE_ALONE in ln.drug.flags for ln in pieces if ln.drug)

    inputs: list[copay.LineInput] = []
    line_notes: list[list[dict]] = []
    used_params: dict[str, str] = {}
    missing: list[str] = []
    confidential_used = False
    for line in lines:
        el = line.eligibility
        assert el is not None
        notes: list[dict] = []
        payable = el.verdict == eligibility.COVERED
        if el.verdict == eligibility.CONDITIONAL:
            notes.append(
                _note(
                    "not_confirmed",
                    "尚有条件未确认："
                    + "；".join(c.text for c in el.conditions)
                    + "。确认后请勾选，否则按全自费估算。",
                )
            )
        elif el.verdict == eligibility.UNKNOWN:
            notes.append(_note("unknown_self_pay", "资料不全，无法判断能否报销，本行暂按全自费估算。"))
            warnings.append(
                f"第 {line.index} 项“{_name(line)}”无法判断能否报销："
                + "；".join(
                    x.text
                    for x in el.reasons
                    if x.code in ("dual_channel_unknown", "two_diseases_unknown", "edition_outside", "no_edition")
                )
            )
        if payable and line.drug is not None and line.drug.section == r.PIECES and pieces_alone:
            payable = False
            notes.append(_note("pieces_alone_basket", "本次所购中药饮片全部为□饮片，单独使用不予支付（凡例十六）。"))

        standard, shown, confidential = _standard(line, el, settings, notes, warnings)
        if payable and confidential and standard is None:
            payable = False
            notes.append(
                _note(
                    "confidential_standard_missing",
                    "该药支付标准保密，未提供本省下发的实际支付标准，本行按全自费保守估算。",
                )
            )
            warnings.append(
                f"第 {line.index} 项“{_name(line)}”的支付标准保密且未录入：请在设置中录入本省下发的支付标准"
                "（或在请求中给出 payment_standard）后重新估算。"
            )
        if payable and confidential:
            confidential_used = True

        r_value = ratio = Decimal(0)
        exempt = False
        if payable:
            ctx = {
                "insurance": insurance,
                "group": group,
                "channel": channel,
                "class": el.pay_class,
                "section": line.drug.section if line.drug else None,
                "listed_in": el.listed_in,
            }
            r_value, r_src = _first_self_pay(prof, day, ctx, overrides, el, settings, insurance, channel)
            ratio, f_src = _fund_ratio(prof, day, ctx, overrides, settings, insurance, channel)
            if r_src is None:
                missing.append(
                    f"第 {line.index} 项“{_name(line)}”缺少{policy.PARAMETERS['first_self_pay']}（first_self_pay）："
                    f"{prof.label}的政策文件没有规定，请在设置中填写，或在请求的 policy 中给出。"
                )
            else:
                used_params.setdefault(
                    f"first_self_pay={r_value}", f"{policy.PARAMETERS['first_self_pay']} {_percent(r_value)}：{r_src}"
                )
            if f_src is None:
                missing.append(
                    f"第 {line.index} 项“{_name(line)}”缺少{policy.PARAMETERS['fund_ratio']}（fund_ratio）："
                    f"{prof.label}的政策文件没有规定，请在设置中填写，或在请求的 policy 中给出。"
                )
            else:
                used_params.setdefault(
                    f"fund_ratio={ratio}", f"{policy.PARAMETERS['fund_ratio']} {_percent(ratio)}：{f_src}"
                )
            rule = prof.lookup("deductible", day, ctx)
            if rule is not None and rule.decimal == 0:
                exempt = True
                used_params.setdefault(
                    "deductible_exempt", f"{policy.PARAMETERS['deductible']}：本行不设起付线（{rule.source.label}）"
                )
        inputs.append(copay.LineInput(line.unit_price, line.quantity, payable, r_value, ratio, standard, exempt))
        line_notes.append(notes)
        line.item = {**line.item, "_shown": shown, "_confidential": confidential}
    if missing:
        raise RequestError(missing)

    if deductible_remaining is None and "deductible" in overrides:
        deductible_remaining = overrides["deductible"]
        assumptions.append(f"起付线按请求给出的 {deductible_remaining} 元计算（视为本年度尚未支付）。")
    elif deductible_remaining is None:
        deductible_remaining = Decimal(0)
        assumptions.append("起付线按已付清计算（未提供剩余起付线）。")
    else:
        assumptions.append(f"剩余起付线按 {deductible_remaining} 元计算。")
    if cap_remaining is None and "cap" in overrides:
        cap_remaining = overrides["cap"]
        assumptions.append(f"年度最高支付限额余额按请求给出的 {cap_remaining} 元计算。")
    elif cap_remaining is None:
        assumptions.append("未提供年度最高支付限额余额，按未达限额计算。")
    else:
        assumptions.append(f"年度最高支付限额余额按 {cap_remaining} 元计算。")
    assumptions.extend(used_params.values())
    if confidential_used:
        assumptions.append("保密支付标准已按本省下发的实际值参与计算，按规定不予显示。")
    if any(n["code"] == "confidential_standard_missing" for notes in line_notes for n in notes):
        assumptions.append(
            "支付标准保密且未录入的药品，统筹支付按 0 计、全额计入个人负担（保守估计，实际报销可能更多）。"
        )
    assumptions.append("本结果为预估，实际以医保结算为准。")

    amounts, total = copay.settle(inputs, deductible_remaining, cap_remaining)
    out_lines = []
    for line, amt, notes in zip(lines, amounts, line_notes, strict=True):
        el = line.eligibility
        assert el is not None
        drug = line.drug
        out_lines.append(
            {
                "entry": line.entry.id if line.entry is not None else None,
                "name": _name(line),
                "dosage_form": (drug.dosage_form if drug else None) or line.item.get("dosage_form"),
                "spec": line.spec,
                "quantity": line.quantity,
                "unit_price": str(line.unit_price),
                "class": el.pay_class if drug is None else (drug.drug_class or el.pay_class),
                "section": drug.section if drug else None,
                "flags": list(drug.flags) if drug else [],
                "confidential": bool(line.item["_confidential"]),
                "payment_standard_shown": line.item["_shown"],
                "verdict": el.verdict,
                "verdict_label": el.verdict_label,
                "reasons": [x.to_json() for x in el.reasons] + notes,
                "conditions": [c.to_json() for c in el.conditions],
                "first_self_pay_ratio": str(inputs[line.index - 1].first_self_pay)
                if amt.fund or amt.policy_scope
                else None,
                "fund_ratio": str(inputs[line.index - 1].fund_ratio) if amt.policy_scope else None,
                **amt.to_json(),
            }
        )
    return {
        "date": day.isoformat(),
        "profile": prof.id,
        "profile_label": prof.label,
        "insurance": insurance,
        "insurance_label": policy.INSURANCES[insurance],
        "patient_group": group,
        "patient_group_label": policy.GROUPS[group],
        "channel": channel,
        "channel_label": policy.CHANNELS[channel],
        "edition": edition_ctx.label,
        "edition_note": choice.note,
        **total.to_json(),
        "lines": out_lines,
        "assumptions": assumptions,
        "warnings": warnings,
    }


def _note(code: str, text: str) -> dict:
    return {"code": code, "text": text, "source": None}


def _name(line: _Line) -> str:
    if line.entry is not None:
        return line.entry.name
    return str(line.item.get("name") or "")


def _percent(d: Decimal) -> str:
    return f"{(d * 100).normalize():f}%"


def _standard(
    line: _Line, el: Eligibility, settings: Settings, notes: list[dict], warnings: list[str]
) -> tuple[Decimal | None, str | None, bool]:
    """The payment standard S for the arithmetic, what may be shown of it, and whether it is confidential."""
    entry = line.entry if not line.what_if else None
    confidential = bool(entry and entry.confidential)
    if line.override_standard is not None:
        return line.override_standard, CONFIDENTIAL_SHOWN if confidential else str(line.override_standard), confidential
    if el.transition_standard:
        return Decimal(el.transition_standard), el.transition_standard, False
    if entry is None:
        return None, None, False
    if confidential:
        value = settings.confidential_standards.get(entry.key)
        return (Decimal(value) if value else None), CONFIDENTIAL_SHOWN, True
    amounts = [s for s in entry.payment_standards if s.amount is not None]
    if not amounts:
        return None, entry.payment_standard, False
    if line.spec:
        for s in amounts:
            if s.spec and match_key(s.spec) == match_key(line.spec):
                return Decimal(s.amount or "0"), f"{s.amount}元({s.spec})", False
    if len(amounts) == 1:
        s = amounts[0]
        return Decimal(s.amount or "0"), f"{s.amount}元" + (f"({s.spec})" if s.spec else ""), False
    lowest = min(amounts, key=lambda s: Decimal(s.amount or "0"))
    notes.append(
        _note("standard_lowest", f"该药有多个规格的支付标准，未指明规格（spec），按最低的 {lowest.amount} 元估算。")
    )
    warnings.append(f"第 {line.index} 项“{entry.name}”未指明规格，支付标准按最低规格估算；请在 spec 中填写规格。")
    return Decimal(lowest.amount or "0"), entry.payment_standard, False


def _first_self_pay(
    prof: policy.Profile,
    day: date,
    ctx: dict,
    overrides: dict[str, Decimal],
    el: Eligibility,
    settings: Settings,
    insurance: str,
    channel: str,
) -> tuple[Decimal, str | None]:
    """r and where it comes from; (0, None) when nothing states it."""
    fixed = prof.lookup("first_self_pay", day, ctx, fixed_only=True)
    if fixed is not None:
        return fixed.decimal, f"{fixed.source.label}"
    if "first_self_pay" in overrides:
        return overrides["first_self_pay"], "本次请求指定"
    if el.self_pay_ratio is not None:
        return el.self_pay_ratio[0], el.self_pay_ratio[1]
    rule = prof.lookup("first_self_pay", day, ctx)
    if rule is not None:
        return rule.decimal, rule.source.label
    found = settings.parameter("first_self_pay", insurance, channel)
    if found is not None:
        return Decimal(found[0]), f"本店设置（{found[1]}）"
    return Decimal(0), None


def _fund_ratio(
    prof: policy.Profile,
    day: date,
    ctx: dict,
    overrides: dict[str, Decimal],
    settings: Settings,
    insurance: str,
    channel: str,
) -> tuple[Decimal, str | None]:
    if "fund_ratio" in overrides:
        return overrides["fund_ratio"], "本次请求指定"
    rule = prof.lookup("fund_ratio", day, ctx)
    if rule is not None:
        return rule.decimal, rule.source.label
    found = settings.parameter("fund_ratio", insurance, channel)
    if found is not None:
        return Decimal(found[0]), f"本店设置（{found[1]}）"
    return Decimal(0), None
