"""Celery tasks of the dashboard (reminders to late experts)."""
