"""Celery tasks that render review reports: thin, keyword-only, safe to run twice (review/reports.py)."""

import logging

from celery import shared_task

logger = logging.getLogger(__name__)

__all__ = ["task_render_consensus_report", "task_render_pending_reports"]


@shared_task(
    name="review.tasks.task_render_consensus_report",
    autoretry_for=(Exception,),
    retry_backoff=True,
    max_retries=5,
)
def task_render_consensus_report(*, consensus_id: int) -> bool:
    """The material or on-site review report of a recorded consensus; a second run replaces the file."""
    from .reports import report_generate

    return report_generate(consensus_id=consensus_id)


@shared_task(name="review.tasks.task_render_pending_reports")
def task_render_pending_reports() -> int:
    """The sweeper, for beat: reports whose task never reached the queue or gave up."""
    from .reports import reports_catch_up

    made = reports_catch_up()
    if made:
        logger.info("Rendered %s pending review report(s).", made)
    return made
