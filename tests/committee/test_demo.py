"""The committee's demo step: the committee in any phase; in deliberation, a closed vote and a confirmed list."""

from decimal import Decimal

import pytest

from committee import demo
from committee.enums_voting import ListState, SessionState
from committee.models import BallotReceipt, CommitteeMember, ProposedList, VotingSession
from mayor_award.core.demo import demo_user
from mayor_award.core.enums import Role
from tests.factories.committee import CandidateFactory
from tests.factories.core import CycleFactory
from tests.factories.review import PanelFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


@pytest.fixture
def demo_context():
    for number in range(1, 10):
        demo_user(f"committee{number:02d}", f"委员{number}", Role.COMMITTEE)
    return {"secretariat": demo_user("secretariat", "秘书处", Role.SECRETARIAT, staff=True)}


def test_demo_records_the_committee_before_deliberation(demo_context):
    cycle = CycleFactory(number=demo.DEMO_CYCLE, phase="material_review")

    demo.committee_vote(demo_context)
    demo.committee_vote(demo_context)

    assert CommitteeMember.objects.filter(cycle=cycle).count() == 9
    assert CommitteeMember.objects.get(cycle=cycle, office="director").user.username == "committee01"
    assert VotingSession.objects.count() == 0


def test_demo_runs_the_vote_in_deliberation(demo_context):
    cycle = CycleFactory(number=demo.DEMO_CYCLE, phase="deliberation")
    panel = PanelFactory(cycle=cycle)
    for position, score in enumerate((820, 790, 760, 700, 650), start=1):
        CandidateFactory(panel=panel, position=position, onsite_total=Decimal(score))

    demo.committee_vote(demo_context)
    demo.committee_vote(demo_context)

    session = VotingSession.objects.get()
    assert (session.state, session.ballots_cast) == (SessionState.CLOSED, 8)
    assert BallotReceipt.objects.filter(member__user__username=demo.ABSENT).count() == 0
    assert ProposedList.objects.get().state == ListState.CONFIRMED
    assert ProposedList.objects.get().entries.filter(proposed=True).exists()
