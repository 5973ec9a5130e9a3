"""Benchmark at provincial scale (issue 9; `make bench`): prints figures and rewrites docs/performance.md's figures.

1. Data: a PostgreSQL database of its own (mayor_award_bench; BENCH_DATABASE_URL, or DATABASE_URL when it names a
   *bench* database) with three builds of `manage.py build_province` at 1,000 dossiers — tag m (--until
   material_review), d (deliberation), a (announced) — and the same three at 10 dossiers in <name>_small, for the
   query counts. Built once; later runs reuse them (--rebuild starts afresh).
2. Pages: gunicorn (2 sync workers, 127.0.0.1, DEBUG off, persistent connections, Redis) serves
   mayor_award.bench_urls (the project's URLs plus /bench/plain/ and /bench/plain-login/). Sample users are
   logged in by creating their sessions; wrk -t2 -c8 (BENCH_SECONDS, default 10) measures every page after a
   warm-up, in BENCH_ROUNDS (default 3) interleaved rounds, the plain view between every few pages
   (BENCH_PLAIN_EVERY, default 3); a page's cost × is the plain view's requests/s (the mean of the plain runs
   around it) over the page's, per round; medians are printed. Query counts are taken in-process
   (django.test.Client + CaptureQueriesContext) on the 10- and the 1,000-dossier builds.
3. Cycle-wide statistics and ranking against one raw SQL query (scripts/bench_cycle.py); certificates: warm
   render against bare WeasyPrint, and a batch of 50 through a real Celery worker (scripts/bench_batch.py).

The output ends with one `BENCH <name> …` line per figure, then PASS/MISS per goal of the issue.
Options: --rebuild, --skip-pages, --skip-cycle, --skip-certificates, --no-docs, --pages a,b (names).
"""

import argparse
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

import bench_kit  # noqa: E402
from bench_kit import say  # noqa: E402

LARGE, SMALL = 1000, 10
STATES = {"material": ("m", "material_review"), "deliberation": ("d", "deliberation"), "announced": ("a", "announced")}
DOCS = ROOT / "docs" / "performance.md"
FIGURES_START, FIGURES_END = "<!-- bench:figures:start -->", "<!-- bench:figures:end -->"

# Goals of issue 9: cost × limits per page (None: no limit of its own), and the public pages.
PUBLIC = ("public_home", "winners", "verify")
LIST_LIMIT_PER_100_ROWS = 80
PAGE_TIMEOUT = float(os.environ.get("BENCH_PAGE_TIMEOUT") or 300)


def builds(dossiers: int) -> dict[str, list[str]]:
    return {tag: ["--dossiers", str(dossiers), "--until", until] for tag, until in STATES.values()}


def tags() -> dict[str, str]:
    return {state: tag for state, (tag, _until) in STATES.items()}


def env_number(name: str, default: float) -> float:
    return float(os.environ.get(name) or default)


# --- the pages through gunicorn ---


def wrk_requests(page, login, base):
    from bench_pages import page_body, page_headers

    headers = page_headers(page, login, base)
    if page.method == "POST":
        return [bench_kit.WrkRequest("POST", page.path, headers, page_body(page, login, form)) for form in page.forms()]
    return [bench_kit.WrkRequest("GET", page.path, headers)]


def check_page(server, page, login) -> tuple[str | None, float]:
    """(None when the page answers as a browser would get it: 200, the autosave's saved header; else why not,
    and the seconds the request took)."""
    from bench_pages import page_body, page_headers

    headers = page_headers(page, login, server.base)
    body = page_body(page, login, page.forms()[0]) if page.method == "POST" else None
    start = time.perf_counter()
    try:
        status, answer_headers, _content = bench_kit.request(
            server.port, page.method, page.path, headers, body, timeout=PAGE_TIMEOUT
        )
    except TimeoutError:
        return f"no answer within {PAGE_TIMEOUT:.0f} s", time.perf_counter() - start
    elapsed = time.perf_counter() - start
    if status != 200:
        location = answer_headers.get("Location", "")
        return f"HTTP {status} {location}".strip(), elapsed
    if page.htmx and not any(key.lower() == "x-score-saved" for key in answer_headers):
        return "no X-Score-Saved header", elapsed
    return None, elapsed


def sequential_seconds(server, page, login, count: int) -> float:
    """The median time of `count` requests one after the other (for pages too slow for a wrk run)."""
    times = [check_page(server, page, login)[1] for _ in range(count)]
    return statistics.median(times)


