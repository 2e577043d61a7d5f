"""Apply a verified package in one transaction, record it in the history, and roll back.

Steps: verify (no database) -> back up the database file (last 3 kept) -> one transaction:
check against what is installed (already applied, older, wrong base, too many rows dropped),
snapshot what will be replaced (``desktop.sync.snapshot``), write through ``store.update_edition`` /
``overlays.store_overlay``, insert the history row -> commit. Cancelling or any error rolls the whole
transaction back; a killed process leaves SQLite's journal to undo it on the next open.
"""

from __future__ import annotations

import bisect
import json
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from desktop import platform
from desktop.catalogue import fanli
from desktop.catalogue import records as r
from desktop.errors import DatabaseError, UserFacingError, db_reason
from desktop.storage import catalogue as store
from desktop.storage import history as h
from desktop.storage import overlays as ov
from desktop.sync import diff as d
from desktop.sync import keys as k
from desktop.sync import package as p
from desktop.sync import snapshot as snap
from desktop.sync.package import Cancelled as Cancelled  # raised here too; callers catch apply.Cancelled

#: A full edition that would drop more than this share of the rows of the variant it replaces is refused.
MAX_DROP_SHARE = 0.20
#: How many back-ups made before an apply are kept beside the database.
KEEP_BACKUPS = 3

ProgressFn = Callable[[int, int], None]
CancelFn = Callable[[], bool]


class NothingToRollBack(UserFacingError):
    """The history holds no applied package that can be undone."""


def _ignore(done: int, total: int) -> None:
    """The default progress callback."""


@dataclass
class ApplyReport:
    """What an apply did, for the dialog and ``--json``."""

    package_id: str
    kind: str
    target: str
    history_id: int
    diff: d.Diff
    backup: Path | None
    seconds: float
    warnings: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "status": "applied",
            "package_id": self.package_id,
            "kind": self.kind,
            "target": self.target,
            "history_id": self.history_id,
            "counts": self.diff.counts(),
            "backup": str(self.backup or ""),
            "seconds": round(self.seconds, 3),
            "warnings": self.warnings,
            "diff": self.diff.to_json(),
        }

    def text(self) -> str:
        c = self.diff.counts()
        return (
            f"已应用更新包 {self.package_id}（{self.target}）：新增 {c['added']}、删除 {c['removed']}、"
            f"变更 {c['changed']} 个药品"
            + (f"；叠加目录新增 {c['overlay_added']}、删除 {c['overlay_removed']} 项" if self.kind == "overlay" else "")
            + "。"
        )


# --- helpers ---------------------------------------------------------------------------------


def _open(db_or_path: Database | Path | str) -> tuple[Database, bool]:
    if isinstance(db_or_path, Database):
        return db_or_path, False
    return store.open_db(db_or_path), True


def _installed_rows(db: Database, edition_id: int) -> list[r.SourceRow]:
    return store.source_rows(db, edition_id)


# --- checks against the installed state -------------------------------------------------------


def _check_conflicts(db: Database, pkg: p.VerifiedPackage) -> None:
    m = pkg.manifest
    if h.applied(db, m.package_id, pkg.sha256):
        raise p.PackageConflict(
            "already_applied",
            f"更新包 {m.package_id} 已经应用过，无需重复应用。",
            hint="可用 yaomu sync history 查看已应用的更新包。数据库保持不变。",
            window_hint="已应用的更新包列在下方“更新记录”中。数据库保持不变。",
        )
    current = h.current(db, m.target, m.kind)
    if current and current.sequence >= m.sequence:
        raise p.PackageConflict(
            "older",
            f"更新包 {m.package_id}（序号 {m.sequence}）比已安装的 {current.package_id}"
            f"（序号 {current.sequence}）旧或同级，不能覆盖较新的内容。",
            hint="如确需退回旧内容，请使用 yaomu sync rollback。数据库保持不变。",
            window_hint="如确需退回旧内容，请按“撤销最近一次更新”。数据库保持不变。",
        )


