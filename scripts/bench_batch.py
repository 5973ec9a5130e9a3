"""Certificates for the benchmark (run by scripts/bench.py in its own process; prints figures, not a test).

In a PostgreSQL database of its own (<bench database>_certificates: 50 awards of an announced cycle, built once
with the test factories, as scripts/bench_certificates.py builds them):

1. warm render: in this process, after one certificate to warm fonts and Pango, each certificate through the
   project's task path (committee.tasks_awards.task_render_certificate: lock, serial, template, QR, WeasyPrint,
   storage, audit) against bare WeasyPrint on the very same HTML, interleaved; seconds per certificate and ratio;
2. a batch of 50 through a real Celery worker (broker: the benchmark's Redis database): the admin's action
   (certificate_batch_start) committed, until the batch row says finished; end-to-end seconds. The worker is
   started and warmed with one certificate first (a new process pays the WeasyPrint import once).

Run by bench.py; alone: DATABASE_URL=…_certificates REDIS_URL=redis://127.0.0.1:6379/14 python scripts/bench_batch.py
(with the environment bench_kit.server_env gives). The last line is `CERTJSON {…}`.
"""

import argparse
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

AWARDS = 50


def setup():
    import logging

    import django

    django.setup()
    for name in ("weasyprint", "celery", "fontTools"):
        logging.getLogger(name).setLevel(logging.WARNING)


def ensure_awards(count: int):
    from committee.models import Award

    awards = list(Award.objects.order_by("number").values_list("pk", flat=True))
    if len(awards) >= count:
        return awards[:count]
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    sys.path.insert(0, str(ROOT / "scripts"))
    from bench_certificates import build_awards

    return build_awards(count)


def clear(award_ids) -> None:
    from committee.models import Certificate

    Certificate.objects.filter(award_id__in=award_ids).update(pdf="", pdf_sha256="", rendered_at=None)


def timed(function) -> float:
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def warm_render(award_ids, count: int) -> dict:
    import weasyprint

    from applications import pdf
    from committee import certificates
    from committee.models import Certificate
    from committee.tasks_awards import task_render_certificate

    chosen = award_ids[:count]
    clear(chosen)
    pdf.ensure_chinese_font()
    certificates.render_html(certificates.certificate_html(Certificate(award_id=chosen[0], serial="WARM-UP")))
    stylesheet = weasyprint.CSS(filename=str(certificates.stylesheet_path()))
    base_url = str(pdf.static_base_dir())
    query = Certificate.objects.select_related("award__cycle", "award__organisation")
    task_times, bare_times = [], []
    for pk in chosen:  # interleaved: both paths meet the same machine state
        task_times.append(timed(lambda pk=pk: task_render_certificate.apply(kwargs={"award_id": pk})))
        html = certificates.certificate_html(query.get(award_id=pk))
        bare_times.append(
            timed(lambda html=html: weasyprint.HTML(string=html, base_url=base_url).write_pdf(stylesheets=[stylesheet]))
        )
    rendered = Certificate.objects.filter(award_id__in=chosen).exclude(pdf="").count()
    task, bare = statistics.median(task_times), statistics.median(bare_times)
    return {
        "count": len(chosen),
        "rendered": rendered,
        "task_seconds": task,
        "bare_seconds": bare,
        "ratio": task / bare,
    }


def wait_until(predicate, timeout: float, interval: float = 0.05) -> float | None:
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if predicate():
            return time.monotonic() - start
        time.sleep(interval)
    return None


def worker_batch(award_ids) -> dict:
    from django.db import transaction

    from committee.models import Award, Certificate, CertificateBatch
    from committee.services_awards import certificate_batch_start
    from committee.tasks_awards import task_render_certificate
    from mayor_award.celery import app

    bench_kit.STATE_DIR.mkdir(parents=True, exist_ok=True)
    log_path = bench_kit.STATE_DIR / "celery-worker.log"
    with log_path.open("w") as log:
        worker = subprocess.Popen(  # noqa: S603 - our own interpreter
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "mayor_award",
                "worker",
                "--pool",
                "solo",
                "--loglevel",
                "WARNING",
                "--without-gossip",
                "--without-mingle",
                "--hostname",
                f"bench-{os.getpid()}@%h",
            ],
            cwd=ROOT,
            env=dict(os.environ),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        started = time.monotonic()
        ready = wait_until(lambda: bool(app.control.ping(timeout=0.5)), timeout=60, interval=0.2)
        if ready is None:
            raise RuntimeError("the Celery worker did not answer:\n" + log_path.read_text()[-3000:])
        cycle_id = Award.objects.get(pk=award_ids[0]).cycle_id
        clear(award_ids)
        # Warm the worker (imports, fonts) with one certificate, then clear it again.
        task_render_certificate.delay(award_id=award_ids[0])
        warmed = wait_until(
            lambda: Certificate.objects.filter(award_id=award_ids[0]).exclude(pdf="").exists(), timeout=120
        )
        warm_seconds = time.monotonic() - started
        clear(award_ids)
        start = time.monotonic()
        with transaction.atomic():
            batch = certificate_batch_start(cycle=Award.objects.get(pk=award_ids[0]).cycle, by=None)
        finished = wait_until(
            lambda: CertificateBatch.objects.filter(pk=batch.pk, finished_at__isnull=False).exists(), timeout=300
        )
        seconds = time.monotonic() - start
        batch.refresh_from_db()
        certificates = Certificate.objects.filter(award__cycle_id=cycle_id)
        return {
            "seconds": seconds if finished is not None else None,
            "done": batch.done,
            "failed": batch.failed,
            "total": batch.total,
            "rendered": certificates.exclude(pdf="").count(),
            "serials": certificates.values("serial").distinct().count(),
            "worker_warm_seconds": warm_seconds if warmed is not None else None,
        }
    finally:
        bench_kit.stop_group(worker)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=20, help="certificates in the warm render comparison")
    options = parser.parse_args()
    setup()
    award_ids = ensure_awards(AWARDS)
    result = {"warm": warm_render(award_ids, options.count), "batch": worker_batch(award_ids)}
    print("CERTJSON " + json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
