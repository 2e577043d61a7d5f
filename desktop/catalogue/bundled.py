"""The catalogue that ships with Yaomu, installed on first start (or by ``yaomu init``).

The bundled editions are the 2024 edition (revised variant, in force 2025) and the 2025
edition (in force since 2026-01-01). The first-publication variant of 2024 stays
available as a source (``read_2024_first``) for comparison and update tests.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sqlite_utils import Database

from desktop import paths
from desktop.catalogue import fanli
from desktop.catalogue.records import EditionData
from desktop.storage import catalogue as store

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


def load(db: Database, data: EditionData, on_progress: ProgressFn = _ignore) -> int:
    """Check an edition read from its sources against its 凡例 and store it (one transaction).

    The direct path from the official files, for tests and benchmarks; the application installs
    the same rows from signed packages (``install``).
    """
    spec = fanli.SPECS.get((data.info.name, data.info.variant))
    if spec is not None:
        fanli.check_totals(data, spec)
    return store.load_edition(db, data, spec, on_progress=on_progress)


def install(db_path: Path | str | None = None, on_progress: ProgressFn = _ignore) -> list[int]:
    """Install every bundled edition (and the seed overlays) into the database at ``db_path``.

    The bundled catalogue ships as signed packages (resources/packages/) and is applied like
    any update: verified, checked against its 凡例, written in one transaction, with history.
    """
    from desktop.sync.bundled import install_bundled

    install_bundled(db_path, on_progress=on_progress)
    return [e.id for e in store.editions(store.open_db(db_path), details=False)]


def needs_install(db: Database) -> bool:
    return not store.editions(db)
