"""Cycle-wide statistics and ranking (scripts/bench.py): the project's own code path against one raw SQL query.

- cycle_ranking: every submitted material-review score of the cycle (7 experts x 23 items x every dossier) read
  through the ORM, each dossier's panel result computed by review.scoring.panel_result with the cycle's aggregate
  and outlier threshold (what consensus.aggregation and the score export do per dossier), and the cycle's
  standings by review.scoring.standings; against ONE aggregate and window query over the same rows returning the
  same 1,000-row ranking (the per-item aggregate, the points, the total and the competition rank).
- cycle_statistics: the secretariat's review dashboard's cycle-wide figures (review.dashboard.cycle_spread: per
  stage and item, over every panel, the count, mean, standard deviation, lowest and highest percentage, through
  the ORM) against one raw SQL aggregate of the same figures.

Both sides are checked to return the same numbers before they are timed. Django must be set up.
"""

import statistics
import time
from decimal import Decimal

SLOW_SECONDS = 10

RANKING_SQL = """
WITH per_item AS (
    SELECT s.dossier_id, ci.points,
           CASE WHEN %(trimmed)s AND count(*) >= 5
                THEN (sum(i.percent) - min(i.percent) - max(i.percent))::numeric / (count(*) - 2)
                ELSE sum(i.percent)::numeric / count(*) END AS percent
    FROM review_itemscore i
    JOIN review_scoresheet s ON s.id = i.sheet_id
    JOIN applications_dossier d ON d.id = s.dossier_id
    JOIN core_criteriaitem ci ON ci.id = i.item_id
    WHERE d.cycle_id = %(cycle)s AND s.stage = 'material' AND s.state = 'submitted' AND i.percent IS NOT NULL
    GROUP BY s.dossier_id, i.item_id, ci.points
)
SELECT dossier_id, sum(points * percent / 100) AS total,
       rank() OVER (ORDER BY sum(points * percent / 100) DESC) AS place
FROM per_item GROUP BY dossier_id ORDER BY place, dossier_id
"""

SPREAD_SQL = """
SELECT s.stage, ci.code, count(*), avg(i.percent), stddev_pop(i.percent), min(i.percent), max(i.percent)
FROM review_itemscore i
JOIN review_scoresheet s ON s.id = i.sheet_id
JOIN review_seat st ON st.id = s.seat_id
JOIN review_panel p ON p.id = st.panel_id
JOIN core_criteriaitem ci ON ci.id = i.item_id
WHERE p.cycle_id = %(cycle)s AND s.state = 'submitted' AND i.percent IS NOT NULL
GROUP BY s.stage, ci.code ORDER BY s.stage, ci.code
"""


def project_ranking(cycle):
    from review import consensus, scoring
    from review.enums import SheetState
    from review.models import ItemScore

    items = consensus.scoring_items(consensus.criteria_items(cycle))
    aggregate = consensus.aggregate_of(cycle)
    sheets: dict[int, dict[int, dict[str, int]]] = {}
    for dossier_id, sheet_id, code, percent in ItemScore.objects.filter(
        sheet__dossier__cycle=cycle, sheet__stage="material", sheet__state=SheetState.SUBMITTED, percent__isnull=False
    ).values_list("sheet__dossier_id", "sheet_id", "item__code", "percent"):
        sheets.setdefault(dossier_id, {}).setdefault(sheet_id, {})[code] = percent
    totals = []
    for dossier_id in sorted(sheets):
        panel = [
            scoring.Sheet(expert_id=sheet_id, percents=percents, step=1)
            for sheet_id, percents in sheets[dossier_id].items()
        ]
        totals.append((dossier_id, scoring.panel_result(items, panel, aggregate, cycle.outlier_points).total))
    places = scoring.standings(totals)
    by_dossier = dict(totals)
    return [(dossier_id, by_dossier[dossier_id], place) for dossier_id, place in places]


