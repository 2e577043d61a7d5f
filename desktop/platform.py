"""The one module that knows which operating system Yaomu runs on (Windows at the counter, Linux in CI).

Everything OS-specific lives here or in ``paths`` (where files go): file modes, locks, signals,
user names, whether the window needs a display server. An import-linter contract (pyproject.toml)
forbids ``fcntl``, ``pwd``, ``msvcrt`` and their kind elsewhere, and tests/test_platform.py refuses
``os.chmod``-style calls and ``sys.platform`` outside this module.
"""

from __future__ import annotations

import getpass
import os
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
