"""Migration 0003 folds the single votes of existing sessions into per-candidate counters and drops them."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from committee import services_voting
from tests.factories.core import UserFactory

BEFORE = [("committee", "0002_publicity_awards_certificates")]
AFTER = [("committee", "0003_ballot_counters")]


@pytest.mark.django_db(transaction=True)
def test_votes_become_counters(deliberation):
    secretariat = UserFactory(roles=["secretariat"], is_staff=True)
    cycle, _members, candidates = deliberation(members=3, scores=(800, 700))
    session = services_voting.session_open(
        session=services_voting.session_prepare(cycle=cycle, by=secretariat), by=secretariat
    )
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    try:
        check_folding(session, candidates)
    finally:  # back to the latest schema, whatever depends on these migrations by now
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())


def check_folding(session, candidates):
    executor = MigrationExecutor(connection)
    Vote = executor.loader.project_state(BEFORE).apps.get_model("committee", "Vote")
    for candidate, choice in [(0, "approve"), (0, "approve"), (0, "abstain"), (1, "disapprove")]:
        Vote.objects.create(session_id=session.pk, candidate_id=candidates[candidate].pk, choice=choice)

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(AFTER)

    VoteCount = executor.loader.project_state(AFTER).apps.get_model("committee", "VoteCount")
    rows = VoteCount.objects.filter(session_id=session.pk).values_list(
        "candidate_id", "approvals", "disapprovals", "abstentions"
    )
    assert sorted(rows) == sorted([(candidates[0].pk, 2, 0, 1), (candidates[1].pk, 0, 1, 0)])
    assert "committee_vote" not in connection.introspection.table_names()
