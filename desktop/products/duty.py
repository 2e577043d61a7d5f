"""The stocking duty of a dual-channel (“双通道”) pharmacy: negotiated and high-value drugs among its items.

Thresholds are those the region's notice states; a region whose thresholds or high-value list
are not loaded gets "unknown", never a guess. Only mappings that answer (exact or confirmed,
not stale) count; a drug (品种) counts once however many items carry it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Required, TypedDict

from sqlite_utils import Database

from desktop.catalogue import records as r
from desktop.catalogue.normalise import match_key
from desktop.storage import catalogue as store
from desktop.storage import products as sp


@dataclass(frozen=True)
class Thresholds:
    """A region's stocking requirements for a dual-channel pharmacy, as its notice states them."""

    city: int
    county: int
    high_value: int
    source: str
    start: str


#: region -> thresholds and where they are stated.
THRESHOLDS = {
    "weihai": Thresholds(
        city=30,
        county=20,
        high_value=1,
        source="威海市医疗保障局关于做好国家谈判药品保障工作的通知（2023-02-28）二（一）",
        start="2023-03-01",
    ),
}


class DutyFacts(TypedDict):
    """What ``stocking_duty`` finds whatever the region states."""

    date: str
    profile: str
    region: str
    area: str
    items_counted: int
    negotiated_in_agreement: list[str]
    #: None: the region's high-value list is not loaded.
    high_value: list[str] | None
    high_value_not_stocked: list[str]
    high_value_list_complete: bool


class DutyVerdict(TypedDict, total=False):
    """What the region's requirements make of the facts; which keys are present depends on the status."""

    required_negotiated: int
    required_high_value: int
    source: str
    #: "met", "not_met" or "unknown".
    status: Required[str]
    missing_negotiated: int
    missing_high_value: int
    reason: str


class Duty(DutyFacts, DutyVerdict):
    """The answer of ``stocking_duty`` (``yaomu items duty --json``): the facts, then the verdict."""


def stocking_duty(db: Database, day: date, profile: str, *, county: bool = False) -> Duty:
    from desktop.rules import policy

    region = policy.load(profile).region
    choice = store.edition_on(db, day)
    rule = THRESHOLDS.get(region)
    keys = sp.stocked_entry_keys(db)
    negotiated: list[dict[str, Any]] = []
    if choice.edition is not None and keys:
        negotiated = sp.entries_by_keys(db, choice.edition.id, keys, (r.NEGOTIATED, r.BIDDING))
    iso = day.isoformat()
    in_agreement = sorted(
        {
            e["name"]
            for e in negotiated
            if (e["agreement_start"] or "") <= iso and (not e["agreement_end"] or e["agreement_end"] >= iso)
        }
    )
    hv = sp.high_value_lists(db, region, iso)
    high_value: list[str] | None = None
    hv_missing: list[str] = []
    if hv:
        names = sp.added_overlay_names(db, [h[0] for h in hv])
        stocked = {match_key(e["name"]) for e in negotiated}
        if keys and choice.edition is not None:
            stocked |= {match_key(e["name"]) for e in sp.entries_by_keys(db, choice.edition.id, keys)}
        high_value = sorted(n for mk, n in names.items() if mk in stocked)
        hv_missing = sorted(n for mk, n in names.items() if mk not in stocked)
    facts: DutyFacts = {
        "date": iso,
        "profile": profile,
        "region": region,
        "area": "county" if county else "city",
        "items_counted": len(keys),
        "negotiated_in_agreement": in_agreement,
        "high_value": high_value,
        "high_value_not_stocked": hv_missing,
        "high_value_list_complete": bool(hv) and all(h[1] for h in hv),
    }
    verdict: DutyVerdict
    if rule is None or iso < rule.start:
        verdict = {"status": "unknown", "reason": "本地区未载入“双通道”药店配备要求，无法判断。"}
        return {**facts, **verdict}
    need = rule.county if county else rule.city
    short = max(0, need - len(in_agreement))
    if high_value is None:
        verdict = {
            "required_negotiated": need,
            "required_high_value": rule.high_value,
            "source": rule.source,
            "status": "unknown",
            "missing_negotiated": short,
            "reason": "本地区高值药品名单未载入，高值药品配备情况未知。",
        }
    else:
        hv_short = max(0, rule.high_value - len(high_value))
        verdict = {
            "required_negotiated": need,
            "required_high_value": rule.high_value,
            "source": rule.source,
            "status": "met" if short == 0 and hv_short == 0 else "not_met",
            "missing_negotiated": short,
            "missing_high_value": hv_short,
        }
    return {**facts, **verdict}


def describe(d: Duty) -> list[str]:
    lines = [f"{d['date']} · {d['region']} · {'县域' if d['area'] == 'county' else '市辖区'}"]
    neg = d["negotiated_in_agreement"]
    lines.append(
        f"协议期内谈判药品：本店 {len(neg)} 种"
        + (f"（要求不少于 {d['required_negotiated']} 种）" if "required_negotiated" in d else "")
    )
    hv = d["high_value"]
    lines.append("高值药品：名单未载入（未知）" if hv is None else f"高值药品：本店 {len(hv)} 种 {'、'.join(hv)}")
    label = {"met": "已达到配备要求", "not_met": "未达到配备要求", "unknown": "无法判断"}[d["status"]]
    lines.append(f"结论：{label}")
    if d.get("missing_negotiated"):
        lines.append(f"  尚缺谈判药品 {d['missing_negotiated']} 种")
    if d.get("missing_high_value"):
        lines.append(
            f"  尚缺高值药品 {d['missing_high_value']} 种，可选：{'、'.join(d['high_value_not_stocked'][:10])}"
        )
    if d.get("reason"):
        lines.append(f"  {d['reason']}")
    if d.get("source"):
        lines.append(f"  依据：{d['source']}")
    return lines
