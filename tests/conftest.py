"""Shared fixtures. Qt runs offscreen; every test that uses ``qapp`` is marked ``gui``."""

from __future__ import annotations

import os
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["YAOMU_KEYRING"] = "off"  # receipt keys go to files beside the test databases, never a real keyring

import pytest  # noqa: E402

from tests.helpers import copy_database

ROOT = Path(__file__).resolve().parent.parent
#: The official files beside the repository: read only by cross-checks against the official PDF/text,
#: whose names say so (``..._cross_check_shared``); the product never reads ../shared.
SHARED = ROOT.parent / "shared"
SHARED_DATA = SHARED / "data"
#: The official sources the product bundles (byte for byte the files in ../shared/data): what unit tests read.
SOURCES = ROOT / "resources" / "sources"
CROSS_CHECK = "cross_check_shared"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        names = getattr(item, "fixturenames", ())
        if "qapp" in names or "qtbot" in names:
            item.add_marker("gui")
        if "shared_data" in names and CROSS_CHECK not in item.name:
            raise pytest.UsageError(f"{item.nodeid} reads ../shared: unit tests read resources/ (sources_dir)")


@pytest.fixture(scope="session")
def sources_dir() -> Path:
    """resources/sources/: the official source files as the product ships them."""
    return SOURCES


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """../shared/data, for cross-checks against the official PDF/text only (named ``..._cross_check_shared``)."""
    if not SHARED_DATA.is_dir():
        pytest.fail(f"official data not found at {SHARED_DATA}")
    return SHARED_DATA


@pytest.fixture(scope="session")
def real_db_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database file with the bundled catalogue (2024 revised + 2025), built once per session.

    Tests must not write to it: copy it (``real_db_copy``) to change anything.
    """
    from desktop.sync import bundled

    path = tmp_path_factory.mktemp("real") / "catalogue.sqlite3"
    bundled.install(path)
    return path


@pytest.fixture()
def real_db(real_db_path: Path):  # type: ignore[no-untyped-def]
    """A read-only connection to the bundled catalogue."""
    from desktop.storage import catalogue as store

    db = store.open_db(real_db_path, readonly=True)
    yield db
    db.close()


@pytest.fixture()
def real_db_copy(real_db_path: Path, tmp_path: Path) -> Path:
    """A private, writable copy of the bundled catalogue database."""
    return copy_database(real_db_path, tmp_path / "catalogue.sqlite3")


@pytest.fixture(scope="session")
def products_db_path(real_db_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled catalogue with the real NHSA products imported, once per session (products and UI tests)."""
    from desktop.products import database
    from desktop.storage import catalogue as store
    from tests.products.conftest import PRODUCTS_CSV

    path = copy_database(real_db_path, tmp_path_factory.mktemp("products") / "catalogue.sqlite3")
    db = store.open_db(path)
    database.import_file(db, PRODUCTS_CSV)
    db.close()
    return path
