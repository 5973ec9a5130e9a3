"""The secret ballot: no model, query, admin page or permission can connect a vote to a member."""

import uuid

import pytest
from django.contrib import admin
from django.db import models
from django.urls import reverse

from committee.models import BallotReceipt, CommitteeMember, Vote
from mayor_award.core.models import AuditEvent, User

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def test_vote_has_no_link_to_a_member_user_or_receipt():
    related = {field.related_model for field in Vote._meta.get_fields() if field.is_relation}

    assert {model._meta.label for model in related} == {"committee.VotingSession", "review.Candidate"}
    assert not {CommitteeMember, User, BallotReceipt} & related


def test_vote_has_no_timestamp_and_no_sequential_key():
    fields = Vote._meta.concrete_fields

    assert not [f.name for f in fields if isinstance(f, models.DateField | models.TimeField)]
    assert isinstance(Vote._meta.pk, models.UUIDField)
    assert Vote._meta.pk.default is uuid.uuid4
    assert not [f.name for f in fields if isinstance(f, models.AutoField | models.IntegerField)]
    assert Vote._meta.ordering == []


def test_vote_is_not_kept_in_any_history_table():
    assert not hasattr(Vote, "history")
    assert not hasattr(BallotReceipt, "history")


def test_receipt_says_nothing_about_the_choices():
    names = {f.name for f in BallotReceipt._meta.concrete_fields}

    assert names == {"id", "session", "member"}


def test_nothing_links_back_to_a_vote():
    pointing_at_votes = [
        (model._meta.label, field.name)
        for model in (BallotReceipt, CommitteeMember, User, AuditEvent)
        for field in model._meta.get_fields()
        if field.is_relation and field.related_model is Vote
    ]

    assert pointing_at_votes == []


def test_votes_and_receipts_are_not_in_the_admin():
    registered = set(admin.site._registry)

    assert Vote not in registered
    assert BallotReceipt not in registered


def test_nobody_has_a_permission_on_votes(secretariat_user):
    secretariat_user.is_superuser = False

    assert Vote._meta.default_permissions == ()
    assert not any(secretariat_user.has_perm(f"committee.{action}_vote") for action in ("view", "add", "change"))


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
