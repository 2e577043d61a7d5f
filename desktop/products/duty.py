"""The stocking duty of a dual-channel (“双通道”) pharmacy: negotiated and high-value drugs among its items.

Thresholds are those the region's notice states; a region whose thresholds or high-value list
are not loaded gets "unknown", never a guess. Only mappings that answer (exact or confirmed,
not stale) count; a drug (品种) counts once however many items carry it.
"""

from __future__ import annotations

from datetime import date

from sqlite_utils import Database

from desktop.catalogue import records as r
from desktop.catalogue.normalise import match_key
from desktop.storage import catalogue as store
from desktop.storage import products as sp

#: region -> thresholds and where they are stated.
THRESHOLDS = {
    "weihai": {
        "city": 30,
        "county": 20,
        "high_value": 1,
        "source": "威海市医疗保障局关于做好国家谈判药品保障工作的通知（2023-02-28）二（一）",
        "start": "2023-03-01",
    },
}


def stocking_duty(db: Database, day: date, profile: str, *, county: bool = False) -> dict[str, object]:
    from desktop.rules import policy

    region = policy.load(profile).region
    choice = store.edition_on(db, day)
    rule = THRESHOLDS.get(region)
    keys = sp.stocked_entry_keys(db)
    negotiated: list[dict] = []
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
    out: dict[str, object] = {
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
    if rule is None or iso < str(rule["start"]):
        out |= {"status": "unknown", "reason": "本地区未载入“双通道”药店配备要求，无法判断。"}
        return out
    need = int(rule["county" if county else "city"])  # type: ignore[call-overload]
    out |= {"required_negotiated": need, "required_high_value": rule["high_value"], "source": rule["source"]}
    short = max(0, need - len(in_agreement))
    if high_value is None:
        out |= {
            "status": "unknown",
            "missing_negotiated": short,
            "reason": "本地区高值药品名单未载入，高值药品配备情况未知。",
        }
    else:
        hv_short = max(0, int(rule["high_value"]) - len(high_value))  # type: ignore[call-overload]
        out |= {
            "status": "met" if short == 0 and hv_short == 0 else "not_met",
            "missing_negotiated": short,
            "missing_high_value": hv_short,
        }
    return out


def describe(d: dict[str, object]) -> list[str]:
    lines = [f"{d['date']} · {d['region']} · {'县域' if d['area'] == 'county' else '市辖区'}"]
    neg = d["negotiated_in_agreement"]
    lines.append(
        f"协议期内谈判药品：本店 {len(neg)} 种"
        + (f"（要求不少于 {d['required_negotiated']} 种）" if "required_negotiated" in d else "")
    )  # type: ignore[arg-type]
    hv = d["high_value"]
    lines.append("高值药品：名单未载入（未知）" if hv is None else f"高值药品：本店 {len(hv)} 种 {'、'.join(hv)}")  # type: ignore[arg-type]
    label = {"met": "已达到配备要求", "not_met": "未达到配备要求", "unknown": "无法判断"}[str(d["status"])]
    lines.append(f"结论：{label}")
    if d.get("missing_negotiated"):
        lines.append(f"  尚缺谈判药品 {d['missing_negotiated']} 种")
    if d.get("missing_high_value"):
        lines.append(
            f"  尚缺高值药品 {d['missing_high_value']} 种，可选：{'、'.join(d['high_value_not_stocked'][:10])}"
        )  # type: ignore[index]
    if d.get("reason"):
        lines.append(f"  {d['reason']}")
    if d.get("source"):
        lines.append(f"  依据：{d['source']}")
    return lines
