"""Fixtures of the sync tests: throw-away publisher keys and small packages of real rows."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from desktop.catalogue import records as r
from desktop.storage import catalogue as store
from desktop.sync import build, keys


@pytest.fixture(scope="session")
def key() -> keys.PrivateKey:
    return keys.generate("测试发布方")


@pytest.fixture(scope="session")
def trust(key: keys.PrivateKey) -> dict[str, keys.PublicKey]:
    return {key.key_id: key.public}


@pytest.fixture(scope="session")
def yao_2024(sources_dir: Path) -> r.EditionData:
    """The 2024 edition as first published, read by its adapter from the official source."""
    from desktop.catalogue.sources import yao_xlsx

    return yao_xlsx.read(sources_dir / "yao.xlsx")


def small_edition(full: r.EditionData, per_section: int = 6) -> r.EditionData:
    """A few real rows of each section (numbered rows only, so ★ references stay valid)."""
    rows: list[r.SourceRow] = []
    taken: dict[str, int] = {}
    for row in full.rows:
        if row.number is None or taken.get(row.section, 0) >= per_section:
            continue
        taken[row.section] = taken.get(row.section, 0) + 1
        rows.append(replace(row, seq=len(rows) + 1))
    sections = {s: replace(info, complete=False, note="测试用的少量真实行") for s, info in full.sections.items()}
    return r.EditionData(info=full.info, rows=rows, sections=sections)


@pytest.fixture(scope="session")
def small_2024(yao_2024: r.EditionData) -> r.EditionData:
    return small_edition(yao_2024)


@pytest.fixture
def small_pkg(tmp_path: Path, small_2024: r.EditionData, key: keys.PrivateKey) -> Path:
    return build.edition_package(small_2024, tmp_path / "small.zip", key, package_id="test-2024-small", sequence=1)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    path = tmp_path / "yaomu.sqlite3"
    store.open_db(path).close()
    return path


def hq_signed(key: keys.PrivateKey, folder: Path, packages: list[Path]) -> list[Path]:
    """Bundled packages as a head office publishes them in a feed: signed with its own key.

    The files in resources/packages/ carry no signature (first start trusts them by their SHA-256 pin,
    issue 12); anything sent to pharmacies is signed by whoever sends it.
    """
    folder.mkdir(parents=True, exist_ok=True)
    return [build.sign_package(path, key, folder / path.name) for path in packages]
