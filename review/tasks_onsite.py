"""Celery tasks of the on-site stage (letters to applicants): thin, keyword-only, idempotent."""

import logging

from celery import shared_task

logger = logging.getLogger(__name__)

__all__ = ["task_send_pending_selection_letters", "task_send_selection_letter"]


@shared_task(
    name="review.tasks.task_send_selection_letter", autoretry_for=(Exception,), retry_backoff=True, max_retries=5
)
def task_send_selection_letter(*, selection_id: int) -> bool:
    """Tell the applicant whether its dossier goes on to the on-site review (sent once per selection row)."""
    from .onsite import selection_letter_mail

    return selection_letter_mail(selection_id=selection_id)


@shared_task(name="review.tasks.task_send_pending_selection_letters")
def task_send_pending_selection_letters() -> int:
    """The sweeper, run by beat: sends the selection letters whose task never reached the queue or gave up."""
    from .onsite import selection_letters_catch_up

    sent = selection_letters_catch_up()
    if sent:
        logger.info("Sent %s pending on-site selection letter(s).", sent)
    return sent
