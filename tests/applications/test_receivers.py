"""The cycle phases the applications app guards (Art. 15): the deadline, then the eligible list."""

import datetime as dt

import pytest
from django.utils import timezone, translation

from applications import receivers
from applications.enums import DossierState
from mayor_award.core import services
from mayor_award.core.enums import CyclePhase
from mayor_award.core.models import Cycle
from mayor_award.core.signals import cycle_phase_exit
from tests.factories.applications import DossierFactory, OrganisationFactory
from tests.factories.core import CycleFactory

pytestmark = pytest.mark.django_db

DEADLINE = dt.datetime(2020, 5, 31, 17, 0, tzinfo=timezone.get_default_timezone())


@pytest.fixture
def at(monkeypatch):
    """Set the receivers' clock to a moment."""

    def set_clock(moment):
        monkeypatch.setattr(receivers, "now", lambda: moment)

    return set_clock


def open_cycle():
    return CycleFactory(number=1, year=2020, phase=CyclePhase.OPEN, application_deadline=DEADLINE)


def leaving(cycle, to=None):
    """Every reason the app's receivers give for `cycle` leaving its phase."""
    to = to or cycle.next_phase
    return [
        *receivers.deadline_not_passed(sender=Cycle, cycle=cycle, from_phase=cycle.phase, to_phase=to),
        *receivers.dossiers_undecided(sender=Cycle, cycle=cycle, from_phase=cycle.phase, to_phase=to),
    ]


def dossier(cycle, state, sequence):
    return DossierFactory(
        cycle=cycle,
        organisation=OrganisationFactory(),
        state=state,
        sequence=None if state == DossierState.DRAFT else sequence,
        number=None if state == DossierState.DRAFT else f"LH{cycle.year}-{sequence:03d}",
    )


def test_receivers_are_connected_to_the_phase_exit_signal():
    connected = {receiver() for _key, receiver, *_rest in cycle_phase_exit.receivers}

    assert {receivers.deadline_not_passed, receivers.dossiers_undecided} <= connected


# --- leaving OPEN: applications within the time limit (Art. 15) ---


def test_leaving_open_refused_one_second_before_the_deadline(at):
    cycle = open_cycle()
    at(DEADLINE - dt.timedelta(seconds=1))

    with translation.override("zh-hans"):
        [reason] = leaving(cycle)

    assert "2020年5月31日 17:00" in reason


def test_leaving_open_reason_in_english_names_the_deadline_in_english(at):
    cycle = open_cycle()
    at(DEADLINE - dt.timedelta(days=3))

    with translation.override("en"):
        [reason] = leaving(cycle)

    assert "May 31, 2020, 5 p.m." in reason
    assert "(Art. 15)" in reason


@pytest.mark.parametrize("after", [dt.timedelta(0), dt.timedelta(seconds=1), dt.timedelta(days=30)])
def test_leaving_open_allowed_once_the_deadline_has_come(at, after):
    cycle = open_cycle()
    at(DEADLINE + after)

    assert leaving(cycle) == []


def test_deadline_measured_as_a_moment_not_a_local_date(at):
    cycle = open_cycle()
    at(DEADLINE.astimezone(dt.UTC) - dt.timedelta(microseconds=1))  # the same moment, written in UTC

    assert len(leaving(cycle)) == 1


@pytest.mark.parametrize("phase", [CyclePhase.DRAFT, CyclePhase.MATERIAL_REVIEW, CyclePhase.PUBLICITY])
def test_other_phases_are_not_the_apps_to_guard(at, phase):
    cycle = CycleFactory(number=1, year=2020, phase=phase, application_deadline=DEADLINE)
    dossier(cycle, DossierState.SUBMITTED, 1)
    at(DEADLINE - dt.timedelta(days=1))

    assert leaving(cycle) == []


def test_cycle_advance_out_of_open_refused_then_allowed_at_the_deadline(at, secretariat):
    cycle = open_cycle()
    at(DEADLINE - dt.timedelta(seconds=1))

    with pytest.raises(services.CycleTransitionRefused) as refused:
        services.cycle_advance(cycle=cycle, to=CyclePhase.ELIGIBILITY, by=secretariat)

    assert len(refused.value.reasons) == 1
    assert Cycle.objects.get(pk=cycle.pk).phase == CyclePhase.OPEN

    at(DEADLINE)
    services.cycle_advance(cycle=cycle, to=CyclePhase.ELIGIBILITY, by=secretariat)

    assert Cycle.objects.get(pk=cycle.pk).phase == CyclePhase.ELIGIBILITY


# --- leaving ELIGIBILITY: confirming the eligible list (Art. 15) ---


@pytest.fixture
def review_cycle():
    return CycleFactory(number=1, year=2020, phase=CyclePhase.ELIGIBILITY, application_deadline=DEADLINE)


