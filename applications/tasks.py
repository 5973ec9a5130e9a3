"""Celery tasks of the applications app: thin, keyword-only, idempotent."""

import logging

from celery import shared_task

logger = logging.getLogger(__name__)


@shared_task(
    name="applications.tasks.task_send_submission_receipt",
    autoretry_for=(Exception,),
    retry_backoff=True,
    max_retries=5,
)
def task_send_submission_receipt(*, dossier_id: int) -> bool:
    from .receipts import receipt_deliver

    return receipt_deliver(dossier_id=dossier_id)


@shared_task(
    name="applications.tasks.task_send_eligibility_decision",
    autoretry_for=(Exception,),
    retry_backoff=True,
    max_retries=5,
)
def task_send_eligibility_decision(*, decision_id: int) -> bool:
    from .notifications import eligibility_decision_mail

    return eligibility_decision_mail(decision_id=decision_id)


@shared_task(name="applications.tasks.task_send_pending_receipts")
def task_send_pending_receipts() -> int:
    """The sweeper, run by beat: delivers receipts whose task never reached the queue or gave up."""
    from .receipts import receipts_catch_up

    delivered = receipts_catch_up()
    if delivered:
        logger.info("Delivered %s pending receipt(s).", delivered)
    return delivered


@shared_task(name="applications.tasks.task_send_pending_decision_mails")
def task_send_pending_decision_mails() -> int:
    """The sweeper, run by beat: sends decision e-mails that never reached the queue or gave up."""
    from .notifications import decision_mails_catch_up

    sent = decision_mails_catch_up()
    if sent:
        logger.info("Sent %s pending decision e-mail(s).", sent)
    return sent
