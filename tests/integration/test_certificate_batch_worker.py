"""A worker killed (SIGKILL) in the middle of a certificate batch (证书批量生成): rerun, nothing twice, nothing lost.

A real `celery worker` renders the batch; once a few certificates are done the test kills its whole process group,
starts a new worker and runs the same batch again, as the secretariat's rerun (or a redelivered message) would.
Every award then has exactly one certificate, with the serial it had, its file on disk, and the batch is complete.
"""

import os
import signal
from pathlib import Path

import pytest
from django.conf import settings
from django.db import transaction

from committee import services_awards
from committee.models import Certificate, CertificateBatch
from committee.tasks_awards import task_render_cycle_certificates
from mayor_award.core.enums import CyclePhase
from tests.conftest import postgres_in_use, require
from tests.factories.committee_awards import AwardFactory
from tests.factories.core import CycleFactory, UserFactory
from tests.integration.conftest import real_broker, redis_cli, redis_server_available, wait_until

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

AWARDS = 5
KILL_AFTER = 2  # certificates done before the kill
NEEDS_POSTGRES = (
    "needs PostgreSQL (set DATABASE_URL=postgres://...): the worker subprocess must reach the test database"
)


def batch_state(batch: CertificateBatch) -> CertificateBatch:
    batch.refresh_from_db()
    return batch


def rendered() -> dict[int, tuple[str, str]]:
    """Award id -> (serial, stored file name) of every certificate with a file."""
    return {c.award_id: (c.serial, c.pdf.name) for c in Certificate.objects.exclude(pdf="")}


# private_redis before start_worker: fixtures are torn down in reverse, so the workers stop first.
def test_batch_rerun_after_the_worker_was_killed_leaves_one_certificate_per_award(
    private_redis, start_worker, monkeypatch
):
    require(postgres_in_use(), NEEDS_POSTGRES)
    require(redis_server_available(), "needs the redis-server and redis-cli programs (Debian: redis-server)")
    # The worker subprocess stores the PDFs where this test reads them.
    monkeypatch.setenv("PRIVATE_FILES_ROOT", str(settings.PRIVATE_FILES_ROOT))
    secretariat = UserFactory(roles=["secretariat"], is_staff=True)
    cycle = CycleFactory(phase=CyclePhase.ANNOUNCED)
    awards = [AwardFactory(cycle=cycle) for _ in range(AWARDS)]
    private_redis.start()
    worker = start_worker(private_redis.url)

    with real_broker(private_redis.url):
        with transaction.atomic():  # as in the admin's request: the task is queued on commit
            batch = services_awards.certificate_batch_start(cycle=cycle, by=secretariat)
        took = wait_until(lambda: batch_state(batch).done >= KILL_AFTER, 60, 0.05)
        assert took is not None, f"the batch did not start: {batch_state(batch)}\n{worker.tail()}"
        os.killpg(worker.process.pid, signal.SIGKILL)
        worker.process.wait(timeout=10)
        killed_at = batch_state(batch).done
        before = rendered()
        print(f"\nworker killed after {took:.2f} s with {killed_at}/{AWARDS} certificates done")
        print(f"unacknowledged messages left in Redis: {redis_cli(private_redis.url, 'hlen', 'unacked')}")
        assert killed_at < AWARDS, "the batch finished before the kill: raise AWARDS"
        assert batch.finished_at is None

        again = start_worker(private_redis.url)
        task_render_cycle_certificates.delay(batch_id=batch.pk)
        took = wait_until(lambda: batch_state(batch).finished_at is not None, 90, 0.1)
        assert took is not None, f"the rerun did not finish: {batch_state(batch)}\n{again.tail()}"
        print(f"the rerun finished the batch after {took:.2f} s")

    assert (batch.total, batch.done, batch.failed, batch.error) == (AWARDS, AWARDS, 0, "")
    assert services_awards.certificate_batch_status(batch)["percent"] == 100
    certificates = list(Certificate.objects.filter(award__cycle=cycle))
    assert sorted(c.award_id for c in certificates) == sorted(a.pk for a in awards)  # one per award
    assert len({c.serial for c in certificates}) == AWARDS
    after = rendered()
    assert {award: after[award] for award in before} == before  # done before the kill: same serial and file
    root = Path(settings.PRIVATE_FILES_ROOT)
    for certificate in certificates:
        assert certificate.serial == services_awards.certificate_serial(certificate.award)
        assert (root / certificate.pdf.name).read_bytes().startswith(b"%PDF")
    # No stray file of a rendering the kill interrupted: one PDF per certificate.
    assert sorted(p.name for p in (root / "certificates").iterdir()) == sorted(
        Path(c.pdf.name).name for c in certificates
    )
