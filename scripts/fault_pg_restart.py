"""Fault (issue 8; `make fault-pg-restart`): PostgreSQL restarted under load; requests recover by themselves.

WARNING: this restarts the machine's PostgreSQL cluster (pg_ctlcluster … main restart). Every other process
using PostgreSQL at that moment (tests of other people, a running server) loses its connections.

Not a test: it prints figures. The data is the benchmark's material-review build (tag m in mayor_award_bench; see
scripts/bench.py). gunicorn (2 sync workers) runs with the settings of any PostgreSQL configuration: persistent
connections (CONN_MAX_AGE) with health checks. wrk -t2 -c16 for FAULT_SECONDS (default 20) sends, in turn, a page
that reads the database (an expert's score sheet) and an item autosave that writes (FAULT_EXPERTS, default 8,
experts on sheets of their own); wrk's response() hook counts every answer by wall-clock second and status.
After FAULT_AFTER seconds (default 5) the cluster is restarted. Then:

- errors (non-2xx answers) only inside the restart window (from the restart command to one second after it
  returned; FAULT_GRACE to widen), none before or after;
- 5 probes of each request after the run, all 200, without restarting gunicorn;
- no half-written change: every item score belongs to an existing sheet, every sheet of the build has one row per
  criteria item, and every changed item score equals its latest history record (a save and its history are
  one transaction).

Prints the figures and `FAULT …` lines; appends them to var/bench/reliability.md (FAULT_REPORT to change).
"""

import datetime as dt
import math
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

import bench_kit  # noqa: E402
from bench_kit import say  # noqa: E402

TAG = "m"
BUILD = {TAG: ["--dossiers", "1000", "--until", "material_review"]}


def restart_command() -> list[str]:
    versions = sorted(os.listdir("/etc/postgresql"))
    return ["pg_ctlcluster", "--skip-systemctl-redirect", versions[-1], "main", "restart"]


def restart_later(after: float, window: dict) -> None:
    time.sleep(after)
    window["start"] = time.time()
    result = subprocess.run(restart_command(), capture_output=True, text=True, timeout=120)  # noqa: S603
    window["end"] = time.time()
    window["returncode"] = result.returncode
    window["output"] = (result.stdout + result.stderr).strip()


def requests_for(experts, logins, base):
    from bench_pages import Page, autosave_form, autosave_path, page_body, page_headers, score_path

    requests = []
    for index, (sheet, code) in enumerate(experts):
        login = logins[sheet.seat.expert.user.username]
        read = Page("score_sheet", score_path(sheet), login.username)
        requests.append(bench_kit.WrkRequest("GET", read.path, page_headers(read, login, base)))
        write = Page("autosave", autosave_path(sheet, code), login.username, method="POST", htmx=True)
        form = autosave_form(code, 5 * (4 + index % 12), f"故障测试：第{index}位专家。")
        requests.append(
            bench_kit.WrkRequest("POST", write.path, page_headers(write, login, base), page_body(write, login, form))
        )
    return requests


def by_second(statuses: dict) -> dict[int, dict[int, int]]:
    seconds = {}
    for key, count in statuses.items():
        second, status = key.split(":")
        seconds.setdefault(int(second), {})[int(status)] = count
    return dict(sorted(seconds.items()))


def probes(port: int, requests) -> list[int]:
    answers = []
    for request in requests[:2]:
        for _ in range(5):
            status, _headers, _body = bench_kit.request(
                port, request.method, request.path, request.headers, request.body
            )
            answers.append(status)
    return answers


def consistency(cycle, sheet_ids) -> dict:
    from django.db import connection

    from review.models import ItemScore

    items = connection.cursor()
    items.execute(
        "SELECT count(*) FROM review_itemscore i LEFT JOIN review_scoresheet s ON s.id = i.sheet_id WHERE s.id IS NULL"
    )
    orphans = items.fetchone()[0]
    items.execute(
        """
        SELECT count(*) FROM (
            SELECT s.id, count(i.id) AS n FROM review_scoresheet s
            JOIN applications_dossier d ON d.id = s.dossier_id
            LEFT JOIN review_itemscore i ON i.sheet_id = s.id
            WHERE d.cycle_id = %s GROUP BY s.id
        ) per_sheet
        WHERE n <> (SELECT count(*) FROM core_criteriaitem ci JOIN core_criteriacategory cc ON cc.id = ci.category_id
                    WHERE cc.criteria_id = %s)
        """,
        [cycle.pk, cycle.criteria_id],
    )
    incomplete = items.fetchone()[0]
    history = ItemScore.history.model
    latest = {
        row["id"]: row
        for row in history.objects.filter(sheet_id__in=sheet_ids)
        .order_by("id", "-history_date", "-history_id")
        .distinct("id")
        .values("id", "percent", "strengths", "opportunities")
    }
    differing = 0
    for row in ItemScore.objects.filter(sheet_id__in=sheet_ids).values("id", "percent", "strengths", "opportunities"):
        record = latest.get(row["id"])
        if record is not None and any(record[key] != row[key] for key in ("percent", "strengths", "opportunities")):
            differing += 1
    return {"orphans": orphans, "incomplete_sheets": incomplete, "history_differs": differing}


def report(lines: list[str]) -> None:
    path = Path(os.environ.get("FAULT_REPORT") or bench_kit.STATE_DIR / "reliability.md")
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        handle.write("\n".join(lines) + "\n\n")


