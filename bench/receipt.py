"""Time per printed receipt: layout + PDF drawing, and a full issue (number, history row, PDF, file).

Each receipt is a different basket of 20 real lines of the 2024 revised edition (random class-A and
class-B Western and Chinese patent drugs, a confidential negotiated drug with a supplied standard, a
negotiated drug with a public one), priced and estimated by ``desktop.rules.service`` for a Jilin
employee. Prints median and p99 per receipt, wall and CPU time, per paper format, and separately
what the first receipt of a session pays: in a fresh process without warm-up (font registration,
first subsets), and after ``pdf.warm_up()``, which the window runs in the background once shown.

    python bench/receipt.py [--runs 60] [--json]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from desktop import settings as settings_mod  # noqa: E402
from desktop.catalogue import bundled, records  # noqa: E402
from desktop.receipts import check, issue, layout, pdf  # noqa: E402
from desktop.rules import service  # noqa: E402
from desktop.rules.contract import Estimate  # noqa: E402
from desktop.storage import catalogue as store  # noqa: E402

TARGET_MS = 10.0
SETTINGS = settings_mod.Settings(
    pharmacy_name="长春市益民大药房（人民大街店）",
    institution_code="P22010200123",
    counter="2号收款台",
    staff="王芳",
    profile="jilin",
)


def baskets(db, n: int, seed: int = 11) -> list[dict]:  # type: ignore[no-untyped-def]
    """``n`` different 20-line baskets of real entries (no two alike)."""
    rng = random.Random(seed)
    edition = store.editions(db)[0]
    plain = [
        e
        for section in (records.WEST, records.TCM)
        for e in store.entries(db, edition.id, section)
        if e.drug_class in ("甲", "乙") and not e.remark
    ]
    negotiated = list(store.entries(db, edition.id, records.NEGOTIATED))
    secrets = [e for e in negotiated if any(s.confidential for s in e.payment_standards)]
    public = [e for e in negotiated if e.payment_standards and e.payment_standards[0].amount and not e.remark]
    out = []
    for _ in range(n):
        picked = rng.sample(plain, 18)
        items = [
            {
                "entry": e.id,
                "unit_price": f"{rng.randint(3, 300)}.{rng.randint(0, 99):02d}",
                "quantity": rng.randint(1, 3),
            }
            for e in picked
        ]
        items.append(
            {
                "entry": rng.choice(secrets).id,
                "unit_price": "4380.00",
                "quantity": 1,
                "payment_standard": "3187.45",
                "confirmed": ["restriction", "second_line"],
            }
        )
        items.append({"entry": rng.choice(public).id, "unit_price": "99.00", "quantity": 2})
        out.append(
            {
                "date": "2025-03-01",
                "profile": "jilin",
                "insurance": "employee",
                "patient_group": "general",
                "channel": "outpatient",
                "deductible_remaining": "0.00",
                "cap_remaining": None,
                "policy": {"first_self_pay": "0.10", "fund_ratio": "0.70"},
                "items": items,
            }
        )
    return out


def p99(values: list[float]) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[98] if len(values) > 1 else values[0]


def timed(fn, inputs: list) -> tuple[list[float], list[float]]:  # type: ignore[no-untyped-def]
    """Wall and CPU milliseconds of ``fn(x)`` for each input, after two warm-up calls."""
    for x in inputs[:2]:
        fn(x)
    walls, cpus = [], []
    for x in inputs:
        t0, c0 = time.perf_counter(), time.process_time()
        fn(x)
        walls.append((time.perf_counter() - t0) * 1000)
        cpus.append((time.process_time() - c0) * 1000)
    return walls, cpus


def summary(walls: list[float], cpus: list[float]) -> dict[str, float]:
    return {
        "median_ms": round(statistics.median(walls), 2),
        "p99_ms": round(p99(walls), 2),
        "cpu_median_ms": round(statistics.median(cpus), 2),
        "cpu_p99_ms": round(p99(cpus), 2),
    }


class Setup:
    def __init__(self, tmp: Path, n: int) -> None:
        self.db = store.open_db(tmp / "bench.sqlite3")
        bundled.load(self.db, bundled.read_2024_revised())
        settings_mod.save(self.db, SETTINGS)
        self.requests = [service.parse_request(self.db, req, SETTINGS) for req in baskets(self.db, n)]
        self.results = [service.estimate(self.db, req, SETTINGS) for req in self.requests]
        self.issuer = layout.Issuer.from_settings(SETTINGS)
        self.meta = layout.ReceiptMeta(
            "P22010200123-20250301-0001",
            "2025-03-01 10:00:00",
            "2024-revised-x",
            "张三",
            layout.mask_id("220102199001011239"),
        )
        self.key = check.secret(self.db)

    def draw(self, result: Estimate, page: layout.PageFormat) -> bytes:
        body = layout.logical_lines(result, self.issuer, self.meta)
        cv = check.compute(self.key, self.meta.number, layout.signed_text(body))
        receipt = layout.assemble(
            body,
            page,
            number=self.meta.number,
            check_value=cv,
            qr_payload=check.qr_payload(self.meta.number, cv),
            measure=pdf.measure,
        )
        return pdf.render(receipt)


def first_receipt_cold() -> int:
    """Child process: the first receipt of a session with no warm-up (prints its ms)."""
    with tempfile.TemporaryDirectory() as tmp:
        setup = Setup(Path(tmp), 1)
        t0 = time.perf_counter()
        setup.draw(setup.results[0], layout.FORMATS["80mm"])
        print(round((time.perf_counter() - t0) * 1000, 1))
        setup.db.close()
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=60)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--first-cold", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.first_cold:
        return first_receipt_cold()

    cold = [
        float(
            subprocess.run(
                [sys.executable, __file__, "--first-cold"], capture_output=True, text=True, check=True
            ).stdout
        )
        for _ in range(3)
    ]
    figures: dict[str, object] = {"first_receipt_no_warm_up_ms": round(statistics.median(cold), 1)}
    with tempfile.TemporaryDirectory() as tmp:
        setup = Setup(Path(tmp), args.runs + 1)
        t0 = time.perf_counter()
        pdf.warm_up()
        figures["warm_up_ms"] = round((time.perf_counter() - t0) * 1000, 1)
        t0 = time.perf_counter()
        setup.draw(setup.results[-1], layout.FORMATS["80mm"])  # a basket no later run draws again
        figures["first_receipt_after_warm_up_ms"] = round((time.perf_counter() - t0) * 1000, 1)
        results = setup.results[: args.runs]
        for fmt in ("58mm", "80mm", "a5"):
            page = layout.FORMATS[fmt]
            figures[f"draw_{fmt}"] = summary(*timed(lambda r, page=page: setup.draw(r, page), results))
            figures[f"pdf_{fmt}_bytes"] = len(setup.draw(results[0], page))
        out = Path(tmp) / "r.pdf"
        pairs = list(zip(setup.requests[: args.runs], results, strict=True))
        figures["issue_80mm"] = summary(
            *timed(lambda pair: issue.issue(setup.db, pair[0], pair[1], setup.issuer, "80mm", out, force=True), pairs)
        )
        figures["lines"] = len(results[0].lines)
        setup.db.close()

    if args.json:
        print(json.dumps(figures, indent=2))
        return 0
    print(
        f"baskets: {args.runs} different ones of {figures['lines']} lines. First receipt of a session: "
        f"{figures['first_receipt_no_warm_up_ms']} ms without warm-up (fresh process, median of 3); "
        f"pdf.warm_up() at start {figures['warm_up_ms']} ms (in the background, once the window is shown); "
        f"first receipt after it {figures['first_receipt_after_warm_up_ms']} ms"
    )
    for fmt in ("58mm", "80mm", "a5"):
        f = figures[f"draw_{fmt}"]
        print(
            f"  layout + PDF {fmt:>4}: median {f['median_ms']:6.2f} ms, p99 {f['p99_ms']:6.2f} ms "  # type: ignore[index]
            f"(CPU median {f['cpu_median_ms']:.2f} ms, p99 {f['cpu_p99_ms']:.2f} ms), "  # type: ignore[index]
            f"{figures[f'pdf_{fmt}_bytes']} bytes"
        )
    f = figures["issue_80mm"]
    print(
        f"  full issue 80mm (number + history + PDF + file): median {f['median_ms']:.2f} ms, "  # type: ignore[index]
        f"p99 {f['p99_ms']:.2f} ms (CPU median {f['cpu_median_ms']:.2f} ms)"  # type: ignore[index]
    )
    worst = max(figures[f"draw_{fmt}"]["median_ms"] for fmt in ("58mm", "80mm", "a5"))  # type: ignore[index]
    cpu = max(figures[f"draw_{fmt}"]["cpu_median_ms"] for fmt in ("58mm", "80mm", "a5"))  # type: ignore[index]
    print(
        f"target <= {TARGET_MS} ms median per receipt: wall {'met' if worst <= TARGET_MS else 'NOT met'} "
        f"(worst {worst} ms), CPU {'met' if cpu <= TARGET_MS else 'NOT met'} (worst {cpu} ms); "
        "wall far above CPU means the machine is busy"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
