"""Keystroke latency of the counter search, on the real catalogue and on a 270,000-row copy.

Prints the median and p99 time per keystroke over realistic queries (real names typed
character by character, pinyin initials typed letter by letter, official numbers), the
same for a plain ``LIKE '%…%'`` scan on the same data, and the speed-up. Also prints the
time to load the bundled catalogue into a fresh database.

    python bench/search.py [--queries FILE] [--json] [--rows 270000]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from desktop.catalogue import bundled, records, search  # noqa: E402
from desktop.catalogue.normalise import drug_key, normalise_name  # noqa: E402
from desktop.storage import catalogue as store  # noqa: E402

BENCH_DAY = date(2099, 6, 1)  # the scaled copy is stored as an edition in force in 2099


def typed(text: str) -> list[str]:
    """Every prefix of a query, as the box sees it while staff type."""
    return [text[:i] for i in range(1, len(text) + 1)]


def builtin_queries(db, edition_id: int, n_names: int = 120, seed: int = 7) -> list[str]:  # type: ignore[no-untyped-def]
    rng = random.Random(seed)
    entries = list(store.entries(db, edition_id))
    names = rng.sample(entries, n_names)
    queries: list[str] = []
    for e in names[: n_names // 2]:
        queries += typed(e.name[:6])  # Chinese, character by character
    for e in names[n_names // 2 :]:
        queries += typed(_initials(db, e.id)[:5])  # pinyin initials, letter by letter
    numbered = [e for e in entries if e.number]
    for e in rng.sample(numbered, 100):
        queries += typed(str(e.number))
    # Fragments from the middle of names (substring matches), 1-2 characters.
    for e in rng.sample(entries, 150):
        mid = len(e.name) // 2
        queries.append(e.name[mid : mid + rng.choice((1, 2))])
    return [q for q in queries if q]


def _initials(db, entry_id: str) -> str:  # type: ignore[no-untyped-def]
    return db.execute("select initials from entry where id = ?", [entry_id]).fetchone()[0]


def scan(db, query: str, edition_id: int, limit: int = 50) -> list:  # type: ignore[no-untyped-def]
    """The naive search this replaces: LIKE over every row, ranked the same way."""
    q = query.lower()
    if q.isdigit():
        where, params = "cast(number as text) like ?", [f"{q}%"]
    elif q.isascii():
        where, params = "(initials like ? or pinyin like ?)", [f"{q}%", f"{q}%"]
    else:
        where, params = "name like ?", [f"%{query}%"]
    return db.execute(
        f"select * from entry where edition_id = ? and {where} order by length(name), seq limit ?",
        [edition_id, *params, limit],
    ).fetchall()


def time_queries(fn, queries: list[str]) -> list[float]:  # type: ignore[no-untyped-def]
    for q in queries[:50]:  # warm-up
        fn(q)
    out = []
    for q in queries:
        t = time.perf_counter()
        fn(q)
        out.append((time.perf_counter() - t) * 1000)
    return out


def p99(values: list[float]) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[98]


def scaled_edition(db, edition_id: int, rows: int) -> records.EditionData:  # type: ignore[no-untyped-def]
    """A copy of the real edition grown to ``rows`` rows.

    Each real row is repeated with real payment-standard specifications and dosage forms
    of the catalogue appended, as products of the national drug-code database extend a
    generic name with strength and pack.
    """
    base = list(store.entries(db, edition_id))
    specs = sorted(
        {ps.spec for e in base for ps in e.payment_standards if ps.spec}
        | {e.dosage_form for e in base if e.dosage_form}
    )
    out: list[records.SourceRow] = []
    seen: set[tuple[str, str]] = set()
    i = -1
    while len(out) < rows:
        i += 1
        e = base[i % len(base)]
        variant = i // len(base)
        name = e.name if variant == 0 else f"{e.name}({specs[(variant - 1) % len(specs)]})"
        key = (e.section, drug_key(normalise_name(name), e.dosage_form))
        if key in seen:  # "X" + "(Y)" may spell another real "X(Y)"
            continue
        seen.add(key)
        out.append(
            records.SourceRow(
                section=e.section,
                name_published=name,
                seq=len(out) + 1,
                number=e.number if variant == 0 else None,
                dosage_form=e.dosage_form,
                drug_class=e.drug_class,
                category_code=e.category_code,
            )
        )
    info = records.EditionInfo("2099", "bench", "benchmark copy", None, None, date(2099, 1, 1), None, "bench", "-")
    return records.EditionData(info, out, {})


def measure(db, queries: list[str], day: date, edition_id: int) -> dict[str, float]:  # type: ignore[no-untyped-def]
    searcher = search.Searcher(db)
    ours = time_queries(lambda q: searcher.search(q, day=day, limit=50), queries)
    naive = time_queries(lambda q: scan(db, q, edition_id), queries)
    return {
        "queries": len(queries),
        "median_ms": round(statistics.median(ours), 3),
        "p99_ms": round(p99(ours), 3),
        "scan_median_ms": round(statistics.median(naive), 3),
        "scan_p99_ms": round(p99(naive), 3),
        "speedup": round(p99(naive) / p99(ours), 1),
        "speedup_median": round(statistics.median(naive) / statistics.median(ours), 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", type=Path, help="one query a line (replaces the built-in set)")
    parser.add_argument("--rows", type=int, default=270_000, help="rows of the scaled copy")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="yaomu-bench-"))
    path = tmp / "bench.sqlite3"
    t = time.perf_counter()
    bundled.install(path)
    load_s = time.perf_counter() - t
    db = store.open_db(path)
    real = store.edition_on(db, date(2026, 6, 1)).edition
    assert real is not None
    queries = (
        [q.strip() for q in args.queries.read_text(encoding="utf-8").splitlines() if q.strip()]
        if args.queries
        else builtin_queries(db, real.id)
    )
    results = {"load_bundled_s": round(load_s, 2)}
    real_rows = db.execute("select count(*) from entry where edition_id = ?", [real.id]).fetchone()[0]
    results["real"] = {"rows": real_rows, **measure(db, queries, date(2026, 6, 1), real.id)}

    t = time.perf_counter()
    data = scaled_edition(db, real.id, args.rows)
    store.load_edition(db, replace(data), None)
    build_s = time.perf_counter() - t
    scaled = store.edition_on(db, BENCH_DAY).edition
    assert scaled is not None
    rows = db.execute("select count(*) from entry where edition_id = ?", [scaled.id]).fetchone()[0]
    results["scaled"] = {"rows": rows, "build_s": round(build_s, 1), **measure(db, queries, BENCH_DAY, scaled.id)}

    if args.json:
        flat = {**results["scaled"], "real": results["real"], "load_bundled_s": results["load_bundled_s"]}
        print(json.dumps(flat, ensure_ascii=False, indent=2))
        return 0
    print(f"loading the bundled catalogue (2024 revised + 2025): {load_s:.2f} s (target <= 5 s)")
    for label, res in (("real catalogue", results["real"]), ("scaled copy", results["scaled"])):
        print(f"{label}: {res['rows']} rows, {res['queries']} queries")
        print(f"  indexed search: median {res['median_ms']} ms, p99 {res['p99_ms']} ms")
        print(f"  LIKE scan:      median {res['scan_median_ms']} ms, p99 {res['scan_p99_ms']} ms")
        print(f"  speed-up: {res['speedup']}x at p99, {res['speedup_median']}x at the median")
    print("targets: p99 <= 5 ms at 270,000 rows; >= 20x faster than the scan")
    return 0


if __name__ == "__main__":
    sys.exit(main())
