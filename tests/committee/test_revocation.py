"""Revocation (撤销, Art. 22) after the city government's approval, and the bars it and a win leave behind in the
eligibility module: fraud bars cycles W+1..W+3 (Art. 9(5)), and so does a win (Art. 25); W+4 is free."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format

from applications.eligibility import Code, Outcome
from applications.enums import DossierState
from applications.models import MisconductFinding
from applications.services import dossier_precheck
from committee import services_awards
from committee.enums_awards import PaymentState, RevocationState
from committee.models import Certificate, RevocationCase
from committee.tasks_awards import task_render_certificate
from mayor_award.core.enums import NoticeKind, NoticeState
from mayor_award.core.models import AuditEvent
from mayor_award.core.services import notice_publish
from tests.factories.applications import DossierFactory, MembershipFactory
from tests.factories.committee_awards import announce, approved_cycle, pdf_upload
from tests.factories.core import CycleFactory


@pytest.fixture(autouse=True)
def _english(client, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def paid_award(secretariat_user):
    """A winner of cycle 11 whose prize was paid."""
    cycle = approved_cycle(proposed=1, spare=0, number=11).cycle
    (award,) = announce(cycle, by=secretariat_user)
    return services_awards.award_update(
        award=award,
        same_year_award="",
        same_year_confirmed=None,
        same_year_note="",
        paid_on=timezone.localdate(),
        plaque_handed_on=timezone.localdate(),
        by=secretariat_user,
    )


def _open(award, by):
    return services_awards.revocation_open(
        award=award, reason="申报材料财务数据造假。", evidence="审计报告与申报数据不符。", by=by
    )


def _approve(case, by):
    return services_awards.revocation_approve(
        case=case,
        approved_on=timezone.localdate(),
        reference="漯政文〔2027〕5号",
        upload=pdf_upload("批复.pdf"),
        kind="pdf",
        by=by,
    )


@pytest.mark.django_db
def test_an_open_case_changes_nothing_until_the_city_government_approves(paid_award, secretariat_user):
    case = _open(paid_award, secretariat_user)

    paid_award.refresh_from_db()
    assert case.state == RevocationState.OPEN
    assert paid_award.revoked_at is None
    assert paid_award.dossier.state == DossierState.AWARDED
    assert MisconductFinding.objects.count() == 0


@pytest.mark.django_db
def test_approval_revokes_the_award_and_records_everything_that_follows(paid_award, secretariat_user):
    case = _approve(_open(paid_award, secretariat_user), secretariat_user)

    paid_award.refresh_from_db()
    paid_award.dossier.refresh_from_db()
    assert case.state == RevocationState.REVOKED
    assert paid_award.is_revoked
    assert paid_award.dossier.state == DossierState.REVOKED
    assert case.recovery_due == Decimal("500000.00")
    assert (case.misconduct.organisation, case.misconduct.cycle) == (paid_award.organisation, paid_award.cycle)
    assert (case.notice.kind, case.notice.state) == (NoticeKind.REVOCATION, NoticeState.DRAFT)
    assert paid_award.organisation.name in case.notice.body
    assert AuditEvent.objects.get(action="revocation.approved").data["reference"] == "漯政文〔2027〕5号"


@pytest.mark.django_db
def test_an_unpaid_prize_is_cancelled_not_recovered(secretariat_user):
    (award,) = announce(approved_cycle(proposed=1, spare=0).cycle, by=secretariat_user)

    case = _approve(_open(award, secretariat_user), secretariat_user)

    award.refresh_from_db()
    assert case.recovery_due == 0
    assert award.payment_state == PaymentState.CANCELLED


@pytest.mark.django_db
def test_approval_date_cannot_be_in_the_future(paid_award, secretariat_user):
    case = _open(paid_award, secretariat_user)

    with pytest.raises(services_awards.AwardError, match="between the opening of the case and today"):
        services_awards.revocation_approve(
            case=case,
            approved_on=timezone.localdate() + dt.timedelta(days=1),
            reference="漯政文〔2027〕5号",
            upload=pdf_upload(),
            kind="pdf",
            by=secretariat_user,
        )


@pytest.mark.django_db
def test_revocation_notice_is_published_at_its_time(paid_award, secretariat_user):
    case = _approve(_open(paid_award, secretariat_user), secretariat_user)

    notice = services_awards.revocation_notice_schedule(case=case, by=secretariat_user)
    notice_publish(notice_id=notice.pk)

    notice.refresh_from_db()
    assert notice.state == NoticeState.PUBLISHED


@pytest.mark.django_db
def test_recovery_is_tracked(paid_award, secretariat_user):
    case = _approve(_open(paid_award, secretariat_user), secretariat_user)
    today = timezone.localdate()

    case = services_awards.revocation_recovery_record(
        case=case,
        received=Decimal("200000"),
        received_on=today,
        plaque_recovered_on=today,
        certificate_recovered_on=None,
        by=secretariat_user,
    )

    assert case.recovery_outstanding == Decimal("300000")
    with pytest.raises(services_awards.AwardError, match="between 0 and the prize to recover"):
        services_awards.revocation_recovery_record(
            case=case,
            received=Decimal("600000"),
            received_on=today,
            plaque_recovered_on=None,
            certificate_recovered_on=None,
            by=secretariat_user,
        )


@pytest.mark.django_db
def test_a_rejected_case_leaves_the_award_standing(paid_award, secretariat_user):
    case = services_awards.revocation_reject(
        case=_open(paid_award, secretariat_user), note="市政府未批准。", by=secretariat_user
    )

    paid_award.refresh_from_db()
    assert case.state == RevocationState.REJECTED
    assert not paid_award.is_revoked
    assert _open(paid_award, secretariat_user).state == RevocationState.OPEN  # a new case may follow


@pytest.mark.django_db
def test_one_open_case_per_award(paid_award, secretariat_user):
    _open(paid_award, secretariat_user)

    with pytest.raises(services_awards.AwardError, match="already open"):
        _open(paid_award, secretariat_user)


@pytest.mark.django_db
def test_revoked_certificate_shows_revoked_on_the_verify_page(client, paid_award, secretariat_user):
    task_render_certificate.delay(award_id=paid_award.pk)
    _approve(_open(paid_award, secretariat_user), secretariat_user)
    task_render_certificate.delay(award_id=paid_award.pk)  # what the approval schedules after its commit
    certificate = Certificate.objects.get(award=paid_award)

    response = client.get(reverse("committee:verify", kwargs={"serial": certificate.serial}))

    page = response.content.decode()
    paid_award.refresh_from_db()
    revoked_on = date_format(timezone.localtime(paid_award.revoked_at), "DATE_FORMAT")
    assert response.status_code == 200
    assert f"Revoked on {revoked_on}" in page
    assert 'class="alert alert-danger" id="certificate-status"' in page
    assert certificate.rendered_revoked
    assert certificate.pdf.name.endswith("-revoked.pdf")


@pytest.mark.django_db
def test_winner_cannot_download_a_revoked_certificate(client, paid_award, secretariat_user):
    task_render_certificate.delay(award_id=paid_award.pk)
    _approve(_open(paid_award, secretariat_user), secretariat_user)
    serial = Certificate.objects.get(award=paid_award).serial
    client.force_login(MembershipFactory(organisation=paid_award.organisation).user)

    response = client.get(reverse("committee:certificate", kwargs={"serial": serial}))

    assert response.status_code == 404


# --- the bars, end to end through the eligibility pre-check ---


def _finding(organisation, cycle_number, code):
    cycle = CycleFactory(number=cycle_number)
    dossier = DossierFactory(cycle=cycle, organisation=organisation)
    return next(f for f in dossier_precheck(dossier) if f.code == code)


@pytest.mark.django_db
def test_fraud_bars_the_organisation_for_the_next_three_cycles_and_not_the_fourth(paid_award, secretariat_user):
    _approve(_open(paid_award, secretariat_user), secretariat_user)
    organisation = paid_award.organisation

    outcomes = {n: _finding(organisation, n, Code.FRAUD).outcome for n in (12, 13, 14, 15)}

    assert paid_award.cycle.number == 11
    assert outcomes == {12: Outcome.FAIL, 13: Outcome.FAIL, 14: Outcome.FAIL, 15: Outcome.PASS}


@pytest.mark.django_db
def test_winner_is_barred_for_the_next_three_cycles_and_not_the_fourth(paid_award):
    organisation = paid_award.organisation

    outcomes = {n: _finding(organisation, n, Code.BARRED).outcome for n in (12, 13, 14, 15)}
    later = _finding(organisation, 16, Code.REPEAT)

    assert outcomes == {12: Outcome.FAIL, 13: Outcome.FAIL, 14: Outcome.FAIL, 15: Outcome.PASS}
    assert later.outcome == Outcome.PASS  # it may apply again, as a repeat winner (Art. 25)


@pytest.mark.django_db
def test_secretariat_revokes_through_the_admin(client, paid_award, secretariat_user):
    client.force_login(secretariat_user)
    client.post(
        reverse("admin:committee_revocationcase_add"),
        {"award": paid_award.pk, "reason": "材料造假。", "evidence": "审计报告。"},
    )
    case = RevocationCase.objects.get()

    response = client.post(
        reverse("admin:committee_revocationcase_approve", args=[case.pk]),
        {"approved_on": timezone.localdate().isoformat(), "reference": "漯政文〔2027〕5号", "document": pdf_upload()},
    )

    case.refresh_from_db()
    assert response.status_code == 302
    assert case.state == RevocationState.REVOKED
