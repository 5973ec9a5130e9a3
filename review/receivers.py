"""Guards the review app adds to the earlier phases (applications never imports review)."""

from django.dispatch import receiver
from django.utils.translation import gettext as _

from applications.signals import dossier_decision_veto

from .models import PanelDossier


@receiver(dossier_decision_veto, dispatch_uid="review-dossier-on-panel")
def dossier_on_panel(sender, dossier, **kwargs):
    """A dossier already handed to a panel is no longer re-decided: its experts may be reading it."""
    if PanelDossier.objects.filter(dossier=dossier).exists():
        return _("The dossier is already on a panel; take it off the panel before changing the eligibility decision.")
    return None
