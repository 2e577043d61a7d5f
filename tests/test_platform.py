"""OS-specific calls live in desktop/platform.py only (the imports are held by pyproject's import-linter contract)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from desktop import platform

DESKTOP = Path(__file__).resolve().parent.parent / "desktop"
#: Calls whose meaning differs between Windows and POSIX (modes, owners, signals, process ids).
OS_CALLS = {
    ("os", "chmod"),
    ("os", "fchmod"),
    ("os", "lchmod"),
    ("os", "chown"),
    ("os", "fchown"),
    ("os", "umask"),
    ("os", "getuid"),
    ("os", "geteuid"),
    ("os", "getgid"),
    ("os", "kill"),
    ("os", "killpg"),
    ("os", "startfile"),
    ("os", "fork"),
    ("sys", "platform"),
    ("os", "name"),
}
#: Methods with the same trap on ``pathlib.Path`` (and any other object).
MODE_METHODS = {"chmod", "lchmod", "fchmod", "chown", "lchown"}


def os_specific(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Attribute):
            if isinstance(node.value, ast.Name) and (node.value.id, node.attr) in OS_CALLS:
                found.append(f"{node.lineno}: {node.value.id}.{node.attr}")
            elif node.attr in MODE_METHODS:
                found.append(f"{node.lineno}: .{node.attr}")
    return found


def test_the_check_sees_os_specific_code() -> None:
    assert os_specific(Path(platform.__file__))  # sys.platform is asked there, and only there


@pytest.mark.parametrize(
    "path",
    sorted(p for p in DESKTOP.rglob("*.py") if p.name != "platform.py" or p.parent != DESKTOP),
    ids=lambda p: str(p.relative_to(DESKTOP)),
)
def test_no_os_specific_code_outside_platform(path: Path) -> None:
    assert os_specific(path) == []


def test_who_names_user_and_host() -> None:
    user, _, host = platform.who().partition("@")
    assert user and host
