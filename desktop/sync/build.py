"""Make signed packages: editions from the source adapters, revisions as deltas, overlays from definitions.

Everything a package holds goes through the same writer, so the format has one implementation
on each side (this writer, ``desktop.sync.package`` the reader).
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from desktop import paths
from desktop.catalogue import bundled
from desktop.catalogue import records as r
from desktop.errors import UserFacingError, os_reason, reason
from desktop.storage import overlays
from desktop.sync import keys as k
from desktop.sync import package as p

#: A fixed zip timestamp, so building the same content twice gives the same data members.
_ZIP_TIME = (2020, 1, 1, 0, 0, 0)


class BuildError(UserFacingError):
    """A package cannot be built from the given inputs."""


def read_source(name: str, source_dir: Path | None = None) -> r.EditionData:
    """Read an edition variant with its adapter from ``source_dir`` (default resources/sources/)."""
    if name not in bundled.SOURCES:
        raise BuildError(f"未知的目录来源 {name!r}。", hint=f"可用：{'、'.join(bundled.SOURCES)}")
    folder = Path(source_dir) if source_dir is not None else paths.resource_path("sources")
    missing = [str(folder / f) for f in bundled.SOURCES[name].files if not (folder / f).is_file()]
    if missing:
        raise BuildError(f"缺少源文件：{'、'.join(missing)}。", hint="请将官方源文件放入 resources/sources/。")
    return bundled.read(name, folder)


# --- writing ---------------------------------------------------------------------------------


def _jsonl(objs: Iterable[dict[str, Any]]) -> bytes:
    return "".join(json.dumps(o, ensure_ascii=False, separators=(",", ":")) + "\n" for o in objs).encode("utf-8")


def write_package(
    out: Path, manifest: dict[str, Any], files: list[tuple[str, str, str, bytes, int]], key: k.PrivateKey | None
) -> Path:
    """Write a package: ``files`` are (path, role, format, content, rows); the manifest pins each.

    With ``key`` None the package is left unsigned (``yaomu package sign`` signs it later).
    """
    manifest = dict(manifest)
    manifest["files"] = [
        {
            "path": path,
            "role": role,
            "format": fmt,
            "sha256": hashlib.sha256(data).hexdigest(),
            "bytes": len(data),
            "rows": rows,
        }
        for path, role, fmt, data, rows in files
    ]
    manifest_bytes = json.dumps(manifest, ensure_ascii=False, indent=1).encode("utf-8")
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        _add(zf, p.MANIFEST, manifest_bytes)
        if key is not None:
            _add(zf, p.SIGNATURE, p.signature_doc(manifest_bytes, key))
        for path, _role, _fmt, data, _rows in files:
            _add(zf, path, data)
    tmp.replace(out)
    return out


def _add(zf: zipfile.ZipFile, name: str, data: bytes) -> None:
    info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
    info.compress_type = zipfile.ZIP_DEFLATED
    zf.writestr(info, data)


def sign_package(pkg_path: Path, key: k.PrivateKey, out: Path | None = None) -> Path:
    """(Re-)sign a package's manifest with ``key``; data members are copied unchanged."""
    pkg_path = Path(pkg_path)
    out = Path(out or pkg_path)
    with p._open_zip(pkg_path) as zf:
        members = p._check_members(zf)
        if p.MANIFEST not in members:
            raise BuildError("更新包中缺少 manifest.json，无法签名。")
        contents = {name: p._read_member(zf, info, p.MAX_FILE_BYTES) for name, info in members.items()}
    p.parse_manifest(contents[p.MANIFEST])  # refuse to sign something that is not a package
    tmp = out.with_name(out.name + ".tmp")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        _add(zf, p.MANIFEST, contents[p.MANIFEST])
        _add(zf, p.SIGNATURE, p.signature_doc(contents[p.MANIFEST], key))
        for name, data in contents.items():
            if name not in (p.MANIFEST, p.SIGNATURE):
                _add(zf, name, data)
    tmp.replace(out)
    return out


def _base_manifest(
    kind: str, package_id: str, sequence: int, publisher: str, created: datetime | None
) -> dict[str, Any]:
    return {
        "format": p.FORMAT_NAME,
        "format_version": p.FORMAT_VERSION,
        "package_id": package_id,
        "kind": kind,
        "publisher": publisher,
        "created": (created or datetime.now()).isoformat(timespec="seconds"),
        "sequence": sequence,
    }


