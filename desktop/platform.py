"""The one module that knows which operating system Yaomu runs on (Windows at the counter, Linux in CI).

Everything OS-specific lives here or in ``paths`` (where files go): file modes, locks, signals,
user names, whether the window needs a display server, private file modes and atomic replacement. An
import-linter contract (pyproject.toml) forbids ``fcntl``, ``pwd``, ``msvcrt`` and their kind elsewhere,
and tests/test_platform.py refuses ``os.chmod``-style calls and ``sys.platform`` outside this module.
"""

from __future__ import annotations

import getpass
import os
import socket
import sys
import tempfile
from pathlib import Path

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


# --- private files (issue 12) ------------------------------------------------------------------
# The database, its back-ups and the receipt key hold confidential standards, patient names and a
# secret: they are created readable by their owner only (0600, the data directory 0700). On Windows
# the user profile's ACLs already keep other users out and ``chmod`` only toggles read-only, so the
# mode calls are skipped there.

PRIVATE_FILE = 0o600
PRIVATE_DIR = 0o700


def private_dir(path: Path | str) -> Path:
    """Create ``path`` (and parents) if needed; a directory Yaomu creates is 0700."""
    path = Path(path)
    if not path.is_dir():
        path.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR)
        if not WINDOWS:
            os.chmod(path, PRIVATE_DIR)  # mkdir's mode is filtered by the umask
    return path


def make_private(path: Path | str) -> None:
    """Restrict an existing file to its owner (0600); a missing file, or one not ours, is left alone."""
    if not WINDOWS:
        try:
            os.chmod(path, PRIVATE_FILE)
        except OSError:  # missing, or not ours (a read-only copy someone handed us): leave it
            pass


def create_private(path: Path | str) -> None:
    """Make sure ``path`` exists as a 0600 file before SQLite (or anything else) opens it."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | getattr(os, "O_BINARY", 0), PRIVATE_FILE)
    os.close(fd)
    make_private(path)


def atomic_write(out: Path | str, data: bytes) -> Path:
    """Write ``data`` to a temporary file beside ``out``, flush it to disk and rename it into place.

    A reader (or a crash) sees the old file or the whole new one, never half of it. The file is
    created 0600.
    """
    out = Path(out)
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return out


#: Said instead of Qt's "could not load the Qt platform plugin xcb" hint, which points at libraries.
NO_DISPLAY = (
    "没有可用的图形显示（未设置 DISPLAY 或 WAYLAND_DISPLAY），无法打开药目窗口。\n"
    "请在桌面会话中启动，或远程登录时使用 ssh -X；命令行功能（yaomu -h）不需要显示。\n"
    "No display: neither DISPLAY nor WAYLAND_DISPLAY is set, so the window cannot open. "
    "Start Yaomu from a desktop session (or ssh -X); the command line (yaomu -h) needs no display."
)


def display_problem(
    environ: dict[str, str] | os._Environ[str] = os.environ, platform: str = sys.platform
) -> str | None:
    """Why the window cannot open here (a Linux/BSD session without X11 or Wayland), or None."""
    if not platform.startswith(("linux", "freebsd", "openbsd", "netbsd")):
        return None  # Windows and macOS always have a display server
    qpa = environ.get("QT_QPA_PLATFORM", "")
    if qpa and not qpa.startswith(("xcb", "wayland")):
        return None  # offscreen, vnc, eglfs, linuxfb...: Qt needs no X server
    if environ.get("DISPLAY") or environ.get("WAYLAND_DISPLAY"):
        return None
    return NO_DISPLAY


def read_secret(prompt: str) -> str:
    """A value typed without echo at a terminal (a confidential payment standard); a piped line otherwise."""
    if sys.stdin.isatty():
        return getpass.getpass(prompt)
    return sys.stdin.readline()
