"""Specifications compared by what they say, not how they are written: "0.5g/片" is "500mg/片" (issue 10 item 4).

``spec_key`` folds widths and case (NFKC), drops spaces and brackets' width, and rewrites every
amount of mass into mg and of volume into ml, so two spellings of one specification are equal.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal
from functools import lru_cache

_MASS = {
    "kg": Decimal(1000000),
    "g": Decimal(1000),
    "mg": Decimal(1),
    "μg": Decimal("0.001"),
    "ug": Decimal("0.001"),
    "mcg": Decimal("0.001"),
    "ng": Decimal("0.000001"),
    "克": Decimal(1000),
    "毫克": Decimal(1),
    "微克": Decimal("0.001"),
}
_VOLUME = {
    "l": Decimal(1000),
    "ml": Decimal(1),
    "μl": Decimal("0.001"),
    "ul": Decimal("0.001"),
    "升": Decimal(1000),
    "毫升": Decimal(1),
}
_AMOUNT = re.compile(r"(\d+(?:\.\d+)?)\s*(kg|mcg|mg|μg|ug|ng|g|毫克|微克|克|μl|ul|ml|l|毫升|升)(?![a-z])")


def _fmt(d: Decimal) -> str:
    text = f"{d.normalize():f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


@lru_cache(maxsize=8192)
def spec_key(spec: str | None) -> str:
    """The comparison key of a specification.

    >>> spec_key("0.5g/片") == spec_key("500 mg/片")
    True
    >>> spec_key("1.0g/片") == spec_key("1000mg/片")
    True
    >>> spec_key("75mg/片") == spec_key("150mg/片")
    False
    """
    if not spec:
        return ""
    text = unicodedata.normalize("NFKC", spec).lower().replace("（", "(").replace("）", ")")
    text = re.sub(r"\s+", "", text)

    def unit(m: re.Match[str]) -> str:
        value, u = Decimal(m.group(1)), m.group(2)
        if u in _MASS:
            return f"{_fmt(value * _MASS[u])}mg"
        return f"{_fmt(value * _VOLUME[u])}ml"

    return _AMOUNT.sub(unit, text)
