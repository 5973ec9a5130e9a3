"""The applications services called directly: registration, the section lock, numbering, withdrawal, decisions.

Each service is exercised on rows from the factories; where a service refuses, the test checks the message (in
Chinese, looked up in the catalog) and that nothing changed.
"""

import datetime as dt
import threading
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone, translation

from applications import sections, services
from applications.enums import DossierState, EligibilityDecisionKind
from applications.models import Dossier, EligibilityDecision, Invitation, Membership, Organisation
from mayor_award.celery import app as celery_app
from mayor_award.core.enums import CyclePhase, Role
from mayor_award.core.models import AuditEvent, User
from tests.conftest import postgres_in_use, require
from tests.factories.applications import (
    AttachmentFactory,
    DossierFactory,
    MembershipFactory,
    OrganisationFactory,
    valid_credit_code,
)
from tests.factories.core import PASSWORD, CycleFactory, UserFactory

pytestmark = pytest.mark.django_db

COMPLETE_ATTACHMENTS = ("business_licence", "self_assessment_report", "commitment_letter", "top_five_evidence")


def zh(message: str, **params) -> str:
    """A message as a user of the default language reads it."""
    with translation.override("zh-hans"):
        text = translation.gettext(message)
    return text % params if params else text


def refusal(call) -> str:
    """Run `call`, which must refuse with a DossierError, and return the message in Chinese."""
    with translation.override("zh-hans"), pytest.raises(services.DossierError) as refused:
        call()
    return str(refused.value)


def open_cycle(number=7):
    deadline = timezone.now() + dt.timedelta(days=30)
    return CycleFactory(
        number=number,
        year=timezone.localtime(deadline).year,
        phase=CyclePhase.OPEN,
        applications_open_on=timezone.localdate() - dt.timedelta(days=30),
        application_deadline=deadline,
    )


def complete_sections(cycle) -> dict:
    """Every section filled in, as the section forms clean it (a for-profit organisation)."""
    years = sections.result_years(cycle)
    return {
        "basics": {
            "excellence_model_since": dt.date(years[-1], 1, 1),
            "certificates": "ISO 9001:2015",
            "overview": "公司坚持质量第一，导入卓越绩效管理模式。",
            "competitors": ["河南某同行企业"],
            "customers": ["郑州某集团"],
            "suppliers": ["漯河某原料公司"],
        },
        "results": {
            "years": {
                str(year): {
                    "operating_revenue": Decimal(50000),
                    "total_profit_and_tax": Decimal(6000),
                    "net_profit": Decimal(3000),
                    "asset_contribution_rate": Decimal("12.5"),
                    "quality_indicators": "产品一次交验合格率99.6%",
                }
                for year in years
            },
            "top_five_indicator": "operating_revenue",
            "top_five_rank": 2,
        },
        "self_assessment": {
            "items": {
                item.code: {"narrative": f"{item.name}：方法系统，全面展开。", "percent": 55}
                for item in sections.scored_items(cycle)
            }
        },
        "declarations": {
            **dict.fromkeys(sections.DECLARATION_ARTICLES, "affirmed"),
            "licences": ["食品生产许可证"],
            "awards": [],
        },
    }


def complete_dossier(cycle, organisation=None) -> Dossier:
    """A draft started by the service, every section saved by the service, the four required PDFs attached."""
    member = MembershipFactory(organisation=organisation or OrganisationFactory())
    dossier = services.dossier_start(cycle=cycle, organisation=member.organisation, by=member.user)
    for key, data in complete_sections(cycle).items():
        services.section_save(dossier=dossier, key=key, data=data, version=0, by=member.user)
    for purpose in COMPLETE_ATTACHMENTS:
        AttachmentFactory(dossier=dossier, purpose=purpose)
    return dossier


@pytest.fixture
def cycle():
    return open_cycle()


@pytest.fixture
def member():
    return MembershipFactory()


@pytest.fixture
def dossier(cycle, member):
    return services.dossier_start(cycle=cycle, organisation=member.organisation, by=member.user)


# --- registration and invitations ---


def test_organisation_register_creates_an_inactive_applicant_with_a_membership():
    organisation = OrganisationFactory.build(credit_code=valid_credit_code(900))
    user = User(username="zhuce", name="王注册", email="wang@zhuce.example.com")

    registered = services.organisation_register(organisation=organisation, user=user, password=PASSWORD)

    registered.refresh_from_db()
    assert registered.is_active is False
    assert registered.check_password(PASSWORD) is True
    assert list(registered.groups.all()) == [Group.objects.get(name=Role.APPLICANT)]
    assert registered.membership.organisation == Organisation.objects.get(credit_code=valid_credit_code(900))
    assert list(AuditEvent.objects.values_list("action", "actor")) == [("organisation.registered", registered.pk)]


