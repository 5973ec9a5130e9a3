"""Celery tasks that render review reports."""
