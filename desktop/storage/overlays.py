"""Lists laid over an edition (dual-channel, two-disease, transitions, ...): records and SQL.

An overlay names drugs the way its notice does; it matches catalogue entries by
``normalise.match_key`` of the generic name (and dosage form when the notice gives one).
An overlay is ``complete`` only when it carries the whole list it stands for; a partial
overlay (only the drugs a notice happens to name) can say "listed" but never "not listed".
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from desktop.catalogue.normalise import match_key
from desktop.storage import last_pk, memo

if TYPE_CHECKING:  # importing storage must not import sqlite-utils (yaomu search starts without it)
    from sqlite_utils import Database

    from desktop.storage.catalogue import Connection

# Overlay kinds.
DUAL_CHANNEL = "dual_channel"  # 双通道药品
TWO_DISEASES = "two_diseases"  # 两病用药
TRANSITION = "transition"  # 谈判药品续约失败后的过渡期
SINGLE_PAYMENT = "single_payment"  # 单行支付药品
HIGH_VALUE = "high_value"  # 高值药品（"三定"管理）
CRITICAL_ILLNESS = "critical_illness"  # 大病保险药品
SELF_PAY_RATIO = "self_pay_ratio"  # 乙类先行自付比例（按药品）
CENTRALIZED = "centralized_procurement"  # 国家集中带量采购中选药品
KINDS = (
    DUAL_CHANNEL,
    TWO_DISEASES,
    TRANSITION,
    SINGLE_PAYMENT,
    HIGH_VALUE,
    CRITICAL_ILLNESS,
    SELF_PAY_RATIO,
    CENTRALIZED,
)

KIND_LABELS = {
    DUAL_CHANNEL: "双通道药品",
    TWO_DISEASES: "两病用药",
    TRANSITION: "谈判药品过渡期",
    SINGLE_PAYMENT: "单行支付药品",
    HIGH_VALUE: "高值药品",
    CRITICAL_ILLNESS: "大病保险药品",
    SELF_PAY_RATIO: "乙类先行自付比例",
    CENTRALIZED: "国家集采中选药品",
}


@dataclass(frozen=True)
class OverlayInfo:
    overlay_id: str
    kind: str
    region: str  # 'national', 'jilin', 'hunan', 'weihai'
    title: str
    complete: bool
    document: str | None = None
    published: date | None = None
    effective_start: date | None = None
    effective_end: date | None = None
    note: str | None = None  # why partial / what is missing


@dataclass(frozen=True)
class OverlayItem:
    name: str
    action: str  # 'add', 'remove', 'set'
    dosage_form: str | None = None
    attrs: dict[str, str] = field(default_factory=dict[str, Any])
    start: date | None = None
    end: date | None = None
    source: str | None = None

    def active_on(self, day: date) -> bool:
        return (self.start is None or self.start <= day) and (self.end is None or day <= self.end)


@dataclass(frozen=True)
class OverlayFact:
    """One overlay item that concerns an entry, with the overlay it comes from.

    ``match_note`` says how the notice's name was matched when it is not plain (the notice's
    dosage form differs from the catalogue's, 凡例 七/八); None for an exact match.
    """

    overlay: OverlayInfo
    item: OverlayItem
    match_note: str | None = None


def _iso(d: date | None) -> str | None:
    return d.isoformat() if d else None


def _date(s: str | None) -> date | None:
    return date.fromisoformat(s) if s else None


@dataclass(frozen=True)
class InstalledOverlay:
    """An overlay as installed: its list, the package it came from and when it was loaded."""

    info: OverlayInfo
    items: tuple[OverlayItem, ...]
    package_id: str | None
    loaded_at: str


def store_overlay(
    db: Database,
    info: OverlayInfo,
    items: list[OverlayItem],
    *,
    package_id: str | None = None,
    loaded_at: str | None = None,
) -> int:
    """Install an overlay, replacing one with the same id (inside the caller's transaction)."""
    with db.atomic():
        db.execute("delete from overlay where overlay_id = ?", [info.overlay_id])
        pk = last_pk(
            db.table("overlay").insert(
                {
                    "overlay_id": info.overlay_id,
                    "kind": info.kind,
                    "region": info.region,
                    "title": info.title,
                    "document": info.document,
                    "published": _iso(info.published),
                    "effective_start": _iso(info.effective_start),
                    "effective_end": _iso(info.effective_end),
                    "complete": int(info.complete),
                    "note": info.note,
                    "package_id": package_id,
                    "loaded_at": loaded_at or datetime.now().isoformat(timespec="seconds"),
                }
            )
        )
        db.table("overlay_item").insert_all(
            {
                "overlay_id": pk,
                "name": it.name,
                "dosage_form": it.dosage_form,
                "match_key": match_key(it.name),
                "action": it.action,
                "attrs": json.dumps(it.attrs, ensure_ascii=False),
                "start": _iso(it.start),
                "end": _iso(it.end),
                "source": it.source,
            }
            for it in items
        )
    return pk


def _info(row: dict[str, Any]) -> OverlayInfo:
    return OverlayInfo(
        overlay_id=row["overlay_id"],
        kind=row["kind"],
        region=row["region"],
        title=row["title"],
        complete=bool(row["complete"]),
        document=row["document"],
        published=_date(row["published"]),
        effective_start=_date(row["effective_start"]),
        effective_end=_date(row["effective_end"]),
        note=row["note"],
    )


def delete_overlay(db: Database, overlay_id: str) -> None:
    """Remove an overlay and its items (inside the caller's transaction)."""
    db.execute("delete from overlay where overlay_id = ?", [overlay_id])


def _item(row: dict[str, Any]) -> OverlayItem:
    return OverlayItem(
        name=row["name"],
        action=row["action"],
        dosage_form=row["dosage_form"],
        attrs=json.loads(row["attrs"]),
        start=_date(row["start"]),
        end=_date(row["end"]),
        source=row["source"],
    )


def installed(db: Database, overlay_id: str) -> InstalledOverlay | None:
    """The installed overlay with this id and its items in list order, if any."""
    head = next(iter(db.query("select * from overlay where overlay_id = ?", [overlay_id])), None)
    if head is None:
        return None
    items = db.query("select * from overlay_item where overlay_id = ? order by id", [head["id"]])
    return InstalledOverlay(_info(head), tuple(_item(row) for row in items), head["package_id"], head["loaded_at"])


def match_keys(db: Database, region: str) -> frozenset[str]:
    """The names (match keys) the region's and the national overlays mention."""
    rows = db.execute(
        "select distinct i.match_key from overlay_item i join overlay o on o.id = i.overlay_id "
        "where o.region in ('national', ?)",
        [region],
    ).fetchall()
    return frozenset(row[0] for row in rows)


def items_by_key(db: Database, kind: str) -> dict[str, list[OverlayItem]]:
    """Every item of the installed overlays of ``kind``, by match key (any region)."""
    out: dict[str, list[OverlayItem]] = {}
    for row in db.query(
        "select i.* from overlay_item i join overlay o on o.id = i.overlay_id where o.kind = ? order by i.id", [kind]
    ):
        out.setdefault(row["match_key"], []).append(_item(row))
    return out


@dataclass(frozen=True)
class Transition:
    """A drug dropped from the list but still paid until ``end`` (a transition overlay's ``add`` item).

    It has no catalogue entry: ``rules.service.check`` takes its ``name``, and an estimate line names it
    (``{"name": ...}``; the class is the overlay's, ``drug_class``).
    """

    name: str
    end: date | None
    title: str
    start: date | None = None
    drug_class: str = "乙"
    section: str | None = None

    def in_force(self, day: date) -> bool:
        return (self.start is None or self.start <= day) and (self.end is None or day <= self.end)


def transition_drugs(db: Connection) -> list[Transition]:
    """Every transition-period drug installed (any region, any day; the overlays list a handful), by name."""
    found: dict[str, Transition] = {}
    for row in db.query(
        "select i.name, i.start, i.end, i.attrs, o.title from overlay_item i join overlay o on o.id = i.overlay_id "
        "where o.kind = 'transition' and i.action = 'add' order by o.id, i.id"
    ):
        attrs = _attrs(row["attrs"])
        cls = attrs.get("class")
        found[row["name"]] = Transition(  # a later overlay naming the drug again replaces the earlier one
            row["name"],
            _date(row["end"]),
            row["title"],
            start=_date(row["start"]),
            drug_class=cls if cls in ("甲", "乙") else "乙",
            section=attrs.get("section") if isinstance(attrs.get("section"), str) else None,
        )
    return sorted(found.values(), key=lambda t: t.name)


def _attrs(text: str | None) -> dict[str, Any]:
    """An item's attrs JSON (some rows hold it encoded twice); {} when unreadable."""
    try:
        attrs = json.loads(text or "{}")
        attrs = json.loads(attrs) if isinstance(attrs, str) else attrs
    except ValueError:
        return {}
    return attrs if isinstance(attrs, dict) else {}


def transitions_naming(db: Connection, text: str, day: date) -> list[Transition]:
    """Transition-period items in force on ``day`` whose name contains ``text``."""
    return [
        Transition(row["name"], _date(row["end"]), row["title"])
        for row in db.query(
            "select i.name, i.end, o.title from overlay_item i join overlay o on o.id = i.overlay_id "
            "where o.kind = 'transition' and i.action = 'add' and instr(i.name, ?) > 0 "
            "and (i.start is null or i.start <= ?) and (i.end is null or i.end >= ?)",
            [text, day.isoformat(), day.isoformat()],
        )
    ]


def transition_class(db: Connection, name: str) -> str | None:
    """The class (甲/乙) of a transition item named exactly ``name``, any day; None when no item names it.

    Negotiated drugs are paid as 乙类 (凡例 (五)), so an item without a typed class is 乙.
    """
    return memo.cached(db, "transition_class", name, lambda: _read_transition_class(db, name))


def _read_transition_class(db: Connection, name: str) -> str | None:
    rows = list(
        db.query(
            "select i.attrs from overlay_item i join overlay o on o.id = i.overlay_id "
            "where o.kind = 'transition' and i.action = 'add' and i.name = ?",
            [name],
        )
    )
    if not rows:
        return None
    value = _attrs(rows[-1]["attrs"]).get("class")
    return value if value in ("甲", "乙") else "乙"


def overlays(db: Database, region: str | None = None) -> list[OverlayInfo]:
    """Installed overlays of a region and the national ones (all overlays when region is None);
    read once per generation of the connection (``storage.memo``)."""
    return list(memo.cached(db, "overlays", region, lambda: tuple(_read_overlays(db, region))))


def _read_overlays(db: Database, region: str | None) -> list[OverlayInfo]:
    if region is None:
        rows = db.query("select * from overlay order by region, kind, overlay_id")
    else:
        rows = db.query(
            "select * from overlay where region in ('national', ?) order by region, kind, overlay_id", [region]
        )
    return [_info(row) for row in rows]


#: An overlay with one of its items; item columns renamed where they clash with the overlay's.
_FACT_SELECT = (
    "select o.*, i.name as item_name, i.dosage_form as item_form, i.action, i.attrs, i.start, i.end, "
    "i.source as item_source from overlay_item i join overlay o on o.id = i.overlay_id"
)


def _fact(row: dict[str, Any]) -> OverlayFact:
    item = {**row, "name": row["item_name"], "dosage_form": row["item_form"], "source": row["item_source"]}
    return OverlayFact(_info(row), _item(item))


def facts_for(db: Database, region: str, name: str, dosage_form: str | None = None) -> list[OverlayFact]:
    """Overlay items of the region (and national ones) that name this drug.

    An item without a dosage form matches every form of the name; one with a form matches
    only that form (match_key comparison). The caller decides by date (``item.active_on``).
    """
    key = match_key(name)
    form_key = match_key(dosage_form)
    out = []
    for row in db.query(
        f"{_FACT_SELECT} where i.match_key = ? and o.region in ('national', ?) order by o.id, i.id",
        [key, region],
    ):
        if row["item_form"] and form_key and match_key(row["item_form"]) != form_key:
            continue
        out.append(_fact(row))
    return out


def region_facts(db: Database, region: str | None) -> list[OverlayFact]:
    """Every overlay item of the region and the national overlays (a few dozen rows), in install order;
    of every region when ``region`` is None. Read once per generation of the connection."""
    return list(memo.cached(db, "region_facts", region, lambda: tuple(_read_region_facts(db, region))))


def _read_region_facts(db: Database, region: str | None) -> list[OverlayFact]:
    where, params = ("where o.region in ('national', ?) ", [region]) if region is not None else ("", [])
    return [_fact(row) for row in db.query(f"{_FACT_SELECT} {where}order by o.id, i.id", params)]


def entries_named_like(db: Database, edition_id: int, fragment: str) -> list[tuple[str, str, str | None, str]]:
    """(id, name, dosage form, section) of the edition's entries whose name contains ``fragment``
    (a scan of the edition's names: read once per generation of the connection)."""
    rows = memo.cached(db, "named_like", (edition_id, fragment), lambda: tuple(_named_like(db, edition_id, fragment)))
    return list(rows)


def _named_like(db: Database, edition_id: int, fragment: str) -> list[tuple[str, str, str | None, str]]:
    escaped = fragment.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return [
        (row[0], row[1], row[2], row[3])
        for row in db.execute(
            "select id, name, dosage_form, section from entry where edition_id = ? and name like ? escape '\\'",
            [edition_id, f"%{escaped}%"],
        ).fetchall()
    ]
