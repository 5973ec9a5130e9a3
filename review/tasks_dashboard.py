"""Celery tasks of the dashboard (reminders to late experts): thin, keyword-only, idempotent."""

import logging

from celery import shared_task

__all__ = ["task_send_pending_reminders", "task_send_review_reminder"]

logger = logging.getLogger(__name__)


@shared_task(
    name="review.tasks.task_send_review_reminder", autoretry_for=(Exception,), retry_backoff=True, max_retries=5
)
def task_send_review_reminder(*, seat_id: int, stage: str, by_id: int | None, token: str) -> bool:
    """Remind a late expert of the sheets still to submit; sent once per token (the audit row records it)."""
    from .dashboard import reminder_mail

    return reminder_mail(seat_id=seat_id, stage=stage, by_id=by_id, token=token)


@shared_task(name="review.tasks.task_send_pending_reminders")
def task_send_pending_reminders() -> int:
    """The sweeper, run by beat: reminders the secretariat requested whose task never reached the queue (the
    broker was down). Each is sent once per token; one failure does not stop the others."""
    from .dashboard import reminder_mail, reminders_pending

    sent = 0
    for reminder in reminders_pending():
        try:
            sent += reminder_mail(**reminder)
        except Exception:
            logger.exception("Reminder %s could not be sent; the next sweep tries again.", reminder["token"])
    if sent:
        logger.info("Sent %s pending reminder(s).", sent)
    return sent
