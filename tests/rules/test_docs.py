"""The staff help page lists every rule code the rules can give."""

from __future__ import annotations

import re
from pathlib import Path

from desktop.rules import policy
from desktop.rules.eligibility import REASON_CODES, VERDICT_LABELS
from desktop.rules.service import ESTIMATE_CODES

DOC = Path(__file__).resolve().parents[2] / "docs" / "rules.md"
RULES = Path(__file__).resolve().parents[2] / "desktop" / "rules"
SOURCES = [RULES / "eligibility.py", RULES / "service.py"]


def test_every_code_is_documented():
    text = DOC.read_text(encoding="utf-8")
    for code in [*REASON_CODES, *ESTIMATE_CODES, *VERDICT_LABELS, *policy.CONDITIONS]:
        assert f"`{code}`" in text, code


def test_every_code_used_in_the_code_is_registered():
    # c.info("code", ...), c.block(...), c.unknown(...), _note("code", ...) and the code = {...} maps.
    used = set()
    for path in SOURCES:
        source = path.read_text(encoding="utf-8")
        used |= set(re.findall(r'\b(?:info|block|unknown|_note)\(\s*"([a-z_]+)"', source))
    assert used, "the pattern found no code: the test would prove nothing"
    assert used <= set(REASON_CODES) | set(ESTIMATE_CODES)
