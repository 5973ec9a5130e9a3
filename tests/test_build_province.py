"""manage.py build_province (省级规模数据): a small province for each --until, its counts and consistency, and the
pages its sample users open."""

import io
import json

import pytest
from django.core.management import call_command
from django.db.models import Count, Max, Min, Q, Sum
from django.urls import reverse

from applications.enums import DossierState
from applications.models import Attachment, Dossier, DossierSection
from applications.sections import missing_sections
from committee.models import Award, BallotReceipt, Certificate, ProposedList, VoteCount, VotingSession
from mayor_award.core.enums import CyclePhase
from mayor_award.core.models import Cycle, User
from review.enums import ReviewStage, SheetState
from review.models import Candidate, Conflict, Consensus, ItemScore, PanelDossier, Pledge, ScoreSheet, Seat

SMALL = {"dossiers": 30, "industries": 3, "experts": 14, "panel_size": 5, "committee": 5}
ITEMS = 23


def build(until: str, tag: str) -> dict:
    out = io.StringIO()
    call_command("build_province", until=until, tag=tag, stdout=out, **SMALL)
    lines = out.getvalue().splitlines()
    assert lines[-1].startswith("BUILD ")
    return json.loads(lines[-1].removeprefix("BUILD "))


def login(client, username):
    client.force_login(User.objects.get(username=username))
    return client


def assert_pages(client, username, *urls):
    login(client, username)
    for url in urls:
        assert client.get(url).status_code == 200, url
    client.logout()


def assert_panels_consistent(cycle):
    dossiers = Dossier.objects.filter(cycle=cycle)
    assert PanelDossier.objects.filter(panel__cycle=cycle).count() == dossiers.count() == SMALL["dossiers"]
    assert not dossiers.annotate(on_panels=Count("panel_assignment")).exclude(on_panels=1).exists()
    seats = Seat.objects.filter(panel__cycle=cycle)
    assert seats.filter(status="accepted").count() == seats.count()
    assert seats.filter(is_leader=True).count() == cycle.panels.count()
    assert Pledge.objects.filter(cycle=cycle).count() == seats.values("expert").distinct().count()
    # Conflicts respected: no expert sits on a panel that reviews an organisation they are in conflict with.
    for seat in seats.select_related("panel"):
        organisations = seat.panel.dossiers.values_list("organisation_id", flat=True)
        assert not Conflict.objects.filter(expert_id=seat.expert_id, organisation_id__in=organisations).exists()


def assert_sheets_consistent(cycle, stage, state, expected_sheets):
    sheets = ScoreSheet.objects.filter(dossier__cycle=cycle, stage=stage)
    assert sheets.count() == expected_sheets
    assert not sheets.exclude(state=state).exists()
    per_sheet = sheets.annotate(rows=Count("items")).aggregate(low=Min("rows"), high=Max("rows"))
    assert per_sheet == {"low": ITEMS, "high": ITEMS}
    scores = ItemScore.objects.filter(sheet__in=sheets)
    assert scores.count() == expected_sheets * ITEMS
    bounds = scores.aggregate(low=Min("percent"), high=Max("percent"))
    assert 0 <= bounds["low"] <= bounds["high"] <= 100
    assert not scores.filter(Q(percent__isnull=True) | Q(strengths="") | Q(opportunities="")).exists()
    assert {percent % cycle.score_step for percent in scores.values_list("percent", flat=True).distinct()} == {0}


