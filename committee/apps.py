from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CommitteeConfig(AppConfig):
    """The committee's vote (评委会表决), publicity (公示), awards and certificates."""

    name = "committee"
    verbose_name = _("Committee and awards")
    default_auto_field = "django.db.models.BigAutoField"
