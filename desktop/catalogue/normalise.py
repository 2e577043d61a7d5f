"""Repair what PDF/Excel conversions did to names and remarks, and build comparison keys.

Two levels:

* ``clean_text`` / ``normalise_name``: conservative, for display. Removes the line breaks
  and spaces a conversion inserted (``"( Ⅰ)"`` -> ``"(Ⅰ)"``, ``"复方\\n甘草"`` -> ``"复方甘草"``),
  keeps a space only between two Latin letters/digits (``"PDGFRA D842V"``) and writes
  brackets half-width, as the official PDF does.
* ``match_key``: aggressive, for comparing names across sources and editions (NFKC, so
  ``Ⅲ`` == ``III``; no spaces; lower case).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_WS = re.compile(r"\s+")
_BRACKETS = str.maketrans({"（": "(", "）": ")", "［": "[", "］": "]", "【": "[", "】": "]"})
#: Characters a space may separate without meaning: a space next to one of these is an artefact.
_LATIN = re.compile(r"[A-Za-z0-9.%+\-µμα-ωΑ-Ω]")


def _keep_space(left: str, right: str) -> bool:
    return bool(_LATIN.fullmatch(left) and _LATIN.fullmatch(right))


def clean_text(text: str | None) -> str | None:
    """Remove conversion artefacts (line breaks, stray spaces) from an official text.

    >>> clean_text("限携带血小板衍生生长因子受体α (PDGFRA)外显子18突变(包\\n括PDGFRA D842V突变)")
    '限携带血小板衍生生长因子受体α(PDGFRA)外显子18突变(包括PDGFRA D842V突变)'
    """
    if text is None:
        return None
    text = text.replace("\u3000", " ").replace("\xa0", " ").strip()
    if not text:
        return None
    out: list[str] = []
    for i, part in enumerate(_WS.split(text)):
        if i and out and part and _keep_space(out[-1][-1], part[0]):
            out.append(" ")
        out.append(part)
    return "".join(out)


@lru_cache(maxsize=65536)  # names repeat across ★ rows, variants and editions
def normalise_name(name: str) -> str:
    """The display form of a drug name: cleaned, brackets half-width, no spaces at all.

    >>> normalise_name("环孢素滴眼液（ Ⅲ）")
    '环孢素滴眼液(Ⅲ)'
    """
    cleaned = clean_text(name.translate(_BRACKETS)) or ""
    return cleaned.replace(" ", "") if _has_cjk(cleaned) else cleaned


_CJK = re.compile("[\u4e00-\u9fff]")


def _has_cjk(text: str) -> bool:
    return _CJK.search(text) is not None


@lru_cache(maxsize=65536)
def match_key(text: str | None) -> str:
    """A comparison key: equal for two spellings of the same name or form.

    >>> match_key("多种微量元素注射液(Ⅲ)") == match_key("多种微量元素注射液（III）")
    True
    """
    if not text:
        return ""
    folded = unicodedata.normalize("NFKC", text.translate(_BRACKETS))
    return _WS.sub("", folded).lower()


def drug_key(name: str, dosage_form: str | None) -> str:
    """The key of a drug + dosage form that stays the same across editions and revisions."""
    return f"{match_key(name)}|{match_key(dosage_form)}"