@pytest.mark.django_db
def test_build_until_material_review_leaves_draft_sheets_to_score(client):
    result = build("material_review", "bpm")
    cycle = Cycle.objects.get(pk=result["cycle_id"])
    samples = result["samples"]
    assert cycle.phase == CyclePhase.MATERIAL_REVIEW
    assert cycle.title.startswith("bpm ")
    assert result["counts"]["dossiers"] == SMALL["dossiers"]
    assert User.objects.filter(username__startswith="bpm-").count() == 1 + 30 + 14
    dossiers = Dossier.objects.filter(cycle=cycle)
    assert not dossiers.exclude(state=DossierState.ELIGIBLE).exists()
    assert DossierSection.objects.filter(dossier__cycle=cycle).count() == 30 * 5
    assert Attachment.objects.filter(dossier__cycle=cycle).count() >= 30
    assert missing_sections(dossiers.first()) == []
    assert_panels_consistent(cycle)
    seats = Seat.objects.filter(panel__cycle=cycle).count()
    assert_sheets_consistent(cycle, ReviewStage.MATERIAL, SheetState.DRAFT, seats * 30 // cycle.panels.count())
    assert not Consensus.objects.filter(dossier__cycle=cycle).exists()

    sheet = ScoreSheet.objects.get(pk=samples["sheet_id"])
    assert sheet.seat.expert.user.username == samples["expert"] and sheet.seat.is_leader
    score_url = reverse("review:score", kwargs={"pk": samples["sheet_dossier_id"], "stage": "material"})
    assert_pages(
        client,
        samples["expert"],
        reverse("review:dashboard"),
        score_url,
        reverse("review:dossier", kwargs={"pk": samples["sheet_dossier_id"]}),
        reverse("review:panel", kwargs={"pk": samples["panel_id"]}),
    )
    login(client, samples["expert"])
    item = ItemScore.objects.filter(sheet=sheet).select_related("item").first()
    autosave = reverse(
        "review:score-item", kwargs={"pk": sheet.dossier_id, "stage": "material", "code": item.item.code}
    )
    new_percent = 100 if item.percent != 100 else 95
    assert client.post(autosave, {f"p_{item.item.code}": str(new_percent)}).status_code == 200
    item.refresh_from_db()
    assert item.percent == new_percent
    client.logout()
    assert_pages(client, samples["applicant"], reverse("applications:dashboard"))
    assert_pages(
        client,
        samples["secretariat"],
        reverse("admin:review_dashboard", kwargs={"cycle_pk": cycle.pk}),
        reverse("admin:applications_dossier_changelist"),
    )


@pytest.mark.django_db
def test_build_until_deliberation_leaves_the_vote_open(client):
    result = build("deliberation", "bpd")
    cycle = Cycle.objects.get(pk=result["cycle_id"])
    samples = result["samples"]
    assert cycle.phase == CyclePhase.DELIBERATION
    assert_panels_consistent(cycle)
    seats_per_dossier = Seat.objects.filter(panel__cycle=cycle).count() * 30 // cycle.panels.count()
    for stage in ReviewStage:
        assert_sheets_consistent(cycle, stage, SheetState.SUBMITTED, seats_per_dossier)
        assert Consensus.objects.filter(dossier__cycle=cycle, stage=stage, state="recorded").count() == 30
    assert Candidate.objects.filter(panel__cycle=cycle).count() == 30
    assert not Dossier.objects.filter(cycle=cycle).exclude(state=DossierState.CANDIDATE).exists()

    session = VotingSession.objects.get(cycle=cycle)
    assert session.is_open
    receipts = BallotReceipt.objects.filter(session=session).count()
    assert receipts == SMALL["committee"] - 1 == result["counts"]["ballots"]
    counts = VoteCount.objects.filter(session=session)
    assert counts.count() == 30
    for count in counts:
        assert count.approvals + count.disapprovals + count.abstentions == receipts
    assert counts.aggregate(total=Sum("approvals"))["total"] <= receipts * session.max_approvals
    assert samples["committee_voted"] and samples["committee_not_voted"]

    assert_pages(client, samples["committee_not_voted"], reverse("committee:home"), reverse("committee:ballot"))
    assert_pages(client, samples["committee_voted"], reverse("committee:home"))
    assert_pages(
        client,
        samples["expert"],
        reverse("review:dashboard"),
        reverse("review:candidates", kwargs={"pk": samples["panel_id"]}),
    )


@pytest.mark.django_db
def test_build_until_announced_grants_awards_with_certificates(client):
    result = build("announced", "bpa")
    cycle = Cycle.objects.get(pk=result["cycle_id"])
    samples = result["samples"]
    assert cycle.phase == CyclePhase.ANNOUNCED
    assert ProposedList.objects.get(cycle=cycle).is_confirmed
    awards = Award.objects.filter(cycle=cycle)
    assert 1 <= awards.count() <= cycle.award_quota
    winners = Dossier.objects.filter(cycle=cycle, state=DossierState.AWARDED)
    assert set(winners.values_list("pk", flat=True)) == set(awards.values_list("dossier_id", flat=True))
    assert Dossier.objects.filter(cycle=cycle, state=DossierState.NOT_AWARDED).count() == 30 - awards.count()
    certificates = Certificate.objects.filter(award__cycle=cycle)
    assert certificates.count() == awards.count()
    assert not certificates.filter(pdf="").exists()
    assert BallotReceipt.objects.filter(session__cycle=cycle).count() == SMALL["committee"]

    assert_pages(
        client,
        samples["applicant"],
        reverse("applications:dashboard"),
        reverse("applications:dossier", kwargs={"pk": samples["dossier_id"]}),
    )
    assert_pages(
        client,
        samples["secretariat"],
        reverse("admin:review_dashboard", kwargs={"cycle_pk": cycle.pk}),
        reverse("admin:applications_dossier_changelist"),
    )
    for url in (
        reverse("home"),
        reverse("committee:winners"),
        reverse("committee:verify", kwargs={"serial": samples["certificate_serial"]}),
        reverse("committee:publicity", kwargs={"cycle": cycle.number}),
    ):
        assert client.get(url).status_code == 200, url
