"""Celery tasks of the committee app: each area keeps its own module."""

from .tasks_awards import *  # noqa: F403
from .tasks_voting import *  # noqa: F403
