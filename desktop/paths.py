"""Where resources and user data live: the only code that knows about freezing."""

from __future__ import annotations

import os
import posixpath
import sys
from pathlib import Path

from desktop import APP_NAME, APP_ORG

#: Environment variable that points the application at another database file.
DB_ENV = "YAOMU_DB"


def _base_dir() -> Path:
    if getattr(sys, "frozen", False):  # PyInstaller one-folder bundle
        return Path(getattr(sys, "_MEIPASS", Path(sys.executable).parent))
    return Path(__file__).resolve().parent.parent


def resource_path(name: str) -> Path:
    """Return the path of a bundled resource, e.g. ``resource_path("fonts/x.ttc")``.

    Raises:
        ValueError: the name climbs out of the resources folder.
    """
    if os.path.pardir in name.split(posixpath.sep) or name.startswith("/"):
        raise ValueError(f"resource name escapes resources/: {name}")
    return _base_dir() / "resources" / name


def migrations_dir() -> Path:
    return _base_dir() / "db" / "migrations"


def data_dir() -> Path:
    """The per-user data directory (created on demand)."""
    from platformdirs import user_data_dir

    from desktop import platform

    return platform.private_dir(Path(user_data_dir(APP_NAME, APP_ORG)))  # 0700: the database lives here


def default_db_path() -> Path:
    env = os.environ.get(DB_ENV)
    if env:
        return Path(env)
    return data_dir() / "yaomu.sqlite3"
