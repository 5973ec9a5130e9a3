"""Celery tasks of the vote (minutes PDF): thin, keyword-only, safe to run twice."""

from celery import shared_task


@shared_task(
    name="committee.tasks.task_render_minutes",
    autoretry_for=(Exception,),
    retry_backoff=True,
    max_retries=5,
)
def task_render_minutes(*, session_id: int) -> bool:
    from applications.pdf import MissingChineseFont

    from .minutes import minutes_render

    try:
        return minutes_render(session_id=session_id)
    except MissingChineseFont:  # retrying does not install a font; the admin page offers to print again
        return False
