"""The Celery application; every setting comes from Django's settings under the CELERY_ prefix."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mayor_award.settings")

app = Celery("mayor_award")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
