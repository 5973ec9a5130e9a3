"""Celery tasks of the core: thin, keyword-only, idempotent; the work is in services."""

import logging

from celery import shared_task

logger = logging.getLogger(__name__)


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
