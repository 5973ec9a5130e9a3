"""Celery tasks of the vote (minutes PDF)."""
