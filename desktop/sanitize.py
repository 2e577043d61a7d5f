"""Control characters: refused where text enters Yaomu, escaped where it leaves for a terminal.

Names and remarks come from packages signed by someone else and from staff typing; a NUL, an ANSI
escape (ESC [ ...), a bare CR or a right-to-left override in them could rewrite what a terminal or a
receipt shows. Validation refuses them (``find_control``); output escapes anything that slipped
through in an older database (``text``) as ``\\x1b``, ``\\u202e`` and so on, so staff see that
something odd is there instead of having their screen rewritten.
"""

from __future__ import annotations

import unicodedata

#: Format characters that reorder or hide text (bidi embeddings, overrides, isolates, marks).
BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
#: Separators JSON allows inside a string but a terminal line does not.
LINE_SEPARATORS = frozenset("\u2028\u2029\x85")


def is_control(ch: str) -> bool:
    """C0/C1 controls, DEL and the bidi controls.

    >>> [is_control(c) for c in ("\\x00", "\\x1b", "\\r", "\\u202e", "\\u00b2", "甲", " ")]
    [True, True, True, True, False, False, False]
    """
    return unicodedata.category(ch) == "Cc" or ch in BIDI_CONTROLS


def find_control(text: str) -> str | None:
    """The first control character of ``text`` written as ``U+XXXX``, or None.

    >>> find_control("阿莫西林\\x1b[31m"), find_control("阿莫西林胶囊")
    ('U+001B', None)
    """
    for ch in text:
        if is_control(ch):
            return f"U+{ord(ch):04X}"
    return None


def text(value: object) -> str:
    """``value`` as text safe to print on a terminal: controls and line separators escaped.

    >>> text("甲\\x1b[2J乙\\u202e丙\\u2028丁")
    '甲\\\\x1b[2J乙\\\\u202e丙\\\\u2028丁'
    >>> text(None)
    ''
    """
    if value is None:
        return ""
    s = str(value)
    if not any(is_control(ch) or ch in LINE_SEPARATORS for ch in s):
        return s
    out = []
    for ch in s:
        if is_control(ch) or ch in LINE_SEPARATORS:
            out.append(f"\\x{ord(ch):02x}" if ord(ch) < 0x100 else f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return "".join(out)
