"""Reads of publicity, winners and certificates for the public pages: a fixed number of queries each."""

from itertools import groupby

from django.db.models import Prefetch

from applications.selectors import organisation_for_user
from mayor_award.core.enums import CyclePhase, NoticeState
from mayor_award.core.models import Cycle

from .models import Award, Certificate, Publicity, PublicityCandidate

ANNOUNCED_PHASES = (CyclePhase.ANNOUNCED, CyclePhase.CLOSED)


def public_cycle(number: int) -> Cycle | None:
    return Cycle.objects.public().filter(number=number).first()


def published_publicities(cycle: Cycle) -> list[Publicity]:
    """The cycle's publicities whose notice is public, each with its candidates and their organisations."""
    return list(
        Publicity.objects.filter(cycle=cycle, notice__state=NoticeState.PUBLISHED)
        .select_related("notice", "replaces__dossier__organisation")
        .prefetch_related(
            Prefetch(
                "candidates",
                queryset=PublicityCandidate.objects.select_related("dossier__organisation").order_by("position"),
            )
        )
        .order_by("round")
    )


def winning_awards():
    """Every award of every announced cycle, newest cycle first; revoked awards stay, marked (Art. 22)."""
    return (
        Award.objects.filter(cycle__phase__in=ANNOUNCED_PHASES)
        .select_related("cycle", "organisation", "certificate")
        .order_by("-cycle__number", "number")
    )


def by_cycle(awards) -> list[tuple[Cycle, list[Award]]]:
    """Awards (ordered by cycle) grouped by their cycle."""
    return [(cycle, list(rows)) for cycle, rows in groupby(awards, key=lambda award: award.cycle)]


def winners_by_cycle() -> list[tuple[Cycle, list[Award]]]:
    """Every award of every announced cycle by cycle, newest cycle first."""
    return by_cycle(winning_awards())


def certificate_by_serial(serial: str) -> Certificate | None:
    """A certificate of an announced cycle, by its printed serial."""
    return (
        Certificate.objects.filter(serial=serial, award__cycle__phase__in=ANNOUNCED_PHASES)
        .select_related("award__cycle", "award__organisation")
        .first()
    )


def user_organisation_id(user) -> int | None:
    organisation = organisation_for_user(user)
    return organisation.pk if organisation else None
