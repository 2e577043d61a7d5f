"""The one search box: Chinese fragments, pinyin, official numbers, category codes, ids.

Ranked exact, then prefix, then substring; ties by shorter name. Results come from the
edition in force on the day asked (the nearest edition, said plainly, when none is).
No query scans the table, and none reads more than it returns: rows are stored shortest name
first, so rowid order is rank order, and every index below answers in that order and stops
after ``limit`` rows. Exact names, pinyin and numbers go through B-tree indexes; category codes
through a B-tree of their prefixes (``entry_category_key``); Chinese fragments through FTS5: one
character is one doclist, two characters one bigram doclist, longer fragments the phrase of their
trigrams (short doclists even for common characters, so a miss costs next to nothing); prefixes
through prefix tokens; pinyin prefixes through FTS5 prefix indexes. A tier is queried only when the
earlier ones left the list short, only row ids are read until the list is complete, and the rows
become ``Entry`` records only when read (the window shows about 25 of 100).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import TYPE_CHECKING

from desktop.catalogue import records as r
from desktop.catalogue.normalise import normalise_name
from desktop.storage import catalogue as store
from desktop.storage import overlays as ov
from desktop.storage.catalogue import (
    PREFIX_TOKENS,
    EditionChoice,
    fts_folded,
    fts_grams,
)

if TYPE_CHECKING:
    from sqlite_utils import Database

#: Category codes: X/Z, an anatomical or functional group letter, then digits and letters (XA01, ZA01C).
_CATEGORY = re.compile(r"^[XZxz][A-Za-z](\d{2}[A-Za-z0-9]*)?$")
_ENTRY_ID = re.compile(r"^\d{4}-[0-9a-f]{12}$")

EXACT, PREFIX, SUBSTRING = 0, 1, 2

#: Row ids of a tier's matches in rank order, at most the limit given; called only while the list is short.
Fetch = Callable[[int], list[int]]
Tier = tuple[int, Fetch]


@dataclass(frozen=True)
class SearchResult:
    query: str
    choice: EditionChoice
    entries: Sequence[r.Entry]
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

    def __init__(self, db: Database | store.Reader) -> None:
        self.db = db

    def search(self, query: str, *, day: date | None = None, limit: int = 50) -> SearchResult:
        choice = store.edition_on(self.db, day or date.today())
        text = normalise_name(query).strip() if query else ""
        if not text or choice.edition is None:
            return SearchResult(query, choice, ())
        pks = self._collect(text, choice.edition.id, limit)
        if len(pks) < limit:  # products name entries too: a brand finds its generic (desktop/products)
            from desktop.storage.products import entry_pks

            pks += [pk for pk in entry_pks(self.db, text, choice.edition.id, limit - len(pks)) if pk not in pks]
        transitions = self._transitions(text, choice.day)
        if not pks:
            return replace(self._elsewhere(query, text, choice, limit), transitions=transitions)
        return SearchResult(query, choice, self._rows(pks), transitions=transitions)

    def _collect(self, text: str, edition_id: int, limit: int) -> list[int]:
        """Row ids of the best ``limit`` matches, tier by tier; a tier runs only while the list is short."""
        found: dict[int, None] = {}
        for _tier, fetch in self._candidates(text, edition_id):
            if len(found) >= limit:
                break  # earlier tiers already fill the list: later ones cannot rank above them
            for pk in fetch(limit):
                found.setdefault(pk)
        return list(found)[:limit]

    def _rows(self, pks: list[int]) -> store.LazyEntries:
        return store.entries_by_pk(self.db, pks)

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

    def transition_drugs(self, query: str) -> list[ov.Transition]:
        """Transition-period drugs named like ``query`` (a Chinese fragment of two characters or more, or the
        start of their pinyin or its initials), any day: the counter lists them as rows to pick and check
        (they have no entry; ``rules.service.check`` answers by name, after the period too).

        Not part of ``search`` (the CLI's search shows them as notes and must not load pypinyin).
        """
        text = normalise_name(query).strip().lower() if query else ""
        if len(text) < 2:
            return []
        drugs = ov.transition_drugs(self.db)
        if not drugs:
            return []
        if not text.isascii():
            return [t for t in drugs if text in normalise_name(t.name).lower()]
        letters = text.replace(" ", "")
        if not letters.isalnum() or not any(c.isalpha() for c in letters):
            return []
        from desktop.catalogue import pinyin  # pypinyin, ~200 ms once (the counter warms it up at start)

        return [t for t in drugs if any(key.startswith(letters) for key in pinyin.keys(t.name))]

    def _elsewhere(self, query: str, text: str, choice: EditionChoice, limit: int) -> SearchResult:
        """Nothing in the edition of the day: look in the other installed editions, nearest first,
        so staff see that a drug was listed (e.g. dropped from the 2025 edition) rather than a blank."""
        assert choice.edition is not None
        others = sorted(
            (e for e in store.editions(self.db, details=False) if e.id != choice.edition.id),
            key=lambda e: abs((e.effective_start - choice.edition.effective_start).days),  # type: ignore[union-attr]
        )
        for other in others:
            pks = self._collect(text, other.id, limit)
            if pks:
                note = (
                    f"{choice.day.isoformat()} 适用的{choice.edition.label}未收录与“{query}”匹配的药品；"
                    f"以下为{other.label}的条目，该日期不适用，仅供核对。"
                )
                return SearchResult(query, choice, self._rows(pks), elsewhere=note)
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

    def _find(self, edition_id: int | None, column: str, value: object, *, by_seq: bool = False) -> Fetch:
        return lambda limit: store.find_pks(self.db, edition_id, column, value, limit, by_seq=by_seq)

    def _candidates(self, text: str, edition_id: int) -> Iterator[Tier]:
        if _ENTRY_ID.match(text):
            yield EXACT, self._find(None, "id", text)
        if text.isascii() and text.isdigit() and len(text) <= 18:  # "²", "①" are digits to str.isdigit
            n = int(text)
            yield EXACT, self._find(edition_id, "number", n, by_seq=True)
            yield EXACT, self._find(edition_id, "star_of", n, by_seq=True)
            return
        if _CATEGORY.match(text):
            code = text.upper()
            yield EXACT, self._category("=" + code, edition_id)
            yield PREFIX, self._category(code, edition_id)
        if text.isascii():
            q = re.sub(r"[^a-z0-9]", "", text.lower())
            if not q:
                return
            yield EXACT, self._find(edition_id, "initials", q)
            yield EXACT, self._find(edition_id, "pinyin", q)
            yield PREFIX, self._fts(f"{{ini py}} : {q}*", edition_id)
            return
        yield EXACT, self._find(edition_id, "name", text)
        folded = fts_folded(text)
        if not folded:
            return
        if len(folded) <= PREFIX_TOKENS:
            yield PREFIX, self._fts(f'pre : "{folded}"', edition_id)
        else:  # the first letters as a token, the rest checked on the few names that start so
            yield PREFIX, self._starting(folded, edition_id)
        yield SUBSTRING, self._fts(self._fragment(folded), edition_id)

    @staticmethod
    def _fragment(folded: str) -> str:
        """The FTS query for names containing ``folded``: one token, or the phrase of its trigrams."""
        if len(folded) == 1:
            return f'chars : "{folded}"'
        if len(folded) == 2:
            return f'g2 : "{folded}"'
        return f'g3 : "{fts_grams(folded, 3)}"'

    def _starting(self, folded: str, edition_id: int) -> Fetch:
        match = f'pre : "{folded[:PREFIX_TOKENS]}" AND {self._fragment(folded)}'
        candidates = self._fts(match, edition_id)

        def fetch(limit: int) -> list[int]:
            pks = candidates(limit * 4)
            if not pks:
                return []
            names = store.names_by_pk(self.db, pks)
            return [pk for pk in pks if fts_folded(names.get(pk, "")).startswith(folded)][:limit]

        return fetch

    def _category(self, key: str, edition_id: int) -> Fetch:
        return lambda limit: store.category_pks(self.db, edition_id, key, limit)

    def _fts(self, match: str, edition_id: int) -> Fetch:
        """FTS matches of one edition in rowid order, i.e. shortest name first."""
        return lambda limit: store.fts_pks(self.db, match, edition_id, limit)


def search(db: Database | store.Reader, query: str, *, day: date | None = None, limit: int = 50) -> SearchResult:
    return Searcher(db).search(query, day=day, limit=limit)
