"""Guards of the cycle phases the applications app owns (cycle_phase_exit receivers).

Each receiver returns the reasons, translated and citing the article, why the cycle may not leave its phase yet;
an empty list lets it go. Connected in ApplicationsConfig.ready.

- Leaving OPEN (for the eligibility review): applications are accepted within the time limit (Art. 15), so the
  review starts only once the deadline has passed. The deadline passes at its moment: now >= deadline is past.
- Leaving ELIGIBILITY (confirming the eligible list, Art. 15): every submitted dossier has a decision, and none
  waits for a correction. An empty list is allowed (places may stay vacant, Art. 4); drafts that were never
  submitted stay as they are.
"""

from django.utils.formats import date_format
from django.utils.timezone import localtime, now
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from mayor_award.core.enums import CyclePhase
from mayor_award.core.lazytext import LIST_SEPARATOR

from .enums import DossierState
from .models import Dossier

NUMBERS_LISTED = 10  # dossier numbers named in a reason; the rest are counted


def deadline_not_passed(sender, cycle, from_phase, to_phase, **kwargs) -> list[str]:
    if from_phase != CyclePhase.OPEN or now() >= cycle.application_deadline:
        return []
    deadline = date_format(localtime(cycle.application_deadline), "DATETIME_FORMAT")
    return [
        _(
            "Applications are accepted until the deadline, %(deadline)s; the eligibility review starts after it "
            "has passed (Art. 15)."
        )
        % {"deadline": deadline}
    ]


def _numbers(queryset) -> tuple[int, str]:
    numbers = list(queryset.order_by("sequence", "pk").values_list("number", flat=True))
    listed = str(LIST_SEPARATOR).join(number or "—" for number in numbers[:NUMBERS_LISTED])
    rest = len(numbers) - NUMBERS_LISTED
    if rest > 0:
        listed = ngettext("%(numbers)s and %(count)s more", "%(numbers)s and %(count)s more", rest) % {
            "numbers": listed,
            "count": rest,
        }
    return len(numbers), listed


def dossiers_undecided(sender, cycle, from_phase, to_phase, **kwargs) -> list[str]:
    if from_phase != CyclePhase.ELIGIBILITY:
        return []
    dossiers = Dossier.objects.filter(cycle=cycle)
    reasons = []
    count, numbers = _numbers(dossiers.filter(state=DossierState.SUBMITTED))
    if count:
        reasons.append(
            ngettext(
                "The eligible list cannot be confirmed yet: %(count)s submitted dossier has no eligibility "
                "decision (Art. 15): %(numbers)s.",
                "The eligible list cannot be confirmed yet: %(count)s submitted dossiers have no eligibility "
                "decision (Art. 15): %(numbers)s.",
                count,
            )
            % {"count": count, "numbers": numbers}
        )
    count, numbers = _numbers(dossiers.filter(state=DossierState.CORRECTION))
    if count:
        reasons.append(
            ngettext(
                "The eligible list cannot be confirmed yet: %(count)s dossier waits for the correction the "
                "secretariat requested (Art. 15): %(numbers)s.",
                "The eligible list cannot be confirmed yet: %(count)s dossiers wait for the correction the "
                "secretariat requested (Art. 15): %(numbers)s.",
                count,
            )
            % {"count": count, "numbers": numbers}
        )
    return reasons