def test_confirming_refused_while_a_dossier_is_undecided(review_cycle):
    dossier(review_cycle, DossierState.ELIGIBLE, 1)
    dossier(review_cycle, DossierState.SUBMITTED, 2)

    with translation.override("en"):
        [reason] = leaving(review_cycle)

    assert "1 submitted dossier has no eligibility decision (Art. 15): LH2020-002." in reason


def test_confirming_refused_while_a_dossier_waits_for_correction(review_cycle):
    dossier(review_cycle, DossierState.CORRECTION, 1)
    dossier(review_cycle, DossierState.CORRECTION, 2)

    with translation.override("en"):
        [reason] = leaving(review_cycle)

    assert "2 dossiers wait for the correction the secretariat requested (Art. 15): LH2020-001, LH2020-002." in reason


def test_confirming_gives_one_reason_per_kind_of_open_dossier(review_cycle):
    dossier(review_cycle, DossierState.SUBMITTED, 1)
    dossier(review_cycle, DossierState.CORRECTION, 2)

    with translation.override("en"):
        reasons = leaving(review_cycle)

    assert len(reasons) == 2
    assert "LH2020-001" in reasons[0] and "LH2020-002" not in reasons[0]
    assert "LH2020-002" in reasons[1] and "LH2020-001" not in reasons[1]


def test_confirming_lists_ten_numbers_then_counts_the_rest(review_cycle):
    for sequence in range(12, 0, -1):  # created out of order: listed by number
        dossier(review_cycle, DossierState.SUBMITTED, sequence)

    with translation.override("en"):
        [reason] = leaving(review_cycle)

    listed = ", ".join(f"LH2020-{n:03d}" for n in range(1, 11))
    assert f"12 submitted dossiers have no eligibility decision (Art. 15): {listed} and 2 more." in reason
    assert "LH2020-011" not in reason


def test_confirming_eleven_lists_ten_and_one_more(review_cycle):
    for sequence in range(1, 12):
        dossier(review_cycle, DossierState.SUBMITTED, sequence)

    with translation.override("en"):
        [reason] = leaving(review_cycle)

    assert reason.endswith("LH2020-010 and 1 more.")


def test_confirming_lists_exactly_ten_without_a_remainder(review_cycle):
    for sequence in range(1, 11):
        dossier(review_cycle, DossierState.SUBMITTED, sequence)

    with translation.override("en"):
        [reason] = leaving(review_cycle)

    assert reason.endswith("LH2020-009, LH2020-010.")


def test_confirming_in_chinese(review_cycle):
    dossier(review_cycle, DossierState.SUBMITTED, 1)

    with translation.override("zh-hans"):
        [reason] = leaving(review_cycle)

    assert "LH2020-001" in reason


@pytest.mark.parametrize(
    "states",
    [
        [],
        [DossierState.ELIGIBLE, DossierState.INELIGIBLE],
        [DossierState.INELIGIBLE, DossierState.WITHDRAWN, DossierState.DRAFT],
    ],
    ids=["no-dossiers", "all-decided", "none-eligible"],
)
def test_confirming_allowed_when_every_dossier_is_decided(review_cycle, states):
    for sequence, state in enumerate(states, start=1):
        dossier(review_cycle, state, sequence)

    assert leaving(review_cycle) == []


def test_other_cycles_dossiers_do_not_count(review_cycle):
    other = CycleFactory(number=2, year=2022, phase=CyclePhase.OPEN)
    dossier(other, DossierState.SUBMITTED, 1)
    dossier(review_cycle, DossierState.ELIGIBLE, 1)

    assert leaving(review_cycle) == []


def test_cycle_advance_confirms_the_list_and_leaves_drafts_as_they_are(review_cycle, secretariat):
    draft = dossier(review_cycle, DossierState.DRAFT, 0)
    undecided = dossier(review_cycle, DossierState.SUBMITTED, 1)

    with pytest.raises(services.CycleTransitionRefused) as refused:
        services.cycle_advance(cycle=review_cycle, to=CyclePhase.MATERIAL_REVIEW, by=secretariat)

    assert any("LH2020-001" in reason for reason in refused.value.reasons)
    assert Cycle.objects.get(pk=review_cycle.pk).phase == CyclePhase.ELIGIBILITY

    undecided.state = DossierState.ELIGIBLE
    undecided.save(update_fields=["state"])
    services.cycle_advance(cycle=review_cycle, to=CyclePhase.MATERIAL_REVIEW, by=secretariat)

    assert Cycle.objects.get(pk=review_cycle.pk).phase == CyclePhase.MATERIAL_REVIEW
    draft.refresh_from_db()
    assert draft.state == DossierState.DRAFT
