"""Guards the review app adds to the earlier phases (applications never imports review), and to its own phases.

cycle_phase_exit receivers return the reasons, translated and citing the article, why the cycle may not leave
its phase yet; an empty list lets it go.

- Leaving MATERIAL_REVIEW: the on-site selection is applied (every dossier on a panel has its OnsiteSelection),
  since the on-site review follows the material review only for the dossiers selected (Art. 12).
- Leaving ONSITE_REVIEW: every panel with dossiers selected for the on-site review has handed its candidate list
  to the committee (Art. 16).
"""

from django.dispatch import receiver
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from applications.signals import dossier_decision_veto
from mayor_award.core.enums import CyclePhase
from mayor_award.core.lazytext import LIST_SEPARATOR
from mayor_award.core.signals import cycle_phase_exit

from . import onsite
from .models import PanelDossier


@receiver(dossier_decision_veto, dispatch_uid="review-dossier-on-panel")
def dossier_on_panel(sender, dossier, **kwargs):
    """A dossier already handed to a panel is no longer re-decided: its experts may be reading it."""
    if PanelDossier.objects.filter(dossier=dossier).exists():
        return _("The dossier is already on a panel; take it off the panel before changing the eligibility decision.")
    return None


@receiver(cycle_phase_exit, dispatch_uid="review-onsite-selection-applied")
def onsite_selection_not_applied(sender, cycle, from_phase, to_phase, **kwargs) -> list[str]:
    if from_phase != CyclePhase.MATERIAL_REVIEW:
        return []
    waiting = list(onsite.dossiers_awaiting_selection(cycle).order_by("sequence", "pk"))
    if not waiting:
        return []
    return [
        ngettext(
            "The material review ends with the on-site selection (Art. 12); %(count)s dossier on a panel has no "
            "selection yet: %(numbers)s. Apply the on-site selection first.",
            "The material review ends with the on-site selection (Art. 12); %(count)s dossiers on a panel have no "
            "selection yet: %(numbers)s. Apply the on-site selection first.",
            len(waiting),
        )
        % {"count": len(waiting), "numbers": onsite.dossier_numbers(waiting)}
    ]


@receiver(cycle_phase_exit, dispatch_uid="review-candidates-handed-over")
def candidates_not_handed_over(sender, cycle, from_phase, to_phase, **kwargs) -> list[str]:
    if from_phase != CyclePhase.ONSITE_REVIEW:
        return []
    panels = list(onsite.panels_not_handed_over(cycle))
    if not panels:
        return []
    return [
        ngettext(
            "The committee deliberates on the candidate lists of the panels (Art. 16); %(count)s panel has not "
            "handed over its list yet: %(panels)s.",
            "The committee deliberates on the candidate lists of the panels (Art. 16); %(count)s panels have not "
            "handed over their lists yet: %(panels)s.",
            len(panels),
        )
        % {"count": len(panels), "panels": str(LIST_SEPARATOR).join(panel.name for panel in panels)}
    ]
