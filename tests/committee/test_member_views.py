"""The committee members' pages: open only in deliberation, the candidates with reports and radar, the ballot."""

import pytest
from django.urls import reverse

from committee.models import BallotReceipt, VoteCount
from mayor_award.core.models import AuditEvent
from tests.factories.committee import OnsiteConsensusFactory, RecusalFactory
from tests.factories.core import UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def ballot_data(candidates, choice="approve", final="yes"):
    return {**{f"c_{c.pk}": choice for c in candidates}, "final": final}


# --- who may open the pages, and when ---


@pytest.mark.parametrize("role", ["expert", "applicant", "secretariat"])
def test_other_roles_are_refused(client, deliberation, role):
    deliberation(members=3)
    client.force_login(UserFactory(roles=[role], is_staff=role == "secretariat"))

    assert client.get(reverse("committee:home")).status_code == 403
    assert client.get(reverse("committee:ballot")).status_code == 403


@pytest.mark.parametrize(
    "phase", ["draft", "open", "eligibility", "material_review", "onsite_review", "approval", "publicity", "closed"]
)
def test_pages_closed_outside_deliberation(client, deliberation, phase):
    cycle, members, candidates = deliberation(members=3)
    consensus = OnsiteConsensusFactory(candidate=candidates[0], report=True)
    cycle.phase = phase
    cycle.save()
    client.force_login(members[1].user)

    home = client.get(reverse("committee:home"))
    ballot = client.get(reverse("committee:ballot"))

    assert home.status_code == ballot.status_code == 200
    assert home.templates[0].name == ballot.templates[0].name == "committee/member/closed.html"
    assert candidates[0].dossier.organisation.name not in home.content.decode()
    assert client.get(reverse("committee:report", args=[consensus.pk])).status_code == 404


def test_committee_role_without_a_seat_sees_the_pages_closed(client, deliberation):
    deliberation(members=3)
    client.force_login(UserFactory(roles=["committee"]))

    assert client.get(reverse("committee:home")).templates[0].name == "committee/member/closed.html"


# --- the candidates ---


def test_candidates_listed_with_panel_scores_radar_and_reports(client, deliberation):
    _cycle, members, candidates = deliberation(members=3, scores=(812.5,))
    material = OnsiteConsensusFactory(candidate=candidates[0], stage="material", report=True, items=60)
    onsite = OnsiteConsensusFactory(candidate=candidates[0], report=True, items=80)
    client.force_login(members[1].user)

    response = client.get(reverse("committee:home"))

    content = response.content.decode()
    assert response.status_code == 200
    assert candidates[0].panel.name in content
    assert "812.50" in content
    assert "680.00" in content
    assert content.count("<svg") == 1
    assert reverse("committee:report", args=[material.pk]) in content
    assert reverse("committee:report", args=[onsite.pk]) in content


