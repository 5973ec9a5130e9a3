from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApplicationsConfig(AppConfig):
    """Organisations, their dossiers (申报材料) and the eligibility review (资格审查)."""

    name = "applications"
    verbose_name = _("Applications")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from mayor_award.core.signals import cycle_phase_exit

        from . import receivers

        cycle_phase_exit.connect(receivers.deadline_not_passed, dispatch_uid="applications.deadline_not_passed")
        cycle_phase_exit.connect(receivers.dossiers_undecided, dispatch_uid="applications.dossiers_undecided")
