"""The panel leader's pages: the panel's overview, the consensus page of a dossier in a stage, and the report.

Only the leader opens the overview and the consensus page (any other expert gets 404, another role 403); the
numbers shown are scoring.py's, rounded only for display; the report is read by the panel's experts and the
secretariat. Requests go through the test client as a browser sends them.
"""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone, translation

from applications.enums import DossierState
from mayor_award.core.enums import CyclePhase
from mayor_award.core.models import AuditEvent
from review import scoring
from review import services as review_services
from review.consensus import aggregation, consensus_reopen
from review.enums import ConsensusState, ReviewStage
from review.models import Consensus, ItemScore
from tests.factories.applications import MembershipFactory
from tests.factories.review import ConflictFactory, PanelDossierFactory
from tests.factories.review_consensus import criteria_codes, scored_panel, submitted_sheet

pytestmark = pytest.mark.django_db


def panel_url(world):
    return reverse("review:panel", kwargs={"pk": world.panel.pk})


def consensus_url(world, stage="material", dossier=None):
    return reverse(
        "review:consensus",
        kwargs={"pk": world.panel.pk, "dossier_pk": (dossier or world.dossier).pk, "stage": stage},
    )


def form_data(world, percent=55, action="save", **overrides):
    data = {"action": action, "strengths": "总体优势", "opportunities": "总体改进", "issues_to_verify": "现场核实"}
    for code in criteria_codes(world.cycle):
        data[f"p_{code}"] = str(overrides.get(code, percent))
        data[f"s_{code}"] = f"{code}优势"
        data[f"o_{code}"] = f"{code}改进"
    return data


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


@pytest.fixture
def world():
    world = scored_panel(experts=5)
    world.submit_all(percents=[40, 50, 60, 70, 75])
    return world


# --- who may open the pages ---


def test_leader_opens_the_panel_overview(client, world):
    client.force_login(world.leader.expert.user)

    response = client.get(panel_url(world))

    assert response.status_code == 200
    content = response.content.decode()
    assert world.dossier.number in content
    assert consensus_url(world) in content
    progress = response.context["overview"][0].stages[0]
    assert (progress.submitted, progress.expected) == (5, 5)


@pytest.mark.parametrize("url", [panel_url, consensus_url])
def test_panel_member_gets_not_found(client, world, url):
    client.force_login(world.seats[1].expert.user)

    assert client.get(url(world)).status_code == 404


@pytest.mark.parametrize("url", [panel_url, consensus_url])
def test_leader_of_another_panel_gets_not_found(client, world, url):
    other = scored_panel(experts=5, cycle=world.cycle)
    client.force_login(other.leader.expert.user)

    assert client.get(url(world)).status_code == 404


def test_leader_cannot_reach_another_panels_dossier_through_their_own_panel(client, world):
    other = scored_panel(experts=5, cycle=world.cycle)
    client.force_login(world.leader.expert.user)

    response = client.get(consensus_url(world, dossier=other.dossier))

    assert response.status_code == 404


@pytest.mark.parametrize("url", [panel_url, consensus_url])
def test_user_who_is_no_expert_gets_forbidden(client, world, url, secretariat):
    client.force_login(secretariat)

    assert client.get(url(world)).status_code == 403


@pytest.mark.parametrize("phase", [CyclePhase.ELIGIBILITY, CyclePhase.DELIBERATION])
def test_leader_pages_closed_outside_the_review_phases(client, world, phase):
    world.cycle.phase = phase
    world.cycle.save()
    client.force_login(world.leader.expert.user)

    assert client.get(panel_url(world)).status_code == 404
    assert client.get(consensus_url(world)).status_code == 404


def test_leader_in_conflict_with_the_applicant_gets_not_found(client, world):
    ConflictFactory(expert=world.leader.expert, organisation=world.dossier.organisation)
    client.force_login(world.leader.expert.user)

    assert client.get(consensus_url(world)).status_code == 404


