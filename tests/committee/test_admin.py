"""The secretariat's deliberation tools in the admin: the committee, the vote's buttons, ranking, list, approval."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from committee import services_voting
from committee.enums_voting import ListState, SessionState
from committee.models import CommitteeMember, GovernmentApproval, ProposedList, Recusal, VotingSession
from mayor_award.core.enums import CyclePhase
from mayor_award.core.services import cycle_advance
from tests.factories.applications import pdf_bytes
from tests.factories.core import UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


@pytest.fixture
def staff(client, secretariat_user):
    client.force_login(secretariat_user)
    return client


def change_url(obj):
    return reverse(f"admin:committee_{obj._meta.model_name}_change", args=[obj.pk])


def test_member_added_through_the_admin(staff, deliberation):
    cycle, _members, _candidates = deliberation(members=1)
    user = UserFactory(roles=["committee"])

    response = staff.post(
        reverse("admin:committee_committeemember_add"),
        {"cycle": cycle.pk, "user": user.pk, "office": "deputy", "affiliation": "市政府办公室"},
    )

    assert response.status_code == 302
    assert CommitteeMember.objects.get(user=user).office == "deputy"


def test_member_refused_once_the_vote_is_open(staff, deliberation, open_session):
    cycle, _members, _candidates = deliberation(members=2)
    open_session(cycle)
    user = UserFactory(roles=["committee"])

    response = staff.post(
        reverse("admin:committee_committeemember_add"), {"cycle": cycle.pk, "user": user.pk, "office": "member"}
    )

    assert response.status_code == 200
    assert "The committee cannot change once its vote has opened" in response.content.decode()


def test_recusal_recorded_through_the_admin(staff, deliberation):
    _cycle, members, candidates = deliberation(members=2)

    response = staff.post(
        reverse("admin:committee_recusal_add"),
        {"member": members[1].pk, "candidate": candidates[0].pk, "reason": "配偶在该单位任职"},
    )

    assert response.status_code == 302
    assert Recusal.objects.get().reason == "配偶在该单位任职"


def test_session_prepared_opened_and_closed_with_the_buttons(staff, deliberation, cast):
    cycle, members, candidates = deliberation(members=3, scores=(800,))

    staff.post(reverse("admin:committee_votingsession_add"), {"cycle": cycle.pk})
    session = VotingSession.objects.get()
    page = staff.get(change_url(session)).content.decode()
    assert "Open the vote" in page
    staff.post(reverse("admin:committee_votingsession_open", args=[session.pk]))
    session.refresh_from_db()
    for member in members[:2]:
        cast(session, member, {candidates[0]: "approve"})
    open_page = staff.get(change_url(session)).content.decode()
    staff.post(reverse("admin:committee_votingsession_close", args=[session.pk]))
    closed_page = staff.get(change_url(session)).content.decode()

    assert "Turnout: 2 of 3 members have voted" in open_page
    assert "The results appear when the vote is closed." in open_page
    assert 'id="tally"' not in open_page
    assert 'id="tally"' in closed_page
    assert "Quorum met: 2 of 3 members voted (at least 2 needed)." in closed_page
    assert "Compute the ranking" in closed_page


def test_open_refused_with_the_reasons(staff, deliberation):
    cycle, _members, _candidates = deliberation(members=2)
    session = services_voting.session_prepare(cycle=cycle, by=UserFactory(roles=["secretariat"]))
    cycle.phase = CyclePhase.ONSITE_REVIEW
    cycle.save()

    response = staff.post(reverse("admin:committee_votingsession_open", args=[session.pk]), follow=True)

    assert "The committee votes during the committee deliberation phase (Art. 16)." in response.content.decode()
    session.refresh_from_db()
    assert session.state == SessionState.DRAFT


def test_void_session_says_so(staff, deliberation, open_session):
    cycle, _members, _candidates = deliberation(members=3)
    session = open_session(cycle)

    response = staff.post(reverse("admin:committee_votingsession_close", args=[session.pk]), follow=True)

    assert "Void: the quorum was missed. 0 of 3 members voted; at least 2 were needed." in response.content.decode()


def closed_vote(deliberation, open_session, cast, *, scores, approvals, members=3, **cycle_fields):
    cycle, seats, candidates = deliberation(members=members, scores=scores, **cycle_fields)
    session = open_session(cycle)
    for n, member in enumerate(seats):
        cast(
            session,
            member,
            {c: "approve" if n < a else "disapprove" for c, a in zip(candidates, approvals, strict=True)},
        )
    return services_voting.session_close(session=session, by=UserFactory(roles=["secretariat"])), candidates


def test_ranking_page_shows_both_ranks_and_the_index(staff, deliberation, open_session, cast):
    session, _candidates = closed_vote(deliberation, open_session, cast, scores=(900, 800), approvals=(2, 3))

    response = staff.post(reverse("admin:committee_votingsession_rank", args=[session.pk]), follow=True)

    content = response.content.decode()
    assert response.redirect_chain[-1][0] == change_url(ProposedList.objects.get())
    assert "Combined ranking" in content
    assert "1.400" in content  # 0.6 × 2 + 0.4 × 1 for the second on-site score with the most approvals
    assert "Proposed list: 2 of 5 places" in content


def test_ranking_page_says_when_nobody_is_proposed(staff, deliberation, open_session, cast):
    session, _candidates = closed_vote(
        deliberation, open_session, cast, scores=(700,), approvals=(3,), award_min_score=Decimal("750")
    )
    proposed_list = services_voting.ranking_compute(session=session, by=UserFactory(roles=["secretariat"]))

    content = staff.get(change_url(proposed_list)).content.decode()

    assert 'id="nobody-proposed"' in content
    assert "Nobody is proposed: the places stay vacant (Art. 4)." in content
    assert "On-site score below the cycle&#x27;s minimum for an award (Art. 4)." in content


def test_adjustment_and_confirmation_through_the_buttons(staff, deliberation, open_session, cast):
    session, candidates = closed_vote(
        deliberation, open_session, cast, scores=(900, 800), approvals=(3, 3), award_quota=1, slate_ratio=Decimal("2")
    )
    proposed_list = services_voting.ranking_compute(session=session, by=UserFactory(roles=["secretariat"]))
    second = proposed_list.entries.get(candidate=candidates[1])

    refused = staff.post(
        reverse("admin:committee_proposedlist_adjust", args=[proposed_list.pk]),
        {"entry": second.pk, "proposed": "yes", "decided_by": "director", "reason": ""},
        follow=True,
    )
    staff.post(
        reverse("admin:committee_proposedlist_adjust", args=[proposed_list.pk]),
        {"entry": second.pk, "proposed": "yes", "decided_by": "director", "reason": "食品行业代表"},
    )
    warned = staff.get(change_url(proposed_list))
    staff.post(reverse("admin:committee_proposedlist_confirm", args=[proposed_list.pk]))

    assert "Choose the candidate, say who decided and give the reason." in refused.content.decode()
    assert "食品行业代表" in warned.content.decode()
    proposed_list.refresh_from_db()
    assert proposed_list.state == ListState.CONFIRMED
    assert list(proposed_list.entries.filter(proposed=True).values_list("candidate_id", flat=True)) == [
        candidates[0].pk,
        candidates[1].pk,
    ]


def test_tie_decided_through_the_page(staff, deliberation, open_session, cast):
    session, candidates = closed_vote(
        deliberation, open_session, cast, scores=(800, 800), approvals=(3, 3), award_quota=1, slate_ratio=Decimal("2")
    )
    proposed_list = services_voting.ranking_compute(session=session, by=UserFactory(roles=["secretariat"]))
    entries = {e.candidate_id: e.pk for e in proposed_list.entries.all()}
    page = staff.get(change_url(proposed_list)).content.decode()

    staff.post(
        reverse("admin:committee_proposedlist_tie", args=[proposed_list.pk]),
        {
            "order": [entries[candidates[1].pk], entries[candidates[0].pk]],
            "decided_by": "secretariat",
            "reason": "抽签决定",
        },
    )

    assert 'id="ties"' in page
    assert list(proposed_list.entries.filter(proposed=True).values_list("candidate_id", flat=True)) == [
        candidates[1].pk
    ]


@pytest.mark.parametrize("entry", ["abc", "", "-3", "0", "9" * 30])
def test_adjustment_with_a_malformed_entry_says_so(staff, deliberation, open_session, cast, entry):
    session, _candidates = closed_vote(
        deliberation, open_session, cast, scores=(900, 800), approvals=(3, 3), award_quota=1, slate_ratio=Decimal("2")
    )
    proposed_list = services_voting.ranking_compute(session=session, by=UserFactory(roles=["secretariat"]))

    response = staff.post(
        reverse("admin:committee_proposedlist_adjust", args=[proposed_list.pk]),
        {"entry": entry, "proposed": "yes", "decided_by": "director", "reason": "食品行业代表"},
        follow=True,
    )

    assert response.status_code == 200
    assert "Choose the candidate, say who decided and give the reason." in response.content.decode()
    assert not proposed_list.adjustments.exists()


@pytest.mark.parametrize("order", [["abc"], ["9" * 30], [str(2**63)], ["0"], []])
def test_tie_with_a_malformed_order_says_so(staff, deliberation, open_session, cast, order):
    session, _candidates = closed_vote(
        deliberation, open_session, cast, scores=(800, 800), approvals=(3, 3), award_quota=1, slate_ratio=Decimal("2")
    )
    proposed_list = services_voting.ranking_compute(session=session, by=UserFactory(roles=["secretariat"]))

    response = staff.post(
        reverse("admin:committee_proposedlist_tie", args=[proposed_list.pk]),
        {"order": order, "decided_by": "secretariat", "reason": "抽签决定"},
        follow=True,
    )

    assert response.status_code == 200
    assert "Put the tied candidates in order, say who decided and give the reason." in response.content.decode()
    assert not proposed_list.adjustments.exists()


def test_tie_with_an_id_beyond_the_database_range_is_refused(staff, deliberation, open_session, cast):
    session, _candidates = closed_vote(
        deliberation, open_session, cast, scores=(800, 800), approvals=(3, 3), award_quota=1, slate_ratio=Decimal("2")
    )
    proposed_list = services_voting.ranking_compute(session=session, by=UserFactory(roles=["secretariat"]))
    entry = proposed_list.entries.first()

    response = staff.post(
        reverse("admin:committee_proposedlist_tie", args=[proposed_list.pk]),
        {"order": [entry.pk, 2**63 - 1], "decided_by": "secretariat", "reason": "抽签决定"},
        follow=True,
    )

    assert response.status_code == 200
    assert "Order exactly the candidates of one tie." in response.content.decode()


def test_government_approval_recorded_with_its_document(staff, deliberation, open_session, cast, secretariat_user):
    session, _candidates = closed_vote(deliberation, open_session, cast, scores=(900,), approvals=(3,))
    proposed_list = services_voting.list_confirm(
        proposed_list=services_voting.ranking_compute(session=session, by=secretariat_user), by=secretariat_user
    )
    cycle_advance(cycle=session.cycle, to=CyclePhase.APPROVAL, by=secretariat_user)

    response = staff.post(
        reverse("admin:committee_governmentapproval_add"),
        {
            "proposed_list": proposed_list.pk,
            "meeting": "市政府第12次常务会议",
            "meeting_date": (timezone.localdate() - dt.timedelta(days=2)).isoformat(),
            "minutes_number": "漯政纪〔2026〕12号",
            "document": SimpleUploadedFile("纪要.pdf", pdf_bytes()),
        },
    )
    approval = GovernmentApproval.objects.get()
    download = staff.get(reverse("admin:committee_governmentapproval_document", args=[approval.pk]))

    assert response.status_code == 302
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == pdf_bytes()


def test_government_approval_refuses_a_renamed_file(staff, deliberation, open_session, cast, secretariat_user):
    session, _candidates = closed_vote(deliberation, open_session, cast, scores=(900,), approvals=(3,))
    proposed_list = services_voting.list_confirm(
        proposed_list=services_voting.ranking_compute(session=session, by=secretariat_user), by=secretariat_user
    )
    cycle_advance(cycle=session.cycle, to=CyclePhase.APPROVAL, by=secretariat_user)

    response = staff.post(
        reverse("admin:committee_governmentapproval_add"),
        {
            "proposed_list": proposed_list.pk,
            "meeting": "市政府第12次常务会议",
            "meeting_date": timezone.localdate().isoformat(),
            "minutes_number": "12",
            "document": SimpleUploadedFile("纪要.pdf", b"MZ\x90\x00not a pdf"),
        },
    )

    assert response.status_code == 200
    assert "The document must be a PDF or an image (PNG, JPEG)." in response.content.decode()
    assert GovernmentApproval.objects.count() == 0


def test_member_shown_only_once_the_vote_is_open(staff, deliberation, open_session):
    cycle, members, _candidates = deliberation(members=2)
    open_session(cycle)

    page = staff.get(change_url(members[1]))
    refused = staff.post(change_url(members[1]), {"office": "deputy", "affiliation": "x"})

    assert page.status_code == 200
    assert 'name="office"' not in page.content.decode()
    assert refused.status_code == 403
    members[1].refresh_from_db()
    assert members[1].office == "member"


def test_office_changed_before_the_vote(staff, deliberation):
    _cycle, members, _candidates = deliberation(members=2)

    response = staff.post(change_url(members[1]), {"office": "deputy", "affiliation": "市场监管局"})

    assert response.status_code == 302
    members[1].refresh_from_db()
    assert (members[1].office, members[1].affiliation) == ("deputy", "市场监管局")
