"""Celery tasks of the review app: thin, keyword-only, idempotent."""

from celery import shared_task

from .tasks_dashboard import *  # noqa: F403 - each area keeps its tasks in its own module
from .tasks_onsite import *  # noqa: F403
from .tasks_reports import *  # noqa: F403


@shared_task(
    name="review.tasks.task_send_seat_invitation", autoretry_for=(Exception,), retry_backoff=True, max_retries=5
)
def task_send_seat_invitation(*, seat_id: int) -> bool:
    from .notifications import seat_invitation_mail

    return seat_invitation_mail(seat_id=seat_id)


@shared_task(name="review.tasks.task_send_pending_invitations")
def task_send_pending_invitations() -> int:
    """The sweeper, run by beat: unanswered invitations past their date lapse (the next alternate is invited),
    and invitations whose task never reached the queue are sent."""
    from .notifications import invitations_catch_up
    from .services import invitations_lapse

    invitations_lapse()
    return invitations_catch_up()
