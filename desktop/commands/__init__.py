"""The ``yaomu`` subcommands, one module per group, each with ``register(subparsers)``."""

from __future__ import annotations

import json
import sys
from typing import Any

#: Characters JSON may carry raw but a terminal must not receive raw: DEL, C1 controls, bidi controls,
#: line separators (json escapes C0 controls itself).
_JSON_ESCAPE = {
    c: f"\\u{c:04x}"
    for c in [
        *range(0x7F, 0xA0),
        0x061C,
        0x200E,
        0x200F,
        *range(0x202A, 0x202F),
        *range(0x2066, 0x206A),
        0x2028,
        0x2029,
    ]
}


def print_json(data: Any) -> None:
    """``--json`` output: UTF-8 JSON with Chinese as is, dates and decimals as strings.

    Control and bidi characters from packages are escaped (``\\u202e``): inside a JSON string that is
    the same character, but a terminal never receives it raw.
    """
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str).translate(_JSON_ESCAPE))
    sys.stdout.write("\n")
