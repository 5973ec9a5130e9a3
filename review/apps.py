import importlib

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

AUDIT_LABEL_MODULES = ("sheets", "consensus", "reports", "onsite", "dashboard", "feedback")


class ReviewConfig(AppConfig):
    """The expert pool, panels (评审组), material and on-site review (材料评审、现场评审)."""

    name = "review"
    verbose_name = _("Review")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from mayor_award.core import audit_labels

        from . import receivers  # noqa: F401 - connects the guards

        audit_labels.register(
            {
                "expert.saved": _("expert profile saved"),
                "user.created": _("user account created"),
                "conflict.recorded": _("conflict of interest recorded"),
                "conflicts.detected": _("conflicts of interest detected"),
                "panel.created": _("panel created"),
                "panel.drawn": _("panel drawn"),
                "panel.leader_set": _("panel leader named"),
                "panel.alternate_invited": _("alternate invited"),
                "panel.alternates_exhausted": _("no alternate left"),
                "panel.draw_record_printed": _("draw record printed"),
                "seat.invitation_sent": _("invitation sent"),
                "seat.replied": _("invitation answered"),
                "seat.lapsed": _("invitation lapsed"),
                "pledge.signed": _("pledge signed"),
                "dossier.opened": _("dossier opened by an expert"),
                "sheet.submitted": _("score sheet submitted"),
                "sheet.reopened": _("score sheet reopened"),
            }
        )
        # Later stages declare AUDIT_LABELS beside the services that write those audit rows.
        for name in AUDIT_LABEL_MODULES:
            audit_labels.register(getattr(importlib.import_module(f"{self.name}.{name}"), "AUDIT_LABELS", {}))