def measure_pages(server, pages, logins, *, seconds, rounds, warmup, plain_every) -> dict:
    plain = pages[0]
    requests = {page.name: wrk_requests(page, logins.get(page.username), server.base) for page in pages}
    broken, slow = {}, {}
    for page in pages:
        problem, elapsed = check_page(server, page, logins.get(page.username))
        if problem:
            broken[page.name] = problem
            say(f"  ! {page.name} {page.path}: {problem} — not measured")
        elif elapsed > seconds / 2 and not page.name.startswith("plain"):
            slow[page.name] = page
            say(f"  ! {page.name} {page.path}: {elapsed:.1f} s for one request — timed one request at a time")
    measured = [page for page in pages[1:] if page.name not in broken and page.name not in slow]
    say(f"  warm-up: {warmup:.0f} s per page")
    for page in [plain, *measured]:
        bench_kit.wrk(server.base, requests[page.name], seconds=warmup)
    runs = {page.name: [] for page in [plain, *measured]}
    for round_number in range(1, rounds + 1):
        say(f"  round {round_number}/{rounds}")
        sequence = []  # ("plain", result) and (name, result) in the order run
        for index, page in enumerate(measured):
            if index % plain_every == 0:
                sequence.append((plain.name, bench_kit.wrk(server.base, requests[plain.name], seconds=seconds)))
            sequence.append((page.name, bench_kit.wrk(server.base, requests[page.name], seconds=seconds)))
            last = sequence[-1][1]
            say(f"    {page.name:24} {last.rps:8.1f} req/s  p50 {last.p50_ms:7.1f} ms  p99 {last.p99_ms:7.1f} ms")
        sequence.append((plain.name, bench_kit.wrk(server.base, requests[plain.name], seconds=seconds)))
        plains = [(i, result) for i, (name, result) in enumerate(sequence) if name == plain.name]
        for i, (name, result) in enumerate(sequence):
            if name == plain.name:
                runs[name].append({"result": result, "plain_rps": result.rps})
                continue
            before = max((p for p in plains if p[0] < i), key=lambda p: p[0])[1]
            after = min((p for p in plains if p[0] > i), key=lambda p: p[0])[1]
            runs[name].append({"result": result, "plain_rps": (before.rps + after.rps) / 2})
    figures = {}
    for name, entries in runs.items():
        ratios = [e["plain_rps"] / e["result"].rps for e in entries if e["result"].rps]
        if not ratios:
            figures[name] = {"broken": "no request answered within the run"}
            continue
        figures[name] = {
            "rps": statistics.median(e["result"].rps for e in entries),
            "p50_ms": statistics.median(e["result"].p50_ms for e in entries),
            "p99_ms": statistics.median(e["result"].p99_ms for e in entries),
            "cost_x": statistics.median(ratios),
            "errors": sum(e["result"].errors for e in entries),
            "requests": sum(e["result"].requests for e in entries),
        }
    for name, problem in broken.items():
        figures[name] = {"broken": problem}
    if slow:
        # Too slow for wrk: one request at a time against the plain view one request at a time, same conditions.
        plain_seconds = sequential_seconds(server, plain, None, 20)
        for name, page in slow.items():
            spent = sequential_seconds(server, page, logins.get(page.username), 2)
            figures[name] = {
                "rps": 1 / spent,
                "p50_ms": spent * 1000,
                "p99_ms": spent * 1000,
                "cost_x": spent / plain_seconds,
                "errors": 0,
                "requests": 2,
                "sequential": True,
            }
    return figures


# --- query counts ---


def count_here(tag_map) -> dict:
    """Query counts of the key pages in the database this process is set up for (its own sessions)."""
    from bench_pages import count_queries, key_pages

    pages = key_pages(tag_map)
    logins = {page.username: bench_kit.login(page.username) for page in pages if page.username}
    return count_queries(pages, logins)


def count_small(env: dict) -> dict:
    result = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, str(Path(__file__).resolve()), "--count-queries"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    for line in result.stdout.splitlines():
        if line.startswith("QUERIES "):
            return json.loads(line[len("QUERIES ") :])
    raise RuntimeError(f"query count on the small build failed:\n{result.stdout[-2000:]}\n{result.stderr[-3000:]}")


# --- certificates ---


def certificates(env: dict, url: str, count: int) -> dict:
    if not bench_kit.database_exists(url):
        bench_kit.recreate_database(url)
    bench_kit.manage(env, "migrate", "--noinput", "--verbosity", "0")
    result = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, str(ROOT / "scripts" / "bench_batch.py"), "--count", str(count)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=1200,
    )
    for line in result.stdout.splitlines():
        if line.startswith("CERTJSON "):
            return json.loads(line[len("CERTJSON ") :])
    raise RuntimeError(f"the certificate benchmark failed:\n{result.stdout[-2000:]}\n{result.stderr[-4000:]}")


