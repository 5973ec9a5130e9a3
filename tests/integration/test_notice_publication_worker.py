"""A real Celery worker on Redis publishes scheduled notices; a broker outage loses no publication.

These tests start `celery -A mayor_award worker -B -P solo` as a subprocess against the pytest test
database, so the rows they make must be committed (transactional database). The figures they print
(seconds) show with `pytest -s`.
"""

import datetime as dt
import re
import time

import pytest
from django.db import transaction
from django.utils import timezone

from mayor_award.core import services
from mayor_award.core.enums import NoticeState
from mayor_award.core.models import AuditEvent, Notice
from tests.conftest import postgres_in_use, redis_reachable, redis_url, require
from tests.integration.conftest import real_broker, redis_cli, redis_server_available, wait_until

# transaction=True: the worker reads the rows over its own connection, so they must be committed.
# No serialized_rollback anywhere in the suite: the flush after a transactional test runs post_migrate, whose
# hook (mayor_award/core/reference_data.py) re-creates the role groups and the criteria.
pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

NEEDS_POSTGRES = (
    "needs PostgreSQL (set DATABASE_URL=postgres://...): the worker subprocess must reach the test database"
)
PUBLISH_TIMEOUT = 30
SWEEP_DONE = re.compile(r"task_publish_due_notices\[[0-9a-f-]+\] succeeded")
BEAT_SEND_FAILED = "Couldn't apply scheduled task publish-due-notices"
SWEEP_PUBLISHED = "Published 1 due notice(s)."  # logged by task_publish_due_notices
TASK_PUBLISHED = re.compile(r"task_publish_notice\[[0-9a-f-]+\] succeeded in [0-9.e-]+s: True")


def scheduled_notice(title: str, publish_at=None) -> Notice:
    return Notice(title=title, body="<p>公告正文。</p>", state=NoticeState.SCHEDULED, publish_at=publish_at)


def publications(notice: Notice):
    return AuditEvent.objects.filter(
        action="notice.published", object_type=Notice._meta.label_lower, object_id=str(notice.pk)
    )


def wait_published(notice: Notice, worker) -> float:
    """Poll the row until the worker has published it; the seconds that took."""

    def published():
        notice.refresh_from_db()
        return notice.state == NoticeState.PUBLISHED

    took = wait_until(published, PUBLISH_TIMEOUT, 0.1)
    assert took is not None, f"notice {notice.pk} still {notice.state!r} after {PUBLISH_TIMEOUT} s\n{worker.tail()}"
    return took


def assert_published_once(notice: Notice, worker):
    assert notice.state == NoticeState.PUBLISHED
    assert notice.published_at is not None
    assert notice.published_at >= notice.publish_at
    assert publications(notice).count() == 1, worker.tail()


def wait_for_next_sweep(worker):
    """Return just after the beat sweeper has run, so the next one is about NOTICE_SWEEP_SECONDS away."""
    sweeps = len(SWEEP_DONE.findall(worker.log()))
    assert wait_until(lambda: len(SWEEP_DONE.findall(worker.log())) > sweeps, 10, 0.02) is not None, (
        f"the beat sweeper did not run within 10 s\n{worker.tail()}"
    )


def test_worker_publishes_scheduled_and_queued_notices(start_worker, secretariat):
    url = redis_url()
    require(postgres_in_use(), NEEDS_POSTGRES)
    require(redis_reachable(url), f"needs Redis: set REDIS_URL (e.g. redis://127.0.0.1:6379/15), got {url!r}")
    # Messages left in this DB index by an earlier run would otherwise reach this worker.
    assert redis_cli(url, "flushdb") == "OK"
    worker = start_worker(url)
    print(f"\nworker ready after {worker.ready_seconds:.2f} s")

    with real_broker(url):
        # Scheduled for later: no message is queued; the beat sweeper publishes it when it is due.
        notice = services.notice_save(
            notice=scheduled_notice("定时公告", timezone.now() + dt.timedelta(seconds=2)), by=secretariat
        )
        assert notice.state == NoticeState.SCHEDULED
        assert notice.publish_at > timezone.now()
        took = wait_published(notice, worker)
        print(f"scheduled notice (due after 2 s) published by the sweeper after {took:.2f} s")
        assert_published_once(notice, worker)
        assert worker.log().count(SWEEP_PUBLISHED) == 1, worker.tail()

        # Due now: notice_save queues task_publish_notice on commit and the worker runs it. Saving just
        # after a sweep leaves the queued task about a second to win against the next sweep.
        wait_for_next_sweep(worker)
        due = services.notice_save(notice=scheduled_notice("即时公告"), by=secretariat)
        took = wait_published(due, worker)
        print(f"due notice published by the queued task after {took:.2f} s")
        assert_published_once(due, worker)
        assert due.enqueue_failed_at is None
        assert len(TASK_PUBLISHED.findall(worker.log())) == 1, (
            f"task_publish_notice did not publish the due notice\n{worker.tail()}"
        )


# private_redis before start_worker: fixtures are torn down in reverse, so the worker stops first.
def test_notice_saved_while_broker_is_down_is_published_when_it_is_back(
    private_redis, start_worker, secretariat, caplog
):
    require(postgres_in_use(), NEEDS_POSTGRES)
    require(redis_server_available(), "needs the redis-server and redis-cli programs (Debian: redis-server)")
    private_redis.start()
    worker = start_worker(private_redis.url)
    print(f"\nworker ready after {worker.ready_seconds:.2f} s")

    private_redis.stop()
    # Once the worker has noticed, it runs nothing until the broker is back.
    assert wait_until(lambda: "Connection to broker lost" in worker.log(), 10, 0.05) is not None, worker.tail()

    with real_broker(private_redis.url):
        started = time.monotonic()
        with transaction.atomic():  # as in a request (ATOMIC_REQUESTS): the enqueue runs on commit
            notice = services.notice_save(notice=scheduled_notice("断线期间的公告"), by=secretariat)
        enqueue_seconds = time.monotonic() - started
    print(f"notice_save with the broker down returned after {enqueue_seconds:.2f} s")
    assert enqueue_seconds < 3, "saving a notice must not hang while the broker is down"
    assert "Broker unreachable" in caplog.text
    notice.refresh_from_db()
    assert notice.state == NoticeState.SCHEDULED
    assert notice.enqueue_failed_at is not None
    assert not publications(notice).exists()
    # The sweeper's own sends fail too while Redis is down; beat must get over that by itself.
    assert wait_until(lambda: BEAT_SEND_FAILED in worker.log(), 10, 0.05) is not None, worker.tail()

    restarted = time.monotonic()
    private_redis.start()
    wait_published(notice, worker)
    print(f"published by the sweeper {time.monotonic() - restarted:.2f} s after Redis was started again")
    assert_published_once(notice, worker)
    assert notice.enqueue_failed_at is None
    assert worker.log().count(SWEEP_PUBLISHED) == 1, worker.tail()