def test_report_served_to_a_member(client, deliberation):
    _cycle, members, candidates = deliberation(members=3, scores=(800,))
    consensus = OnsiteConsensusFactory(candidate=candidates[0], report=True)
    client.force_login(members[1].user)

    response = client.get(reverse("committee:report", args=[consensus.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content).startswith(b"%PDF-")  # read to its end, which closes the file
    assert AuditEvent.objects.filter(action="dossier.opened", actor=members[1].user).count() == 1


def test_report_closed_to_a_recused_member(client, deliberation):
    _cycle, members, candidates = deliberation(members=3, scores=(800,))
    consensus = OnsiteConsensusFactory(candidate=candidates[0], report=True)
    RecusalFactory(member=members[1], candidate=candidates[0])
    client.force_login(members[1].user)

    page = client.get(reverse("committee:home")).content.decode()

    assert "You recused yourself" in page
    assert reverse("committee:report", args=[consensus.pk]) not in page
    assert client.get(reverse("committee:report", args=[consensus.pk])).status_code == 404


def test_report_of_another_cycle_not_found(client, deliberation):
    _cycle, members, _candidates = deliberation(members=3)
    elsewhere = OnsiteConsensusFactory(report=True)
    client.force_login(members[1].user)

    assert client.get(reverse("committee:report", args=[elsewhere.pk])).status_code == 404


# --- the ballot ---


def test_ballot_shows_the_rules_and_the_limit(client, deliberation, open_session):
    cycle, members, _candidates = deliberation(members=9)
    open_session(cycle)
    client.force_login(members[1].user)

    content = client.get(reverse("committee:ballot")).content.decode()

    assert "At least 2/3 of the 9 members vote (6 ballots)" in content
    assert "more than 1/2 of the ballots cast" in content
    assert 'data-limit="6"' in content


def test_ballot_before_the_vote_opens(client, deliberation):
    _cycle, members, _candidates = deliberation(members=3)
    client.force_login(members[1].user)

    response = client.get(reverse("committee:ballot"))

    assert "The secretariat has not opened the vote yet." in response.content.decode()
    assert 'id="ballot-form"' not in response.content.decode()


def test_casting_a_ballot_confirms_without_showing_choices(client, deliberation, open_session):
    cycle, members, candidates = deliberation(members=3, scores=(800, 700))
    open_session(cycle)
    client.force_login(members[1].user)

    response = client.post(reverse("committee:ballot"), ballot_data(candidates), follow=True)

    content = response.content.decode()
    assert response.redirect_chain == [(reverse("committee:ballot"), 302)]
    assert "Your ballot is cast." in content
    assert 'id="ballot-form"' not in content
    assert "checked" not in content
    assert BallotReceipt.objects.filter(member=members[1]).count() == 1
    assert list(VoteCount.objects.values_list("approvals", "disapprovals", "abstentions")) == [(1, 0, 0)] * 2


def test_ballot_needs_the_final_box_and_keeps_the_choices(client, deliberation, open_session):
    cycle, members, candidates = deliberation(members=3, scores=(800,))
    open_session(cycle)
    client.force_login(members[1].user)

    response = client.post(reverse("committee:ballot"), ballot_data(candidates, final=""))

    assert response.status_code == 400
    assert "Tick the box to confirm that your ballot is final." in response.content.decode()
    assert f'value="approve" id="c_{candidates[0].pk}_approve"' in response.content.decode()
    assert "checked" in response.content.decode()
    assert BallotReceipt.objects.count() == 0


def test_ballot_over_the_limit_refused_with_a_message(client, deliberation, open_session):
    from decimal import Decimal

    cycle, members, candidates = deliberation(members=3, scores=(800, 700), award_quota=1, slate_ratio=Decimal("1"))
    open_session(cycle)
    client.force_login(members[1].user)

    response = client.post(reverse("committee:ballot"), ballot_data(candidates))

    assert response.status_code == 400
    assert "A ballot approves at most 1 candidates; this one approves 2." in response.content.decode()
    assert not VoteCount.objects.exclude(approvals=0, disapprovals=0, abstentions=0).exists()


def test_recused_candidate_shown_without_a_choice(client, deliberation, open_session):
    cycle, members, candidates = deliberation(members=3, scores=(800, 700))
    RecusalFactory(member=members[1], candidate=candidates[0])
    open_session(cycle)
    client.force_login(members[1].user)

    content = client.get(reverse("committee:ballot")).content.decode()

    assert "Recused: no vote" in content
    assert f'name="c_{candidates[0].pk}"' not in content
    assert f'name="c_{candidates[1].pk}"' in content


def test_member_recused_from_every_candidate_has_no_ballot(client, deliberation, open_session):
    cycle, members, candidates = deliberation(members=3, scores=(800, 700))
    for candidate in candidates:
        RecusalFactory(member=members[1], candidate=candidate)
    open_session(cycle)
    client.force_login(members[1].user)

    page = client.get(reverse("committee:ballot")).content.decode()
    posted = client.post(reverse("committee:ballot"), {"final": "yes"})

    assert "You recused yourself from every candidate on the ballot" in page
    assert 'id="ballot-form"' not in page
    assert posted.status_code == 400
    assert "there is nothing to vote on, so no ballot is cast" in posted.content.decode()
    assert BallotReceipt.objects.count() == 0


def test_home_says_the_ballot_is_cast(client, deliberation, open_session, cast):
    cycle, members, candidates = deliberation(members=3, scores=(800,))
    session = open_session(cycle)
    cast(session, members[1], {candidates[0]: "approve"})
    client.force_login(members[1].user)

    assert "Your ballot is cast" in client.get(reverse("committee:home")).content.decode()


# --- a fixed number of queries, whatever the number of candidates ---


@pytest.mark.parametrize("item_count", (1, 3))
def test_candidate_list_queries_fixed(client, deliberation, open_session, django_assert_num_queries, item_count):
    cycle, members, candidates = deliberation(members=3, scores=(800, 790, 780)[:item_count])
    for candidate in candidates:
        OnsiteConsensusFactory(candidate=candidate, report=True)
    RecusalFactory(member=members[1], candidate=candidates[0])
    open_session(cycle)
    client.force_login(members[1].user)

    # The session and the user; a savepoint pair (ATOMIC_REQUESTS) around the user's roles, the seat with its
    # cycle, the vote, the candidates' count (pages) and the page of them, the recusals, the consensuses, their
    # items, the categories and the receipt; then the session saved again (SESSION_SAVE_EVERY_REQUEST) in its own
    # savepoint pair.
    with django_assert_num_queries(17):
        response = client.get(reverse("committee:home"))

    assert response.status_code == 200


@pytest.mark.parametrize("item_count", (1, 3))
def test_ballot_queries_fixed(client, deliberation, open_session, django_assert_num_queries, item_count):
    cycle, members, _candidates = deliberation(members=3, scores=(800, 790, 780)[:item_count])
    open_session(cycle)
    client.force_login(members[1].user)

    # As above, with the ballot's candidates (panel, dossier, organisation) in one query and no consensus.
    with django_assert_num_queries(13):
        response = client.get(reverse("committee:ballot"))

    assert response.status_code == 200


def test_candidates_are_shown_twenty_to_a_page(client, deliberation):
    """A provincial cycle hands over hundreds of candidates, each card with a chart: 20 a page, then a link on."""
    from committee.views.member import CANDIDATES_PER_PAGE

    _cycle, members, candidates = deliberation(members=3, scores=[900 - n for n in range(CANDIDATES_PER_PAGE + 1)])
    client.force_login(members[0].user)

    first = client.get(reverse("committee:home"))
    second = client.get(reverse("committee:home"), {"page": 2})

    assert [card.candidate for card in first.context["cards"]] == candidates[:CANDIDATES_PER_PAGE]
    assert [card.candidate for card in second.context["cards"]] == candidates[CANDIDATES_PER_PAGE:]
    assert "?page=2" in first.text