def _check_base(db: Database, pkg: p.VerifiedPackage) -> r.Edition:
    m = pkg.manifest
    assert m.base is not None and m.edition is not None
    installed = store.edition_named(db, m.edition.name)
    if installed is None:
        raise p.PackageConflict(
            "base_missing",
            f"修订包 {m.package_id} 需要先安装基础包 {m.base['package_id']}，但本机没有 {m.edition.name} 年版目录。",
            hint="请先应用该版本的完整目录包，再应用修订包。数据库保持不变。",
        )
    if installed.package_id != m.base["package_id"]:
        raise p.PackageConflict(
            "wrong_base",
            f"修订包 {m.package_id} 基于 {m.base['package_id']}，而本机安装的是 "
            f"{installed.package_id or '未通过更新包安装的目录'}，二者不符。",
            hint="请向发布方索取针对本机已安装版本的修订包，或先应用其基础包。数据库保持不变。",
        )
    return installed


def _apply_revision_rows(base: list[r.SourceRow], pkg: p.VerifiedPackage) -> list[r.SourceRow]:
    rows = {p.row_key(x): x for x in base}
    for ref in pkg.removed:
        if ref not in rows:
            raise p.PackageConflict("bad_reference", f"修订包要删除的药品 {ref[0]}（{ref[1]}）不在已安装的目录中。")
        del rows[ref]
    for x in pkg.changed:
        if p.row_key(x) not in rows:
            raise p.PackageConflict(
                "bad_reference", f"修订包要变更的药品 {x.name_published}（{x.section}）不在已安装的目录中。"
            )
        rows[p.row_key(x)] = x
    for x in pkg.added:
        if p.row_key(x) in rows:
            raise p.PackageConflict(
                "bad_reference", f"修订包要新增的药品 {x.name_published}（{x.section}）已在目录中。"
            )
        rows[p.row_key(x)] = x
    out = sorted(rows.values(), key=lambda x: x.seq)
    return out


def _check_drop(old_count: int, new_count: int, label: str) -> None:
    if old_count and new_count < old_count * (1 - MAX_DROP_SHARE):
        raise p.PackageConflict(
            "too_many_dropped",
            f"{label}将使目录从 {old_count} 行减少到 {new_count} 行（减少超过 {int(MAX_DROP_SHARE * 100)}%），"
            "为防止误删已拒绝。",
            hint="请确认更新包完整；数据库保持不变。",
        )


# --- staging: what the package would install --------------------------------------------------


@dataclass
class Staged:
    pkg: p.VerifiedPackage
    diff: d.Diff
    data: r.EditionData | None = None
    overlay_items: list[ov.OverlayItem] = field(default_factory=list)
    spec: fanli.EditionSpec | None = None


