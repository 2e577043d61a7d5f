"""The estimate request at the edge: JSON (or any Python value) in, an ``EstimateRequest`` or a refusal out.

``parse_request`` checks everything once and reports every problem together, in Chinese, naming
the field and what to do (``RequestError``); it never raises anything else, whatever the value
(a property test feeds it arbitrary JSON). ``parse_json_bytes`` turns the bytes of a request file
or of stdin into that value with the same promise: non-UTF-8 text, nesting too deep for the
parser, numbers with thousands of digits and oversized files are refusals, not crashes.

Limits (so that no arithmetic step can overflow the 28-digit decimal context, and a basket stays
a basket): amounts up to ``MAX_AMOUNT`` yuan, quantities up to ``MAX_QUANTITY``, at most
``MAX_ITEMS`` lines, texts up to ``MAX_TEXT`` characters, request files up to ``MAX_BYTES``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from desktop.errors import RequestError
from desktop.rules import copay, labels
from desktop.rules.contract import (
    Channel,
    ConditionCode,
    DrugClass,
    EstimateRequest,
    Insurance,
    PatientGroup,
    PolicyOverrides,
    RequestItem,
)

MAX_AMOUNT = Decimal("99999999.99")
MAX_QUANTITY = 99999
MAX_ITEMS = 200
MAX_TEXT = 200
MAX_BYTES = 1 << 20
#: Integers with more digits than this are read as Decimal (and then refused as too large).
_MAX_INT_DIGITS = 30
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")

#: Returns the ids (of those given) that name a catalogue entry.
KnownEntries = Callable[[Sequence[str]], Collection[str]]

_OBJECT_HINT = "请求应为 JSON 对象（含 date、profile、insurance、items 等字段）。"


def parse_json_bytes(data: bytes, name: str = "请求") -> object:
    """The JSON value in ``data`` (UTF-8, a BOM allowed).

    Raises:
        RequestError: too large, not UTF-8, not JSON, or nested too deeply.
    """
    if len(data) > MAX_BYTES:
        raise RequestError([f"{name}过大（{len(data)} 字节，最多 {MAX_BYTES} 字节），请检查是否选错了文件。"])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise RequestError(
            [f"{name}不是 UTF-8 编码的文本（第 {err.start + 1} 个字节无法识别），请用 UTF-8 保存后重试。"]
        ) from None
    try:
        return json.loads(text, parse_int=_int, parse_constant=_constant)
    except json.JSONDecodeError as err:
        raise RequestError(  # never Python's English ("Expecting value")
            [f"{name}不是有效的 JSON（第 {err.lineno} 行第 {err.colno} 列）：请检查括号、引号和逗号。"]
        ) from None
    except RecursionError:
        raise RequestError([f"{name}的 JSON 嵌套层数过多，请检查文件内容（请求只需两三层）。"]) from None
    except ValueError:  # defensive: any other value the decoder refuses
        raise RequestError([f"{name}不是有效的 JSON：请检查文件内容。"]) from None


def _int(text: str) -> int | Decimal:
    # Python refuses int("...") beyond 4300 digits (and the message would then fail): keep it a Decimal.
    return int(text) if len(text) <= _MAX_INT_DIGITS else Decimal(text)


def _constant(text: str) -> str:
    return text  # NaN / Infinity / -Infinity: kept as the word, refused later as "not a number"


def parse_request(
    data: object, *, default_profile: str | None = None, known_entries: KnownEntries | None = None
) -> EstimateRequest:
    """Check an estimate request (the JSON of docs/rules.md) and build the typed request.

    Args:
        data: the decoded JSON value (anything: it is checked).
        default_profile: the profile when the request names none (the pharmacy's setting).
        known_entries: which of the requested entry ids exist (the catalogue); None skips the check.

    Raises:
        RequestError: every problem of the request at once.
    """
    if not isinstance(data, Mapping):
        raise RequestError([_OBJECT_HINT])
    p = _Problems()
    day, day_given = _day(data.get("date"), p)
    profile = _word(data.get("profile")) or default_profile or ""
    insurance, group, channel = _vocabularies(data, profile, p)
    deductible = cap = None
    if data.get("deductible_remaining") is not None:
        deductible = _amount(data["deductible_remaining"], "剩余起付线（deductible_remaining）", p)
    if data.get("cap_remaining") is not None:
        cap = _amount(data["cap_remaining"], "年度支付限额余额（cap_remaining）", p)
    overrides = _policy(data.get("policy"), p)
    items = _items(data.get("items"), p, known_entries)
    if p.found or insurance is None or group is None or channel is None:
        raise RequestError(p.found)
    return EstimateRequest(
        day=day,
        profile=profile,
        insurance=insurance,
        patient_group=group,
        channel=channel,
        deductible_remaining=deductible,
        cap_remaining=cap,
        items=tuple(items),
        policy=overrides,
        day_given=day_given,
    )


class _Problems:
    def __init__(self) -> None:
        self.found: list[str] = []

    def add(self, text: str) -> None:
        self.found.append(text)


def _show(value: object) -> str:
    """A value as a message may quote it: short, never a container dump, never failing."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Mapping):
        return "（对象）"
    if isinstance(value, list | tuple):
        return "（列表）"
    if isinstance(value, int) and value.bit_length() > 100:
        return "（位数过多的数字）"
    try:
        text = str(value)
    except (ValueError, RecursionError):
        return "（无法显示的值）"
    text = _CONTROL.sub("?", text)
    return text if len(text) <= 40 else text[:40] + "…"


def _word(value: object) -> str:
    """A code field (profile, insurance ...): its text, '' when absent or empty."""
    if not value:
        return ""
    return value if isinstance(value, str) else _show(value)


def _day(value: object, p: _Problems) -> tuple[date, bool]:
    if value in (None, ""):
        return date.today(), False
    if isinstance(value, str | int) and not isinstance(value, bool):
        try:
            return date.fromisoformat(str(value)), True
        except ValueError:
            pass
    p.add(f"日期“{_show(value)}”无效，请使用 YYYY-MM-DD 格式（如 2025-03-01）。")
    return date.today(), True


def _vocabularies(
    data: Mapping[str, Any], profile: str, p: _Problems
) -> tuple[Insurance | None, PatientGroup | None, Channel | None]:
    from desktop.rules import policy  # lazy: lists the shipped profile files

    raw_insurance = _word(data.get("insurance"))
    if not raw_insurance:
        p.add(f"缺少险种（insurance），可选：{'、'.join(labels.INSURANCES)}。")
    if profile not in policy.available():
        p.add(f"地区政策“{profile}”不存在，可选：{'、'.join(policy.available())}。")
    insurance = Insurance(raw_insurance) if raw_insurance in labels.INSURANCES else None
    if raw_insurance and insurance is None:
        p.add(f"险种“{raw_insurance}”无法识别，可选：{'、'.join(labels.INSURANCES)}。")
    raw_group = _word(data.get("patient_group")) or "general"
    group = PatientGroup(raw_group) if raw_group in labels.GROUPS else None
    if group is None:
        p.add(f"人员类别“{raw_group}”无法识别，可选：{'、'.join(labels.GROUPS)}。")
    raw_channel = _word(data.get("channel")) or "outpatient"
    channel = Channel(raw_channel) if raw_channel in labels.CHANNELS else None
    if channel is None:
        p.add(f"待遇渠道“{raw_channel}”无法识别，可选：{'、'.join(labels.CHANNELS)}。")
    return insurance, group, channel


def decimal_value(value: object) -> Decimal | None:
    """A finite number given as a JSON number or a string; None for anything else."""
    if type(value) is str:  # the usual case, first (none of the refusals below concerns a str)
        try:
            d = Decimal(value.strip())
        except (InvalidOperation, ValueError):
            return None
        return d if d.is_finite() else None
    if type(value) is int and value.bit_length() <= 100:
        return Decimal(value)  # what Decimal(str(value)) gives, without the text
    if isinstance(value, bool) or value is None or isinstance(value, Mapping | list | tuple):
        return None
    if isinstance(value, int) and value.bit_length() > 100:
        return Decimal(10) ** 40  # far beyond every limit; str() of a huge int may itself fail
    try:
        d = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None
    return d if d.is_finite() else None


def _amount(value: object, what: str, p: _Problems, *, positive: bool = False) -> Decimal | None:
    """A money amount: a number with at most two decimals, within ``MAX_AMOUNT``."""
    d = decimal_value(value)
    if d is None:
        p.add(f"{what}“{_show(value)}”不是数字，请填写金额（如 12.50）。")
        return None
    if abs(d) > MAX_AMOUNT:
        p.add(f"{what}“{_show(value)}”过大，金额最多 {MAX_AMOUNT} 元，请核对。")
        return None
    if d.as_tuple().exponent < -2 and d != d.quantize(copay.FEN):  # type: ignore[operator]
        p.add(f"{what}“{_show(value)}”超过两位小数，请精确到分（如 12.50）。")
        return None
    if d < 0 or (positive and d == 0):
        p.add(f"{what}“{_show(value)}”必须{'大于' if positive else '不小于'} 0。")
        return None
    return copay.money(d)


def _ratio(value: object, what: str, p: _Problems) -> Decimal | None:
    d = decimal_value(value)
    if d is None or not (0 <= d <= 1):
        p.add(f"{what}“{_show(value)}”应为 0 到 1 之间的小数（如 0.80 表示 80%）。")
        return None
    return d


def _policy(value: object, p: _Problems) -> PolicyOverrides:
    pol = value or {}
    if not isinstance(pol, Mapping):
        p.add('policy 应为对象，如 {"fund_ratio": "0.80"}。')
        return PolicyOverrides()
    found: dict[str, Decimal] = {}
    for key, raw in pol.items():
        name = labels.PARAMETERS.get(key) if isinstance(key, str) else None
        if name is None:
            p.add(f"policy 中的参数“{_show(key)}”无法识别，可用：{'、'.join(labels.PARAMETERS)}。")
            continue
        what = f"policy.{key}（{name}）"
        d = _ratio(raw, what, p) if key in ("first_self_pay", "fund_ratio") else _amount(raw, what, p)
        if d is not None:
            found[key] = d
    return PolicyOverrides(**found)


def _items(value: object, p: _Problems, known_entries: KnownEntries | None) -> list[RequestItem]:
    if not isinstance(value, list) or not value:
        p.add("没有药品（items 为空），请至少加入一种药品。")
        return []
    if len(value) > MAX_ITEMS:
        p.add(f"药品过多（{len(value)} 项），一次最多估算 {MAX_ITEMS} 项，请分单估算。")
        return []
    ids = sorted({e for it in value if isinstance(it, Mapping) and isinstance(e := it.get("entry"), str) and e})
    known = set(known_entries(ids)) if known_entries is not None and ids else set(ids)
    out = []
    for i, item in enumerate(value, 1):
        parsed = _item(i, item, p, known)
        if parsed is not None:
            out.append(parsed)
    return out


def _text_field(item: Mapping[str, Any], key: str, what: str, p: _Problems) -> str | None:
    """An optional text field of an item: a string (a number is taken as its text), short, no control characters."""
    value = item.get(key)
    if value is None or value == "":
        return None
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        value = _show(value)
    if not isinstance(value, str):
        p.add(f"{what}应为文字，请填写字符串。")
        return None
    if len(value) > MAX_TEXT or _CONTROL.search(value):
        p.add(f"{what}无效：最多 {MAX_TEXT} 个字，且不能包含控制字符。")
        return None
    return value


def _item(i: int, item: object, p: _Problems, known: set[str]) -> RequestItem | None:
    """One basket line; a new item field is checked here and carried on ``RequestItem``."""
    n = f"第 {i} 项"
    if not isinstance(item, Mapping):
        p.add(f"{n}格式不对：每一项应为一个对象（含 entry 或 name、unit_price、quantity）。")
        return None
    entry_id = item.get("entry")
    what_if = entry_id in (None, "")
    name = drug_class = None
    if not what_if:
        if not isinstance(entry_id, str):
            p.add(f"{n}的目录条目编号（entry）“{_show(entry_id)}”应为字符串，请使用 yaomu search 结果中的 id。")
        elif entry_id not in known:
            p.add(f"{n}：目录中没有编号为“{_show(entry_id)}”的条目，请先用 yaomu search 查找药品并使用结果中的 id。")
    else:
        name = _text_field(item, "name", f"{n}的药品名称（name）", p)
        if name is None or not name.strip():
            if item.get("name") in (None, "") or isinstance(item.get("name"), str):
                p.add(f"{n}既没有目录条目（entry），也没有药品名称（name），请至少给出其一。")
        raw_class = item.get("class")
        drug_class = DrugClass(raw_class) if raw_class in ("甲", "乙") else None
        if drug_class is None:
            p.add(f"{n}“{_show(name or '')}”为假设药品，需给出甲乙类（class：甲 或 乙）。")
    form = _text_field(item, "dosage_form", f"{n}的剂型（dosage_form）", p)
    quantity = _quantity(n, item.get("quantity"), p)
    price = _amount(item.get("unit_price"), f"{n}的单价", p, positive=True)
    override = None
    if item.get("payment_standard") not in (None, ""):
        override = _amount(item.get("payment_standard"), f"{n}的支付标准", p, positive=True)
    confirmed = _confirmed(n, item.get("confirmed"), p)
    spec = _text_field(item, "spec", f"{n}的规格（spec）", p)
    trace_codes = _trace_codes(n, item.get("trace_codes"), quantity, p)
    return RequestItem(
        quantity=quantity,
        unit_price=price or Decimal(0),
        entry=None if what_if else (entry_id if isinstance(entry_id, str) else _show(entry_id)),
        name=name.strip() if name else None,
        drug_class=drug_class,
        dosage_form=form,
        payment_standard=override,
        spec=spec,
        confirmed=confirmed,
        trace_codes=trace_codes,
    )


def _trace_codes(n: str, value: object, quantity: int, p: _Problems) -> tuple[str, ...]:
    """药品追溯码 of a line: 20 digits each, no more than the quantity (拆零: one pack's code covers its units)."""
    if value is None or value == []:
        return ()
    if not isinstance(value, list):
        p.add(f'{n}的追溯码（trace_codes）应为列表，如 ["81234560000000000001"]。')
        return ()
    out: list[str] = []
    for code in value:
        text = code.replace(" ", "") if isinstance(code, str) else None
        if text is None or len(text) != 20 or not text.isdigit():
            p.add(f"{n}的追溯码“{_show(code)}”无效：药品追溯码为 20 位数字。")
        elif text in out:
            p.add(f"{n}：追溯码 {text} 出现了两次；同一盒药不能销售两次，请重新扫描。")
        else:
            out.append(text)
    if quantity and len(out) > quantity:
        p.add(f"{n}给出了 {len(out)} 个追溯码，多于数量 {quantity}：每个追溯码对应一盒（一个包装）。")
    return tuple(out)


def _quantity(n: str, value: object, p: _Problems) -> int:
    d = decimal_value(value) if isinstance(value, int | float | str | Decimal) else None
    if d is None:
        p.add(f"{n}的数量“{_show(value)}”不是整数，请填写正整数。")
        return 0
    if abs(d) > MAX_QUANTITY:
        p.add(f"{n}的数量“{_show(value)}”过大，最多 {MAX_QUANTITY}，请按最小包装核对。")
        return 0
    if d != d.to_integral_value():
        p.add(f"{n}的数量“{_show(value)}”不是整数，请填写正整数（按最小包装计）。")
        return 0
    if d <= 0:
        p.add(f"{n}的数量“{_show(value)}”必须大于 0。")
    return int(d)


def _confirmed(n: str, value: object, p: _Problems) -> frozenset[ConditionCode]:
    given = value or []
    if not isinstance(given, list):
        given, ok = [], False
    else:
        ok = all(isinstance(c, str) and c in labels.CONDITIONS for c in given)
    if not ok:
        p.add(f"{n}的已确认条件（confirmed）应为列表，取值：{'、'.join(labels.CONDITIONS)}。")
    return frozenset(
        _CONDITION_CODES.get(c) or ConditionCode(c) for c in given if isinstance(c, str) and c in labels.CONDITIONS
    )


#: The members by value (a dict lookup instead of the enum's call, once per confirmed condition of every line).
_CONDITION_CODES = {c.value: c for c in ConditionCode}
