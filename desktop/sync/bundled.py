"""First start: apply the signed packages shipped in resources/packages/ like any update.

Order: full editions (oldest edition first), then revisions, then overlays. A package is
skipped when it already appears in the history (also when it was rolled back on purpose),
or when something newer for the same edition / overlay is installed.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sqlite_utils import Database

from desktop.storage import catalogue as store
from desktop.storage import history as h
from desktop.sync import apply, keys
from desktop.sync import package as p

ProgressFn = Callable[[int, int], None]
_ORDER = {"edition": 0, "revision": 1, "overlay": 2}


def packages_dir() -> Path:
    from desktop.paths import resource_path

    return resource_path("packages")


def bundled_packages(
    directory: Path | None = None, trust: dict[str, keys.PublicKey] | None = None
) -> list[p.VerifiedPackage]:
    """Every bundled package, verified against the trust store, in installation order."""
    directory = directory or packages_dir()
    trust = trust if trust is not None else keys.trust_store()
    verified = [p.verify_package(path, trust) for path in sorted(Path(directory).glob("*.zip"))]
    return sorted(verified, key=lambda v: (_ORDER[v.kind], v.manifest.target, v.manifest.sequence))


def install_bundled(
    db_path: Path | str | None = None,
    on_progress: ProgressFn | None = None,
    *,
    directory: Path | None = None,
    trust: dict[str, keys.PublicKey] | None = None,
) -> list[apply.ApplyReport]:
    """Apply every bundled package not applied yet; returns one report per package applied.

    Args:
        db_path: the database file (default location when None).
        on_progress: ``on_progress(done, total)`` over the rows of all packages to apply.

    Raises:
        PackageError: a bundled package fails verification (a damaged installation).
    """
    trust = trust if trust is not None else keys.trust_store()
    pkgs = bundled_packages(directory, trust)
    db = store.open_db(db_path)
    try:
        todo = [v for v in pkgs if not _skip(db, v)]
        # One back-up before the batch, not one per package; a first start has nothing to back up.
        path = store.db_file(db)
        if todo and path and store.editions(db, details=False):
            store.backup(db, path, reason="sync", keep=apply.KEEP_BACKUPS)
        sizes = [sum(f.rows for f in v.manifest.files) or 1 for v in todo]
        grand = sum(sizes)
        reports = []
        offset = 0
        for v, size in zip(todo, sizes, strict=True):

            def step(done: int, total: int, offset: int = offset, size: int = size) -> None:
                if on_progress:
                    on_progress(offset + (size * done // total if total else size), grand)

            reports.append(apply.apply_package(db, v, on_progress=step, trust=trust, backup=False))
            offset += size
        if on_progress and grand:
            on_progress(grand, grand)
        return reports
    finally:
        db.close()


def install(db_path: Path | str | None = None, on_progress: ProgressFn | None = None) -> list[int]:
    """Install every bundled edition (and the seed overlays) into the database at ``db_path``.

    The bundled catalogue ships as signed packages (resources/packages/) and is applied like
    any update: verified, checked against its 凡例, written in one transaction, with history.

    Returns:
        The ids of the installed editions.
    """
    install_bundled(db_path, on_progress=on_progress)
    db = store.open_db(db_path)
    try:
        return [e.id for e in store.editions(db, details=False)]
    finally:
        db.close()


def needs_install(db: Database) -> bool:
    """True when no edition is installed yet (a first start)."""
    return not store.editions(db, details=False)


def _skip(db: Database, v: p.VerifiedPackage) -> bool:
    if h.ever_seen(db, v.package_id, v.sha256):
        return True
    current = h.current(db, v.manifest.target)
    return bool(current and current.sequence >= v.manifest.sequence)
