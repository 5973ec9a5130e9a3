"""Load the demonstration data (idempotent): the core's steps, then each app's `demo` module's steps."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.test.utils import override_settings
from django.utils.module_loading import autodiscover_modules

from mayor_award.core.demo import DEMO_PASSWORD, registry


class Command(BaseCommand):
    help = "Load the demonstration data (idempotent). Refuses to run with DEBUG off unless --force."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="Run even though DEBUG is off.")

    def handle(self, *args, force=False, **options):
        if not settings.DEBUG and not force:
            raise CommandError("DEBUG is off: this looks like production. Use --force to load demo data anyway.")
        autodiscover_modules("demo")
        # The demo's receipts and notifications go to nobody: keep them off the console (and out of any inbox).
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"), transaction.atomic():
            registry.run({"stdout": self.stdout})
        self.stdout.write(self.style.SUCCESS(f"Demo loaded. Every demo user's password: {DEMO_PASSWORD}"))
