"""The secret ballot: no model, query, admin page or permission can connect a choice to a member.

A ballot leaves a receipt (who voted) and adds one to per-candidate counters (VoteCount); no row is written per
ballot, so there is nothing to join, order or date. On PostgreSQL, the row versions (xmin) of the counters name
only the last ballot's transaction, and their values are totals.
"""

import pytest
from django.apps import apps
from django.contrib import admin
from django.db import connection, models
from django.urls import reverse

from committee import services_voting
from committee.models import BallotReceipt, CommitteeMember, TallyResult, VoteCount, VotingSession
from mayor_award.core.models import AuditEvent, User
from review.models import Candidate
from tests.conftest import postgres_in_use, require

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

CHOICES = ("approve", "disapprove", "abstain")


def _points_at(model, target) -> bool:
    return any(
        field.is_relation and field.concrete and field.related_model is target for field in model._meta.get_fields()
    )


# --- the schema ---


def test_no_table_holds_a_row_per_ballot():
    """Any model pointing at both a session and a candidate is a count (one row per candidate, unique), never a
    vote: the only such models are the running counters and the tally written at close."""
    per_candidate = {
        model for model in apps.get_models() if _points_at(model, VotingSession) and _points_at(model, Candidate)
    }

    assert per_candidate == {VoteCount, TallyResult}
    for model in per_candidate:
        unique = [set(c.fields) for c in model._meta.constraints if isinstance(c, models.UniqueConstraint)]
        assert {"session", "candidate"} in unique, model
    assert not any(model._meta.object_name == "Vote" for model in apps.get_models())
    assert "committee_vote" not in connection.introspection.table_names()


def test_counter_has_no_link_to_a_member_user_or_receipt_and_no_time():
    related = {field.related_model for field in VoteCount._meta.get_fields() if field.is_relation}
    fields = VoteCount._meta.concrete_fields

    assert {model._meta.label for model in related} == {"committee.VotingSession", "review.Candidate"}
    assert not {CommitteeMember, User, BallotReceipt} & related
    assert not [f.name for f in fields if isinstance(f, models.DateField | models.TimeField)]
    assert {f.name for f in fields} == {"id", "session", "candidate", "approvals", "disapprovals", "abstentions"}


def test_nothing_is_kept_in_a_history_table():
    assert not hasattr(VoteCount, "history")
    assert not hasattr(BallotReceipt, "history")


def test_receipt_says_nothing_about_the_choices():
    names = {f.name for f in BallotReceipt._meta.concrete_fields}

    assert names == {"id", "session", "member"}


def test_nothing_links_back_to_a_counter():
    pointing_at_counts = [
        (model._meta.label, field.name)
        for model in (BallotReceipt, CommitteeMember, User, AuditEvent)
        for field in model._meta.get_fields()
        if field.is_relation and field.related_model is VoteCount
    ]

    assert pointing_at_counts == []


def test_counters_and_receipts_are_not_in_the_admin():
    registered = set(admin.site._registry)

    assert VoteCount not in registered
    assert BallotReceipt not in registered


def test_nobody_has_a_permission_on_the_counters(secretariat_user):
    secretariat_user.is_superuser = False

    assert VoteCount._meta.default_permissions == ()
    assert not any(secretariat_user.has_perm(f"committee.{action}_votecount") for action in ("view", "add", "change"))


# --- what the ballots leave behind ---


def cast_three(deliberation, open_session, cast):
    """Three ballots on two candidates; the third member recused from the first."""
    from tests.factories.committee import RecusalFactory

    cycle, members, candidates = deliberation(members=3, scores=(800, 700))
    RecusalFactory(member=members[2], candidate=candidates[0])
    session = open_session(cycle)
    cast(session, members[0], {candidates[0]: "approve", candidates[1]: "disapprove"})
    cast(session, members[1], {candidates[0]: "abstain", candidates[1]: "approve"})
    cast(session, members[2], {candidates[1]: "approve"})
    return session, members, candidates


def test_counters_exist_from_the_opening_at_zero(deliberation, open_session):
    cycle, _members, candidates = deliberation(members=3, scores=(800, 700))

    session = open_session(cycle)

    assert sorted(session.counts.values_list("candidate_id", "approvals", "disapprovals", "abstentions")) == sorted(
        (c.pk, 0, 0, 0) for c in candidates
    )


def test_after_n_ballots_the_counters_equal_the_tally(deliberation, open_session, cast, secretariat_user):
    session, _members, candidates = cast_three(deliberation, open_session, cast)
    counts = {
        row[0]: row[1:]
        for row in VoteCount.objects.filter(session=session).values_list(
            "candidate_id", "approvals", "disapprovals", "abstentions"
        )
    }

    services_voting.session_close(session=session, by=secretariat_user)

    assert counts == {candidates[0].pk: (1, 0, 1), candidates[1].pk: (2, 1, 0)}
    tally = {
        row[0]: row[1:]
        for row in TallyResult.objects.filter(session=session).values_list(
            "candidate_id", "approvals", "disapprovals", "abstentions"
        )
    }
    assert tally == counts
    assert BallotReceipt.objects.filter(session=session).count() == 3


