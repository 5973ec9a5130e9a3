"""Load (issue 8; `make load`): fifty experts saving scores for a minute against gunicorn and PostgreSQL on loopback.

Not a test: it prints figures. The data is the benchmark's material-review build (tag m of `manage.py
build_province` in mayor_award_bench, made by scripts/bench.py or here, once): every sheet a draft with every item
scored. LOAD_EXPERTS (default 50) distinct experts, each on a sheet of their own, are logged in (their sessions made
as django.contrib.auth.login makes them); each is one thread with one keep-alive connection that saves one item
after another for LOAD_SECONDS (default 60) — the score page's htmx autosave: POST of the item's percentage,
strengths and opportunities with the CSRF token — with varying values and no pause between saves (LOAD_THINK_MS
adds one), so fifty experts press far harder than fifty people would. The server is gunicorn with LOAD_WORKERS
(default 2) sync workers.

Afterwards, from the database: every (sheet, item) holds the last value its expert sent (percentage and
strengths), and no answer was an error. Prints the latency percentiles and a `LOAD …` summary line; the figures
are appended to var/bench/reliability.md (LOAD_REPORT to change).
"""

import datetime as dt
import os
import random
import statistics
import sys
import threading
import time
from dataclasses import dataclass, field
from http.client import HTTPConnection, HTTPException
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

import bench_kit  # noqa: E402
from bench_kit import say  # noqa: E402

TAG = "m"
BUILD = {TAG: ["--dossiers", "1000", "--until", "material_review"]}


@dataclass
class Expert:
    login: object
    sheet_id: int
    dossier_id: int
    stage: str
    codes: list
    step: int
    latencies: list = field(default_factory=list)
    statuses: dict = field(default_factory=dict)
    exceptions: list = field(default_factory=list)
    not_saved: int = 0  # 2xx without the page's "saved" header
    last_sent: dict = field(default_factory=dict)  # code -> (percent, strengths)