# --- the report ---


def fmt(value, places=1) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.{places}f}"
    return str(value)


def goals(
    pages: dict, queries: dict, cycle: list, certs: dict | None, settings_ok: bool
) -> list[tuple[str, bool | None, str]]:
    """(goal, passed or None when not measured, the figure) for each goal of issue 9."""
    out = []

    def cost(name):
        return pages.get(name, {}).get("cost_x")

    def goal(text, value, limit, unit="×"):
        if value is None:
            out.append((text, None, "not measured"))
        else:
            out.append((text, value <= limit, f"{value:.1f} {unit} (limit {limit})"))

    goal("score sheet ≤ 100 × plain", cost("score_sheet"), 100)
    goal("autosave of one item ≤ 10 × plain", cost("autosave"), 10)
    for name in PUBLIC:
        goal(f"public page {name} ≤ 10 × plain", cost(name), 10)
    large, small = queries.get("large", {}), queries.get("small", {})
    for name, figures in pages.items():
        if name not in LIST_PAGES or "cost_x" not in figures:
            continue
        rows = large.get(name, {}).get("rows") or 0
        if rows:
            per_100 = figures["cost_x"] * 100 / max(rows, 100)
            goal(
                f"list {name} ≤ {LIST_LIMIT_PER_100_ROWS} per 100 rows ({rows} rows)", per_100, LIST_LIMIT_PER_100_ROWS
            )
    for name in sorted(set(large) & set(small)):
        if name.startswith("plain"):
            continue
        q_small, q_large = small[name]["queries"], large[name]["queries"]
        out.append(
            (f"queries flat in dossiers: {name}", q_small == q_large, f"{q_small} at {SMALL}, {q_large} at {LARGE}")
        )
    for entry in cycle:
        goal(f"{entry['name']} ≤ 1.5 × one raw SQL aggregate", entry["ratio"], 1.5)
    if certs:
        goal("certificate ≤ 1.2 × bare WeasyPrint", certs["warm"]["ratio"], 1.2)
        goal("batch of 50 certificates through the worker ≤ 6 s", certs["batch"]["seconds"], 6, "s")
    out.append(("persistent connections (CONN_MAX_AGE + health checks)", settings_ok, "settings.DATABASES"))
    return out


LIST_PAGES = {
    "expert_dashboard",
    "leader_panel",
    "secretariat_dashboard",
    "committee_candidates",
    "ballot",
    "winners",
    "admin_dossier_list",
}


def bench_lines(pages, queries, cycle, certs) -> list[str]:
    lines = []
    large, small = queries.get("large", {}), queries.get("small", {})
    for name, figures in pages.items():
        if "cost_x" not in figures:
            lines.append(f"BENCH {name} broken={figures.get('broken', '?').replace(' ', '_')}")
            continue
        lines.append(
            f"BENCH {name} cost_x={figures['cost_x']:.1f} queries_small={small.get(name, {}).get('queries', '?')} "
            f"queries_large={large.get(name, {}).get('queries', '?')}"
        )
    for entry in cycle:
        lines.append(f"BENCH {entry['name']} ratio={entry['ratio']:.2f}")
    if certs:
        lines.append(f"BENCH certificate ratio={certs['warm']['ratio']:.2f}")
        lines.append(f"BENCH certificate_batch_50 seconds={fmt(certs['batch']['seconds'], 2)}")
    return lines


