"""The e-mail on the eligibility decision: eligible, ineligible (articles, note), correction (sections, date).

Assertions are on the data the e-mail must carry (numbers, articles, section names, note, date). Where a sentence
is checked, it is looked up in the catalog first, so the test holds before and after the translation is added.
"""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.utils import timezone, translation
from django.utils.formats import date_format

from applications import notifications
from applications.enums import DossierSectionKey, DossierState, EligibilityDecisionKind
from applications.models import Dossier
from applications.services import eligibility_decide
from mayor_award.core.enums import CyclePhase
from mayor_award.core.models import AuditEvent
from tests.factories.applications import (
    DossierFactory,
    EligibilityDecisionFactory,
    MembershipFactory,
    OrganisationFactory,
)
from tests.factories.core import CycleFactory

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
ELIGIBLE_SENTENCE = (
    "Decision: the application is eligible. It goes on to the material review; the secretariat will inform you of "
    "the next steps."
)


def in_chinese(message: str) -> str:
    with translation.override("zh-hans"):
        return translation.gettext(message)


def section_label(key) -> str:
    with translation.override("zh-hans"):
        return str(DossierSectionKey(key).label)


@pytest.fixture
def dossier():
    """A submitted dossier in a cycle under eligibility review; its organisation has one active user."""
    dossier = DossierFactory(
        submitted=True,
        cycle=CycleFactory(number=42, title="第四十二届漯河市市长质量奖", phase=CyclePhase.ELIGIBILITY),
    )
    MembershipFactory(organisation=dossier.organisation, user__email="quality@org.example.com")
    return dossier


def only_message():
    assert len(mail.outbox) == 1, [message.subject for message in mail.outbox]
    return mail.outbox[0]


def test_eligible(dossier):
    decision = EligibilityDecisionFactory(dossier=dossier)

    assert notifications.eligibility_decision_mail(decision_id=decision.pk) is True

    message = only_message()
    assert message.to == ["quality@org.example.com", dossier.organisation.contact_email]
    assert dossier.number in message.subject
    assert dossier.number in message.body
    assert "第四十二届漯河市市长质量奖" in message.body
    assert f"/portal/dossiers/{dossier.pk}/" in message.body
    assert in_chinese(ELIGIBLE_SENTENCE) in message.body


def test_ineligible_names_the_articles_and_the_note(dossier):
    decision = EligibilityDecisionFactory(
        dossier=dossier, ineligible=True, articles=["8(1)", "9(3)"], note="2024年发生一般质量事故。"
    )

    notifications.eligibility_decision_mail(decision_id=decision.pk)

    body = only_message().body
    assert "第八条第一项" in body and "第九条第三项" in body
    assert "2024年发生一般质量事故。" in body
    assert (
        in_chinese("Decision: the application is not eligible. It does not meet these articles of the Measures:")
        in body
    )
    assert in_chinese(ELIGIBLE_SENTENCE) not in body


def test_correction_names_the_reopened_sections_and_the_date(dossier):
    until = dt.datetime(2026, 7, 10, 17, 0, tzinfo=SHANGHAI)
    Dossier.objects.filter(pk=dossier.pk).update(
        state=DossierState.CORRECTION,
        correction_sections=[DossierSectionKey.RESULTS, DossierSectionKey.ATTACHMENTS],
        correction_until=until,
    )
    decision = EligibilityDecisionFactory(
        dossier=dossier,
        correction=True,
        note="请补充2023年纳税证明。",
        correction_sections=[DossierSectionKey.RESULTS, DossierSectionKey.ATTACHMENTS],
        correction_until=until,
    )

    with translation.override("en"), timezone.override(dt.UTC):  # the task's own language and time zone
        notifications.eligibility_decision_mail(decision_id=decision.pk)

    body = only_message().body
    assert section_label(DossierSectionKey.RESULTS) in body
    assert section_label(DossierSectionKey.ATTACHMENTS) in body
    assert section_label(DossierSectionKey.BASICS) not in body
    assert "2026年7月10日 17:00" in body  # Chinese date format, Beijing time
    assert "请补充2023年纳税证明。" in body


def test_the_correction_terms_are_those_of_the_decision_even_after_resubmission(
    dossier, secretariat, django_capture_on_commit_callbacks
):
    """The service decides; the applicant resubmits before the queued e-mail goes out; it still names the terms."""
    until = timezone.now() + dt.timedelta(days=10)
    with django_capture_on_commit_callbacks() as callbacks:
        decision = eligibility_decide(
            dossier=dossier,
            kind=EligibilityDecisionKind.CORRECTION,
            by=secretariat,
            note="请补正。",
            correction_sections=[DossierSectionKey.SELF_ASSESSMENT],
            correction_until=until,
        )
    dossier.refresh_from_db()
    dossier.state, dossier.correction_sections, dossier.correction_until = DossierState.SUBMITTED, [], None
    dossier.save()

    for callback in callbacks:
        callback()

    body = only_message().body
    assert section_label(DossierSectionKey.SELF_ASSESSMENT) in body
    with translation.override("zh-hans"), timezone.override(SHANGHAI):
        assert date_format(timezone.localtime(until), "DATETIME_FORMAT") in body
    assert AuditEvent.objects.filter(action=notifications.DECISION_MAILED, data__decision=decision.pk).count() == 1


def test_the_service_queues_the_mail_on_commit(dossier, secretariat, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        eligibility_decide(dossier=dossier, kind=EligibilityDecisionKind.ELIGIBLE, by=secretariat)

    assert dossier.number in only_message().body


def test_mailing_twice_sends_one_email(dossier):
    decision = EligibilityDecisionFactory(dossier=dossier, ineligible=True)

    assert notifications.eligibility_decision_mail(decision_id=decision.pk) is True
    assert notifications.eligibility_decision_mail(decision_id=decision.pk) is True

    only_message()
    [event] = AuditEvent.objects.filter(action=notifications.DECISION_MAILED, object_id=str(dossier.pk))
    assert event.data["decision"] == decision.pk
    assert event.data["kind"] == EligibilityDecisionKind.INELIGIBLE


def test_each_decision_is_mailed_once(dossier):
    first = EligibilityDecisionFactory(dossier=dossier, ineligible=True)
    second = EligibilityDecisionFactory(dossier=dossier)

    for decision in (first, second, first, second):
        notifications.eligibility_decision_mail(decision_id=decision.pk)

    assert len(mail.outbox) == 2


def test_a_deleted_decision_sends_nothing():
    assert notifications.eligibility_decision_mail(decision_id=987654) is False
    assert mail.outbox == []


def test_recipients_are_active_users_and_the_contact_address_each_once(dossier):
    organisation = dossier.organisation
    MembershipFactory(organisation=organisation, user__email=organisation.contact_email.upper())
    MembershipFactory(organisation=organisation, user__email="left@org.example.com", user__is_active=False)
    MembershipFactory(organisation=organisation, user__email="")

    assert notifications.organisation_recipients(organisation) == [
        "quality@org.example.com",
        organisation.contact_email.upper(),
    ]


def test_the_factories_make_valid_organisations():
    """Other tests rely on OrganisationFactory passing the model's validators (统一社会信用代码 included)."""
    for organisation in OrganisationFactory.create_batch(3):
        organisation.full_clean()
