import importlib

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

# Each area declares AUDIT_LABELS beside the services that write its audit rows.
AUDIT_LABEL_MODULES = ("services_voting", "services_awards")


class CommitteeConfig(AppConfig):
    """The committee's vote (评委会表决), publicity (公示), awards and certificates."""

    name = "committee"
    verbose_name = _("Committee and awards")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from mayor_award.core import audit_labels
        from mayor_award.core.signals import cycle_phase_exit

        from . import receivers

        cycle_phase_exit.connect(receivers.deliberation_unfinished, dispatch_uid="committee.deliberation_unfinished")
        cycle_phase_exit.connect(receivers.approval_missing, dispatch_uid="committee.approval_missing")
        from . import receivers_awards

        receivers_awards.connect()
        for name in AUDIT_LABEL_MODULES:
            audit_labels.register(getattr(importlib.import_module(f"{self.name}.{name}"), "AUDIT_LABELS", {}))
