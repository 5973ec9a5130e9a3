"""Celery tasks of the applications app: thin, keyword-only, idempotent."""

from celery import shared_task


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
