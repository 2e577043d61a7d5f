"""Rollback snapshots: what an apply replaced, kept as domain records, restored through the storage modules.

A snapshot is zlib-compressed JSON of records (``EditionInfo``, ``SectionInfo``, ``SourceRow``;
``OverlayInfo``, ``OverlayItem``), never of table rows, so a snapshot taken before a schema migration
restores after it: the storage modules write whatever columns the schema of the day has.

Version 1 snapshots (table rows, written before version 2) are read by converting their rows to the
same records.
"""

from __future__ import annotations

import json
import zlib
from dataclasses import asdict, fields
from datetime import date
from typing import Any

from sqlite_utils import Database

from desktop.catalogue import fanli
from desktop.catalogue import records as r
from desktop.storage import catalogue as store
from desktop.storage import overlays as ov

VERSION = 2


def _jsonable(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def _record_json(record: Any) -> dict[str, Any]:
    return {k: _jsonable(v) for k, v in asdict(record).items()}


def _dates(cls: type, data: dict[str, Any]) -> dict[str, Any]:
    """``data`` restricted to the fields of ``cls``, ISO dates parsed back for its date fields."""
    out: dict[str, Any] = {}
    for f in fields(cls):
        if f.name not in data:
            continue
        value = data[f.name]
        if isinstance(value, str) and "date" in str(f.type):
            value = date.fromisoformat(value)
        out[f.name] = value
    return out


def take(db: Database, kind: str, target: str) -> bytes:
    """A snapshot of the edition (kind ``edition``, target its name) or overlay (its id) as installed now."""
    doc: dict[str, Any] = {"version": VERSION, "kind": kind, "target": target}
    if kind == "overlay":
        installed = ov.installed(db, target)
        doc["overlay"] = (
            {
                "info": _record_json(installed.info),
                "items": [_record_json(item) for item in installed.items],
                "package_id": installed.package_id,
                "loaded_at": installed.loaded_at,
            }
            if installed
            else None
        )
    else:
        edition = store.edition_named(db, target)
        doc["edition"] = (
            {
                "info": {f.name: _jsonable(getattr(edition, f.name)) for f in fields(r.EditionInfo)},
                "sections": [_record_json(s) for s in store.section_info(db, edition.id).values()],
                "rows": [_record_json(row) for row in store.source_rows(db, edition.id)],
                "package_id": edition.package_id,
                "loaded_at": edition.loaded_at,
            }
            if edition
            else None
        )
    return zlib.compress(json.dumps(doc, ensure_ascii=False).encode("utf-8"), 1)


def restore(db: Database, blob: bytes) -> None:
    """Put back what a snapshot holds (inside the caller's transaction)."""
    doc = json.loads(zlib.decompress(blob).decode("utf-8"))
    if doc.get("version", 1) == 1:
        doc = _from_rows(doc)
    if doc["kind"] == "overlay":
        ov.delete_overlay(db, doc["target"])
        if doc["overlay"]:
            held = doc["overlay"]
            overlay = ov.OverlayInfo(**_dates(ov.OverlayInfo, held["info"]))
            items = [ov.OverlayItem(**_dates(ov.OverlayItem, item)) for item in held["items"]]
            ov.store_overlay(db, overlay, items, package_id=held["package_id"], loaded_at=held["loaded_at"])
        return
    store.delete_edition(db, doc["target"])
    held = doc["edition"]
    if not held:
        return
    info = r.EditionInfo(**_dates(r.EditionInfo, held["info"]))
    sections = {s["section"]: r.SectionInfo(**s) for s in held["sections"]}
    rows = [r.SourceRow(**row) for row in held["rows"]]
    spec = fanli.spec_of(info.name, info.variant)
    data = r.EditionData(info, rows, sections)
    store.load_edition(db, data, spec, package_id=held["package_id"], loaded_at=held["loaded_at"])


def _section_order(row: dict[str, Any]) -> int:
    """Version 1 kept sections in no particular order: the publication's order."""
    return r.SECTIONS.index(row["section"]) if row["section"] in r.SECTIONS else len(r.SECTIONS)


def _from_rows(doc: dict[str, Any]) -> dict[str, Any]:
    """A version 1 snapshot (table rows of the schema of its day) as version 2 records."""
    out: dict[str, Any] = {"version": VERSION, "kind": doc["kind"], "target": doc["target"]}
    if doc["kind"] == "overlay":
        head = doc["overlay"]
        out["overlay"] = (
            {
                "info": {**head, "complete": bool(head["complete"])},
                "items": [{**item, "attrs": json.loads(item["attrs"])} for item in doc["items"]],
                "package_id": head.get("package_id"),
                "loaded_at": head.get("loaded_at"),
            }
            if head
            else None
        )
        return out
    head = doc["edition"]
    if not head:
        out["edition"] = None
        return out
    columns = doc["entries"]["columns"]
    source_fields = {f.name for f in fields(r.SourceRow)}
    rows = []
    for values in doc["entries"]["rows"]:
        row = dict(zip(columns, values, strict=True))
        row["drug_class"] = row.pop("class", None)
        row["ethnic"] = bool(row.get("ethnic"))
        rows.append({k: v for k, v in row.items() if k in source_fields})
    out["edition"] = {
        "info": head,
        "sections": [
            {"section": s["section"], "complete": bool(s["complete"]), "expected": s["expected"], "note": s["note"]}
            for s in sorted(doc["sections"], key=_section_order)
        ],
        "rows": sorted(rows, key=lambda row: row["seq"]),
        "package_id": head.get("package_id"),
        "loaded_at": head.get("loaded_at"),
    }
    return out