def _iso(d: date | None) -> str | None:
    return d.isoformat() if d else None


def edition_json(info: r.EditionInfo) -> dict[str, Any]:
    return {
        "name": info.name,
        "variant": info.variant,
        "title": info.title,
        "document": info.document,
        "published": _iso(info.published),
        "effective_start": _iso(info.effective_start),
        "effective_end": _iso(info.effective_end),
        "source": info.source,
        "checksum": info.checksum,
    }


def sections_json(sections: dict[str, r.SectionInfo]) -> list[dict[str, Any]]:
    return [
        {"section": s.section, "complete": s.complete, "expected": s.expected, "note": s.note}
        for s in sections.values()
    ]


def edition_package(
    data: r.EditionData,
    out: Path,
    key: k.PrivateKey | None,
    *,
    package_id: str,
    sequence: int = 1,
    publisher: str = "",
    created: datetime | None = None,
) -> Path:
    """A full edition: every row of ``data`` plus its EditionInfo and SectionInfo."""
    manifest = _base_manifest("edition", package_id, sequence, publisher or (key.publisher if key else ""), created)
    manifest.update(
        edition=edition_json(data.info),
        sections=sections_json(data.sections),
        effective_start=_iso(data.info.effective_start),
        effective_end=_iso(data.info.effective_end),
        summary=f"{data.info.title}（{r.VARIANT_LABELS.get(data.info.variant, data.info.variant)}），"
        f"{len(data.rows)} 行",
    )
    body = _jsonl(p.source_row_json(row) for row in data.rows)
    return write_package(out, manifest, [("data/rows.jsonl", "rows", "jsonl", body, len(data.rows))], key)


def revision_package(
    base_rows: list[r.SourceRow],
    base_package_id: str,
    new: r.EditionData,
    out: Path,
    key: k.PrivateKey | None,
    *,
    package_id: str,
    sequence: int,
    publisher: str = "",
    created: datetime | None = None,
) -> Path:
    """A delta from ``base_rows`` (an installed edition package) to ``new``, by (drug key, section).

    Rows whose fields differ in any way (including seq and number) are "changed"; a row that
    moves section is removed from the old section and added to the new one.
    """
    old = {p.row_key(row): row for row in base_rows}
    cur = {p.row_key(row): row for row in new.rows}
    added = [row for key_, row in cur.items() if key_ not in old]
    changed = [row for key_, row in cur.items() if key_ in old and old[key_] != row]
    removed = [key_ for key_ in old if key_ not in cur]
    manifest = _base_manifest("revision", package_id, sequence, publisher or (key.publisher if key else ""), created)
    manifest.update(
        edition=edition_json(new.info),
        sections=sections_json(new.sections),
        base={"package_id": base_package_id, "edition": new.info.name},
        effective_start=_iso(new.info.effective_start),
        effective_end=_iso(new.info.effective_end),
        summary=f"{new.info.title} 修订：新增 {len(added)}、变更 {len(changed)}、删除 {len(removed)} 行",
    )
    files = [
        ("data/added.jsonl", "added", "jsonl", _jsonl(p.source_row_json(x) for x in added), len(added)),
        ("data/changed.jsonl", "changed", "jsonl", _jsonl(p.source_row_json(x) for x in changed), len(changed)),
        ("data/removed.jsonl", "removed", "jsonl", _jsonl({"key": a, "section": b} for a, b in removed), len(removed)),
    ]
    return write_package(out, manifest, files, key)


# --- overlays --------------------------------------------------------------------------------


def overlay_items_csv(items: Iterable[overlays.OverlayItem]) -> bytes:
    """Overlay items as the provincial CSV format (UTF-8, header ``name,dosage_form,...``)."""
    import csv

    buf = io.StringIO(newline="")
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(p.OVERLAY_FIELDS)
    count = 0
    for it in items:
        writer.writerow(
            [
                it.name,
                it.dosage_form or "",
                it.action,
                json.dumps(it.attrs, ensure_ascii=False, sort_keys=True) if it.attrs else "",
                _iso(it.start) or "",
                _iso(it.end) or "",
                it.source or "",
            ]
        )
        count += 1
    return buf.getvalue().encode("utf-8")


def overlay_info_json(info: overlays.OverlayInfo) -> dict[str, Any]:
    return {
        "overlay_id": info.overlay_id,
        "kind": info.kind,
        "region": info.region,
        "title": info.title,
        "complete": info.complete,
        "document": info.document,
        "published": _iso(info.published),
        "effective_start": _iso(info.effective_start),
        "effective_end": _iso(info.effective_end),
        "note": info.note,
    }


