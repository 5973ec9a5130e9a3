"""The demonstration loader: one login per role, four cycles, the fourth under eligibility review; safe twice."""

import io

import pytest
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command

from mayor_award.core.enums import CyclePhase, NoticeKind, NoticeState, Role
from mayor_award.core.management.commands.seed_demo import DEMO_PASSWORD
from mayor_award.core.models import AuditEvent, Cycle, Notice, User

pytestmark = pytest.mark.django_db

# applicant13 … applicant16 act for organisations of the past cycles only (tests/test_demo_lifecycle.py).
ROLE_SIZES = {Role.SECRETARIAT: 1, Role.EXPERT: 40, Role.COMMITTEE: 9, Role.APPLICANT: 16}


def seed(**options):
    call_command("seed_demo", stdout=io.StringIO(), **options)


def counts():
    return {
        "users": User.objects.count(),
        "cycles": Cycle.objects.count(),
        "notices": Notice.objects.count(),
        "phase changes": AuditEvent.objects.filter(action="cycle.phase_changed").count(),
    }


@pytest.fixture
def seeded(settings):
    settings.DEBUG = True
    seed()


# Seeding takes seconds (it writes and submits twelve dossiers, draws panels), so one seeded database
# answers the questions about the demo's contents, and only the idempotence tests seed again.


def test_seed_demo_contents(seeded):
    # The second and third cycles run through their nine phase changes each, with four and three notices.
    assert counts() == {"users": 66, "cycles": 4, "notices": 9, "phase changes": 20}
    assert {role: Group.objects.get(name=role).user_set.count() for role in ROLE_SIZES} == ROLE_SIZES
    assert list(User.objects.filter(is_staff=True).values_list("username", flat=True)) == ["secretariat"]
    for username in ["secretariat", "expert01", "expert40", "committee09", "applicant12"]:
        assert User.objects.get(username=username).check_password(DEMO_PASSWORD), username
    cycle = Cycle.objects.get(number=4)
    assert (cycle.year, cycle.phase) == (2026, CyclePhase.ELIGIBILITY)
    assert list(cycle.notices.filter(kind=NoticeKind.CYCLE_ANNOUNCEMENT).values_list("state", flat=True)) == [
        NoticeState.PUBLISHED
    ]
    for each in Cycle.objects.order_by("number"):
        each.full_clean()
    assert list(Cycle.objects.order_by("number").values_list("number", "year", "phase")) == [
        (1, 2020, CyclePhase.CLOSED),
        (2, 2022, CyclePhase.CLOSED),
        (3, 2024, CyclePhase.CLOSED),
        (4, 2026, CyclePhase.ELIGIBILITY),
    ]


def test_seed_demo_twice_gives_the_same_counts_and_restores_a_changed_password(seeded):
    first = counts()
    user = User.objects.get(username="expert01")
    user.set_password("Changed-Password-99")
    user.save()

    seed()

    assert counts() == first
    assert User.objects.get(username="expert01").check_password(DEMO_PASSWORD)


def test_seed_demo_with_debug_off_refused(settings):
    settings.DEBUG = False

    with pytest.raises(CommandError):
        seed()

    assert User.objects.count() == 0


def test_seed_demo_with_debug_off_and_force_runs(settings):
    settings.DEBUG = False

    seed(force=True)

    assert Cycle.objects.get(number=4).phase == CyclePhase.ELIGIBILITY
