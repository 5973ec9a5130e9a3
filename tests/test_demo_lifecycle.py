"""The demo's finished cycles: the third (2024) run through every phase to its certificates, the second (2022) with
its award revoked for fraud; the fourth stays in its eligibility review; a second run adds nothing.

One seeding (with the work queued for after the commit executed, as `manage.py seed_demo` does: receipts, report
PDFs, minutes) answers every question; it takes a while, so the checks share it.
"""

import datetime as dt
import io

import pytest
from django.apps import apps
from django.core.management import call_command
from django.utils import timezone

from applications.demo import ORGANISATIONS
from applications.enums import DossierState
from applications.models import Dossier, MisconductFinding
from committee.enums_awards import ObjectionState, PrizeRule, RevocationState
from committee.enums_voting import ListState, SessionState
from committee.models import Award, Certificate, Objection, ProposedList, Publicity, RevocationCase, VotingSession
from mayor_award.core.enums import CyclePhase, NoticeKind, NoticeState
from mayor_award.core.lifecycle import PHASE_ORDER, publicity_days
from mayor_award.core.models import AuditEvent, Cycle
from review.demo_history import BAIHUO, HENGRUI, HONGYUAN, JIAHE, RENHE, SHUANGHUI, YINGE
from review.enums import ConsensusState, ReviewStage, SheetState
from review.models import Candidate, Consensus, OnsiteSelection, ScoreSheet

pytestmark = pytest.mark.django_db

WINNERS = [HENGRUI, RENHE, JIAHE]  # in ranking order


def seed():
    call_command("seed_demo", stdout=io.StringIO())


def row_counts():
    return {model._meta.label: model._default_manager.count() for model in apps.get_models()}


@pytest.fixture
def seeded(settings, django_capture_on_commit_callbacks):
    settings.DEBUG = True
    with django_capture_on_commit_callbacks(execute=True):
        seed()


def phases_passed(cycle):
    events = AuditEvent.objects.filter(action="cycle.phase_changed", object_id=str(cycle.pk)).order_by("pk")
    return [event.data["to"] for event in events.filter(object_type="core.cycle")]


