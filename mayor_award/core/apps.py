from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    """The ground floor: users, roles, cycles, notices, criteria, audit (核心)."""

    name = "mayor_award.core"
    label = "core"
    verbose_name = _("Award administration")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from .reference_data import ensure_reference_data

        post_migrate.connect(ensure_reference_data, sender=self, dispatch_uid="core-reference-data")
