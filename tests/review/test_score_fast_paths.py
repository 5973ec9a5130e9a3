"""The score page's and the autosave's one-query reads (sheets.scorable_sheet, sheets.open_item) grant exactly what
the long way grants: each condition of dossiers_for_expert, seat_for, may_score and an open draft refuses alone."""

import datetime as dt

import pytest

from applications.enums import DossierState
from mayor_award.core.enums import CyclePhase
from review import sheets
from review.enums import ExpertStatus, SeatStatus
from review.models import OnsiteVisit, Pledge, ScoreSheet
from tests.factories.review import ConflictFactory, PanelDossierFactory, PanelFactory, SeatFactory

from .test_score_page import make_panel

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    world = make_panel()
    sheets.sheet_open(seat=world.seat, dossier=world.dossier, stage="material")
    return world


def reads(world, stage="material"):
    user = world.seat.expert.user
    return (
        sheets.scorable_sheet(user, world.dossier.pk, stage) is not None,
        sheets.open_item(user, world.dossier.pk, stage, "4.1.2") is not None,
    )


def test_the_expert_reads_and_writes_their_open_sheet(world):
    assert reads(world) == (True, True)
    assert sheets.open_item(world.seat.expert.user, world.dossier.pk, "material", "9.9.9") is None
    assert sheets.open_item(world.seats[1].expert.user, world.dossier.pk, "material", "4.1.2") is None


def _declined(world):
    world.seat.status = SeatStatus.DECLINED
    world.seat.save()


def _suspended(world):
    world.seat.expert.status = ExpertStatus.SUSPENDED
    world.seat.expert.save()


def _unpledged(world):
    Pledge.objects.filter(expert=world.seat.expert).delete()


def _conflicted(world):
    ConflictFactory(expert=world.seat.expert, organisation=world.dossier.organisation)


def _withdrawn(world):
    world.dossier.state = DossierState.WITHDRAWN
    world.dossier.save()


def _moved(world):
    other = PanelFactory(cycle=world.cycle, name="另一组")
    world.dossier.panel_assignment.panel = other
    world.dossier.panel_assignment.save()


def _review_over(world):
    world.cycle.phase = CyclePhase.DELIBERATION
    world.cycle.save()


@pytest.mark.parametrize(
    "change",
    [_declined, _suspended, _unpledged, _conflicted, _withdrawn, _moved, _review_over],
    ids=lambda f: f.__name__,
)
def test_each_access_condition_refuses_both_reads(world, change):
    change(world)

    assert reads(world) == (False, False)


def test_a_submitted_sheet_or_a_closed_stage_is_read_not_written(world):
    ScoreSheet.objects.filter(seat=world.seat).update(state="submitted")
    assert reads(world) == (True, False)

    ScoreSheet.objects.filter(seat=world.seat).update(state="draft")
    world.cycle.phase = CyclePhase.ONSITE_REVIEW
    world.cycle.save()
    assert reads(world) == (True, False)


def test_on_site_only_the_visit_team_reads_and_writes(world):
    world.cycle.phase = CyclePhase.ONSITE_REVIEW
    world.cycle.save()
    world.dossier.state = DossierState.SELECTED
    world.dossier.save()
    sheets.sheet_open(seat=world.seat, dossier=world.dossier, stage="onsite")
    assert reads(world, "onsite") == (True, True)  # no team named yet: every seat of the panel

    visit = OnsiteVisit.objects.create(
        dossier=world.dossier, starts_on=dt.date(2026, 9, 1), ends_on=dt.date(2026, 9, 2), place="漯河"
    )
    visit.team.add(world.seats[1])
    assert reads(world, "onsite") == (False, False)

    visit.team.add(world.seat)
    assert reads(world, "onsite") == (True, True)


def test_another_panels_seat_reads_nothing(world):
    other = PanelDossierFactory(panel__cycle=world.cycle, panel__name="另一组").panel
    SeatFactory(panel=other, expert=world.seat.expert, accepted=True)

    assert sheets.scorable_sheet(world.seat.expert.user, world.dossier.pk, "material").seat_id == world.seat.pk
