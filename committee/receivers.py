"""Guards of the cycle phases the committee owns (cycle_phase_exit receivers), connected in CommitteeConfig.ready.

- Leaving DELIBERATION (for the government's approval): the committee has voted in a closed session that met its
  quorum, and the proposed list drawn from it is confirmed (Art. 16). An empty list is allowed (Art. 4).
- Leaving APPROVAL (for publicity): the municipal government executive meeting's approval is recorded (Art. 16).
"""

from django.utils.translation import gettext as _

from mayor_award.core.enums import CyclePhase

from .enums_voting import ListState, SessionState
from .models import GovernmentApproval, ProposedList, VotingSession


def deliberation_unfinished(sender, cycle, from_phase, to_phase, **kwargs) -> list[str]:
    if from_phase != CyclePhase.DELIBERATION:
        return []
    if not VotingSession.objects.filter(cycle=cycle, state=SessionState.CLOSED).exists():
        return [_("The committee has not voted yet: close a voting session that met its quorum (Art. 16).")]
    if not ProposedList.objects.filter(cycle=cycle, state=ListState.CONFIRMED).exists():
        return [_("The proposed list is not confirmed yet (Art. 16).")]
    return []


def approval_missing(sender, cycle, from_phase, to_phase, **kwargs) -> list[str]:
    if from_phase != CyclePhase.APPROVAL:
        return []
    if not GovernmentApproval.objects.filter(cycle=cycle).exists():
        return [
            _(
                "Record the municipal government executive meeting's approval of the proposed list before the "
                "publicity (Art. 16)."
            )
        ]
    return []