def test_organisation_register_invalid_credit_code_creates_nothing():
    body = valid_credit_code(901)[:-1]
    wrong_check = "0" if valid_credit_code(901)[-1] != "0" else "1"
    organisation = OrganisationFactory.build(credit_code=body + wrong_check)

    with pytest.raises(ValidationError) as refused:
        services.organisation_register(organisation=organisation, user=User(username="zhuce"), password=PASSWORD)

    assert [error.code for error in refused.value.error_dict["credit_code"]] == ["checksum"]
    assert Organisation.objects.count() == 0
    assert User.objects.filter(username="zhuce").exists() is False


def test_user_confirm_email_activates_once_and_audits_once():
    user = UserFactory(is_active=False)

    services.user_confirm_email(user=user)
    services.user_confirm_email(user=user)

    user.refresh_from_db()
    assert user.is_active is True
    assert list(AuditEvent.objects.values_list("action", flat=True)) == ["user.email_confirmed"]


def test_invitation_create_refuses_an_address_that_already_belongs_to_an_organisation(member):
    MembershipFactory(user__email="taken@org.example.com")

    with pytest.raises(ValidationError) as refused:
        services.invitation_create(organisation=member.organisation, email="TAKEN@org.example.com", by=member.user)

    assert refused.value.message_dict == {
        "email": [zh("A user with this e-mail address already belongs to an organisation.")]
    }
    assert Invitation.objects.count() == 0


def test_invitation_accept_twice_refused_and_creates_one_user(member):
    invitation = services.invitation_create(
        organisation=member.organisation, email="new@org.example.com", by=member.user
    )
    services.invitation_accept(invitation=invitation, user=User(username="xinren", name="新人"), password=PASSWORD)

    message = refusal(
        lambda: services.invitation_accept(
            invitation=invitation, user=User(username="xinren2", name="又一个"), password=PASSWORD
        )
    )

    assert message == zh("This invitation has already been used.")
    usernames = Membership.objects.filter(organisation=member.organisation).values_list("user__username", flat=True)
    assert sorted(usernames) == sorted([member.user.username, "xinren"])


# --- dossiers and sections ---


def test_dossier_start_twice_returns_the_same_dossier_with_five_sections(cycle, member):
    first = services.dossier_start(cycle=cycle, organisation=member.organisation, by=member.user)
    second = services.dossier_start(cycle=cycle, organisation=member.organisation, by=member.user)

    assert second == first
    assert sorted(first.sections.values_list("key", flat=True)) == sorted(sections.EDITABLE_SECTIONS)
    assert list(AuditEvent.objects.filter(action="dossier.started").values_list("object_id", flat=True)) == [
        str(first.pk)
    ]


@pytest.mark.parametrize(
    ("phase", "deadline_from_now"),
    [
        (CyclePhase.OPEN, dt.timedelta(seconds=-1)),
        (CyclePhase.ELIGIBILITY, dt.timedelta(days=30)),
        (CyclePhase.DRAFT, dt.timedelta(days=30)),
    ],
    ids=["open-after-deadline", "eligibility", "draft"],
)
def test_dossier_start_refused_when_the_cycle_does_not_accept_applications(member, phase, deadline_from_now):
    cycle = CycleFactory(number=8, phase=phase, application_deadline=timezone.now() + deadline_from_now)

    message = refusal(lambda: services.dossier_start(cycle=cycle, organisation=member.organisation, by=member.user))

    assert message == zh("This cycle does not accept applications now.")
    assert Dossier.objects.count() == 0


def test_section_save_current_version_saves_and_counts_up(dossier, member):
    section = services.section_save(
        dossier=dossier, key="basics", data={"overview": "第一稿", "competitors": ["甲"]}, version=0, by=member.user
    )

    assert section.version == 1
    assert section.updated_by == member.user
    assert section.data["overview"] == "第一稿"
    assert section.data["competitors"] == ["甲"]
    assert section.data["profile"]["credit_code"] == member.organisation.credit_code  # facts as they stood


