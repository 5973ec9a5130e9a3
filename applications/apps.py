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

        from mayor_award.core import audit_labels

        audit_labels.register(
            {
                "organisation.registered": _("organisation registered"),
                "organisation.invited": _("colleague invited"),
                "organisation.joined": _("colleague joined"),
                "user.email_confirmed": _("e-mail address confirmed"),
                "dossier.started": _("application started"),
                "dossier.section_saved": _("section saved"),
                "dossier.attachment_added": _("file uploaded"),
                "dossier.attachment_removed": _("file removed"),
                "dossier.attachment_opened": _("file opened"),
                "dossier.submitted": _("submitted"),
                "dossier.withdrawn": _("withdrawn"),
                "dossier.receipt_sent": _("receipt sent"),
                "dossier.eligibility_decided": _("eligibility decided"),
                "dossier.decision_mailed": _("decision sent by e-mail"),
                "dossier.precheck_refreshed": _("pre-check refreshed"),
                "dossier.transition": _("dossier state changed"),
                "misconduct.recorded": _("misconduct recorded"),
            }
        )
