"""Benchmark (prints figures; not a test): a provincial-size cycle through the pure scoring module.

1,000 dossiers x 7 experts x 23 items of GB/T 19580-2012 in 150 panels: every panel's result (mean, trimmed mean,
standard deviation, range, outliers per item; exact totals), then the order within each panel and across the
cycle. Run: .venv/bin/python scripts/bench_scoring.py [--dossiers 1000] [--experts 7] [--panels 150] [--seed 1]
"""

import argparse
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mayor_award.settings")


def criteria_items():
    from review import scoring

    data = json.loads((ROOT / "mayor_award/core/criteria/gbt19580_2012.json").read_text(encoding="utf-8"))
    items = []
    for category in data["categories"]:
        for item in category.get("items", []):
            if item.get("points"):
                items.append(scoring.Item(code=item["code"], category=category["code"], points=item["points"]))
    return items


def build_sheets(items, dossiers, experts, step, rng):
    from review import scoring

    sheets = {}
    for dossier in range(dossiers):
        level = rng.randrange(30, 80, step)
        sheets[dossier] = [
            scoring.Sheet(
                expert_id=expert,
                percents={
                    item.code: min(100, max(0, level + rng.choice((-15, -10, -5, 0, 5, 10, 15)))) for item in items
                },
                step=step,
            )
            for expert in range(experts)
        ]
    return sheets


def timed(function, rounds=3):
    best = None
    for _ in range(rounds):
        start = time.perf_counter()
        result = function()
        elapsed = time.perf_counter() - start
        best = elapsed if best is None else min(best, elapsed)
    return best, result


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dossiers", type=int, default=1000)
    parser.add_argument("--experts", type=int, default=7)
    parser.add_argument("--panels", type=int, default=150)
    parser.add_argument("--seed", type=int, default=1)
    options = parser.parse_args()

    import django

    django.setup()
    from review import scoring

    rng = random.Random(options.seed)  # noqa: S311 - reproducible test data, not secrets
    items = criteria_items()
    if len(items) != 23 or sum(item.points for item in items) != 1000:
        raise SystemExit("GB/T 19580-2012 has 23 scored items worth 1000 points: the criteria file does not")
    start = time.perf_counter()
    sheets = build_sheets(items, options.dossiers, options.experts, 5, rng)
    built = time.perf_counter() - start
    panel_of = {dossier: dossier % options.panels for dossier in sheets}

    def aggregate():
        return {
            dossier: scoring.panel_result(items, panel_sheets, scoring.Aggregate.TRIMMED_MEAN, 20)
            for dossier, panel_sheets in sheets.items()
        }

    def order(results):
        by_panel = {}
        for dossier, result in results.items():
            by_panel.setdefault(panel_of[dossier], []).append((dossier, result.total))
        panels = {panel: scoring.standings(entries) for panel, entries in by_panel.items()}
        cycle = scoring.rank((dossier, result.total) for dossier, result in results.items())
        return panels, cycle

    aggregation_s, results = timed(aggregate)
    ordering_s, (panels, cycle) = timed(lambda: order(results))
    scores = options.dossiers * options.experts * len(items)
    totals = [result.total for result in results.values()]
    print(f"cycle: {options.dossiers} dossiers x {options.experts} experts x {len(items)} items = {scores:,} scores")
    print(f"panels: {len(panels)}; generated in {built:.2f} s")
    print(
        f"aggregation of every panel (best of 3): {aggregation_s:.3f} s "
        f"({aggregation_s / options.dossiers * 1000:.2f} ms per dossier)"
    )
    print(f"ordering within panels and across the cycle (best of 3): {ordering_s * 1000:.1f} ms")
    print(
        f"totals: min {min(totals):.2f}, median {statistics.median(totals):.2f}, max {max(totals):.2f}; "
        f"first: dossier {cycle[0]}"
    )
    flagged = sum(len(result.outliers) for result in results.values())
    print(f"items with experts flagged for discussion: {flagged}")
    print(f"BENCH scoring_aggregation seconds={aggregation_s:.3f}")
    print(f"BENCH scoring_ordering seconds={ordering_s:.4f}")


if __name__ == "__main__":
    main()
