"""The ``yaomu`` subcommands, one module per group, each with ``register(subparsers)``."""

from __future__ import annotations

import json
import sys
from typing import Any


def print_json(data: Any) -> None:
    """``--json`` output: UTF-8 JSON with Chinese as is, dates and decimals as strings."""
    json.dump(data, sys.stdout, ensure_ascii=False, indent=2, default=str)
    sys.stdout.write("\n")
