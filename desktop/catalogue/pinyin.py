"""Pinyin keys of drug names for typing at the counter (``amxl`` -> 阿莫西林).

pypinyin reads polyphones in context from its phrase dictionary (地塞米松 -> di sai mi song,
重组 -> chong zu). Letters and digits in a name are kept (维生素B12 -> wssb12); punctuation
and brackets are dropped. pypinyin is imported on first use: it costs ~200 ms.
"""

from __future__ import annotations

import re
from functools import cache

_KEEP = re.compile(r"[a-z0-9]+")


@cache
def _lib():  # type: ignore[no-untyped-def]
    import pypinyin

    return pypinyin


def keys(name: str) -> tuple[str, str]:
    """Return ``(full_pinyin, initials)`` of a name, both lower-case letters and digits only.

    >>> keys("阿莫西林")
    ('amoxilin', 'amxl')
    >>> keys("地塞米松")[1]
    'dsms'
    """
    lib = _lib()
    syllables = lib.lazy_pinyin(name, style=lib.Style.NORMAL, errors="default")
    full, initials = [], []
    for syl in syllables:
        parts = _KEEP.findall(syl.lower())
        if not parts:
            continue
        token = "".join(parts)
        full.append(token)
        # pypinyin returns a Chinese character as one lower-case syllable and a run of other
        # characters verbatim: such a run (B12, PD-1) is typed as it is, not by its first letter.
        from_chinese = syl.isascii() and syl.isalpha() and syl.islower()
        initials.append(token[0] if from_chinese else token)
    return "".join(full), "".join(initials)


def is_pinyin_query(text: str) -> bool:
    """True when the text is something to match against pinyin keys (ASCII letters, maybe digits)."""
    return bool(text) and text.isascii() and any(c.isalpha() for c in text) and text.replace(" ", "").isalnum()
