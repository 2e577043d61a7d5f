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
from dataclasses import dataclass, replace
from datetime import date

from sqlite_utils import Database

from desktop.catalogue import records as r
from desktop.catalogue.normalise import normalise_name
from desktop.storage import catalogue as store
from desktop.storage.catalogue import (
    ENTRY_SELECT,
    PK_EDITION,
    PREFIX_TOKENS,
    EditionChoice,
    fts_chars,
    fts_folded,
    row_to_entry,
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
        found: dict[str, tuple[int, dict]] = {}
        last_tier = EXACT
        for tier, rows in self._candidates(text, choice.edition.id, limit):
            if tier > last_tier and len(found) >= limit:
                break  # earlier tiers already fill the list: later ones cannot rank above them
            last_tier = tier
            for row in rows:
                found.setdefault(row["id"], (tier, row))
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
            f"过渡期药品：{row['name']} 已调出目录，{row['end']} 前仍按原支付标准支付（{row['title']}）。"
            for row in self.db.query(
                "select i.name, i.end, o.title from overlay_item i join overlay o on o.id = i.overlay_id "
                "where o.kind = 'transition' and i.action = 'add' and instr(i.name, ?) > 0 "
                "and (i.start is null or i.start <= ?) and (i.end is null or i.end >= ?)",
                [text, day.isoformat(), day.isoformat()],
            )
        )

    @staticmethod
    def _ranked(found: dict[str, tuple[int, dict]], limit: int) -> tuple[r.Entry, ...]:
        ranked = sorted(found.values(), key=lambda t: (t[0], len(t[1]["name"]), t[1]["seq"]))
        return tuple(row_to_entry(row) for _, row in ranked[:limit])

    def _elsewhere(self, query: str, text: str, choice: EditionChoice, limit: int) -> SearchResult:
        """Nothing in the edition of the day: look in the other installed editions, nearest first,
        so staff see that a drug was listed (e.g. dropped from the 2025 edition) rather than a blank."""
        assert choice.edition is not None
        others = sorted(
            (e for e in store.editions(self.db, details=False) if e.id != choice.edition.id),
            key=lambda e: abs((e.effective_start - choice.edition.effective_start).days),  # type: ignore[union-attr]
        )
        for other in others:
            found: dict[str, tuple[int, dict]] = {}
            for tier, rows in self._candidates(text, other.id, limit):
                for row in rows:
                    found.setdefault(row["id"], (tier, row))
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

    def _q(self, where: str, params: list[object], limit: int, order: str = "e.rowid") -> list[dict]:
        # WORKAROUND: a unary "+" keeps the planner from walking an index in ORDER BY order
        # (e.g. (edition_id, seq) over 270,000 rows) instead of the selective WHERE index.
        return list(self.db.query(f"{ENTRY_SELECT} where {where} order by +{order} limit ?", [*params, limit]))

    def _candidates(self, text: str, edition_id: int, limit: int):  # type: ignore[no-untyped-def]
        ed = "e.edition_id = ? and "
        if _ENTRY_ID.match(text):
            yield EXACT, self._q("e.id = ?", [text], limit)
        if text.isdigit():
            # Official numbers are short; a scanned 追溯码 (20 digits) or two barcodes in a row are no
            # number of the list (and overflow SQLite's INTEGER): nothing to look up, no error.
            if text.isdecimal() and len(text) <= 9:
                n = int(text)
                yield EXACT, self._q(ed + "e.number = ?", [edition_id, n], limit, "e.seq")
                yield EXACT, self._q(ed + "e.star_of = ?", [edition_id, n], limit, "e.seq")
            return
        if _CATEGORY.match(text):
            code = text.upper()
            yield EXACT, self._q(ed + "e.category_code = ?", [edition_id, code], limit, "e.seq")
            yield (
                PREFIX,
                self._q(
                    ed + "e.category_code >= ? and e.category_code < ?",
                    [edition_id, code, _range_end(code)],
                    limit,
                    "e.seq",
                ),
            )
        if text.isascii():
            q = re.sub(r"[^a-z0-9]", "", text.lower())
            if not q:
                return
            yield EXACT, self._q(ed + "e.initials = ?", [edition_id, q], limit)
            yield EXACT, self._q(ed + "e.pinyin = ?", [edition_id, q], limit)
            yield PREFIX, self._fts(f"{{ini py}} : {q}*", edition_id, limit)
            return
        yield EXACT, self._q(ed + "e.name = ?", [edition_id, text], limit)
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

    def _fts(self, match: str, edition_id: int, limit: int) -> list[dict]:
        """FTS matches of one edition in rowid order, i.e. shortest name first."""
        return list(
            self.db.query(
                "select e.*, d.name as edition_name from entry_fts f join entry e on e.rowid = f.rowid "
                "join edition d on d.id = e.edition_id "
                "where entry_fts match ? and f.rowid between ? and ? order by f.rowid limit ?",
                [match, edition_id * PK_EDITION, (edition_id + 1) * PK_EDITION - 1, limit],
            )
        )


def search(db: Database, query: str, *, day: date | None = None, limit: int = 50) -> SearchResult:
    return Searcher(db).search(query, day=day, limit=limit)
