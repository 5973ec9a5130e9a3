"""Celery tasks of the core: thin, keyword-only, idempotent; the work is in services."""

import logging
from functools import partial

from celery import shared_task
from django.db import transaction

logger = logging.getLogger(__name__)


def enqueue_on_commit(task, **kwargs):
    """Queue `task(**kwargs)` once the transaction commits; with the broker down, log it and go on: the page still
    says it worked, and what the task does is caught up by a sweeper (or by hand) later.

    Not `on_commit(partial(task.delay, ...), robust=True)`: Django 5.2's robust on_commit reads the callable's
    __qualname__ to log an error, which a partial has not, so a broker outage became a server error page."""
    transaction.on_commit(partial(_enqueue, task, kwargs))


def _enqueue(task, kwargs: dict):
    try:
        task.apply_async(kwargs=kwargs)
    except Exception:  # kombu and redis raise a family of errors for an unreachable broker
        logger.warning("Broker unreachable; %s %s was not queued.", task.name, kwargs, exc_info=True)


@shared_task(
    name="mayor_award.core.tasks.task_publish_notice", autoretry_for=(Exception,), retry_backoff=True, max_retries=5
)
def task_publish_notice(*, notice_id: int) -> bool:
    from .services import notice_publish

    return notice_publish(notice_id=notice_id)


@shared_task(name="mayor_award.core.tasks.task_publish_due_notices")
def task_publish_due_notices() -> int:
    """The sweeper, run by beat: publishes what is due, including what never reached the queue."""
    from .services import notices_publish_due

    published = notices_publish_due()
    if published:
        logger.info("Published %s due notice(s).", published)
    return published