def percentile(values, share: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def autosave_pages(expert: Expert) -> dict:
    from bench_pages import Page

    return {
        code: Page(
            "autosave",
            f"/review/dossiers/{expert.dossier_id}/score/{expert.stage}/items/{code}/",
            expert.login.username,
            method="POST",
            htmx=True,
        )
        for code in expert.codes
    }


def expert_loop(expert: Expert, port: int, deadline: float, think: float, seed: int) -> None:
    """One expert: one keep-alive connection, one save after another until the deadline."""
    from bench_pages import autosave_form, page_body, page_headers

    rng = random.Random(seed)  # noqa: S311 - varied test values, not secrets
    pages = autosave_pages(expert)
    connection = HTTPConnection("127.0.0.1", port, timeout=60)
    sent = 0
    while time.monotonic() < deadline:
        code = rng.choice(expert.codes)
        percent = expert.step * rng.randrange(0, 100 // expert.step + 1)
        sent += 1
        strengths = f"负载测试第{sent}次保存：方法系统，展开充分。"
        page = pages[code]
        body = page_body(page, expert.login, autosave_form(code, percent, strengths)).encode()
        expert.last_sent[code] = (percent, strengths)
        start = time.perf_counter()
        try:
            connection.request("POST", page.path, body=body, headers=page_headers(page, expert.login))
            response = connection.getresponse()
            response.read()
        except (OSError, HTTPException) as error:
            expert.exceptions.append(f"{type(error).__name__}: {error}")
            connection.close()
            connection = HTTPConnection("127.0.0.1", port, timeout=60)
            continue
        expert.latencies.append((time.perf_counter() - start) * 1000)
        expert.statuses[response.status] = expert.statuses.get(response.status, 0) + 1
        if response.status == 200 and not response.getheader("X-Score-Saved"):
            expert.not_saved += 1
        if think:
            time.sleep(think)
    connection.close()


def stored_values(experts) -> dict:
    from review.models import ItemScore

    stored = {}
    for sheet_id, code, percent, strengths in ItemScore.objects.filter(
        sheet_id__in=[expert.sheet_id for expert in experts]
    ).values_list("sheet_id", "item__code", "percent", "strengths"):
        stored[(sheet_id, code)] = (percent, strengths)
    return stored


def report(lines: list[str]) -> None:
    path = Path(os.environ.get("LOAD_REPORT") or bench_kit.STATE_DIR / "reliability.md")
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        handle.write("\n".join(lines) + "\n\n")


def main():
    seconds = float(os.environ.get("LOAD_SECONDS") or 60)
    count = int(os.environ.get("LOAD_EXPERTS") or 50)
    think = float(os.environ.get("LOAD_THINK_MS") or 0) / 1000
    workers = int(os.environ.get("LOAD_WORKERS") or 2)
    url = bench_kit.database_url()
    env = bench_kit.server_env(url, bench_kit.secret_key())
    say(f"Load: {count} experts saving scores for {seconds:.0f} s (gunicorn {workers} sync workers, PostgreSQL)")
    bench_kit.ensure_builds(url, BUILD, env)
    bench_kit.collect_static(env)
    bench_kit.redis_flush()
    os.environ.update(env)
    import django

    django.setup()
    from bench_pages import cycle_of, draft_sheets, item_codes, score_step
    from django.db import connection

    cycle = cycle_of(TAG)
    sheets = draft_sheets(cycle, TAG, limit=count, leaders_first=False)
    if len(sheets) < count:
        raise SystemExit(f"only {len(sheets)} experts with a draft sheet in build {TAG}")
    codes = item_codes(sheets[0])
    experts = [
        Expert(
            login=bench_kit.login(sheet.seat.expert.user.username),
            sheet_id=sheet.pk,
            dossier_id=sheet.dossier_id,
            stage=sheet.stage,
            codes=codes,
            step=score_step(cycle),
        )
        for sheet in sheets
    ]
    connection.close()
    server = bench_kit.Server(env, workers=workers)
    try:
        server.start()
        started = time.monotonic()
        deadline = started + seconds
        threads = [
            threading.Thread(target=expert_loop, args=(expert, server.port, deadline, think, index), daemon=True)
            for index, expert in enumerate(experts)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=seconds + 120)
        elapsed = time.monotonic() - started
    finally:
        server.stop()
    bench_kit.redis_flush()

    stored = stored_values(experts)
    expected = {(e.sheet_id, code): value for e in experts for code, value in e.last_sent.items()}
    missing = sorted(key for key, value in expected.items() if stored.get(key) != value)
    latencies = [ms for e in experts for ms in e.latencies]
    statuses = {}
    for e in experts:
        for status, number in e.statuses.items():
            statuses[status] = statuses.get(status, 0) + number
    answered = sum(statuses.values())
    errors = sum(number for status, number in statuses.items() if not 200 <= status < 300)
    exceptions = sum(len(e.exceptions) for e in experts)
    not_saved = sum(e.not_saved for e in experts)
    p50, p90, p99 = (percentile(latencies, share) for share in (0.5, 0.9, 0.99))
    ok = errors == 0 and exceptions == 0 and not_saved == 0 and not missing and answered > 0
    lines = [
        f"Saves answered: {answered} in {elapsed:.1f} s ({answered / elapsed:.1f}/s) by {len(experts)} experts; "
        f"statuses {dict(sorted(statuses.items()))}; connection errors {exceptions}; 2xx without the saved header "
        f"{not_saved}",
        f"Latency ms: p50 {p50:.1f}, p90 {p90:.1f}, p99 {p99:.1f}, max {max(latencies, default=0):.1f}, "
        f"mean {statistics.mean(latencies) if latencies else 0:.1f}",
        f"Saved scores checked in the database: {len(expected)} (sheet, item) pairs hold the last value sent; "
        f"{len(missing)} do not",
    ]
    for line in lines:
        say(line)
    if missing:
        say(f"  differing, first ones: {missing[:5]}")
    for e in experts:
        if e.exceptions:
            say(f"  {e.login.username}: {e.exceptions[:3]}")
            break
    summary = (
        f"LOAD experts={len(experts)} seconds={elapsed:.0f} saves={answered} rps={answered / elapsed:.1f} "
        f"errors={errors + exceptions} not_saved={not_saved} checked={len(expected)} missing={len(missing)} "
        f"p50_ms={p50:.1f} p90_ms={p90:.1f} p99_ms={p99:.1f} {'PASS' if ok else 'FAIL'}"
    )
    say(summary)
    machine = bench_kit.machine()
    report(
        [
            f"## make load — {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC",
            f"Machine: {machine['nproc']} × {machine['cpu']} (shared with other test runs); gunicorn {workers} sync "
            f"workers; PostgreSQL on loopback; {len(experts)} experts, one thread and connection each, no pause.",
            "",
            *[f"- {line}" for line in lines],
            "",
            f"`{summary}`",
        ]
    )
    if not ok:
        sys.exit(1)


if __name__ == "__main__":
    main()
