from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    """The ground floor: users, roles, cycles, notices, audit (核心)."""

    name = "mayor_award.core"
    label = "core"
    verbose_name = _("Award administration")
    default_auto_field = "django.db.models.BigAutoField"
