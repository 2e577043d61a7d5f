"""How hard the fuzz and SIGKILL suites push: bounded by default, much longer under ``make soak``.

``make soak`` sets ``YAOMU_SOAK=1``; the suites read their budgets from here.
"""

from __future__ import annotations

import os

SOAK = os.environ.get("YAOMU_SOAK") == "1"


def budget(default: int, soak: int) -> int:
    """``default`` normally, ``soak`` under ``make soak``."""
    return soak if SOAK else default
