"""The catalogue that ships with Yaomu, installed on first start (or by ``yaomu init``).

The bundled editions are the 2024 edition (revised variant, in force 2025) and the 2025
edition (in force since 2026-01-01). The first-publication variant of 2024 stays
available as a source for comparison and update tests (``load_first_publication``).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sqlite_utils import Database

from desktop import paths
from desktop.catalogue import fanli, store
from desktop.catalogue.records import EditionData

ProgressFn = Callable[[int, int], None]


def _ignore(done: int, total: int) -> None:
    """Default progress callback."""


def source(name: str) -> Path:
    return paths.resource_path(f"sources/{name}")


def read_2024_revised() -> EditionData:
    from desktop.catalogue.sources import nhsa_api

    return nhsa_api.read(source("nhsa-api-4750.json"), source("yao.xlsx"))


def read_2024_first() -> EditionData:
    from desktop.catalogue.sources import yao_xlsx

    return yao_xlsx.read(source("yao.xlsx"))


def read_2025() -> EditionData:
    from desktop.catalogue.sources import nrdl2025

    return nrdl2025.read(source("china_nrdl_2025_west.json"), source("medins-2025.txt"))


#: What a first start installs, in order.
BUNDLED_READERS = (read_2024_revised, read_2025)


def load(db: Database, data: EditionData, on_progress: ProgressFn = _ignore) -> int:
    """Check an edition against its 凡例 and store it (one transaction)."""
    spec = fanli.SPECS.get((data.info.name, data.info.variant))
    if spec is not None:
        fanli.check_totals(data, spec)
    return store.load_edition(db, data, spec, on_progress=on_progress)


def install(db_path: Path | str | None = None, on_progress: ProgressFn = _ignore) -> list[int]:
    """Install every bundled edition into the database at ``db_path`` (default location).

    Goes through signed packages when the sync package is present (the bundled catalogue
    is applied like any update); otherwise reads the official sources directly.
    """
    try:
        from desktop.sync import bundled as sync_bundled
    except ImportError:
        sync_bundled = None
    if sync_bundled is not None and hasattr(sync_bundled, "install_bundled"):
        sync_bundled.install_bundled(db_path, on_progress=on_progress)
        db = store.open_db(db_path)
        return [e.id for e in store.editions(db)]
    db = store.open_db(db_path)
    steps = len(BUNDLED_READERS)
    ids = []
    for i, reader in enumerate(BUNDLED_READERS):
        data = reader()
        ids.append(load(db, data, lambda done, total, i=i: on_progress(i * total + done, steps * total)))
    return ids


def needs_install(db: Database) -> bool:
    return not store.editions(db)