def test_section_save_stale_version_raises_section_changed_and_keeps_the_first_save(dossier, member):
    colleague = MembershipFactory(organisation=member.organisation).user
    services.section_save(dossier=dossier, key="basics", data={"overview": "同事的版本"}, version=0, by=colleague)

    with translation.override("zh-hans"), pytest.raises(services.SectionChanged) as refused:
        services.section_save(dossier=dossier, key="basics", data={"overview": "我的版本"}, version=0, by=member.user)

    assert str(refused.value) == zh(
        "Someone else saved this section while you were editing it. Your changes were not saved: "
        "the page now shows their version; please enter your changes again."
    )
    section = dossier.sections.get(key="basics")
    assert (section.version, section.data["overview"], section.updated_by) == (1, "同事的版本", colleague)


def test_section_save_keeps_each_saved_version_in_the_section_history(dossier, member):
    services.section_save(dossier=dossier, key="basics", data={"overview": "第一稿"}, version=0, by=member.user)
    services.section_save(dossier=dossier, key="basics", data={"overview": "第二稿"}, version=1, by=member.user)

    history = dossier.sections.get(key="basics").history.filter(version__gte=1).order_by("version")
    assert [(row.version, row.data["overview"]) for row in history] == [(1, "第一稿"), (2, "第二稿")]


def test_section_save_after_the_deadline_refused_with_the_deadline_message(dossier, member, cycle):
    cycle.application_deadline = timezone.now() - dt.timedelta(seconds=1)
    cycle.save()

    message = refusal(
        lambda: services.section_save(
            dossier=dossier, key="basics", data={"overview": "迟到"}, version=0, by=member.user
        )
    )

    assert message == zh("The application deadline has passed: the dossier can no longer be changed.")
    assert dossier.sections.get(key="basics").version == 0


def test_missing_sections_of_a_complete_dossier_is_empty(cycle):
    dossier = complete_dossier(cycle)

    assert sections.missing_sections(dossier) == []


# --- submission and numbering ---


def test_dossier_submit_numbers_organisations_one_after_another(cycle):
    dossiers = [complete_dossier(cycle) for _ in range(3)]

    for dossier in dossiers:
        services.dossier_submit(dossier=dossier, by=dossier.organisation.memberships.get().user)

    numbered = Dossier.objects.filter(cycle=cycle).order_by("pk").values_list("sequence", "number", "state")
    year = cycle.year
    assert list(numbered) == [
        (1, f"LH{year}-001", DossierState.SUBMITTED),
        (2, f"LH{year}-002", DossierState.SUBMITTED),
        (3, f"LH{year}-003", DossierState.SUBMITTED),
    ]


def test_dossier_submit_numbers_continue_after_numbers_already_given(cycle):
    DossierFactory(cycle=cycle, submitted=True, sequence=7, number=f"LH{cycle.year}-007")
    dossier = complete_dossier(cycle)

    services.dossier_submit(dossier=dossier, by=dossier.organisation.memberships.get().user)

    dossier.refresh_from_db()
    assert (dossier.sequence, dossier.number) == (8, f"LH{cycle.year}-008")


def test_dossier_submit_twice_refused_and_keeps_the_number(cycle):
    dossier = complete_dossier(cycle)
    user = dossier.organisation.memberships.get().user
    services.dossier_submit(dossier=dossier, by=user)

    message = refusal(lambda: services.dossier_submit(dossier=dossier, by=user))

    dossier.refresh_from_db()
    assert message == zh("This dossier has already been submitted.")
    assert dossier.number == f"LH{cycle.year}-001"
    assert AuditEvent.objects.filter(action="dossier.submitted").count() == 1


def test_dossier_submit_records_the_precheck_and_an_audit_row(cycle):
    dossier = complete_dossier(cycle)
    user = dossier.organisation.memberships.get().user

    services.dossier_submit(dossier=dossier, by=user)

    dossier.refresh_from_db()
    assert dossier.precheck_outcome == "judgement"  # the policy and licence declarations need the secretariat
    assert [f["code"] for f in dossier.precheck_findings if f["outcome"] != "pass"] == [
        "9(1)-declaration",
        "9(2)-declaration",
    ]
    assert list(AuditEvent.objects.filter(action="dossier.submitted").values_list("actor", "data")) == [
        (user.pk, {"number": dossier.number})
    ]