def _stage(db: Database, pkg: p.VerifiedPackage) -> Staged:
    """Check the package against the installed state and work out what it installs (no writes)."""
    m = pkg.manifest
    if m.kind == "products":  # the product database keeps its own history and diff (desktop/products)
        raise p.PackageConflict(
            "products_kind",
            f"更新包 {m.package_id} 是药品库（医保药品分类与代码）更新包，不是目录更新包。",
            hint="请用 yaomu products import 导入它；数据库保持不变。",
        )
    _check_conflicts(db, pkg)
    if m.kind == "overlay":
        assert m.overlay is not None
        held = ov.installed(db, m.overlay.overlay_id)
        old_items = list(held.items) if held else []
        old_ids = {_item_ident(x) for x in old_items}
        new_ids = {_item_ident(x) for x in pkg.items}
        dd = d.Diff(m.target, m.kind, held.info.title if held else None, m.overlay.title)
        dd.overlay_added = [_item_json(x) for x in pkg.items if _item_ident(x) not in old_ids]
        dd.overlay_removed = [_item_json(x) for x in old_items if _item_ident(x) not in new_ids]
        if not m.overlay.complete:
            dd.notes.append(f"注意：此叠加目录不完整——{m.overlay.note}")
        unknown = unknown_drugs(db, pkg.items)
        if unknown:
            dd.notes.append(
                f"注意：此叠加目录中有 {len(unknown)} 个药品在已安装的目录中找不到（名称可能有误，或尚未收录），"
                f"这些条目不会匹配任何药品：{'、'.join(unknown)}。"
            )
        return Staged(pkg, dd, overlay_items=pkg.items)
    assert m.edition is not None
    installed = store.edition_named(db, m.edition.name)
    if m.kind == "revision":
        installed = _check_base(db, pkg)
    old_rows = _installed_rows(db, installed.id) if installed else []
    new_rows = _apply_revision_rows(old_rows, pkg) if m.kind == "revision" else pkg.rows
    if m.kind == "revision":
        p.check_rows(new_rows, m.sections)
    # An official edition's counts must match its 凡例, as on any import, however its variant is named.
    spec = fanli.checked_spec(r.EditionData(m.edition, new_rows, m.sections))
    _check_drop(len(old_rows), len(new_rows), f"更新包 {m.package_id} ")
    old_sections = store.section_info(db, installed.id) if installed else {}
    label = r.VARIANT_LABELS.get(m.edition.variant, m.edition.variant)
    dd = d.diff_rows(
        [d.from_source(x) for x in old_rows],
        [d.from_source(x) for x in new_rows],
        old_sections=old_sections,
        new_sections=m.sections,
        target=m.target,
        kind=m.kind,
        installed=(
            f"{installed.name}年版（{r.VARIANT_LABELS.get(installed.variant, installed.variant)}，{len(old_rows)} 行）"
        )
        if installed
        else None,
        incoming=f"{m.edition.name}年版（{label}，{len(new_rows)} 行）",
    )
    for s in m.sections.values():
        if not s.complete:
            dd.notes.append(f"注意：{s.section}部分不完整{('——' + s.note) if s.note else ''}。")
    data = r.EditionData(info=m.edition, rows=new_rows, sections=dict(m.sections))
    return Staged(pkg, dd, data=data, spec=spec)


def unknown_drugs(db: Database, items: list[ov.OverlayItem]) -> list[str]:
    """Names of overlay items that no installed catalogue name matches (equal, or the name plus a form).

    A notice writes "依沃西单抗" for the catalogue's "依沃西单抗注射液" and "艾普拉唑钠" for "注射用艾普拉唑钠":
    an item matches a catalogue name that equals it, starts with it, or is it after "注射用".
    """
    from desktop.catalogue.normalise import match_key

    names = sorted({match_key(n) for n in store.drug_names(db)})
    if not names:
        return []

    def known(key: str) -> bool:
        for probe in (key, "注射用" + key):
            i = bisect.bisect_left(names, probe)
            if i < len(names) and names[i].startswith(probe):
                return True
        return False

    out: list[str] = []
    for item in items:
        if not known(match_key(item.name)) and item.name not in out:
            out.append(item.name)
    return out


def _item_ident(x: ov.OverlayItem) -> tuple[str, str, str, str]:
    from desktop.catalogue.normalise import match_key

    return match_key(x.name), match_key(x.dosage_form), x.action, json.dumps(x.attrs, sort_keys=True)


def _item_json(x: ov.OverlayItem) -> dict[str, Any]:
    return {
        "name": x.name,
        "dosage_form": x.dosage_form,
        "action": x.action,
        "attrs": x.attrs,
        "start": x.start.isoformat() if x.start else None,
        "end": x.end.isoformat() if x.end else None,
        "source": x.source,
    }


# --- public API -------------------------------------------------------------------------------


def verify_package(pkg_path: Path | str, trust: dict[str, k.PublicKey] | None = None) -> p.VerifiedPackage:
    """Verify signature, hashes, limits and rows (no database). See ``desktop.sync.package``."""
    return p.verify_package(pkg_path, trust)