def main():
    seconds = float(os.environ.get("FAULT_SECONDS") or 20)
    after = float(os.environ.get("FAULT_AFTER") or 5)
    grace = float(os.environ.get("FAULT_GRACE") or 1)
    count = int(os.environ.get("FAULT_EXPERTS") or 8)
    say("WARNING: this restarts the machine's PostgreSQL cluster: anything else using it now loses its connections.")
    url = bench_kit.database_url()
    env = bench_kit.server_env(url, bench_kit.secret_key())
    bench_kit.ensure_builds(url, BUILD, env)
    bench_kit.collect_static(env)
    bench_kit.redis_flush()
    os.environ.update(env)
    import django

    django.setup()
    from bench_pages import cycle_of, draft_sheets, item_codes
    from django.conf import settings
    from django.db import connection

    database = settings.DATABASES["default"]
    say(
        f"Settings: CONN_MAX_AGE={database.get('CONN_MAX_AGE')} CONN_HEALTH_CHECKS={database.get('CONN_HEALTH_CHECKS')}"
    )
    cycle = cycle_of(TAG)
    sheets = draft_sheets(cycle, TAG, limit=count, leaders_first=False)
    code = item_codes(sheets[0])[1]
    logins = {sheet.seat.expert.user.username: bench_kit.login(sheet.seat.expert.user.username) for sheet in sheets}
    connection.close()

    server = bench_kit.Server(env, workers=2)
    window = {}
    try:
        server.start()
        requests = requests_for([(sheet, code) for sheet in sheets], logins, server.base)
        restarter = threading.Thread(target=restart_later, args=(after, window), daemon=True)
        say(
            f"wrk -t2 -c16 -d{seconds:.0f}s: a score page and an autosave in turn; "
            f"PostgreSQL restarts after {after:.0f} s"
        )
        restarter.start()
        result = bench_kit.wrk(server.base, requests, seconds=seconds, connections=16, by_second=True)
        restarter.join(timeout=150)
        answers = probes(server.port, requests)
        alive = server.process.poll() is None
    finally:
        server.stop()
    bench_kit.redis_flush()

    if "end" not in window:
        raise SystemExit(f"the restart did not finish: {window}")
    low, high = math.floor(window["start"]), math.ceil(window["end"] + grace)
    seconds_table = by_second(result.statuses)
    inside = outside = 0
    for second, statuses in seconds_table.items():
        errors = sum(n for status, n in statuses.items() if not 200 <= status < 300)
        if low <= second <= high:
            inside += errors
        else:
            outside += errors
    socket_errors = result.errors - sum(
        n for statuses in seconds_table.values() for status, n in statuses.items() if status >= 400
    )
    checks = consistency(cycle, [sheet.pk for sheet in sheets])
    restart_seconds = window["end"] - window["start"]
    first = min(seconds_table, default=0)
    say(f"Restart: {restart_seconds:.1f} s (exit {window['returncode']}) from +{window['start'] - first:.1f} s")
    table = ["Answers per second (second since the start: statuses):"]
    for second, statuses in seconds_table.items():
        mark = " <- restart window" if low <= second <= high else ""
        table.append(f"  +{second - first:3d}s {dict(sorted(statuses.items()))}{mark}")
    for line in table:
        say(line)
    error_seconds = [s for s, statuses in seconds_table.items() if any(not 200 <= k < 300 for k in statuses)]
    ok_window = outside == 0
    ok_probes = all(status == 200 for status in answers) and alive
    ok_data = not any(checks.values())
    lines = [
        f"Requests answered: {result.requests} in {result.seconds:.1f} s; non-2xx inside the restart window "
        f"{inside}, outside it {outside}; socket errors (not attributed to a second) {socket_errors}",
        f"PostgreSQL restart (the pg_ctlcluster command) from +{window['start'] - first:.1f} s to "
        f"+{window['end'] - first:.1f} s ({restart_seconds:.1f} s); errors from +"
        f"{(min(error_seconds, default=first) - first)} s to +{(max(error_seconds, default=first) - first)} s "
        f"(whole seconds); latency p50 {result.p50_ms:.1f} ms, p99 {result.p99_ms:.1f} ms, max {result.max_ms:.0f} ms",
        f"Probes after the run (same gunicorn, {'still running' if alive else 'NOT running'}): {answers}",
        f"Consistency: item scores without a sheet {checks['orphans']}; sheets without exactly one row per item "
        f"{checks['incomplete_sheets']}; item scores differing from their latest history record "
        f"{checks['history_differs']}",
    ]
    for line in lines:
        say(line)
    summary = [
        f"FAULT pg_restart errors_inside={inside} errors_outside={outside} socket_errors={socket_errors} "
        f"restart_s={restart_seconds:.1f} {'PASS' if ok_window else 'FAIL'}",
        f"FAULT pg_restart probes={sum(status == 200 for status in answers)}/{len(answers)} "
        f"{'PASS' if ok_probes else 'FAIL'}",
        f"FAULT pg_restart half_written={sum(checks.values())} {'PASS' if ok_data else 'FAIL'}",
    ]
    for line in summary:
        say(line)
    machine = bench_kit.machine()
    report(
        [
            f"## make fault-pg-restart — {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC",
            f"Machine: {machine['nproc']} × {machine['cpu']} (shared); gunicorn 2 sync workers, CONN_MAX_AGE="
            f"{database.get('CONN_MAX_AGE')}, CONN_HEALTH_CHECKS={database.get('CONN_HEALTH_CHECKS')}; wrk -t2 -c16 "
            f"-d{seconds:.0f}s; restart after {after:.0f} s.",
            "",
            *[f"- {line}" for line in lines],
            "",
            "```",
            *table,
            "```",
            "",
            *[f"`{line}`" for line in summary],
        ]
    )
    if not (ok_window and ok_probes and ok_data):
        sys.exit(1)


if __name__ == "__main__":
    main()