def sql_ranking(cycle):
    from django.db import connection

    from review import consensus, scoring

    trimmed = consensus.aggregate_of(cycle) == scoring.Aggregate.TRIMMED_MEAN
    with connection.cursor() as cursor:
        cursor.execute(RANKING_SQL, {"cycle": cycle.pk, "trimmed": trimmed})
        return cursor.fetchall()


def same_ranking(project, raw) -> tuple[bool, str]:
    if len(project) != len(raw):
        return False, f"{len(project)} rows against {len(raw)}"
    places = {dossier: place for dossier, _total, place in project}
    totals = {dossier: total for dossier, total, _place in project}
    wrong_total = wrong_place = 0
    for dossier, total, place in raw:
        if abs(Decimal(totals.get(dossier, -1)) - Decimal(total)) > Decimal("0.000001"):
            wrong_total += 1
        if places.get(dossier) != place:
            wrong_place += 1
    return (
        wrong_total == 0 and wrong_place == 0,
        f"{len(raw)} rows; totals differing {wrong_total}, places {wrong_place}",
    )


def project_statistics(cycle):
    from review import consensus, dashboard

    return dashboard.cycle_spread(cycle, consensus.criteria_items(cycle))


def sql_statistics(cycle):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(SPREAD_SQL, {"cycle": cycle.pk})
        return cursor.fetchall()


def same_statistics(spread, raw) -> tuple[bool, str]:
    from review import scoring

    rows = {(stage["code"], row["item"]): row for stage in spread for row in stage["rows"]}
    wrong = 0
    for stage, code, count, mean, std_dev, lowest, highest in raw:
        row = rows.get((stage, code))
        if row is None or row["count"] != count:
            wrong += 1
            continue
        expected = [float(scoring.display(Decimal(str(value)), 1)) for value in (mean, std_dev, lowest, highest)]
        found = [row["mean"], row["std_dev"], row["lowest"], row["highest"]]
        if any(abs(a - b) > 0.051 for a, b in zip(found, expected, strict=True)):
            wrong += 1
    ok = wrong == 0 and len(rows) == len(raw)
    return ok, f"{len(raw)} item rows (of {len(rows)} shown); differing {wrong}"


def timed(function, repeats: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def compare(name, project, raw, check, *, repeats: int = 5) -> dict:
    """Interleaved timings (median of `repeats` each, after one warm-up of both) and the check's verdict."""
    started = time.perf_counter()
    project_result = project()
    if time.perf_counter() - started > SLOW_SECONDS:
        repeats = 1  # minutes per run: one timed run is enough to see the ratio
    raw_result = raw()
    ok, detail = check(project_result, raw_result)
    project_times, raw_times = [], []
    for _ in range(repeats):
        project_times.append(timed(project, 1)[0])
        raw_times.append(timed(raw, 1)[0])
    project_seconds, raw_seconds = statistics.median(project_times), statistics.median(raw_times)
    return {
        "name": name,
        "project_seconds": project_seconds,
        "raw_seconds": raw_seconds,
        "ratio": project_seconds / raw_seconds if raw_seconds else float("inf"),
        "same": ok,
        "detail": detail,
    }


def measure(cycle, repeats: int = 5) -> list[dict]:
    from review.models import ItemScore

    submitted = ItemScore.objects.filter(sheet__dossier__cycle=cycle, sheet__state="submitted", percent__isnull=False)
    scores = {"cycle_ranking": submitted.filter(sheet__stage="material").count(), "cycle_statistics": submitted.count()}
    results = [
        compare(
            "cycle_ranking",
            lambda: project_ranking(cycle),
            lambda: sql_ranking(cycle),
            same_ranking,
            repeats=repeats,
        ),
        compare(
            "cycle_statistics",
            lambda: project_statistics(cycle),
            lambda: sql_statistics(cycle),
            same_statistics,
            repeats=repeats,
        ),
    ]
    for result in results:
        result["scores"] = scores[result["name"]]
    return results