def test_audit_rows_of_ballots_carry_no_choice(deliberation, open_session, cast):
    session, members, _candidates = cast_three(deliberation, open_session, cast)

    events = list(AuditEvent.objects.filter(action="vote.ballot_cast").order_by("pk"))

    assert [event.data for event in events] == [{"member": member.pk} for member in members]
    assert {(event.object_type, event.object_id) for event in events} == {("committee.votingsession", str(session.pk))}
    stored = str(list(AuditEvent.objects.values_list("data", "object_repr")))
    assert not any(choice in stored for choice in CHOICES)


@pytest.mark.django_db(transaction=True)
def test_xmin_of_committed_ballots_names_only_the_last_voter(deliberation):
    """Committed ballots, each in its own transaction: joining the counters (or any committee table) with the
    receipts or the audit rows on xmin finds at most the last voter, and what it finds is a total."""
    require(postgres_in_use(), "needs PostgreSQL (DATABASE_URL=postgres://…): xmin is PostgreSQL's row version")
    from tests.factories.committee import RecusalFactory
    from tests.factories.core import UserFactory

    secretariat = UserFactory(roles=["secretariat"], is_staff=True)
    cycle, members, candidates = deliberation(members=3, scores=(800, 700))
    RecusalFactory(member=members[2], candidate=candidates[0])
    session = services_voting.session_open(
        session=services_voting.session_prepare(cycle=cycle, by=secretariat), by=secretariat
    )
    ballots = [
        (members[0], {candidates[0].pk: "approve", candidates[1].pk: "disapprove"}),
        (members[1], {candidates[0].pk: "abstain", candidates[1].pk: "approve"}),
        (members[2], {candidates[1].pk: "approve"}),
    ]
    for member, choices in ballots:
        services_voting.ballot_cast(session=session, member=member, choices=choices, by=member.user)

    # Who voted, with the transaction ids that name their ballot: the receipt's (written in a savepoint, so a
    # subtransaction's id) and the audit row's (the ballot's own transaction).
    voters = (
        "WITH voters AS ("
        " SELECT r.member_id AS member, r.xmin::text AS x FROM committee_ballotreceipt r WHERE r.session_id = %s"
        " UNION SELECT (a.data->>'member')::bigint, a.xmin::text FROM core_auditevent a"
        " WHERE a.action = 'vote.ballot_cast' AND a.object_id = %s) "
    )
    params = [session.pk, str(session.pk)]
    with connection.cursor() as cursor:
        cursor.execute(voters + "SELECT member, x FROM voters", params)  # noqa: S608 - constant text
        versions = cursor.fetchall()
        cursor.execute(
            voters + "SELECT c.candidate_id, c.approvals, c.disapprovals, c.abstentions, v.member "
            "FROM committee_votecount c LEFT JOIN voters v ON v.x = c.xmin::text WHERE c.session_id = %s",
            [*params, session.pk],
        )
        joined = cursor.fetchall()
        tables = [
            table
            for table in connection.introspection.table_names(cursor)
            if table.startswith("committee_") and table != "committee_ballotreceipt"
        ]
        linked = {}
        for table in tables:
            cursor.execute(
                voters + f"SELECT DISTINCT v.member FROM {connection.ops.quote_name(table)} t "  # noqa: S608 - a table
                "JOIN voters v ON v.x = t.xmin::text",
                params,
            )
            found = {row[0] for row in cursor.fetchall()}
            if found:
                linked[table] = found

    assert {member for member, _x in versions} == {member.pk for member, _choices in ballots}
    assert len({x for _member, x in versions}) == len(versions)  # each ballot its own transaction ids
    last = members[2].pk
    # Every counter row carries the last ballot's transaction, whatever the last member voted on (here it recused
    # from the first candidate), and its values are the totals of all three ballots.
    assert sorted(joined) == sorted([(candidates[0].pk, 1, 0, 1, last), (candidates[1].pk, 2, 1, 0, last)])
    # No committee table other than the counters shares a transaction with any ballot, and those only the last.
    assert linked == {"committee_votecount": {last}}


def test_admin_session_page_lists_who_voted_never_how(admin_client_secretariat, deliberation, open_session, cast):
    cycle, members, candidates = deliberation(members=3, scores=(800,))
    session = open_session(cycle)
    cast(session, members[1], {candidates[0]: "disapprove"})

    page = admin_client_secretariat.get(reverse("admin:committee_votingsession_change", args=[session.pk]))

    content = page.content.decode()
    assert page.status_code == 200
    assert "Turnout: 1 of 3 members have voted" in content
    assert str(members[1].user) in content
    assert 'id="results-hidden"' in content
    for word in ("disapprove", "Disapprove", "不同意"):
        assert word not in content


@pytest.fixture
def admin_client_secretariat(client, secretariat_user):
    client.force_login(secretariat_user)
    return client
