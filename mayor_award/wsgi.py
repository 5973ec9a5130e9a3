"""WSGI entry point (gunicorn mayor_award.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mayor_award.settings")

application = get_wsgi_application()