def markdown(context: dict) -> str:
    pages, queries, cycle, certs = context["pages"], context["queries"], context["cycle"], context["certs"]
    large, small = queries.get("large", {}), queries.get("small", {})
    m = context["machine"]
    out = [
        FIGURES_START,
        f"Measured {context['date']} by `make bench` (scripts/bench.py) on {m['nproc']} × {m['cpu']}, "
        f"{context['postgres']}; gunicorn {context['workers']} sync workers, wrk -t2 -c8 -d{context['seconds']:.0f}s, "
        f"{context['rounds']} rounds, medians. The machine is shared: absolute figures are noisy, ratios taken in "
        "the same round are what count.",
        "",
        "| page | req/s | p50 ms | p99 ms | cost × | queries at 10 | queries at 1,000 | rows |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, f in pages.items():
        if "cost_x" not in f:
            out.append(f"| {name} | not measured: {f.get('broken')} | | | | | | |")
            continue
        label = f"{name} (one request at a time)" if f.get("sequential") else name
        out.append(
            f"| {label} | {f['rps']:.1f} | {f['p50_ms']:.1f} | {f['p99_ms']:.1f} | {f['cost_x']:.1f} | "
            f"{small.get(name, {}).get('queries', '–')} | {large.get(name, {}).get('queries', '–')} | "
            f"{large.get(name, {}).get('rows', '–')} |"
        )
    if cycle:
        out += [
            "",
            "| cycle-wide | scores | project s | one raw SQL s | ratio | same numbers |",
            "|---|---:|---:|---:|---:|---|",
        ]
        for e in cycle:
            out.append(
                f"| {e['name']} | {e['scores']} | {e['project_seconds']:.3f} | {e['raw_seconds']:.3f} | "
                f"{e['ratio']:.2f} | {'yes' if e['same'] else 'NO'} ({e['detail']}) |"
            )
    if certs:
        w, b = certs["warm"], certs["batch"]
        out += [
            "",
            f"Certificates: {w['task_seconds']:.3f} s each through the task in a warm process against "
            f"{w['bare_seconds']:.3f} s for bare WeasyPrint on the same HTML (ratio {w['ratio']:.2f}, median of "
            f"{w['count']}); a batch of {b['total']} through a real Celery worker: {fmt(b['seconds'], 2)} s end to "
            f"end ({b['done']} done, {b['failed']} failed, {b['serials']} serials).",
        ]
    out += ["", "Goals of issue 9:", ""]
    for text, passed, figure in context["goals"]:
        mark = "not measured" if passed is None else ("PASS" if passed else "MISS")
        out.append(f"- {mark}: {text} — {figure}")
    out += ["", "```", *context["bench_lines"], "```", FIGURES_END]
    return "\n".join(out) + "\n"


DOCS_HEAD = """# Performance at provincial scale

How fast the system is with a province's cycle in it (1,000 dossiers in 15 industries, 300 experts, 150 panels of
7, 161,000 item scores per stage, a committee of 15), measured the way issue 9 asks: gunicorn with 2 sync workers,
PostgreSQL and wrk on loopback, each page's throughput against a plain `HttpResponse` view served by the same
server in the same rounds ("cost ×": the page costs as much as N plain requests).

Reproduce with `make bench` (builds the data once into `mayor_award_bench`, about a few minutes; later runs reuse
it; `BENCH_SECONDS`, `BENCH_ROUNDS` shorten or lengthen the runs). The figures below are rewritten by every run.

## Latest figures

"""


def write_docs(text: str) -> None:
    DOCS.parent.mkdir(parents=True, exist_ok=True)
    current = DOCS.read_text() if DOCS.exists() else DOCS_HEAD + FIGURES_START + "\n" + FIGURES_END + "\n"
    if FIGURES_START not in current or FIGURES_END not in current:
        current = current.rstrip() + "\n\n" + FIGURES_START + "\n" + FIGURES_END + "\n"
    head, rest = current.split(FIGURES_START, 1)
    _old, tail = rest.split(FIGURES_END, 1)
    DOCS.write_text(head + text.rstrip("\n") + tail)


# --- main ---


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rebuild", action="store_true", help="drop the benchmark databases and build them again")
    parser.add_argument("--skip-pages", action="store_true")
    parser.add_argument("--skip-cycle", action="store_true")
    parser.add_argument("--skip-certificates", action="store_true")
    parser.add_argument("--no-docs", action="store_true", help="do not rewrite docs/performance.md")
    parser.add_argument("--pages", default="", help="only these pages (comma-separated names)")
    parser.add_argument("--count-queries", action="store_true", help=argparse.SUPPRESS)
    options = parser.parse_args()

    if options.count_queries:  # the small build's counts, in a process of their own (another database)
        import django

        django.setup()
        print("QUERIES " + json.dumps(count_here(tags())), flush=True)
        return

    seconds = env_number("BENCH_SECONDS", 10)
    rounds = int(env_number("BENCH_ROUNDS", 3))
    warmup = env_number("BENCH_WARMUP", 2)
    plain_every = max(1, int(env_number("BENCH_PLAIN_EVERY", 3)))
    secret = bench_kit.secret_key()
    large_url = bench_kit.database_url()
    small_url = bench_kit.sibling_url(large_url, "_small")
    certificates_url = bench_kit.sibling_url(large_url, "_certificates")
    large_env = bench_kit.server_env(large_url, secret)
    small_env = bench_kit.server_env(small_url, secret)

    say(f"Data ({bench_kit.database_name(large_url)}, {bench_kit.database_name(small_url)}):")
    bench_kit.ensure_builds(small_url, builds(SMALL), small_env, rebuild=options.rebuild)
    bench_kit.ensure_builds(large_url, builds(LARGE), large_env, rebuild=options.rebuild)
    say("Static files (the production storage's manifest)")
    bench_kit.collect_static(large_env)
    bench_kit.redis_flush()

    os.environ.update(large_env)
    import django

    django.setup()
    from bench_pages import key_pages
    from django.conf import settings
    from django.db import connection

    database = settings.DATABASES["default"]
    settings_ok = bool(database.get("CONN_MAX_AGE")) and bool(database.get("CONN_HEALTH_CHECKS"))
    postgres = "PostgreSQL " + bench_kit.psql(large_url, "SHOW server_version").split()[0]

    pages = key_pages(tags())
    if options.pages:
        wanted = set(options.pages.split(","))
        pages = [page for page in pages if page.name.startswith("plain") or page.name in wanted]
    logins = {page.username: bench_kit.login(page.username) for page in pages if page.username}
    page_figures, queries, cycle, certs = {}, {}, [], None

    if not options.skip_pages:
        server = bench_kit.Server(large_env, workers=2)
        say(f"Pages through gunicorn (2 sync workers), wrk -t2 -c8 -d{seconds:.0f}s, {rounds} rounds")
        try:
            server.start()
            page_figures = measure_pages(
                server, pages, logins, seconds=seconds, rounds=rounds, warmup=warmup, plain_every=plain_every
            )
        finally:
            server.stop()
        connection.close()

    failures = []

    def stage(name, function):
        """Run one part; a failure is reported and the other parts still run."""
        try:
            return function()
        except Exception as error:  # the figures of the other parts are still worth printing
            failures.append(name)
            say(f"  ! {name} failed: {type(error).__name__}: {str(error)[-2000:]}")
            return None

    say("Query counts (in-process) at 1,000 and at 10 dossiers")
    from bench_pages import count_queries

    queries["large"] = stage("query counts at 1,000", lambda: count_queries(pages, logins)) or {}
    queries["small"] = stage("query counts at 10", lambda: count_small(small_env)) or {}

    if not options.skip_cycle:
        from bench_cycle import measure
        from bench_pages import cycle_of

        say("Cycle-wide statistics and ranking against one raw SQL query (announced build)")
        cycle = stage("cycle-wide", lambda: measure(cycle_of(tags()["announced"]))) or []
        for entry in cycle:
            say(
                f"  {entry['name']}: project {entry['project_seconds']:.3f} s, raw SQL {entry['raw_seconds']:.3f} s "
                f"(ratio {entry['ratio']:.2f}); same numbers: {entry['same']} ({entry['detail']})"
            )
    if not options.skip_certificates:
        say("Certificates: warm render against bare WeasyPrint; a batch of 50 through a Celery worker")
        certs = stage(
            "certificates", lambda: certificates(bench_kit.server_env(certificates_url, secret), certificates_url, 20)
        )
        if certs:
            say(f"  {json.dumps(certs)}")
    bench_kit.redis_flush()

    say("")
    say(f"{'page':24} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'cost ×':>8} {'q@10':>6} {'q@1000':>7} {'rows':>5}")
    for name, f in page_figures.items():
        if "cost_x" not in f:
            say(f"{name:24} not measured: {f['broken']}")
            continue
        small, large = queries["small"].get(name, {}), queries["large"].get(name, {})
        say(
            f"{name:24} {f['rps']:8.1f} {f['p50_ms']:8.1f} {f['p99_ms']:8.1f} {f['cost_x']:8.1f} "
            f"{small.get('queries', '–'):>6} {large.get('queries', '–'):>7} {large.get('rows', '–'):>5}"
            + (f"  errors={f['errors']}" if f["errors"] else "")
            + ("  (one request at a time: too slow for wrk)" if f.get("sequential") else "")
        )
    results = goals(page_figures, queries, cycle, certs, settings_ok)
    say("")
    for text, passed, figure in results:
        say(f"{'----' if passed is None else ('PASS' if passed else 'MISS')} {text}: {figure}")
    lines = bench_lines(page_figures, queries, cycle, certs)
    if not options.no_docs and page_figures:
        write_docs(
            markdown(
                {
                    "pages": page_figures,
                    "queries": queries,
                    "cycle": cycle,
                    "certs": certs,
                    "goals": results,
                    "bench_lines": lines,
                    "machine": bench_kit.machine(),
                    "postgres": postgres,
                    "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
                    "workers": 2,
                    "seconds": seconds,
                    "rounds": rounds,
                }
            )
        )
        say(f"\n{DOCS.relative_to(ROOT)} updated")
    say("")
    for line in lines:
        say(line)
    if failures:
        say(f"Parts that failed: {', '.join(failures)}")
        sys.exit(1)


if __name__ == "__main__":
    main()