def test_leader_in_conflict_sees_a_note_instead_of_links_and_another_leader_records(client, world, secretariat):
    ConflictFactory(expert=world.leader.expert, organisation=world.dossier.organisation)
    client.force_login(world.leader.expert.user)

    page = client.get(panel_url(world), headers={"accept-language": "en"})
    new_leader = world.seats[1]
    world.panel.drawn_at = timezone.now()  # a real panel is drawn before it gets a leader
    world.panel.save(update_fields=["drawn_at"])
    review_services.panel_set_leader(seat=new_leader, by=secretariat)
    client.force_login(new_leader.expert.user)

    content = page.content.decode()
    assert page.status_code == 200
    assert "You are in conflict of interest with this applicant" in content
    assert "The secretariat names another leader of the panel to record it." in content
    assert consensus_url(world) not in content
    assert client.get(consensus_url(world)).status_code == 200


def test_unknown_stage_is_not_found(client, world):
    client.force_login(world.leader.expert.user)

    assert client.get(consensus_url(world, stage="final")).status_code == 404


# --- what the aggregation page shows ---


def test_aggregation_page_shows_the_scoring_output(client, world):
    client.force_login(world.leader.expert.user)

    response = client.get(consensus_url(world))

    assert response.status_code == 200
    summed = aggregation(panel=world.panel, dossier=world.dossier, stage=ReviewStage.MATERIAL)
    line = response.context["lines"][0]
    stats = summed.result.item_stats["4.1.2"]
    assert (line["mean"], line["trimmed_mean"], line["std_dev"], line["range"], line["aggregate"]) == (
        scoring.display(stats.mean),
        scoring.display(stats.trimmed_mean),
        scoring.display(stats.std_dev),
        stats.range,
        scoring.display(summed.result.item_percent["4.1.2"]),
    )
    assert (line["mean"], line["trimmed_mean"], line["std_dev"], line["range"]) == ("59.00", "60.00", "12.81", 35)
    assert response.context["panel_total"] == scoring.display(summed.result.total)
    assert response.context["form"]["p_4.1.2"].value() == 60  # the trimmed mean 60, on the step of 5


def test_aggregation_page_names_experts_by_letter_only(client, world):
    client.force_login(world.leader.expert.user)

    with translation.override("en"):
        response = client.get(consensus_url(world), HTTP_ACCEPT_LANGUAGE="en")

    content = response.content.decode()
    assert ["Expert A" in content, "Expert E" in content] == [True, True]
    for seat in world.seats[1:]:
        assert seat.expert.user.name not in content


def test_aggregation_page_flags_the_expert_far_from_the_panel(client):
    world = scored_panel(experts=5)
    for seat, value in zip(world.seats, [50, 50, 50, 50, 80], strict=True):
        submitted_sheet(seat, world.dossier, percents={"4.2.2": value}, default=50)
    client.force_login(world.leader.expert.user)

    response = client.get(consensus_url(world))

    line = next(line for line in response.context["lines"] if line["row"].item.code == "4.2.2")
    assert [score.flagged for score in line["row"].scores] == [False, False, False, False, True]
    assert response.context["agenda"] == [{"code": "4.2.2", "experts": [line["row"].scores[4].reviewer.label]}]


def test_form_prefers_the_saved_draft_over_the_aggregate(client, world):
    client.force_login(world.leader.expert.user)
    client.post(consensus_url(world), form_data(world, percent=35))

    response = client.get(consensus_url(world))

    assert response.context["form"]["p_4.1.2"].value() == 35
    assert response.context["form"]["s_4.1.2"].value() == "4.1.2优势"


# --- saving and recording through the page ---


def test_leader_saves_a_draft(client, world):
    client.force_login(world.leader.expert.user)

    response = client.post(consensus_url(world), form_data(world, percent=65))

    assert response.status_code == 302
    saved = Consensus.objects.get()
    assert (saved.state, saved.strengths, saved.issues_to_verify) == (ConsensusState.DRAFT, "总体优势", "现场核实")
    assert set(saved.items.values_list("percent", flat=True)) == {65}


