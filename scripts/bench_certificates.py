"""Benchmark (prints figures; not a test): award certificates through the Celery task, against bare WeasyPrint.

Builds a throw-away SQLite database and private-file folder, grants N awards in an announced cycle, then
1. renders each certificate through committee.tasks.task_render_certificate, in-process (lock, serial, template,
   QR code, WeasyPrint, storage, audit row), and
2. renders the very same HTML with bare WeasyPrint (HTML string + the certificate's stylesheet, nothing else),
one after the other for each certificate, and prints seconds per certificate for both, with the overhead of the
task path.

Run: .venv/bin/python scripts/bench_certificates.py [--count 50]
"""

import argparse
import logging
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def prepare(folder: Path):
    os.environ["DATABASE_URL"] = f"sqlite:///{folder / 'bench.sqlite3'}"
    os.environ["PRIVATE_FILES_ROOT"] = str(folder / "private")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mayor_award.settings")
    os.environ.pop("REDIS_URL", None)  # tasks run in-process
    import django

    django.setup()
    for name in ("weasyprint", "celery"):  # their INFO lines would drown the figures
        logging.getLogger(name).setLevel(logging.WARNING)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def build_awards(count: int):
    from django.utils import timezone

    from committee.models import Award
    from mayor_award.core.enums import CyclePhase, NoticeKind
    from tests.factories.committee_awards import AwardFactory
    from tests.factories.core import CycleFactory, NoticeFactory

    cycle = CycleFactory(number=1, phase=CyclePhase.ANNOUNCED)
    NoticeFactory(cycle=cycle, kind=NoticeKind.AWARD_ANNOUNCEMENT, published=True)
    year = timezone.localdate().year
    for number in range(1, count + 1):
        AwardFactory(cycle=cycle, award_year=year, number=number, organisation__name=f"漯河市第{number}食品有限公司")
    return list(Award.objects.filter(cycle=cycle).order_by("number").values_list("pk", flat=True))


def timed(function):
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=50, help="certificates to render (default 50)")
    options = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-certificates-") as folder:
        started = time.perf_counter()
        prepare(Path(folder))
        award_ids = build_awards(options.count)
        setup_seconds = time.perf_counter() - started

        import weasyprint

        from applications import pdf
        from committee import certificates
        from committee.models import Certificate
        from committee.tasks_awards import task_render_certificate

        pdf.ensure_chinese_font()

        # One certificate outside the measurement: fonts and Pango warm up once per process.
        certificates.render_html(certificates.certificate_html(Certificate(award_id=award_ids[0], serial="WARM-UP")))

        stylesheet = weasyprint.CSS(filename=str(certificates.stylesheet_path()))
        base_url = str(pdf.static_base_dir())
        certificates_by_award = Certificate.objects.select_related("award__cycle", "award__organisation")
        task_times, bare_times = [], []
        for pk in award_ids:  # interleaved, so both paths meet the same machine state and the same glyphs
            task_times.append(timed(lambda pk=pk: task_render_certificate.apply(kwargs={"award_id": pk})))
            html = certificates.certificate_html(certificates_by_award.get(award_id=pk))
            bare_times.append(
                timed(
                    lambda html=html: weasyprint.HTML(string=html, base_url=base_url).write_pdf(
                        stylesheets=[stylesheet]
                    )
                )
            )
        rendered = Certificate.objects.exclude(pdf="").count()
        size = Certificate.objects.get(award_id=award_ids[0]).pdf.size

    task_mean, bare_mean = statistics.mean(task_times), statistics.mean(bare_times)
    print(f"Certificates: {options.count} (A4 landscape, Noto CJK, QR code); setup {setup_seconds:.1f} s")
    print(f"  rendered and stored by the task: {rendered}; one PDF is about {size / 1024:.0f} KB")
    print(
        f"  through the task (in-process):  {task_mean:.3f} s per certificate "
        f"(median {statistics.median(task_times):.3f}, max {max(task_times):.3f}; total {sum(task_times):.1f} s)"
    )
    print(
        f"  bare WeasyPrint, same HTML:     {bare_mean:.3f} s per certificate "
        f"(median {statistics.median(bare_times):.3f}, max {max(bare_times):.3f}; total {sum(bare_times):.1f} s)"
    )
    print(
        f"  overhead of the task path:      {task_mean - bare_mean:+.3f} s per certificate "
        f"({100 * (task_mean / bare_mean - 1):+.0f} %)"
    )


if __name__ == "__main__":
    main()
