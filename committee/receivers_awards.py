"""Guards and follow-ups of the phases after the government's approval; connected in CommitteeConfig.ready.

- Leaving PUBLICITY (for the announcement): every publicity period is over and its notice public, no objection is
  open or unreplied (Art. 17), and, when organisations remain on the list, the vice-mayor's review and the mayor's
  signature are recorded and the award announcement is published (Art. 18).
- Entering ANNOUNCED: one award per winner, the dossiers' final states and the certificates (awards_grant).
- A publicity's notice: its state and publication time are fixed once the publicity exists, since the period
  counts only from the day the notice is public (Art. 17).
"""

import logging

from django.utils.translation import gettext as _

from mayor_award.core.enums import CyclePhase
from mayor_award.core.models import AuditEvent, Cycle

logger = logging.getLogger(__name__)


def publicity_unfinished(sender, cycle, from_phase, to_phase, **kwargs) -> list[str]:
    if from_phase != CyclePhase.PUBLICITY:
        return []
    from .services_awards import leaving_publicity_problems

    return leaving_publicity_problems(cycle)


def _who_announced(cycle):
    """The user who moved the cycle to announced (the signal does not carry it): from the audit trail."""
    event = (
        AuditEvent.objects.filter(
            object_type=Cycle._meta.label_lower, object_id=str(cycle.pk), action="cycle.phase_changed"
        )
        .select_related("actor")
        .order_by("-pk")
        .first()
    )
    return event.actor if event else None


def grant_awards(sender, cycle, from_phase, to_phase, **kwargs):
    if to_phase != CyclePhase.ANNOUNCED:
        return
    from .services_awards import awards_grant

    awards = awards_grant(cycle=cycle, by=_who_announced(cycle))
    logger.info("Cycle %s announced: %s award(s) granted.", cycle.number, len(awards))


def publicity_notice_fixed(sender, notice, **kwargs) -> str | None:
    from .models import Publicity

    if not Publicity.objects.filter(notice_id=notice.pk).exists():
        return None
    return _(
        "This notice publishes a publicity, whose period counts only from the day it is public (Art. 17): its "
        "state and publication time cannot be changed here."
    )


def connect():
    from mayor_award.core.signals import cycle_phase_entered, cycle_phase_exit, notice_schedule_fixed

    cycle_phase_exit.connect(publicity_unfinished, dispatch_uid="committee.publicity_unfinished")
    cycle_phase_entered.connect(grant_awards, dispatch_uid="committee.grant_awards")
    notice_schedule_fixed.connect(publicity_notice_fixed, dispatch_uid="committee.publicity_notice_fixed")
