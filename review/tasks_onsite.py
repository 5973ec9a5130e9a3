"""Celery tasks of the on-site stage (letters to applicants)."""
