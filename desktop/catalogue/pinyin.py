"""Pinyin keys of drug names for typing at the counter (``amxl`` -> 阿莫西林).

pypinyin reads polyphones in context from its phrase dictionary (地塞米松 -> di sai mi song,
重组 -> chong zu). Letters and digits in a name are kept as typed (维生素B12 -> wssb12);
punctuation and brackets are dropped. pypinyin is imported on first use (~200 ms), and
each run of Chinese characters is converted once: catalogue names share most runs (★
rows, two editions), which keeps loading an edition fast.
"""

from __future__ import annotations

import re
from functools import cache, lru_cache

_RUNS = re.compile(r"([\u3400-\u9fff]+)")
_KEEP = re.compile(r"[a-z0-9]+")


@cache
def _lib():  # type: ignore[no-untyped-def]
    import pypinyin

    return pypinyin


@lru_cache(maxsize=200_000)
def _chinese_run(run: str) -> tuple[str, str]:
    lib = _lib()
    syllables = [s for s in lib.lazy_pinyin(run, style=lib.Style.NORMAL, errors="ignore") if s]
    return "".join(syllables), "".join(s[0] for s in syllables)


def keys(name: str) -> tuple[str, str]:
    """Return ``(full_pinyin, initials)`` of a name, both lower-case letters and digits only.

    >>> keys("阿莫西林")
    ('amoxilin', 'amxl')
    >>> keys("地塞米松")[1]
    'dsms'
    >>> keys("维生素B12")
    ('weishengsub12', 'wssb12')
    """
    full, initials = [], []
    for i, part in enumerate(_RUNS.split(name)):
        if i % 2:  # a run of Chinese characters
            f, ini = _chinese_run(part)
            full.append(f)
            initials.append(ini)
        else:  # Latin letters and digits are typed as they are
            token = "".join(_KEEP.findall(part.lower()))
            full.append(token)
            initials.append(token)
    return "".join(full), "".join(initials)
