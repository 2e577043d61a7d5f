"""Time per printed receipt: layout + PDF drawing, and a full issue (number, history row, PDF, file).

The basket is 20 real lines of the 2024 revised edition (the first 18 class-A Western drugs, a
confidential negotiated drug with a supplied standard, a negotiated drug with a public one), priced
and estimated by ``desktop.rules.service`` for a Jilin employee. Prints the median and p95 per receipt
after a warm-up (font registration, first subset), per paper format.

    python bench/receipt.py [--runs 50] [--json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from desktop import settings as settings_mod  # noqa: E402
from desktop.catalogue import bundled, records  # noqa: E402
from desktop.receipts import check, issue, layout, pdf  # noqa: E402
from desktop.rules import service  # noqa: E402
from desktop.storage import catalogue as store  # noqa: E402

TARGET_MS = 30.0
SETTINGS = settings_mod.Settings(
    pharmacy_name="长春市益民大药房（人民大街店）",
    institution_code="P22010200123",
    counter="2号收款台",
    staff="王芳",
    profile="jilin",
)


def basket(db) -> dict:  # type: ignore[no-untyped-def]
    edition = store.editions(db)[0]
    west = [e for e in store.entries(db, edition.id, records.WEST) if e.drug_class == "甲" and not e.remark][:18]
    negotiated = list(store.entries(db, edition.id, records.NEGOTIATED))
    secret = next(e for e in negotiated if any(s.confidential for s in e.payment_standards))
    public = next(e for e in negotiated if e.payment_standards and e.payment_standards[0].amount and not e.remark)
    items = [{"entry": e.id, "unit_price": f"{10 + i}.50", "quantity": 1 + i % 3} for i, e in enumerate(west)]
    items.append(
        {
            "entry": secret.id,
            "unit_price": "4380.00",
            "quantity": 1,
            "payment_standard": "3187.45",
            "confirmed": ["restriction", "second_line"],
        }
    )
    items.append({"entry": public.id, "unit_price": "99.00", "quantity": 2})
    return {
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


def timed(fn, runs: int, warmup: int = 3) -> list[float]:  # type: ignore[no-untyped-def]
    for _ in range(warmup):
        fn()
    out = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1000)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        db = store.open_db(Path(tmp) / "bench.sqlite3")
        bundled.load(db, bundled.read_2024_revised())
        settings_mod.save(db, SETTINGS)
        request = basket(db)
        result = service.estimate(db, request, SETTINGS)
        issuer = layout.Issuer.from_settings(SETTINGS)
        meta = layout.ReceiptMeta(
            "P22010200123-20250301-0001",
            "2025-03-01 10:00:00",
            "2024-revised-x",
            "张三",
            layout.mask_id("220102199001011234"),
        )
        key = check.secret(db)
        figures = {}
        t0 = time.perf_counter()
        pdf.register_font()
        figures["font_registration_ms"] = round((time.perf_counter() - t0) * 1000, 1)
        for fmt in ("58mm", "80mm", "a5"):
            page = layout.FORMATS[fmt]

            def draw(page=page) -> bytes:  # type: ignore[no-untyped-def]
                body = layout.logical_lines(result, issuer, meta)
                cv = check.compute(key, meta.number, layout.signed_text(body))
                receipt = layout.assemble(
                    body,
                    page,
                    number=meta.number,
                    check_value=cv,
                    qr_payload=check.qr_payload(meta.number, cv),
                    measure=pdf.measure,
                )
                return pdf.render(receipt)

            times = timed(draw, args.runs)
            figures[f"draw_{fmt}_median_ms"] = round(statistics.median(times), 2)
            figures[f"draw_{fmt}_p95_ms"] = round(sorted(times)[int(0.95 * len(times)) - 1], 2)
            figures[f"pdf_{fmt}_bytes"] = len(draw())
        out = Path(tmp) / "r.pdf"
        times = timed(lambda: issue.issue(db, request, result, issuer, "80mm", out), args.runs)
        figures["issue_80mm_median_ms"] = round(statistics.median(times), 2)
        figures["issue_80mm_p95_ms"] = round(sorted(times)[int(0.95 * len(times)) - 1], 2)
        figures["lines"] = len(result["lines"])
        db.close()

    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        print(
            f"basket: {figures['lines']} lines; font registration (once per process): "
            f"{figures['font_registration_ms']} ms; {args.runs} runs after warm-up"
        )
        for fmt in ("58mm", "80mm", "a5"):
            print(
                f"  layout + PDF {fmt:>4}: median {figures[f'draw_{fmt}_median_ms']:6.2f} ms, "
                f"p95 {figures[f'draw_{fmt}_p95_ms']:6.2f} ms, {figures[f'pdf_{fmt}_bytes']} bytes"
            )
        print(
            f"  full issue 80mm (number + history + PDF + file): median {figures['issue_80mm_median_ms']:.2f} ms, "
            f"p95 {figures['issue_80mm_p95_ms']:.2f} ms"
        )
        worst = max(figures[f"draw_{f}_median_ms"] for f in ("58mm", "80mm", "a5"))
        print(
            f"target <= {TARGET_MS} ms per receipt: {'met' if worst <= TARGET_MS else 'NOT met'} (worst median "
            f"{worst:.2f} ms)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
