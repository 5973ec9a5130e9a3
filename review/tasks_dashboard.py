"""Celery tasks of the dashboard (reminders to late experts): thin, keyword-only, idempotent."""

from celery import shared_task

__all__ = ["task_send_review_reminder"]


@shared_task(
    name="review.tasks.task_send_review_reminder", autoretry_for=(Exception,), retry_backoff=True, max_retries=5
)
def task_send_review_reminder(*, seat_id: int, stage: str, by_id: int | None, token: str) -> bool:
    """Remind a late expert of the sheets still to submit; sent once per token (the audit row records it)."""
    from .dashboard import reminder_mail

    return reminder_mail(seat_id=seat_id, stage=stage, by_id=by_id, token=token)
