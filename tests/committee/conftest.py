"""A cycle in committee deliberation with its committee and candidates, and helpers to run a vote."""

from decimal import Decimal

import pytest
from django.utils import translation

from committee import services_voting
from tests.factories.committee import CandidateFactory, CommitteeMemberFactory
from tests.factories.core import CycleFactory, UserFactory
from tests.factories.review import PanelFactory


@pytest.fixture
def secretariat_user(db):
    return UserFactory(username="committee-secretariat", roles=["secretariat"], is_staff=True)


@pytest.fixture
def deliberation(db):
    """`make(members=9, scores=(800, 750, 700))`: a cycle in deliberation (5 awards, slate 1.2, quorum 2/3, pass
    more than 1/2, weight 0.6) with a director and `members - 1` members, and one candidate per score on one panel,
    in that order. Returns (cycle, members, candidates)."""

    def make(members=9, scores=(800, 750, 700), **cycle_fields):
        cycle = CycleFactory(phase="deliberation", **cycle_fields)
        panel = PanelFactory(cycle=cycle)
        candidates = [
            CandidateFactory(panel=panel, position=position, onsite_total=Decimal(str(score)))
            for position, score in enumerate(scores, start=1)
        ]
        seats = [CommitteeMemberFactory(cycle=cycle, office="director" if n == 0 else "member") for n in range(members)]
        return cycle, seats, candidates

    return make


@pytest.fixture
def open_session(secretariat_user):
    """`open_session(cycle)`: prepare and open the cycle's vote."""

    def make(cycle):
        session = services_voting.session_prepare(cycle=cycle, by=secretariat_user)
        return services_voting.session_open(session=session, by=secretariat_user)

    return make


@pytest.fixture
def cast(secretariat_user):
    """`cast(session, member, {candidate: choice})`: the member casts a ballot."""

    def make(session, member, choices):
        services_voting.ballot_cast(
            session=session, member=member, choices={c.pk: choice for c, choice in choices.items()}, by=member.user
        )

    return make


@pytest.fixture
def english(client):
    """Messages and pages in English, the source language, whatever the catalog translates (opt in per module)."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    with translation.override("en"):
        yield