def test_leader_records_and_the_dossier_moves_on(client, world):
    client.force_login(world.leader.expert.user)

    response = client.post(consensus_url(world), form_data(world, action="record"))

    assert response.status_code == 302
    saved = Consensus.objects.get()
    world.dossier.refresh_from_db()
    assert (saved.state, str(saved.total), world.dossier.state) == (
        ConsensusState.RECORDED,
        "550.0000",
        DossierState.MATERIAL_REVIEWED,
    )


@pytest.mark.parametrize("who", ["member", "other_leader"])
def test_only_the_leader_may_save_or_record(client, world, who):
    other = scored_panel(experts=5, cycle=world.cycle)
    client.force_login((world.seats[2] if who == "member" else other.leader).expert.user)

    response = client.post(consensus_url(world), form_data(world, action="record"))

    assert response.status_code == 404
    assert not Consensus.objects.exists()


def test_recording_refused_while_a_sheet_is_missing_keeps_the_draft(client):
    world = scored_panel(experts=5)
    world.submit_all(skip=1)
    client.force_login(world.leader.expert.user)

    with translation.override("en"):
        response = client.post(consensus_url(world), form_data(world, action="record"), HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 302
    assert any("4 of 5" in message for message in messages_of(response))
    saved = Consensus.objects.get()
    world.dossier.refresh_from_db()
    assert (saved.state, world.dossier.state) == (ConsensusState.DRAFT, DossierState.ELIGIBLE)


def test_percentage_off_the_step_is_refused_and_nothing_is_saved(client, world):
    client.force_login(world.leader.expert.user)

    response = client.post(consensus_url(world), form_data(world, **{"4.3.2": 62}))

    assert response.status_code == 200
    assert response.context["form"].errors["p_4.3.2"]
    assert response.context["form"]["p_4.3.2"].value() == "62"  # what was typed stays on the page
    assert not Consensus.objects.exists()


def test_recorded_consensus_is_read_only_on_the_page(client, world):
    client.force_login(world.leader.expert.user)
    client.post(consensus_url(world), form_data(world, action="record"))

    response = client.post(consensus_url(world), form_data(world, percent=90))

    assert response.status_code == 302
    assert set(Consensus.objects.get().items.values_list("percent", flat=True)) == {55}
    page = client.get(consensus_url(world))
    assert page.context["editable"] is False
    assert page.context["form"]["p_4.1.2"].field.disabled


def test_independent_sheets_untouched_by_the_page(client, world):
    before = list(ItemScore.objects.order_by("pk").values_list("percent", "strengths"))
    client.force_login(world.leader.expert.user)

    client.post(consensus_url(world), form_data(world, action="record"))

    assert list(ItemScore.objects.order_by("pk").values_list("percent", "strengths")) == before


# --- the report download ---


@pytest.fixture
def reported(world, django_capture_on_commit_callbacks, client):
    client.force_login(world.leader.expert.user)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(consensus_url(world), form_data(world, action="record"))
    client.logout()
    return world, Consensus.objects.get()


def report_status(client, user, consensus):
    client.force_login(user)
    response = client.get(reverse("review:consensus-report", kwargs={"pk": consensus.pk}))
    content = body(response)
    return response.status_code, content


@pytest.mark.parametrize("seat_index", [0, 3])
def test_panel_leader_and_members_download_the_report(client, reported, seat_index):
    world, consensus = reported

    status, content = report_status(client, world.seats[seat_index].expert.user, consensus)

    assert (status, content[:5]) == (200, b"%PDF-")
    assert AuditEvent.objects.filter(action="consensus.report_downloaded").count() == 1


def test_secretariat_downloads_the_report(client, reported, secretariat):
    _world, consensus = reported

    assert report_status(client, secretariat, consensus)[0] == 200


def test_expert_of_another_panel_does_not_get_the_report(client, reported):
    world, consensus = reported
    other = scored_panel(experts=5, cycle=world.cycle)

    assert report_status(client, other.leader.expert.user, consensus)[0] == 404


def test_applicant_is_forbidden_the_report(client, reported):
    world, consensus = reported
    member = MembershipFactory(organisation=world.dossier.organisation)

    assert report_status(client, member.user, consensus)[0] == 403


def test_committee_member_reads_reports_only_through_the_committee_pages(client, reported, committee_member):
    _world, consensus = reported

    assert report_status(client, committee_member, consensus)[0] == 404


def test_member_does_not_get_the_report_of_a_reopened_consensus(client, reported, secretariat):
    world, consensus = reported
    consensus_reopen(consensus=consensus, reason="重新评议", by=secretariat)

    assert report_status(client, world.seats[1].expert.user, consensus)[0] == 404
    assert report_status(client, secretariat, consensus)[0] == 200


def test_overview_links_the_report_once_made(client, reported):
    world, consensus = reported
    client.force_login(world.leader.expert.user)

    content = client.get(panel_url(world)).content.decode()

    assert reverse("review:consensus-report", kwargs={"pk": consensus.pk}) in content


# --- the secretariat's admin ---


def test_admin_reopens_with_a_reason(client, reported, secretariat):
    _world, consensus = reported
    client.force_login(secretariat)

    client.post(reverse("admin:review_consensus_reopen", args=[consensus.pk]), {"reason": ""})
    consensus.refresh_from_db()
    assert consensus.state == ConsensusState.RECORDED

    response = client.post(reverse("admin:review_consensus_reopen", args=[consensus.pk]), {"reason": "分数录入有误"})

    assert response.status_code == 302
    consensus.refresh_from_db()
    assert consensus.state == ConsensusState.DRAFT
    assert AuditEvent.objects.get(action="consensus.reopened").actor == secretariat


def test_admin_change_page_lists_the_items_and_the_report(client, reported, secretariat):
    _world, consensus = reported
    client.force_login(secretariat)

    response = client.get(reverse("admin:review_consensus_change", args=[consensus.pk]))

    content = response.content.decode()
    assert response.status_code == 200
    assert reverse("admin:review_consensus_report", args=[consensus.pk]) in content
    assert reverse("admin:review_consensus_regenerate_report", args=[consensus.pk]) in content
    assert content.count("4.7.7") >= 1


def test_admin_regenerates_the_report(client, reported, secretariat, django_capture_on_commit_callbacks):
    _world, consensus = reported
    client.force_login(secretariat)
    before = consensus.report_generated_at

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("admin:review_consensus_regenerate_report", args=[consensus.pk]))

    assert response.status_code == 302
    consensus.refresh_from_db()
    assert consensus.report_generated_at > before
    admin_download = client.get(reverse("admin:review_consensus_report", args=[consensus.pk]))
    assert body(admin_download)[:5] == b"%PDF-"