def test_the_demo_runs_the_past_cycles_through_every_phase_and_a_second_run_adds_nothing(seeded, client):
    third, second = Cycle.objects.get(number=3), Cycle.objects.get(number=2)
    assert (third.year, third.phase, second.year, second.phase) == (2024, CyclePhase.CLOSED, 2022, CyclePhase.CLOSED)
    assert phases_passed(third) == [phase.value for phase in PHASE_ORDER[1:]]
    assert Cycle.objects.get(number=4).phase == CyclePhase.ELIGIBILITY
    assert abs(timezone.now() - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=1)  # the demo's clock is put back

    # Applications, panels and scores, on the cycle's own dates.
    dossiers = Dossier.objects.filter(cycle=third)
    assert {d.submitted_at.year for d in dossiers} == {2024}
    assert dossiers.get(organisation__name=YINGE).state == DossierState.NOT_SELECTED
    assert OnsiteSelection.objects.filter(panel__cycle=third, outcome="not_selected").count() == 1
    for panel in third.panels.all():
        assert panel.seats.filter(status="accepted").count() >= 5
    sheets = ScoreSheet.objects.filter(dossier__cycle=third)
    assert sheets.filter(stage=ReviewStage.MATERIAL, state=SheetState.SUBMITTED).count() == 6 * 5
    assert sheets.filter(stage=ReviewStage.ONSITE, state=SheetState.SUBMITTED).count() == 5 * 5
    assert sheets.exclude(state=SheetState.SUBMITTED).count() == 0
    percents = set(sheets.values_list("items__percent", flat=True))
    assert len(percents) > 5 and all(p % 5 == 0 for p in percents)
    assert not sheets.filter(items__strengths="").exists() and sheets.filter(items__strengths__contains="方法").exists()
    consensuses = Consensus.objects.filter(dossier__cycle__number__in=(2, 3))
    assert consensuses.count() == consensuses.filter(state=ConsensusState.RECORDED).count() == 6 + 5 + 2 + 2
    for consensus in consensuses:
        assert consensus.report_pdf and consensus.report_pdf.storage.exists(consensus.report_pdf.name), consensus
    assert Candidate.objects.filter(panel__cycle=third).count() == 5

    # The committee's vote, the ranking and the proposed list.
    session = VotingSession.objects.get(cycle=third)
    assert (session.state, session.ballots_cast, session.members_eligible) == (SessionState.CLOSED, 8, 9)
    assert session.minutes_pdf
    proposed_list = ProposedList.objects.get(cycle=third)
    assert proposed_list.state == ListState.CONFIRMED and proposed_list.approval is not None
    entries = {entry.candidate.dossier.organisation.name: entry for entry in proposed_list.entries.all()}
    assert [name for name, entry in sorted(entries.items(), key=lambda item: item[1].position) if entry.proposed] == (
        WINNERS
    )
    assert entries[BAIHUO].reasons == ["not_passed"] and entries[SHUANGHUI].reasons == ["min_score"]

    # Publicity with a dismissed objection, the mayor's approval, the announcement.
    publicity = Publicity.objects.get(cycle=third)
    assert publicity.notice.state == NoticeState.PUBLISHED
    assert publicity_days(publicity.starts_on, publicity.ends_on) == 7
    objection = Objection.objects.get(cycle=third)
    assert (objection.state, objection.candidate.dossier.organisation.name) == (ObjectionState.DISMISSED, JIAHE)
    assert objection.reply and objection.reply_mailed_at is not None
    assert third.notices.get(kind=NoticeKind.AWARD_ANNOUNCEMENT).state == NoticeState.PUBLISHED

    # Awards, prizes and certificates.
    awards = {award.organisation.name: award for award in Award.objects.filter(cycle=third)}
    assert sorted(awards) == sorted(WINNERS)
    assert (awards[HENGRUI].prize_amount, awards[HENGRUI].prize_rule) == (0, PrizeRule.SAME_YEAR)
    assert all(awards[name].paid_on and awards[name].prize_amount == 500000 for name in (RENHE, JIAHE))
    assert {c.serial for c in Certificate.objects.filter(award__cycle=third)} == {f"LHZLJ-2024-0{n}" for n in (1, 2, 3)}
    for certificate in Certificate.objects.all():
        assert certificate.pdf and certificate.is_current, certificate.serial
    assert set(Dossier.objects.filter(cycle=third, state=DossierState.AWARDED).values_list("pk", flat=True)) == {
        award.dossier_id for award in awards.values()
    }

    # The second cycle's award, revoked for fraud, with the misconduct finding and the notice.
    revoked = Award.objects.get(revoked_at__isnull=False)
    assert (revoked.cycle, revoked.organisation.name, revoked.award_year) == (second, HONGYUAN, 2022)
    case = RevocationCase.objects.get(award=revoked)
    assert case.state == RevocationState.REVOKED and case.notice.state == NoticeState.PUBLISHED
    assert case.recovery_received == case.recovery_due == 500000
    assert MisconductFinding.objects.get(organisation=revoked.organisation).cycle == second
    assert revoked.certificate.rendered_revoked

    # Barred organisations (Art. 9(5), 25) do not apply in the fourth cycle; its twelve applicants are unchanged.
    barred = [*WINNERS, HONGYUAN]
    assert not Dossier.objects.filter(cycle__number=4, organisation__name__in=barred).exists()
    assert Dossier.objects.filter(cycle__number=4).count() == len(ORGANISATIONS)

    # The public pages.
    response = client.get("/verify/LHZLJ-2024-02/")
    assert response.status_code == 200 and RENHE in response.content.decode()
    response = client.get(f"/verify/{revoked.certificate.serial}/")
    assert response.status_code == 200 and HONGYUAN in response.content.decode()
    assert client.get("/verify/LHZLJ-2024-09/").status_code == 404
    winners_page = client.get("/winners/").content.decode()
    assert all(name in winners_page for name in [*WINNERS, HONGYUAN])
    assert client.get("/publicity/3/").status_code == 200

    first = row_counts()
    seed()
    assert row_counts() == first
