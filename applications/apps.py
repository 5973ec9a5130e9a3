from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApplicationsConfig(AppConfig):
    """Organisations, their dossiers (申报材料) and the eligibility review (资格审查)."""

    name = "applications"
    verbose_name = _("Applications")
    default_auto_field = "django.db.models.BigAutoField"