def overlay_package(
    info: overlays.OverlayInfo,
    items: list[overlays.OverlayItem],
    out: Path,
    key: k.PrivateKey | None,
    *,
    package_id: str,
    sequence: int = 1,
    publisher: str = "",
    created: datetime | None = None,
) -> Path:
    manifest = _base_manifest("overlay", package_id, sequence, publisher or (key.publisher if key else ""), created)
    state = "完整" if info.complete else "不完整"
    manifest.update(
        overlay=overlay_info_json(info),
        effective_start=_iso(info.effective_start),
        effective_end=_iso(info.effective_end),
        summary=f"{info.title}（{state}，{len(items)} 项）",
    )
    body = overlay_items_csv(items)
    return write_package(out, manifest, [("data/items.csv", "items", "csv", body, len(items))], key)


@dataclass(frozen=True)
class OverlayDef:
    """An overlay source definition (resources/overlays/*.json): what a notice states."""

    package_id: str
    sequence: int
    info: overlays.OverlayInfo
    items: list[overlays.OverlayItem]
    path: Path


def read_overlay_def(path: Path) -> OverlayDef:
    """Read an overlay definition; its items pass the same checks as a package's items."""
    path = Path(path)
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise BuildError(f"无法读取叠加目录定义 {path}：{reason(err)}。") from err
    info = p._overlay_info(doc["overlay"])
    items = [p._overlay_item(obj, path.name, n) for n, obj in enumerate(doc.get("items", []), start=1)]
    return OverlayDef(str(doc["package_id"]), int(doc.get("sequence", 1)), info, items, path)


def read_overlay_csv(path: Path) -> list[overlays.OverlayItem]:
    """Read a provincial list in the overlay CSV format (docs/package-format.md, "Provincial CSV")."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as err:
        raise BuildError(f"无法读取省级目录文件 {path}：{os_reason(err)}") from err
    return p._overlay_items(p._text(data, path.name), "csv", path.name)


def overlay_from_def(
    def_path: Path,
    out: Path,
    key: k.PrivateKey | None,
    *,
    items_csv: Path | None = None,
    complete: bool | None = None,
    sequence: int | None = None,
) -> Path:
    """Build an overlay package from a definition, optionally with the full list from a provincial CSV.

    With ``items_csv`` the CSV's items replace the definition's and the overlay is marked complete
    (the provincial file is the whole list) unless ``complete`` says otherwise.
    """
    d = read_overlay_def(def_path)
    info, items, seq = d.info, d.items, sequence or d.sequence
    if items_csv is not None:
        items = read_overlay_csv(items_csv)
        is_complete = True if complete is None else complete
        from dataclasses import replace

        info = replace(info, complete=is_complete, note=None if is_complete else (info.note or "省级文件声明为不完整"))
        seq = sequence or d.sequence + 1
        digest = hashlib.sha256(Path(items_csv).read_bytes()).hexdigest()[:12]
        return overlay_package(info, items, out, key, package_id=f"{d.package_id}-{digest}", sequence=seq)
    elif complete is not None:
        raise BuildError("只有同时提供省级目录文件（--items）时才能指定是否完整。")
    return overlay_package(info, items, out, key, package_id=d.package_id, sequence=seq)


def products_package(
    rows: list[list[str]],
    out: Path,
    key: k.PrivateKey | None,
    *,
    package_id: str,
    sequence: int = 1,
    publisher: str = "",
    created: datetime | None = None,
) -> Path:
    """A products package from sheet 总表 rows (header first), split into parts of at most
    ``MAX_PRODUCT_ROWS`` rows, each a CSV with the header (docs/package-format.md)."""
    import csv
    import io

    header, body = rows[0], rows[1:]
    size = p.MAX_PRODUCT_ROWS
    files = []
    for n, start in enumerate(range(0, max(len(body), 1), size), start=1):
        part = body[start : start + size]
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\n").writerows([header, *part])
        files.append((f"data/products-{n}.csv", "products", "csv", buf.getvalue().encode("utf-8"), len(part)))
    manifest = _base_manifest("products", package_id, sequence, publisher or (key.publisher if key else ""), created)
    manifest["summary"] = f"医保药品分类与代码 {len(body)} 条（{len(files)} 个数据文件）"
    return write_package(out, manifest, files, key)
