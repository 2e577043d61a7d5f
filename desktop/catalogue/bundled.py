"""The official sources of the catalogue that ships with Yaomu (resources/sources/), read by their adapters.

Yaomu installs the same editions from the signed packages built from these sources
(``desktop.sync.bundled.install``, on first start or by ``yaomu init``).

The bundled editions are the 2024 edition (revised variant, in force 2025) and the 2025
edition (in force since 2026-01-01). The first-publication variant of 2024 stays
available as a source (``read_2024_first``) for comparison and update tests.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
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


def _yao_xlsx(*files: Path) -> EditionData:
    from desktop.catalogue.sources import yao_xlsx

    return yao_xlsx.read(*files)


def _nhsa_api(*files: Path) -> EditionData:
    from desktop.catalogue.sources import nhsa_api

    return nhsa_api.read(*files)


def _nrdl2025(*files: Path) -> EditionData:
    from desktop.catalogue.sources import nrdl2025

    return nrdl2025.read(*files)


@dataclass(frozen=True)
class SourceSpec:
    """How to read one edition variant from resources/sources/ with its adapter, and the package it ships as."""

    read: Callable[..., EditionData]
    files: tuple[str, ...]
    package_id: str
    sequence: int


#: The one registry of the bundled sources (``yaomu package build --edition`` and resources/packages/).
#: The sequence orders variants of one edition: the revised 2024 (NHSA online query) supersedes the
#: first publication.
SOURCES: dict[str, SourceSpec] = {
    "2024-first": SourceSpec(_yao_xlsx, ("yao.xlsx",), "nrdl-2024-first", 1),
    "2024-revised": SourceSpec(_nhsa_api, ("nhsa-api-4750.json", "yao.xlsx"), "nrdl-2024-revised", 2),
    "2025": SourceSpec(_nrdl2025, ("china_nrdl_2025_west.json", "medins-2025.txt"), "nrdl-2025-official", 1),
}


def read(name: str, source_dir: Path | None = None) -> EditionData:
    """Read a bundled edition variant (a key of ``SOURCES``) from ``source_dir`` (default resources/sources/)."""
    spec = SOURCES[name]
    folder = Path(source_dir) if source_dir is not None else paths.resource_path("sources")
    return spec.read(*(folder / f for f in spec.files))


def read_2024_revised() -> EditionData:
    return read("2024-revised")


def read_2024_first() -> EditionData:
    return read("2024-first")


def read_2025() -> EditionData:
    return read("2025")


def load(db: Database, data: EditionData, on_progress: ProgressFn = _ignore) -> int:
    """Check an edition read from its sources against its 凡例 and store it (one transaction).

    The direct path from the official files, for tests and benchmarks; the application installs
    the same rows from signed packages (``desktop.sync.bundled.install``).
    """
    spec = fanli.SPECS.get((data.info.name, data.info.variant))
    if spec is not None:
        fanli.check_totals(data, spec)
    return store.load_edition(db, data, spec, on_progress=on_progress)