def _verified(
    pkg: Path | str | p.VerifiedPackage,
    trust: dict[str, k.PublicKey] | None,
    cancel: CancelFn | None = None,
    pinned_sha256: str | None = None,
) -> p.VerifiedPackage:
    """The package verified: a ``VerifiedPackage`` is taken as it is (its content is what was verified)."""
    if isinstance(pkg, p.VerifiedPackage):
        return pkg
    return p.verify_package(pkg, trust, should_cancel=cancel, pinned_sha256=pinned_sha256)


def diff_package(
    db: Database, pkg_path: Path | str | p.VerifiedPackage, trust: dict[str, k.PublicKey] | None = None
) -> d.Diff:
    """What applying the package (a file, or one verified already) would change, without changing anything.

    Raises:
        PackageError: the package would be refused (the diff of a refused package is meaningless).
    """
    return _stage(db, _verified(pkg_path, trust)).diff


def apply_package(
    db_or_path: Database | Path | str,
    pkg_path: Path | str | p.VerifiedPackage,
    *,
    on_progress: ProgressFn | None = None,
    should_cancel: CancelFn | None = None,
    yes: bool = True,
    confirm: Callable[[d.Diff], bool] | None = None,
    trust: dict[str, k.PublicKey] | None = None,
    backup: bool = True,
    pinned_sha256: str | None = None,
    origin: tuple[str, str] | None = None,
) -> ApplyReport:
    """Verify, stage, validate and apply a package in one transaction, with a history row.

    Args:
        db_or_path: an open writable database, or a database file path (opened and closed here).
        pkg_path: the package file, or the ``VerifiedPackage`` a caller verified already (verified once:
            its in-memory content is what gets applied, whatever happens to the file since).
        on_progress: called as ``on_progress(done, total)`` while rows are written.
        should_cancel: polled between steps and row batches; True rolls back and raises ``Cancelled``.
        yes: apply without asking; with False, ``confirm(diff)`` decides (refusal raises ``Cancelled``).
        trust: publisher keys (default resources/trust/).
        pinned_sha256: a bundled package, trusted by its hash in the installer's manifest (no signature).
        backup: copy the database file beside itself first (last ``KEEP_BACKUPS`` verified copies
            kept); a damaged database is refused. With False the caller has checked the database.
        origin: (feed URL, package URL) recorded in the history when the package came from a feed.

    Raises:
        PackageError: the package is refused; the database is unchanged.
        Cancelled: cancelled by the user; the database is unchanged.
    """
    started = time.perf_counter()
    progress = on_progress or _ignore
    cancel = should_cancel or (lambda: False)
    pkg = _verified(pkg_path, trust, cancel, pinned_sha256)
    db, owned = _open(db_or_path)
    try:
        if cancel():
            raise Cancelled()
        if not yes:  # show the diff first; staged again inside the transaction below
            if confirm is None or not confirm(_stage(db, pkg).diff):
                raise Cancelled()
        else:  # cheap checks before the back-up, so a refused package costs nothing
            _check_conflicts(db, pkg)
            if pkg.kind == "revision":
                _check_base(db, pkg)
        path = store.db_file(db)
        # A database without any catalogue content (first start) has nothing worth a back-up.
        backup_path = (
            store.backup(db, path, reason="sync", keep=KEEP_BACKUPS)
            if (backup and path and store.has_content(db))
            else None
        )
        if backup and backup_path is None:  # no back-up's integrity check looked at the database: look now
            store.check_intact(db)  # (with backup=False the caller checks, once for a batch)

        def step(done: int, total: int) -> None:
            if cancel():
                raise Cancelled()
            progress(done, total)

        staged, history_id = _write(db, pkg, step, cancel, origin)
        m = pkg.manifest
        seconds = time.perf_counter() - started
        return ApplyReport(
            m.package_id, m.kind, m.target, history_id, staged.diff, backup_path, seconds, list(staged.diff.notes)
        )
    finally:
        if owned:
            db.close()


