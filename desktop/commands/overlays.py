"""``yaomu overlays check``: every item of every shipped overlay, with the entries it resolves to or why none."""

from __future__ import annotations

import argparse
import json
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlite_utils import Database


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("overlays", help="地区叠加清单（双通道、两病、过渡期等）")
    osub = p.add_subparsers(dest="overlays_command", metavar="子命令", required=True)
    c = osub.add_parser("check", help="逐项列出随附清单中的药品对应到哪些目录条目，对应不上的说明原因")
    c.add_argument("--json", action="store_true", help="输出 JSON")
    c.set_defaults(func=run_check)


def _d(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


def shipped_overlays(directory: Path | None = None) -> list[dict[str, Any]]:
    """The overlay definitions shipped in resources/overlays/, in file order."""
    from desktop import paths

    directory = directory or paths.resource_path("overlays")
    return [json.loads(p.read_text(encoding="utf-8")) for p in sorted(Path(directory).glob("*.json"))]


def check_overlays(db: Database, definitions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """For each overlay: each item resolved in every installed edition its period overlaps."""
    from desktop.catalogue import matching
    from desktop.storage import catalogue as store
    from desktop.storage import overlays as ov

    editions = store.editions(db, details=False)
    out = []
    for data in definitions:
        o = data["overlay"]
        start, end = _d(o.get("effective_start")), _d(o.get("effective_end"))
        items = []
        for item in data.get("items") or []:
            i_start = _d(item.get("start")) or start
            i_end = _d(item.get("end")) or end
            overlapping = [
                e
                for e in editions
                if (i_end is None or e.effective_start <= i_end)
                and (i_start is None or e.effective_end is None or i_start <= e.effective_end)
            ]
            per_edition = []
            for e in overlapping:
                fragment = matching.core(matching.read_item(item["name"], item.get("dosage_form")))
                rows = ov.entries_named_like(db, e.id, fragment)
                res = matching.resolve(item["name"], item.get("dosage_form"), rows)
                reason = res.reason
                if not res.entries and o["kind"] == ov.TRANSITION:
                    reason = (
                        "续约失败调出目录，该版目录已不收录；过渡期内按名称作为“假设药品”（乙类）估算，"
                        "原支付标准未载入，估算时会提示"
                    )
                per_edition.append(
                    {
                        "edition": e.label,
                        "entries": [
                            {"id": eid, "name": name, "dosage_form": form, "match": m.level, "note": m.note}
                            for eid, name, form, m in res.entries
                        ],
                        "reason": reason,
                    }
                )
            if not overlapping:
                per_edition.append({"edition": None, "entries": [], "reason": "清单有效期内没有已导入的目录版本"})
            items.append(
                {
                    "name": item["name"],
                    "dosage_form": item.get("dosage_form"),
                    "action": item["action"],
                    "resolved": any(p["entries"] for p in per_edition),
                    "editions": per_edition,
                }
            )
        out.append(
            {
                "overlay_id": o["overlay_id"],
                "kind": o["kind"],
                "region": o["region"],
                "title": o["title"],
                "complete": bool(o["complete"]),
                "items": items,
                # A list whose names are not on this machine says so instead of listing nothing.
                "reason": None if items else (o.get("note") or "清单没有任何药品"),
            }
        )
    return out


_ACTIONS = {"add": "调入", "remove": "调出", "set": "设定"}
_MATCH = {"exact": "剂型相同", "name": "按名称", "family": "剂型不同"}


def run_check(args: argparse.Namespace) -> int:
    from desktop.commands import print_json
    from desktop.storage import catalogue as store

    db = store.open_db(args.db)
    try:
        result = check_overlays(db, shipped_overlays())
    finally:
        db.close()
    if args.json:
        print_json(result)
        return 0
    for o in result:
        print(f"【{o['title']}】（{o['overlay_id']}，{'完整' if o['complete'] else '不完整'}）")
        if o["reason"]:
            print(f"  无药品：{o['reason']}")
        for item in o["items"]:
            form = f"（{item['dosage_form']}）" if item["dosage_form"] else ""
            print(f"  {_ACTIONS.get(item['action'], item['action'])} {item['name']}{form}")
            for per in item["editions"]:
                label = per["edition"] or "—"
                if not per["entries"]:
                    print(f"    {label}：未对应 —— {per['reason']}")
                for entry in per["entries"]:
                    how = _MATCH.get(entry["match"], entry["match"])
                    line = f"    {label}：{entry['name']} {entry['dosage_form'] or ''} [{entry['id']}] {how}"
                    print(line + (f" —— {entry['note']}" if entry["note"] else ""))
    return 0
