"""Keystroke latency of the counter search, on the real catalogue and on realistic copies of 270,000
and 1,000,000 rows.

The copies are built from the real rows, not repeated: each name joins the head of one real name to
the tail of another (阿莫西 + 拉维酸钾), a third of them carry a real specification of the catalogue
in brackets, and every row keeps a real dosage form, class and category code of the row its head came
from; pinyin and initials are those of the parts. The real rows are included.

Queries are typed key by key as staff type them, with the limit the window asks (100): Chinese names
character by character, fragments from the middle of names, pinyin initials and full pinyin letter by
letter, official numbers, category codes (ZA, XJ01CA), and misses (common characters in an order no
name has, pinyin no name has). Prints median and p99 per keystroke, overall and per kind, the same
for a plain ``LIKE`` scan of the same data, and the speed-up. Also prints the time to load the
bundled catalogue into a fresh database.

    python bench/search.py [--rows 270000,1000000] [--queries FILE] [--json]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from desktop.catalogue import pinyin, records, search  # noqa: E402
from desktop.catalogue.normalise import drug_key, normalise_name  # noqa: E402
from desktop.storage import catalogue as store  # noqa: E402
from desktop.sync import bundled  # noqa: E402

REAL_DAY = date(2026, 6, 1)
BENCH_DAY = date(2099, 6, 1)  # the scaled copy is stored as an edition in force in 2099
LIMIT = 100  # what the counter window asks (CounterWidget.run_search)
TARGET_P99_MS = 5.0


def typed(text: str) -> list[str]:
    """Every prefix of a query, as the box sees it while staff type."""
    return [text[:i] for i in range(1, len(text) + 1)]


def build_queries(entries: list[records.Entry], names: set[str], seed: int = 7) -> list[tuple[str, str]]:
    """(kind, text) for every keystroke of a realistic session over ``entries`` (the real edition)."""
    rng = random.Random(seed)
    out: list[tuple[str, str]] = []

    def add(kind: str, text: str) -> None:
        out.extend((kind, q) for q in typed(text))

    sample = rng.sample(entries, 160)
    for e in sample[:50]:
        add("chinese", e.name[:6])
    for e in sample[50:90]:
        add("initials", pinyin.keys(e.name)[1][:5])
    for e in sample[90:120]:
        add("full pinyin", pinyin.keys(e.name)[0][:10])
    for e in rng.sample([e for e in entries if e.number], 40):
        add("number", str(e.number))
    codes = sorted({e.category_code for e in entries if e.category_code})
    for code in rng.sample(codes, 25):
        add("category", code)
    for e in rng.sample(entries, 120):  # fragments from the middle of names
        mid = len(e.name) // 2
        out.append(("fragment", e.name[mid : mid + rng.choice((1, 2, 3))]))
    # Misses: common characters in an order no name has; pinyin no name has.
    common = [ch for ch, _ in _char_counts(entries)[:60]]
    misses = 0
    while misses < 30:
        text = "".join(rng.sample(common, rng.choice((3, 4))))
        if not any(text[:2] in n for n in names) or any(text in n for n in names):
            continue  # a miss whose first two characters do occur (the expensive kind)
        add("miss", text)
        misses += 1
    for text in ("qxzv", "zzqqx", "xkqj", "vvbn", "qqzzjj"):
        add("miss", text)
    return out


def _char_counts(entries: list[records.Entry]) -> list[tuple[str, int]]:
    counts: dict[str, int] = defaultdict(int)
    for e in entries:
        for ch in set(e.name):
            if not ch.isascii():
                counts[ch] += 1
    return sorted(counts.items(), key=lambda kv: -kv[1])


def scaled_edition(
    base: list[records.Entry], rows: int, seed: int = 3
) -> tuple[records.EditionData, dict[str, tuple[str, str]]]:
    """A realistic copy of ``rows`` rows built from the real edition ``base`` (see the module doc)."""
    rng = random.Random(seed)
    specs = sorted({ps.spec for e in base for ps in e.payment_standards if ps.spec and len(ps.spec) <= 16})
    out: list[records.SourceRow] = []
    known: dict[str, tuple[str, str]] = {}
    seen: set[tuple[str, str]] = set()

    def add(e: records.Entry, name: str, number: int | None, keys: tuple[str, str]) -> None:
        key = (e.section, drug_key(normalise_name(name), e.dosage_form))
        if key in seen:
            return
        seen.add(key)
        known[normalise_name(name)] = keys
        out.append(
            records.SourceRow(
                section=e.section,
                name_published=name,
                seq=len(out) + 1,
                number=number,
                dosage_form=e.dosage_form,
                drug_class=e.drug_class,
                category_code=e.category_code,
            )
        )

    for e in base:
        add(e, e.name, e.number, pinyin.keys(normalise_name(e.name)))
    long = [e for e in base if len(e.name) >= 3]
    while len(out) < rows:
        a, b = rng.choice(long), rng.choice(long)
        head = a.name[: rng.randint(2, max(2, len(a.name) - 1))]
        tail = b.name[rng.randint(1, len(b.name) - 1) :]
        name = head + tail
        fa, ia = pinyin.keys(normalise_name(head))
        fb, ib = pinyin.keys(normalise_name(tail))
        full, initials = fa + fb, ia + ib
        if rng.random() < 0.33:
            spec = rng.choice(specs)
            name = f"{name}({spec})"
            fs, is_ = pinyin.keys(normalise_name(spec))
            full, initials = full + fs, initials + is_
        add(a, name, None, (full, initials))
    info = records.EditionInfo("2099", "bench", "benchmark copy", None, None, date(2099, 1, 1), None, "bench", "-")
    return records.EditionData(info, out, {}), known


def scan(db, query: str, edition_id: int, limit: int = LIMIT) -> list:  # type: ignore[no-untyped-def]
    """The naive search this replaces: LIKE over every row, ranked the same way."""
    q = query.lower()
    if q.isdigit():
        where, params = "cast(number as text) like ?", [f"{q}%"]
    elif q.isascii():
        where, params = "(initials like ? or pinyin like ? or category_code like ?)", [f"{q}%", f"{q}%", f"{q}%"]
    else:
        where, params = "name like ?", [f"%{query}%"]
    return db.execute(
        f"select * from entry where edition_id = ? and {where} order by length(name), seq limit ?",
        [edition_id, *params, limit],
    ).fetchall()


def p99(values: list[float]) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[98]


def time_queries(fn, queries: list[tuple[str, str]], cpu: list[float] | None = None) -> list[float]:  # type: ignore[no-untyped-def]
    """Wall milliseconds per query (and CPU milliseconds into ``cpu``: on a loaded machine the wall
    time also counts the time the process waited for a core)."""
    for _kind, q in queries[:50]:  # warm-up
        fn(q)
    out = []
    for _kind, q in queries:
        t, c = time.perf_counter(), time.thread_time()
        fn(q)
        out.append((time.perf_counter() - t) * 1000)
        if cpu is not None:
            cpu.append((time.thread_time() - c) * 1000)
    return out


def measure(db, queries: list[tuple[str, str]], day: date, edition_id: int, naive: bool) -> dict:  # type: ignore[no-untyped-def]
    searcher = search.Searcher(db)
    cpu: list[float] = []
    ours = time_queries(lambda q: searcher.search(q, day=day, limit=LIMIT), queries, cpu)
    res: dict[str, object] = {
        "queries": len(queries),
        "median_ms": round(statistics.median(ours), 3),
        "p99_ms": round(p99(ours), 3),
        "max_ms": round(max(ours), 3),
        "cpu_median_ms": round(statistics.median(cpu), 3),
        "cpu_p99_ms": round(p99(cpu), 3),
    }
    kinds: dict[str, list[float]] = defaultdict(list)
    for (kind, _q), t in zip(queries, ours, strict=True):
        kinds[kind].append(t)
    res["by_kind"] = {
        k: {"n": len(v), "median_ms": round(statistics.median(v), 3), "p99_ms": round(p99(v), 3)}
        for k, v in kinds.items()
    }
    slow = sorted(zip(ours, queries, strict=True), reverse=True)[:6]
    res["slowest"] = [f"{q!r} ({kind}) {t:.2f} ms" for t, (kind, q) in slow]
    if naive:
        scans = time_queries(lambda q: scan(db, q, edition_id), queries)
        res["scan_median_ms"] = round(statistics.median(scans), 3)
        res["scan_p99_ms"] = round(p99(scans), 3)
        res["speedup"] = round(p99(scans) / p99(ours), 1)
    return res


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", type=Path, help="one query a line (replaces the built-in set)")
    parser.add_argument("--rows", default="270000,1000000", help="rows of the scaled copies, comma-separated")
    parser.add_argument("--no-scan", action="store_true", help="skip the LIKE scan comparison")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="yaomu-bench-"))
    path = tmp / "bench.sqlite3"
    t = time.perf_counter()
    bundled.install(path)
    load_s = time.perf_counter() - t
    db = store.open_db(path)
    real = store.edition_on(db, REAL_DAY).edition
    assert real is not None
    base = list(store.entries(db, real.id))
    if args.queries:
        lines = args.queries.read_text(encoding="utf-8").splitlines()
        queries = [("file", q.strip()) for q in lines if q.strip()]
    else:
        queries = build_queries(base, {e.name for e in base})
    results: dict[str, object] = {"load_bundled_s": round(load_s, 2), "limit": LIMIT}
    results["real"] = {"rows": len(base), **measure(db, queries, REAL_DAY, real.id, not args.no_scan)}
    for rows in (int(r) for r in args.rows.split(",") if r):
        t = time.perf_counter()
        data, known = scaled_edition(base, rows)
        store.load_edition(db, data, None, known_pinyin=known)
        build_s = time.perf_counter() - t
        scaled = store.edition_on(db, BENCH_DAY).edition
        assert scaled is not None
        n = db.execute("select count(*) from entry where edition_id = ?", [scaled.id]).fetchone()[0]
        results[f"scaled_{rows}"] = {
            "rows": n,
            "build_s": round(build_s, 1),
            **measure(db, queries, BENCH_DAY, scaled.id, not args.no_scan),
        }

    if args.json:
        print(json.dumps(results, ensure_ascii=False, indent=2))
        return 0
    print(f"loading the bundled catalogue (2024 revised + 2025): {load_s:.2f} s (target <= 5 s)")
    for label, res in results.items():
        if not isinstance(res, dict):
            continue
        print(f"{label}: {res['rows']} rows, {res['queries']} keystrokes, limit {LIMIT}")
        print(f"  indexed search: median {res['median_ms']} ms, p99 {res['p99_ms']} ms, max {res['max_ms']} ms")
        print(f"    CPU time:     median {res['cpu_median_ms']} ms, p99 {res['cpu_p99_ms']} ms")
        for kind, k in res["by_kind"].items():
            print(f"    {kind:<12} n={k['n']:<4} median {k['median_ms']} ms, p99 {k['p99_ms']} ms")
        print(f"  slowest: {', '.join(res['slowest'])}")
        if "scan_p99_ms" in res:
            print(f"  LIKE scan:      median {res['scan_median_ms']} ms, p99 {res['scan_p99_ms']} ms")
            print(f"  speed-up: {res['speedup']}x at p99")
    print(f"target: p99 <= {TARGET_P99_MS} ms per keystroke at 270,000 rows and flat to 1,000,000")
    return 0


if __name__ == "__main__":
    sys.exit(main())
