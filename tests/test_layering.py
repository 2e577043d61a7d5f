"""The architecture contract (pyproject.toml's [tool.importlinter]) holds: layers, no cycles, Qt-free core, platform.

``lint-imports`` checks every import, function-level (lazy) ones included; ``make check`` runs it too.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def lint_imports(*args: str) -> subprocess.CompletedProcess[str]:
    tool = Path(sys.executable).with_name("lint-imports")
    return subprocess.run(
        [str(tool), "--no-cache", *args], cwd=ROOT, capture_output=True, text=True, encoding="utf-8", check=False
    )


def test_contracts_are_kept() -> None:
    result = lint_imports()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_the_linter_sees_lazy_and_external_imports(tmp_path: Path) -> None:
    """Contracts the tree breaks on purpose: the graph is not blind to function-level or Qt imports."""
    config = tmp_path / "contracts.toml"
    config.write_text(
        """
[tool.importlinter]
root_package = "desktop"
include_external_packages = true

[[tool.importlinter.contracts]]
name = "cli never starts the GUI"
type = "forbidden"
source_modules = ["desktop.cli"]
forbidden_modules = ["desktop.app"]

[[tool.importlinter.contracts]]
name = "ui never imports Qt"
type = "forbidden"
source_modules = ["desktop.ui"]
forbidden_modules = ["PySide6"]
""",
        encoding="utf-8",
    )
    result = lint_imports("--config", str(config))
    assert result.returncode == 1
    assert "2 broken" in result.stdout
    assert "desktop.cli -> desktop.app" in result.stdout  # a function-level import in cli.main
