"""The one module that knows which operating system Yaomu runs on (Windows at the counter, Linux in CI).

Everything OS-specific lives here or in ``paths`` (where files go): file modes, locks, signals,
user names. An import-linter contract (pyproject.toml) forbids ``fcntl``, ``pwd``, ``msvcrt`` and
their kind elsewhere, and tests/test_platform.py refuses ``os.chmod``-style calls outside this module.
"""

from __future__ import annotations

import getpass
import socket
import sys

#: True on Windows (the pharmacies' PCs); the rest of the code never asks ``sys.platform``.
WINDOWS = sys.platform == "win32"


def who() -> str:
    """``user@host`` of whoever runs Yaomu, for the update history.

    ``getpass.getuser`` reads the environment first (USERNAME on Windows) and falls back to the
    password database on POSIX; a service account without a login name still gets a name.
    """
    try:
        user = getpass.getuser()
    except Exception:  # no login name (service account): still record something
        user = "unknown"
    return f"{user}@{socket.gethostname()}"
