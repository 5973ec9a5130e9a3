"""One ballot per member, even when twenty requests arrive at once (PostgreSQL: real concurrent transactions)."""

import threading

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from committee import services_voting
from committee.models import BallotReceipt, VoteCount
from tests.conftest import postgres_in_use, require
from tests.factories.core import UserFactory

REQUESTS = 20


@pytest.mark.django_db(transaction=True)
def test_twenty_simultaneous_ballots_of_one_member_leave_one(deliberation):
    require(postgres_in_use(), "needs PostgreSQL (DATABASE_URL=postgres://…): SQLite serialises every write")
    secretariat = UserFactory(roles=["secretariat"], is_staff=True)
    cycle, members, candidates = deliberation(members=3, scores=(800, 700))
    session = services_voting.session_open(
        session=services_voting.session_prepare(cycle=cycle, by=secretariat), by=secretariat
    )
    voter = members[1]
    login = Client()
    login.force_login(voter.user)
    data = {f"c_{candidates[0].pk}": "approve", f"c_{candidates[1].pk}": "disapprove", "final": "yes"}
    barrier = threading.Barrier(REQUESTS)
    statuses = []

    def post():
        client = Client()
        client.cookies = login.cookies
        try:
            barrier.wait()
            statuses.append(client.post(reverse("committee:ballot"), data).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=post) for _ in range(REQUESTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(statuses) == REQUESTS
    assert statuses.count(302) == 1  # the one accepted ballot redirects to its confirmation
    assert BallotReceipt.objects.filter(session=session, member=voter).count() == 1
    counts = VoteCount.objects.filter(session=session).values_list(
        "candidate_id", "approvals", "disapprovals", "abstentions"
    )
    assert sorted(counts) == sorted([(candidates[0].pk, 1, 0, 0), (candidates[1].pk, 0, 1, 0)])  # counted once