# --- query counts ---


@pytest.mark.parametrize("experts", [5, 7])
def test_aggregation_page_queries_fixed(client, django_assert_num_queries, experts):
    world = scored_panel(experts=experts)
    world.submit_all(percents=[40, 50, 60, 70, 75, 80, 85][:experts])
    client.force_login(world.leader.expert.user)
    client.post(consensus_url(world), form_data(world))

    # The session and the user, a savepoint pair (ATOMIC_REQUESTS), the expert, the leader's seat, the dossier;
    # the items, the accepted seats, their conflicts, the submitted sheets, their scores, the consensus and its
    # items; the user's roles (the menu); the session saved again inside its own savepoint pair.
    with django_assert_num_queries(18):
        response = client.get(consensus_url(world))

    assert len(response.context["summed"].reviewers) == experts


@pytest.mark.parametrize("dossiers", [1, 3])
def test_panel_overview_queries_fixed(client, django_assert_num_queries, dossiers):
    world = scored_panel(experts=5)
    for _ in range(dossiers - 1):
        PanelDossierFactory(panel=world.panel)
    world.submit_all()
    client.force_login(world.leader.expert.user)

    # The session and the user, a savepoint pair (ATOMIC_REQUESTS), the expert, the leader's seat; the dossiers,
    # the accepted seats, their conflicts, the on-site teams, the submitted sheets, the consensuses; the user's
    # roles (the menu); the session saved again inside its own savepoint pair.
    with django_assert_num_queries(16):
        response = client.get(panel_url(world))

    assert len(response.context["overview"]) == dossiers