def _write(
    db: Database, pkg: p.VerifiedPackage, step: ProgressFn, cancel: CancelFn, origin: tuple[str, str] | None = None
) -> tuple[Staged, int]:
    """Stage again, snapshot, write and record the package in one transaction; returns the history id."""
    m = pkg.manifest
    try:
        with db.atomic():
            staged = _stage(db, pkg)  # again inside the transaction: nobody changed it in between
            snapshot = snap.take(db, "overlay" if m.kind == "overlay" else "edition", m.target)
            if m.kind == "overlay":
                assert m.overlay is not None
                step(0, len(staged.overlay_items))
                ov.store_overlay(db, m.overlay, staged.overlay_items, package_id=m.package_id)
                step(len(staged.overlay_items), len(staged.overlay_items))
            else:
                assert staged.data is not None
                spec = staged.spec  # the 凡例 the rows met, whatever the variant is called
                step(0, len(staged.data.rows))
                store.update_edition(db, staged.data, spec, package_id=m.package_id, on_progress=step)
            if cancel():
                raise Cancelled()
            history_id = h.record(db, _history_entry(pkg, staged, origin), snapshot=snapshot)
            from desktop.products import items as store_items  # products relinked, 对码 re-checked

            staged.diff.notes.extend(store_items.stale_note(store_items.after_catalogue_update(db)))
            return staged, history_id
    except sqlite3.OperationalError as err:
        raise DatabaseError(
            f"写入数据库失败：{db_reason(err)}。",
            hint="数据库可能被其他程序占用或磁盘已满；数据库保持不变，请稍后重试。",
        ) from err


def _history_entry(pkg: p.VerifiedPackage, staged: Staged, origin: tuple[str, str] | None = None) -> h.NewEntry:
    m = pkg.manifest
    summary = {
        "counts": staged.diff.counts(),
        "label": staged.diff.incoming,
        "installed_before": staged.diff.installed,
        "notes": staged.diff.notes,
    }
    publisher = pkg.publisher or m.publisher
    who = platform.who()
    return h.NewEntry(
        who,
        "apply",
        m.package_id,
        pkg.sha256,
        m.kind,
        m.target,
        m.sequence,
        publisher,
        pkg.key_id,
        summary,
        *(origin or (None, None)),  # the feed and the package's URL (issue 14)
    )


def history(db: Database) -> list[h.HistoryEntry]:
    """Every apply and rollback, newest first."""
    return h.entries(db)


def rollback(db_or_path: Database | Path | str, *, backup: bool = True) -> h.HistoryEntry:
    """Undo the latest apply that has not been undone, restoring what it replaced.

    Returns:
        The history entry of the apply that was undone.

    Raises:
        NothingToRollBack: no apply left to undo.
    """
    db, owned = _open(db_or_path)
    try:
        row = h.latest_apply(db)
        if row is None:
            raise NothingToRollBack(
                "没有可以撤销的更新包。",
                hint="可用 yaomu sync history 查看更新记录。",
                window_hint="更新记录见下方列表。",
            )
        path = store.db_file(db)
        if backup and path:
            store.backup(db, path, reason="sync", keep=KEEP_BACKUPS)  # verified: refuses a damaged database
        else:
            store.check_intact(db)
        with db.atomic():
            blob = h.snapshot(db, row.id)
            assert blob is not None  # every apply keeps one
            snap.restore(db, blob)
            undo = h.NewEntry(
                platform.who(),
                "rollback",
                row.package_id,
                row.sha256,
                row.kind,
                row.target,
                row.sequence,
                row.publisher,
                row.key_id,
                {"undid": row.id},
            )
            h.mark_rolled_back(db, row.id, h.record(db, undo))
            from desktop.products import items as store_items

            store_items.after_catalogue_update(db)
        return h.get(db, row.id)
    finally:
        if owned:
            db.close()