@pytest.mark.django_db(transaction=True)
def test_dossier_submit_concurrent_organisations_get_distinct_sequential_numbers():
    """Five organisations submit at the same moment: select_for_update on the cycle hands out 001 to 005."""
    require(postgres_in_use(), "row locks need PostgreSQL (set DATABASE_URL); SQLite serialises writers anyway")
    cycle = open_cycle(number=9)
    dossiers = [complete_dossier(cycle) for _ in range(5)]
    users = [dossier.organisation.memberships.get().user for dossier in dossiers]
    barrier = threading.Barrier(len(dossiers))
    errors = []

    def submit(dossier, user):
        try:
            barrier.wait(timeout=10)
            services.dossier_submit(dossier=dossier, by=user)
        except Exception as error:  # collected and asserted below; a thread must not die silently
            errors.append(error)
        finally:
            connection.close()

    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = False  # the receipts are not this test's business: queued, not rendered
    try:
        threads = [threading.Thread(target=submit, args=pair) for pair in zip(dossiers, users, strict=True)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
    finally:
        celery_app.conf.task_always_eager = eager

    assert errors == []
    numbers = sorted(Dossier.objects.filter(cycle=cycle).values_list("number", flat=True))
    assert numbers == [f"LH{cycle.year}-{n:03d}" for n in range(1, 6)]


# --- withdrawal ---


def test_dossier_withdraw_blank_reason_refused(cycle):
    dossier = DossierFactory(cycle=cycle, submitted=True)

    message = refusal(lambda: services.dossier_withdraw(dossier=dossier, reason="  \n ", by=UserFactory()))

    dossier.refresh_from_db()
    assert message == zh("Please give a reason for the withdrawal.")
    assert dossier.state == DossierState.SUBMITTED


def test_dossier_withdraw_an_unnumbered_draft(dossier, member):
    services.dossier_withdraw(dossier=dossier, reason="今年不申报了", by=member.user)

    dossier.refresh_from_db()
    assert (dossier.state, dossier.number) == (DossierState.WITHDRAWN, None)


@pytest.mark.parametrize("state", [DossierState.SUBMITTED, DossierState.CORRECTION])
def test_dossier_withdraw_before_the_decision_records_state_and_reason(cycle, state):
    dossier = DossierFactory(cycle=cycle, submitted=True, state=state)
    user = UserFactory()

    services.dossier_withdraw(dossier=dossier, reason="经营调整", by=user)

    dossier.refresh_from_db()
    assert (dossier.state, dossier.withdrawal_reason) == (DossierState.WITHDRAWN, "经营调整")
    assert list(AuditEvent.objects.filter(action="dossier.withdrawn").values_list("actor", "data")) == [
        (user.pk, {"from": state, "reason": "经营调整"})
    ]


@pytest.mark.parametrize("state", [DossierState.ELIGIBLE, DossierState.INELIGIBLE, DossierState.WITHDRAWN])
def test_dossier_withdraw_after_the_decision_refused(cycle, state):
    dossier = DossierFactory(cycle=cycle, submitted=True, state=state)

    message = refusal(lambda: services.dossier_withdraw(dossier=dossier, reason="经营调整", by=UserFactory()))

    dossier.refresh_from_db()
    assert message == zh("After the eligibility decision a dossier can no longer be withdrawn.")
    assert dossier.state == state


# --- eligibility decisions ---


@pytest.fixture
def review_cycle():
    return CycleFactory(
        number=10,
        phase=CyclePhase.ELIGIBILITY,
        application_deadline=timezone.now() - dt.timedelta(days=3),
    )


@pytest.fixture
def submitted(review_cycle):
    return DossierFactory(cycle=review_cycle, submitted=True)


CORRECTION_REFUSED = "A correction request names the sections to reopen and a date in the future."


@pytest.mark.parametrize(
    ("correction_sections", "until_from_now"),
    [
        (["attachments"], None),
        (["attachments"], dt.timedelta(seconds=-1)),
        ([], dt.timedelta(days=10)),
    ],
    ids=["no-date", "date-in-the-past", "no-sections"],
)
def test_eligibility_decide_correction_without_sections_or_future_date_refused(
    submitted, secretariat, correction_sections, until_from_now
):
    until = timezone.now() + until_from_now if until_from_now is not None else None

    message = refusal(
        lambda: services.eligibility_decide(
            dossier=submitted,
            kind=EligibilityDecisionKind.CORRECTION,
            by=secretariat,
            correction_sections=correction_sections,
            correction_until=until,
        )
    )

    submitted.refresh_from_db()
    assert message == zh(CORRECTION_REFUSED)
    assert (submitted.state, submitted.correction_sections, submitted.correction_until) == (
        DossierState.SUBMITTED,
        [],
        None,
    )
    assert EligibilityDecision.objects.count() == 0


def test_eligibility_decide_correction_reopens_the_named_sections_until_the_date(submitted, secretariat):
    until = timezone.now() + dt.timedelta(days=10)

    decision = services.eligibility_decide(
        dossier=submitted,
        kind=EligibilityDecisionKind.CORRECTION,
        by=secretariat,
        correction_sections=["attachments"],
        correction_until=until,
        note="请补充许可证。",
    )

    submitted.refresh_from_db()
    assert (submitted.state, submitted.correction_sections, submitted.correction_until) == (
        DossierState.CORRECTION,
        ["attachments"],
        until,
    )
    assert (decision.correction_sections, decision.correction_until) == (["attachments"], until)
    assert services.section_is_editable(submitted, "attachments") is True
    assert services.section_is_editable(submitted, "basics") is False


def test_eligibility_decide_ineligible_without_articles_refused(submitted, secretariat):
    message = refusal(
        lambda: services.eligibility_decide(
            dossier=submitted, kind=EligibilityDecisionKind.INELIGIBLE, by=secretariat, articles=[]
        )
    )

    submitted.refresh_from_db()
    assert message == zh("Name the articles the dossier does not meet.")
    assert submitted.state == DossierState.SUBMITTED
    assert EligibilityDecision.objects.count() == 0


def test_eligibility_decide_ineligible_with_articles_records_them(submitted, secretariat):
    decision = services.eligibility_decide(
        dossier=submitted, kind=EligibilityDecisionKind.INELIGIBLE, by=secretariat, articles=["8(1)"]
    )

    submitted.refresh_from_db()
    assert submitted.state == DossierState.INELIGIBLE
    assert decision.articles == ["8(1)"]
    assert list(AuditEvent.objects.filter(action="dossier.eligibility_decided").values_list("data", flat=True)) == [
        {"decision": "ineligible", "articles": ["8(1)"], "note": ""}
    ]


def test_eligibility_decide_lapsed_correction_can_be_decided(review_cycle, secretariat):
    dossier = DossierFactory(
        cycle=review_cycle,
        submitted=True,
        state=DossierState.CORRECTION,
        correction_sections=["attachments"],
        correction_until=timezone.now() - dt.timedelta(seconds=1),
    )

    services.eligibility_decide(
        dossier=dossier, kind=EligibilityDecisionKind.INELIGIBLE, by=secretariat, articles=["8(1)"]
    )

    dossier.refresh_from_db()
    assert dossier.state == DossierState.INELIGIBLE
    assert services.section_is_editable(dossier, "attachments") is False


def test_eligibility_decide_running_correction_refused(review_cycle, secretariat):
    dossier = DossierFactory(
        cycle=review_cycle,
        submitted=True,
        state=DossierState.CORRECTION,
        correction_sections=["attachments"],
        correction_until=timezone.now() + dt.timedelta(days=1),
    )

    message = refusal(
        lambda: services.eligibility_decide(dossier=dossier, kind=EligibilityDecisionKind.ELIGIBLE, by=secretariat)
    )

    dossier.refresh_from_db()
    assert message == zh("Only submitted dossiers, or dossiers whose correction period has passed, can be decided.")
    assert dossier.state == DossierState.CORRECTION


def test_eligibility_decide_outside_the_eligibility_phase_refused(secretariat):
    dossier = DossierFactory(cycle=open_cycle(number=11), submitted=True)

    message = refusal(
        lambda: services.eligibility_decide(dossier=dossier, kind=EligibilityDecisionKind.ELIGIBLE, by=secretariat)
    )

    assert message == zh("Eligibility is decided during the eligibility review phase.")
    assert EligibilityDecision.objects.count() == 0


# --- attachments ---


def test_attachment_remove_after_submission_refused_and_keeps_row_and_file(cycle, django_capture_on_commit_callbacks):
    attachment = AttachmentFactory(dossier=DossierFactory(cycle=cycle, submitted=True))

    with django_capture_on_commit_callbacks(execute=True):
        message = refusal(lambda: services.attachment_remove(attachment=attachment, by=UserFactory()))

    assert message == zh("This part of the dossier cannot be changed now.")
    assert list(attachment.dossier.attachments.all()) == [attachment]
    assert attachment.file.storage.exists(attachment.file.name) is True
