"""The one search box: Chinese fragments, pinyin, official numbers, category codes, ids.

Ranked exact, then prefix, then substring; ties by shorter name. Results come from the
edition in force on the day asked (the nearest edition, said plainly, when none is).
No query scans the table: exact names, pinyin, numbers and codes go through B-tree
indexes; Chinese fragments through FTS5 over space-separated characters, and pinyin
prefixes through FTS5 prefix indexes. Rows are stored shortest name first, so rowid order
is rank order and every query stops after ``limit`` rows.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date

from sqlite_utils import Database

from desktop.catalogue import records as r
from desktop.catalogue.normalise import normalise_name
from desktop.storage import catalogue as store
from desktop.storage import overlays as ov
from desktop.storage.catalogue import (
    PREFIX_TOKENS,
    EditionChoice,
    fts_chars,
    fts_folded,
)

#: Category codes: X/Z, an anatomical or functional group letter, then digits and letters (XA01, ZA01C).
_CATEGORY = re.compile(r"^[XZxz][A-Za-z](\d{2}[A-Za-z0-9]*)?$")
_ENTRY_ID = re.compile(r"^\d{4}-[0-9a-f]{12}$")

EXACT, PREFIX, SUBSTRING = 0, 1, 2


@dataclass(frozen=True)
class SearchResult:
    query: str
    choice: EditionChoice
    entries: tuple[r.Entry, ...]
    #: Set when the edition of the day has no match and the entries come from another edition.
    elsewhere: str | None = None
    #: Drugs out of the catalogue but still paid in a transition period that match the query.
    transitions: tuple[str, ...] = ()
    #: Set when nothing was found and the edition of the day lacks sections: absence is not "not listed".
    incomplete: str | None = None

    @property
    def note(self) -> str | None:
        notes = [n for n in (self.choice.note, self.elsewhere, *self.transitions, self.incomplete) if n]
        return "\n".join(notes) or None


def _range_end(prefix: str) -> str:
    """The smallest string greater than every string starting with ``prefix``."""
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


class Searcher:
    """Runs queries against one database; cheap to create, holds no state between queries."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def search(self, query: str, *, day: date | None = None, limit: int = 50) -> SearchResult:
        choice = store.edition_on(self.db, day or date.today())
        text = normalise_name(query).strip() if query else ""
        if not text or choice.edition is None:
            return SearchResult(query, choice, ())
        found: dict[str, tuple[int, r.Entry]] = {}
        last_tier = EXACT
        for tier, rows in self._candidates(text, choice.edition.id, limit):
            if tier > last_tier and len(found) >= limit:
                break  # earlier tiers already fill the list: later ones cannot rank above them
            last_tier = tier
            for row in rows:
                found.setdefault(row.id, (tier, row))
        transitions = self._transitions(text, choice.day)
        if not found:
            return replace(self._elsewhere(query, text, choice, limit), transitions=transitions)
        return SearchResult(query, choice, self._ranked(found, limit), transitions=transitions)

    def _transitions(self, text: str, day: date) -> tuple[str, ...]:
        """Transition-period drugs (dropped from the list, still paid for a while) named like the query.

        They are no catalogue entries, so only a note can show them; the overlay list is tiny.
        """
        if len(text) < 2 or text.isascii():
            return ()
        return tuple(
            f"过渡期药品：{t.name} 已调出目录，{t.end} 前仍按原支付标准支付（{t.title}）。"
            for t in ov.transitions_naming(self.db, text, day)
        )

    @staticmethod
    def _ranked(found: dict[str, tuple[int, r.Entry]], limit: int) -> tuple[r.Entry, ...]:
        ranked = sorted(found.values(), key=lambda t: (t[0], len(t[1].name), t[1].seq))
        return tuple(entry for _, entry in ranked[:limit])

    def _elsewhere(self, query: str, text: str, choice: EditionChoice, limit: int) -> SearchResult:
        """Nothing in the edition of the day: look in the other installed editions, nearest first,
        so staff see that a drug was listed (e.g. dropped from the 2025 edition) rather than a blank."""
        assert choice.edition is not None
        others = sorted(
            (e for e in store.editions(self.db, details=False) if e.id != choice.edition.id),
            key=lambda e: abs((e.effective_start - choice.edition.effective_start).days),  # type: ignore[union-attr]
        )
        for other in others:
            found: dict[str, tuple[int, r.Entry]] = {}
            for tier, rows in self._candidates(text, other.id, limit):
                for row in rows:
                    found.setdefault(row.id, (tier, row))
            if found:
                note = (
                    f"{choice.day.isoformat()} 适用的{choice.edition.label}未收录与“{query}”匹配的药品；"
                    f"以下为{other.label}的条目，该日期不适用，仅供核对。"
                )
                return SearchResult(query, choice, self._ranked(found, limit), elsewhere=note)
        missing = [s for s in store.section_info(self.db, choice.edition.id).values() if not s.complete]
        if not missing:
            return SearchResult(query, choice, ())
        parts = "、".join(f"{s.section}（{s.note}）" if s.note else s.section for s in missing)
        return SearchResult(
            query,
            choice,
            (),
            incomplete=f"注意：{choice.edition.label}未完整导入以下部分：{parts}。未找到不代表未收录，请以完整目录核对。",
        )

    def _candidates(self, text: str, edition_id: int, limit: int) -> Iterator[tuple[int, list[r.Entry]]]:
        find = store.find_entries
        if _ENTRY_ID.match(text):
            yield EXACT, find(self.db, None, "id", text, limit)
        if text.isascii() and text.isdigit() and len(text) <= 18:  # "²", "①" are digits to str.isdigit
            n = int(text)
            yield EXACT, find(self.db, edition_id, "number", n, limit, by_seq=True)
            yield EXACT, find(self.db, edition_id, "star_of", n, limit, by_seq=True)
            return
        if _CATEGORY.match(text):
            code = text.upper()
            yield EXACT, find(self.db, edition_id, "category_code", code, limit, by_seq=True)
            yield PREFIX, find(self.db, edition_id, "category_code", code, limit, below=_range_end(code), by_seq=True)
        if text.isascii():
            q = re.sub(r"[^a-z0-9]", "", text.lower())
            if not q:
                return
            yield EXACT, find(self.db, edition_id, "initials", q, limit)
            yield EXACT, find(self.db, edition_id, "pinyin", q, limit)
            yield PREFIX, self._fts(f"{{ini py}} : {q}*", edition_id, limit)
            return
        yield EXACT, find(self.db, edition_id, "name", text, limit)
        tokens = fts_chars(text).split()
        if not tokens:
            return
        phrase = '"' + " ".join(tokens) + '"'
        if tokens[-1].isascii():  # "维生素b" while typing "维生素b12"
            phrase += " *"
        folded = fts_folded(text)
        if len(folded) <= PREFIX_TOKENS:
            yield PREFIX, self._fts(f'pre : "{folded}"', edition_id, limit)
        else:
            yield PREFIX, self._fts(f"chars : ^ {phrase}", edition_id, limit)
        yield SUBSTRING, self._fts(f"chars : {phrase}", edition_id, limit)

    def _fts(self, match: str, edition_id: int, limit: int) -> list[r.Entry]:
        """FTS matches of one edition in rowid order, i.e. shortest name first."""
        return store.fts_entries(self.db, match, edition_id, limit)


def search(db: Database, query: str, *, day: date | None = None, limit: int = 50) -> SearchResult:
    return Searcher(db).search(query, day=day, limit=limit)
