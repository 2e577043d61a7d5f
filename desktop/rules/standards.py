"""Which published payment standard applies to the specification sold (issue 10 items 3, 4, 11).

* A published standard is national: a request cannot replace it (吉林省2024年版目录执行通知 一:
  不得自行调整…支付标准; 协议期内谈判药品和竞价药品执行全国统一的医保支付标准).
* The sold spec is matched to the listed ones by what they say (``specs.spec_key``: 0.5g = 500mg),
  or by the strengths they name; a spec the list does not name is not payable until the NHSA sets
  its standard (湖南省2024年版目录落地执行通知 二（三）: 未载明的规格…国家医保局确定相应支付标准后在全国执行).
* A 竞价 drug priced above its standard is flagged (吉医保联〔2023〕45号 四（二）: 原则上应配备竞价药品同
  通用名下价格不高于支付标准的品种).

Pure functions over records.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal

from desktop.catalogue import derive
from desktop.catalogue import records as r
from desktop.catalogue.specs import spec_key

SPEC_CLAUSE = "湖南省2024年版目录落地执行通知 二（三）"
SPEC_TEXT = "该规格未载明支付标准：目录未载明的规格，须由国家医保局确定支付标准后才能支付，本行按全自费估算。"
NATIONAL_CLAUSE = "吉林省2024年版目录执行通知 一"
BIDDING_CLAUSE = "吉医保联〔2023〕45号 四（二）"

_STRENGTH = re.compile(r"\d+(?:\.\d+)?(?:mg|ml)")
_ACTIVITY = re.compile(r"(\d+(?:\.\d+)?)\s*(mbq|毫居|mci)", re.I)


@dataclass(frozen=True)
class Choice:
    """The standard for the sold spec: ``status`` matched / single / lowest / unlisted / none."""

    status: str
    amount: Decimal | None
    standard: r.PaymentStandard | None
    note: str | None = None


def strengths(spec: str | None) -> Counter[str]:
    """The normalised amounts a specification names ("0.075g×14片" -> {"75mg": 1})."""
    return Counter(_STRENGTH.findall(spec_key(spec)))


def _tiered(std: r.PaymentStandard, spec: str | None) -> Decimal | None:
    m = _ACTIVITY.search(spec or "")
    if not m:
        return None
    value, unit = Decimal(m.group(1)), m.group(2).lower()
    units = value / 37 if unit == "mbq" else value  # 1 毫居 (mCi) = 37 MBq
    return derive.tiered_amount(std, units)


def choose(entry: r.Entry, spec: str | None) -> Choice:
    """The published (non-confidential) standard of ``entry`` for the sold ``spec``."""
    published = [s for s in entry.payment_standards if s.amount is not None or s.tiers]
    if not published:
        return Choice("none", None, None)
    if spec:
        tiered = next((s for s in published if s.tiers), None)
        if tiered is not None:
            amount = _tiered(tiered, spec)
            if amount is not None:
                return Choice("matched", amount, tiered, f"阶梯价格按所售规格“{spec}”计为 {amount} 元")
        key, wanted = spec_key(spec), strengths(spec)
        exact = [s for s in published if s.spec and s.amount and spec_key(s.spec) == key]
        same = exact or [s for s in published if s.spec and s.amount and wanted and _same_strength(wanted, s.spec)]
        if same:
            s = same[0]
            note = None
            if len(same) > 1:
                note = f"所售规格“{spec}”对应多个支付标准，按“{s.text}”计算"
            elif not exact and len(published) > 1:
                note = f"所售规格“{spec}”按目录规格“{s.spec}”的支付标准 {s.amount} 元计算"
            return Choice("matched", Decimal(str(s.amount)), s, note)
        if len(published) == 1 and published[0].amount and (not published[0].spec or not wanted):
            return Choice("single", Decimal(published[0].amount), published[0])
        if not wanted:  # the sold spec names no strength ("1盒"): it cannot be told apart
            return _without_spec(published)
        return Choice("unlisted", None, None, SPEC_TEXT)
    return _without_spec(published)


def _same_strength(wanted: Counter[str], listed: str) -> bool:
    """The sold strengths are the listed ones, or all of them appear in the listed spec
    ("12g×9袋" is "每袋装12g(相当于饮片15.55g)")."""
    have = strengths(listed)
    return bool(have) and (have == wanted or all(have[k] >= n for k, n in wanted.items()))


def _without_spec(published: list[r.PaymentStandard]) -> Choice:
    amounts = [s for s in published if s.amount]
    if len(amounts) == 1:
        return Choice("single", Decimal(str(amounts[0].amount)), amounts[0])
    if not amounts:
        return Choice("unlisted", None, None, SPEC_TEXT)
    lowest = min(amounts, key=lambda s: Decimal(str(s.amount)))
    return Choice("lowest", Decimal(str(lowest.amount)), lowest)


def request_conflict(entry: r.Entry, spec: str | None, requested: Decimal) -> str | None:
    """Why a request's ``payment_standard`` is refused for a drug with a published one (None: it agrees)."""
    if entry.confidential:
        return None  # the value the province sent for a "*" drug: nothing published to contradict
    choice = choose(entry, spec)
    if choice.status == "none":
        return None
    if choice.status in ("matched", "single") and choice.amount == requested:
        return None
    if choice.status == "lowest" and any(s.amount and Decimal(s.amount) == requested for s in entry.payment_standards):
        return None
    published = choice.standard.text if choice.standard and choice.status != "lowest" else entry.payment_standard
    return (
        f"“{entry.name}”的支付标准为国家公布的 {published}，请求中的 {requested} 元与之不同；"
        f"协议期内谈判药品和竞价药品执行全国统一的医保支付标准，不得自行调整（{NATIONAL_CLAUSE}）。"
        "请删除 payment_standard，或指明所售规格（spec）。"
    )
