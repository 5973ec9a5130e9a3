"""Celery tasks of publicity, awards and certificates: thin, keyword-only, safe to run twice."""

import logging

from celery import shared_task

logger = logging.getLogger(__name__)


@shared_task(
    name="committee.tasks.task_render_certificate",
    autoretry_for=(Exception,),
    retry_backoff=True,
    max_retries=5,
)
def task_render_certificate(*, award_id: int) -> bool:
    """Render one award's certificate unless the stored one is current (idempotent by award and serial)."""
    from applications.pdf import MissingChineseFont

    from .services_awards import certificate_render

    try:
        return certificate_render(award_id=award_id) is not None
    except MissingChineseFont:  # retrying does not install a font; the error is on the row and in the admin
        logger.exception("No Chinese font: the certificate of award %s was not rendered.", award_id)
        return False


@shared_task(name="committee.tasks.task_render_cycle_certificates")
def task_render_cycle_certificates(*, batch_id: int) -> bool:
    """Render every certificate of a cycle, counting progress on the batch row (the admin polls it)."""
    from .services_awards import certificate_batch_run

    return certificate_batch_run(batch_id=batch_id) is not None


@shared_task(
    name="committee.tasks.task_send_objection_mail",
    autoretry_for=(Exception,),
    retry_backoff=True,
    max_retries=5,
)
def task_send_objection_mail(*, objection_id: int, kind: str) -> bool:
    """The acknowledgement ("receipt") or the written reply ("reply") to an objector; sent once."""
    from .services_awards import objection_mail

    return objection_mail(objection_id=objection_id, kind=kind)


@shared_task(name="committee.tasks.task_send_pending_objection_mails")
def task_send_pending_objection_mails() -> int:
    """The sweeper, run by beat: acknowledgements and replies to objectors whose task never reached the queue
    (the broker was down) or gave up. An objection already decided gets its reply only: the reply supersedes the
    acknowledgement. One failing e-mail does not stop the others; the next sweep tries it again."""
    from .enums_awards import ObjectionState
    from .models import Objection
    from .services_awards import objection_mail

    objections = Objection.objects.order_by("pk")
    unacknowledged = objections.filter(state__in=ObjectionState.open(), receipt_mailed_at__isnull=True)
    unanswered = objections.filter(state__in=ObjectionState.decided(), reply_mailed_at__isnull=True)
    pending = [(pk, "receipt") for pk in unacknowledged.values_list("pk", flat=True)]
    pending += [(pk, "reply") for pk in unanswered.values_list("pk", flat=True)]
    sent = 0
    for objection_id, kind in pending:
        try:
            sent += objection_mail(objection_id=objection_id, kind=kind)
        except Exception:
            logger.exception(
                "The %s e-mail of objection %s could not be sent; the next sweep tries again.", kind, objection_id
            )
    if sent:
        logger.info("Sent %s pending objection e-mail(s).", sent)
    return sent


@shared_task(name="committee.tasks.task_render_pending_certificates")
def task_render_pending_certificates() -> int:
    """The sweeper, run by beat: certificates that are missing or out of date (the award was made or revoked
    while the broker was down, or a worker died mid-batch). Rendering is idempotent, so a certificate the worker
    is rendering at the same moment is rendered once. One failure does not stop the others."""
    from django.db.models import Q

    from .models import Award
    from .services_awards import certificate_render

    out_of_date = (
        Q(certificate__isnull=True)
        | Q(certificate__pdf="")
        | Q(revoked_at__isnull=False, certificate__rendered_revoked=False)
        | Q(revoked_at__isnull=True, certificate__rendered_revoked=True)
    )
    pending = list(Award.objects.filter(out_of_date).order_by("pk").values_list("pk", flat=True))
    rendered = 0
    for award_id in pending:
        try:
            rendered += certificate_render(award_id=award_id) is not None
        except Exception:
            logger.exception("The certificate of award %s could not be rendered; the next sweep tries again.", award_id)
    if rendered:
        logger.info("Rendered %s pending certificate(s).", rendered)
    return rendered
