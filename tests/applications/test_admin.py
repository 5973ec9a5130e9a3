"""The secretariat's eligibility review in the admin (Art. 15): what it sees, what it decides, what it may not do."""

import datetime as dt

import pytest
from django.contrib.messages import constants as message_levels
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from applications.enums import DossierSectionKey, DossierState, EligibilityDecisionKind
from applications.models import (
    Dossier,
    DossierSection,
    EligibilityDecision,
    Invitation,
    Membership,
    MisconductFinding,
)
from mayor_award.core.articles import article_label
from mayor_award.core.enums import CyclePhase
from mayor_award.core.models import AuditEvent
from tests.factories.applications import AttachmentFactory, DossierFactory, MembershipFactory, OrganisationFactory
from tests.factories.core import CycleFactory, UserFactory

pytestmark = pytest.mark.django_db

PASS_ORGANISATION = {
    "code": "2-organisation",
    "article": "2",
    "outcome": "pass",
    "zh": "申报者为组织（第二条、第八条第一项）。",
    "en": "The applicant is an organisation (Art. 2, Art. 8(1)).",
}
FAIL_REGISTRATION = {
    "code": "8(1)-registration",
    "article": "8(1)",
    "outcome": "fail",
    "zh": "在漯河注册满3年，不满5年（第八条第一项）。",
    "en": "Registered in Luohe for 3 years, less than 5 years (Art. 8(1)).",
}
JUDGEMENT_POLICY = {
    "code": "9(1)-declaration",
    "article": "9(1)",
    "outcome": "judgement",
    "zh": "已声明符合产业、环保和质量政策，需秘书处判断（第九条第一项）。",
    "en": "Declared in line with industrial, environmental and quality policy; the secretariat judges (Art. 9(1)).",
}
JUDGEMENT_LICENCE = {
    "code": "9(2)-declaration",
    "article": "9(2)",
    "outcome": "judgement",
    "zh": "已声明持有法定许可，需秘书处判断（第九条第二项）。",
    "en": "Declared to hold every licence the law requires; the secretariat judges (Art. 9(2)).",
}
CLEAN_FINDINGS = [PASS_ORGANISATION, JUDGEMENT_POLICY, JUDGEMENT_LICENCE]
FAILING_FINDINGS = [PASS_ORGANISATION, FAIL_REGISTRATION, JUDGEMENT_POLICY]


def zh(message: str) -> str:
    """A message as the admin shows it to a user of the default language."""
    with translation.override("zh-hans"):
        return gettext(message)


def make_organisation(**fields):
    return OrganisationFactory(**fields)


def make_dossier(cycle, organisation=None, state=DossierState.SUBMITTED, findings=CLEAN_FINDINGS, **fields):
    """A dossier with its section rows and the given stored pre-check findings; numbered unless it is a draft."""
    sequence = Dossier.objects.filter(cycle=cycle).count() + 1
    outcomes = {finding["outcome"] for finding in findings or []}
    outcome = next((o for o in ("fail", "judgement", "pass") if o in outcomes), "")
    submitted = state != DossierState.DRAFT
    return DossierFactory(
        cycle=cycle,
        organisation=organisation or OrganisationFactory(),
        state=state,
        sequence=sequence if submitted else None,
        number=f"LH{cycle.year}-{sequence:03d}" if submitted else None,
        submitted_at=timezone.now() - dt.timedelta(days=3) if submitted else None,
        precheck_outcome=outcome,
        precheck_findings=list(findings or []),
        **fields,
    )


@pytest.fixture
def cycle():
    return CycleFactory(number=1, year=2020, phase=CyclePhase.ELIGIBILITY)


@pytest.fixture
def dossier(cycle):
    return make_dossier(cycle)


@pytest.fixture
def secretariat_client(client, secretariat):
    client.force_login(secretariat)
    return client


def messages_of(response):
    return [(message.level, str(message)) for message in response.context["messages"]]


def change_url(dossier):
    return reverse("admin:applications_dossier_change", args=[dossier.pk])


def decide_url(dossier):
    return reverse("admin:applications_dossier_decide", args=[dossier.pk])


def in_future(**delta):
    return timezone.localtime(timezone.now() + dt.timedelta(**delta)).strftime("%Y-%m-%dT%H:%M")


# --- the changelist ---


def test_changelist_filters_by_cycle_industry_state_and_precheck(secretariat_client, cycle):
    other_cycle = CycleFactory(number=2, year=2022, phase=CyclePhase.OPEN)
    manufacturer = make_dossier(cycle, make_organisation(industry_section="C"), findings=CLEAN_FINDINGS)
    builder = make_dossier(cycle, make_organisation(industry_section="E"), findings=FAILING_FINDINGS)
    decided = make_dossier(cycle, make_organisation(industry_section="C"), state=DossierState.ELIGIBLE)
    later = make_dossier(other_cycle, make_organisation(industry_section="C"), state=DossierState.DRAFT, findings=[])
    url = reverse("admin:applications_dossier_changelist")

    def listed(**query):
        response = secretariat_client.get(url, query)
        assert response.status_code == 200
        return {dossier.pk for dossier in response.context["cl"].result_list}

    assert listed() == {manufacturer.pk, builder.pk, decided.pk, later.pk}
    assert listed(cycle__id__exact=cycle.pk) == {manufacturer.pk, builder.pk, decided.pk}
    assert listed(organisation__industry_section__exact="E") == {builder.pk}
    assert listed(state__exact=DossierState.ELIGIBLE) == {decided.pk}
    assert listed(precheck_outcome="fail") == {builder.pk}
    assert listed(precheck_outcome="judgement") == {manufacturer.pk, decided.pk}
    assert listed(precheck_outcome="none") == {later.pk}
    assert listed(q=builder.number) == {builder.pk}
    assert listed(q=builder.organisation.name) == {builder.pk}


def test_changelist_shows_the_precheck_badge_with_an_admin_css_file(secretariat_client, cycle):
    make_dossier(cycle, findings=FAILING_FINDINGS)

    response = secretariat_client.get(reverse("admin:applications_dossier_changelist"))
    html = response.content.decode()

    assert '<span class="precheck-badge precheck-fail">' in html
    assert "admin/applications/dossier.css" in html
    assert "style=" not in html.split('id="result_list"')[1].split("</table>")[0]


def test_changelist_query_count_does_not_grow_with_rows(secretariat_client, cycle):
    url = reverse("admin:applications_dossier_changelist")
    make_dossier(cycle)
    secretariat_client.get(url)  # warm the content-type and session caches

    with CaptureQueriesContext(connection) as one:
        secretariat_client.get(url)
    for _ in range(4):
        make_dossier(cycle)
    with CaptureQueriesContext(connection) as five:
        response = secretariat_client.get(url)

    assert response.context["cl"].result_count == 5
    assert len(five) == len(one)


# --- the change page ---


def test_change_page_shows_findings_sections_attachments_and_the_decision_form(secretariat_client, cycle):
    dossier = make_dossier(cycle, findings=FAILING_FINDINGS)
    DossierSection.objects.filter(dossier=dossier, key=DossierSectionKey.BASICS).update(
        data={"excellence_model_since": "2019-03-01", "overview": "第一行\n第二行", "competitors": ["甲公司", "乙公司"]}
    )
    DossierSection.objects.filter(dossier=dossier, key=DossierSectionKey.RESULTS).update(
        data={"years": {"2019": {"operating_revenue": "80000000", "net_profit": "5000000"}}, "top_five_rank": 2}
    )
    DossierSection.objects.filter(dossier=dossier, key=DossierSectionKey.DECLARATIONS).update(data={"9(1)": "affirmed"})
    AttachmentFactory(dossier=dossier, title="营业执照", original_name="营业执照.pdf")

    response = secretariat_client.get(change_url(dossier))
    html = response.content.decode()

    assert response.status_code == 200
    # the findings, in the user's language
    assert FAIL_REGISTRATION["zh"] in html
    assert JUDGEMENT_POLICY["zh"] in html
    assert FAIL_REGISTRATION["en"] not in html
    assert '<span class="precheck-badge precheck-fail">' in html
    # each section as a definition list, not a JSON dump
    assert "甲公司" in html and "乙公司" in html
    assert "第一行<br>第二行" in html
    assert "80000000" in html
    assert '{"' not in html
    # the attachment
    assert "营业执照.pdf" in html
    # the decision form: CSRF, the three kinds, the articles, the checklist of the judgement findings
    form = html.split('id="decision-form"')[1].split("</form>")[0]
    assert f'action="{decide_url(dossier)}"' in html
    assert 'name="csrfmiddlewaretoken"' in form
    for kind in EligibilityDecisionKind.values:
        assert f'value="{kind}"' in form
    assert 'name="articles" value="8(1)"' in form
    assert 'name="correction_sections" value="results"' in form
    assert 'name="judgement-9(1)-declaration"' in form
    assert 'name="judgement-8(1)-registration"' not in form
    # nothing is editable: the dossier form has no save button
    assert 'name="_save"' not in html


def test_change_page_shows_findings_in_english_for_an_english_user(secretariat_client, dossier):
    response = secretariat_client.get(change_url(dossier), headers={"accept-language": "en"})
    html = response.content.decode()

    assert JUDGEMENT_POLICY["en"] in html
    assert JUDGEMENT_POLICY["zh"] not in html


def test_change_page_links_each_attachment_to_the_checked_download_view(secretariat_client, dossier):
    attachment = AttachmentFactory(dossier=dossier, purpose="evidence", title="证明", original_name="证明.pdf")
    url = reverse("applications:attachment", kwargs={"dossier_pk": dossier.pk, "pk": attachment.pk})

    html = secretariat_client.get(change_url(dossier)).content.decode()

    assert f'<a href="{url}">证明.pdf</a>' in html
    download = secretariat_client.get(url)
    download.close()
    assert download.status_code == 200


def test_change_page_shows_the_decision_history(secretariat_client, secretariat, dossier):
    EligibilityDecision.objects.create(
        dossier=dossier,
        kind=EligibilityDecisionKind.INELIGIBLE,
        articles=["8(1)"],
        note="注册年限不足",
        judgements={"9(1)-declaration": True},
        decided_by=secretariat,
    )

    html = secretariat_client.get(change_url(dossier)).content.decode()
    history = html.split('id="eligibility-decisions"')[1].split("</fieldset>")[0]

    assert "注册年限不足" in history
    assert "第九条第一项" in history
    assert secretariat.name in history


def test_change_page_without_the_form_outside_the_eligibility_phase(secretariat_client):
    dossier = make_dossier(CycleFactory(number=1, year=2020, phase=CyclePhase.OPEN))

    html = secretariat_client.get(change_url(dossier)).content.decode()

    assert 'id="decision-form"' not in html
    assert zh("Eligibility is decided during the eligibility review phase.") in html


def test_change_page_without_the_form_for_a_draft(secretariat_client, cycle):
    dossier = make_dossier(cycle, state=DossierState.DRAFT, findings=[])

    html = secretariat_client.get(change_url(dossier)).content.decode()

    assert 'id="decision-form"' not in html
    assert zh("Only submitted dossiers, or dossiers whose correction period has passed, can be decided.") in html


# --- deciding ---


def test_decide_eligible_changes_state_and_records_decision_and_audit(secretariat_client, secretariat, dossier):
    response = secretariat_client.post(
        decide_url(dossier),
        {
            "kind": "eligible",
            "judgement-9(1)-declaration": "yes",
            "judgement-9(2)-declaration": "yes",
            "articles": ["8(1)"],
            "note": "材料齐全",
        },
        follow=True,
    )

    assert response.redirect_chain == [(change_url(dossier), 302)]
    assert [level for level, _text in messages_of(response)] == [message_levels.SUCCESS]
    assert Dossier.objects.get(pk=dossier.pk).state == DossierState.ELIGIBLE
    decision = EligibilityDecision.objects.get(dossier=dossier)
    assert decision.kind == EligibilityDecisionKind.ELIGIBLE
    assert decision.articles == []  # articles belong to an ineligible decision only
    assert decision.judgements == {"9(1)-declaration": True, "9(2)-declaration": True}
    assert decision.note == "材料齐全"
    assert decision.decided_by == secretariat
    event = AuditEvent.objects.get(action="dossier.eligibility_decided")
    assert (event.actor, event.object_id, event.data["decision"]) == (secretariat, str(dossier.pk), "eligible")


def test_decide_eligible_refused_while_a_checklist_item_is_unanswered(secretariat_client, dossier):
    response = secretariat_client.post(
        decide_url(dossier), {"kind": "eligible", "judgement-9(1)-declaration": "yes"}, follow=True
    )

    assert messages_of(response) == [
        (message_levels.ERROR, zh("Answer every checklist item before finding the dossier eligible."))
    ]
    assert Dossier.objects.get(pk=dossier.pk).state == DossierState.SUBMITTED
    assert not EligibilityDecision.objects.exists()


@pytest.mark.parametrize(
    ("findings", "answers"),
    [
        (FAILING_FINDINGS, {"judgement-9(1)-declaration": "yes"}),
        (CLEAN_FINDINGS, {"judgement-9(1)-declaration": "yes", "judgement-9(2)-declaration": "no"}),
    ],
    ids=["pre-check-fails", "checklist-rejects"],
)
def test_decide_eligible_refused_when_an_article_fails(secretariat_client, cycle, findings, answers):
    dossier = make_dossier(cycle, findings=findings)

    response = secretariat_client.post(decide_url(dossier), {"kind": "eligible", **answers}, follow=True)

    [(level, text)] = messages_of(response)
    assert level == message_levels.ERROR
    assert article_label("8(1)" if findings is FAILING_FINDINGS else "9(2)", "zh-hans") in text
    assert Dossier.objects.get(pk=dossier.pk).state == DossierState.SUBMITTED
    assert not EligibilityDecision.objects.exists()
    assert not AuditEvent.objects.filter(action="dossier.eligibility_decided").exists()


def test_decide_ineligible_with_articles_and_note(secretariat_client, secretariat, cycle):
    dossier = make_dossier(cycle, findings=FAILING_FINDINGS)

    response = secretariat_client.post(
        decide_url(dossier),
        {
            "kind": "ineligible",
            "articles": ["8(1)", "9(1)"],
            "note": "在漯河注册不满五年。",
            "judgement-9(1)-declaration": "no",
            "correction_sections": ["results"],
        },
        follow=True,
    )

    assert [level for level, _text in messages_of(response)] == [message_levels.SUCCESS]
    dossier.refresh_from_db()
    assert dossier.state == DossierState.INELIGIBLE
    assert dossier.correction_sections == []
    decision = EligibilityDecision.objects.get(dossier=dossier)
    assert (decision.kind, decision.articles, decision.note) == ("ineligible", ["8(1)", "9(1)"], "在漯河注册不满五年。")
    assert decision.judgements == {"9(1)-declaration": False}
    assert AuditEvent.objects.get(action="dossier.eligibility_decided").data["articles"] == ["8(1)", "9(1)"]


def test_decide_ineligible_without_articles_refused_with_the_message(secretariat_client, dossier):
    response = secretariat_client.post(decide_url(dossier), {"kind": "ineligible", "note": "不符合"}, follow=True)

    assert messages_of(response) == [(message_levels.ERROR, zh("Name the articles the dossier does not meet."))]
    assert Dossier.objects.get(pk=dossier.pk).state == DossierState.SUBMITTED
    assert not EligibilityDecision.objects.exists()
    assert not AuditEvent.objects.filter(action="dossier.eligibility_decided").exists()


def test_decide_unknown_article_refused(secretariat_client, dossier):
    response = secretariat_client.post(decide_url(dossier), {"kind": "ineligible", "articles": ["99"]}, follow=True)

    [(level, _text)] = messages_of(response)
    assert level == message_levels.ERROR
    assert not EligibilityDecision.objects.exists()


def test_decide_correction_reopens_sections_until_the_date(secretariat_client, secretariat, dossier):
    until = in_future(days=7)

    response = secretariat_client.post(
        decide_url(dossier),
        {
            "kind": "correction",
            "correction_sections": ["results", "attachments"],
            "correction_until": until,
            "note": "请补充2019年财务数据。",
        },
        follow=True,
    )

    assert [level for level, _text in messages_of(response)] == [message_levels.SUCCESS]
    dossier.refresh_from_db()
    assert dossier.state == DossierState.CORRECTION
    assert dossier.correction_sections == ["results", "attachments"]
    assert timezone.localtime(dossier.correction_until).strftime("%Y-%m-%dT%H:%M") == until
    decision = EligibilityDecision.objects.get(dossier=dossier)
    assert (decision.kind, decision.note) == ("correction", "请补充2019年财务数据。")
    assert AuditEvent.objects.filter(action="dossier.eligibility_decided", actor=secretariat).count() == 1


@pytest.mark.parametrize(
    "fields",
    [
        {"correction_sections": ["results"], "correction_until": ""},
        {"correction_sections": ["results"], "correction_until": "2020-01-01T09:00"},
        {"correction_sections": [], "correction_until": "2099-01-01T09:00"},
    ],
    ids=["no-date", "past-date", "no-section"],
)
def test_decide_correction_without_sections_or_a_future_date_refused(secretariat_client, dossier, fields):
    response = secretariat_client.post(decide_url(dossier), {"kind": "correction", **fields}, follow=True)

    assert messages_of(response) == [
        (message_levels.ERROR, zh("A correction request names the sections to reopen and a date in the future."))
    ]
    dossier.refresh_from_db()
    assert (dossier.state, dossier.correction_sections, dossier.correction_until) == ("submitted", [], None)
    assert not EligibilityDecision.objects.exists()


def test_decide_outside_the_eligibility_phase_refused(secretariat_client):
    dossier = make_dossier(CycleFactory(number=1, year=2020, phase=CyclePhase.MATERIAL_REVIEW))

    response = secretariat_client.post(decide_url(dossier), {"kind": "ineligible", "articles": ["8(1)"]}, follow=True)

    assert messages_of(response) == [
        (message_levels.ERROR, zh("Eligibility is decided during the eligibility review phase."))
    ]
    assert Dossier.objects.get(pk=dossier.pk).state == DossierState.SUBMITTED


def test_decide_again_replaces_the_decision_and_keeps_the_history(secretariat_client, cycle):
    dossier = make_dossier(cycle, findings=FAILING_FINDINGS)
    secretariat_client.post(decide_url(dossier), {"kind": "ineligible", "articles": ["8(1)"]})
    secretariat_client.post(decide_url(dossier), {"kind": "ineligible", "articles": ["8(1)", "15"]})

    assert EligibilityDecision.objects.filter(dossier=dossier).count() == 2
    assert Dossier.objects.get(pk=dossier.pk).state == DossierState.INELIGIBLE


def test_decide_get_not_allowed(secretariat_client, dossier):
    response = secretariat_client.get(decide_url(dossier))

    assert response.status_code == 405
    assert response["Allow"] == "POST"


def test_decide_unknown_dossier_404(secretariat_client, dossier):
    response = secretariat_client.post(
        reverse("admin:applications_dossier_decide", args=[dossier.pk + 1000]), {"kind": "eligible"}
    )

    assert response.status_code == 404


# --- who may open these pages ---


@pytest.fixture
def admin_urls(cycle, dossier, secretariat):
    organisation = dossier.organisation
    decision = EligibilityDecision.objects.create(
        dossier=dossier,
        kind="correction",
        decided_by=secretariat,
    )
    finding = MisconductFinding.objects.create(
        organisation=organisation, cycle=cycle, description="伪造检测报告", recorded_by=secretariat
    )
    return [
        reverse("admin:applications_dossier_changelist"),
        change_url(dossier),
        reverse("admin:applications_organisation_changelist"),
        reverse("admin:applications_organisation_change", args=[organisation.pk]),
        reverse("admin:applications_eligibilitydecision_changelist"),
        reverse("admin:applications_eligibilitydecision_change", args=[decision.pk]),
        reverse("admin:applications_misconductfinding_changelist"),
        reverse("admin:applications_misconductfinding_add"),
        reverse("admin:applications_misconductfinding_change", args=[finding.pk]),
        reverse("admin:applications_membership_changelist"),
        reverse("admin:applications_invitation_changelist"),
    ]


def test_every_page_renders_for_the_secretariat(secretariat_client, admin_urls):
    for url in admin_urls:
        assert secretariat_client.get(url).status_code == 200, url


@pytest.mark.parametrize("role", [None, "applicant", "expert", "committee"])
def test_non_secretariat_users_are_sent_to_the_admin_login(client, admin_urls, dossier, role):
    if role:
        client.force_login(UserFactory(roles=[role]))

    for url in admin_urls:
        response = client.get(url)
        assert response.status_code == 302, url
        assert "/login/" in response["Location"], url  # anonymous: the site's login; signed in: the admin's
    response = client.post(decide_url(dossier), {"kind": "ineligible", "articles": ["8(1)"]})

    assert response.status_code == 302
    assert "/login/" in response["Location"]
    assert Dossier.objects.get(pk=dossier.pk).state == DossierState.SUBMITTED


def test_staff_without_the_secretariat_role_may_not_decide(client, admin_urls, dossier):
    client.force_login(UserFactory(is_staff=True, roles=["expert"]))

    assert client.get(admin_urls[0]).status_code == 403
    response = client.post(decide_url(dossier), {"kind": "ineligible", "articles": ["8(1)"]})

    assert response.status_code == 403
    assert Dossier.objects.get(pk=dossier.pk).state == DossierState.SUBMITTED


@pytest.mark.parametrize(
    "url_name",
    [
        "admin:applications_dossier_add",
        "admin:applications_organisation_add",
        "admin:applications_membership_add",
        "admin:applications_invitation_add",
        "admin:applications_eligibilitydecision_add",
    ],
)
def test_nobody_adds_what_applicants_write(secretariat_client, url_name):
    assert secretariat_client.get(reverse(url_name)).status_code == 403


def test_nobody_deletes_or_edits_a_dossier(secretariat_client, dossier):
    delete = reverse("admin:applications_dossier_delete", args=[dossier.pk])

    assert secretariat_client.get(delete).status_code == 403
    assert secretariat_client.post(delete, {"post": "yes"}).status_code == 403
    response = secretariat_client.post(change_url(dossier), {"state": "eligible", "number": "X"})
    assert response.status_code == 403
    assert Dossier.objects.get(pk=dossier.pk).state == DossierState.SUBMITTED


def test_superuser_cannot_edit_or_delete_a_dossier_either(client, dossier):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))

    assert client.get(reverse("admin:applications_dossier_delete", args=[dossier.pk])).status_code == 403
    assert 'name="_save"' not in client.get(change_url(dossier)).content.decode()


def test_history_version_page_cannot_revert_a_dossier(secretariat_client, dossier):
    version = dossier.history.earliest()
    Dossier.objects.filter(pk=dossier.pk).update(state=DossierState.ELIGIBLE)
    url = reverse("admin:applications_dossier_simple_history", args=[dossier.pk, version.history_id])

    assert secretariat_client.get(reverse("admin:applications_dossier_history", args=[dossier.pk])).status_code == 200
    assert secretariat_client.get(url).status_code == 200
    response = secretariat_client.post(url, {})

    assert response.status_code == 405
    assert Dossier.objects.get(pk=dossier.pk).state == DossierState.ELIGIBLE


# --- refreshing the pre-check ---


def test_refresh_precheck_action_stores_the_findings_and_audits(secretariat_client, secretariat, cycle):
    dossier = make_dossier(cycle, findings=[])
    draft = make_dossier(cycle, state=DossierState.DRAFT, findings=[])

    response = secretariat_client.post(
        reverse("admin:applications_dossier_changelist"),
        {"action": "refresh_precheck", "_selected_action": [dossier.pk, draft.pk], "index": "0", "select_across": "0"},
        follow=True,
    )

    assert [level for level, _text in messages_of(response)] == [message_levels.SUCCESS, message_levels.WARNING]
    dossier.refresh_from_db()
    assert dossier.precheck_outcome == "fail"  # a dossier without any section data fails Art. 8(2) and 15
    codes = [finding["code"] for finding in dossier.precheck_findings]
    assert "15-completeness" in codes
    assert {"code", "article", "outcome", "zh", "en"} <= set(dossier.precheck_findings[0])
    event = AuditEvent.objects.get(action="dossier.precheck_refreshed")
    assert (event.actor, event.object_id, event.data) == (secretariat, str(dossier.pk), {"from": "", "to": "fail"})
    assert Dossier.objects.get(pk=draft.pk).precheck_findings == []


def test_refresh_precheck_from_the_change_page_returns_there(secretariat_client, dossier):
    html = secretariat_client.get(change_url(dossier)).content.decode()
    assert 'id="refresh-precheck-form"' in html

    response = secretariat_client.post(
        reverse("admin:applications_dossier_changelist"),
        {
            "action": "refresh_precheck",
            "_selected_action": [dossier.pk],
            "index": "0",
            "select_across": "0",
            "_from_change_page": "1",
        },
    )

    assert response.status_code == 302
    assert response["Location"] == change_url(dossier)
    assert AuditEvent.objects.filter(action="dossier.precheck_refreshed").count() == 1


def test_refresh_precheck_sees_a_new_misconduct_finding(secretariat_client, secretariat, cycle):
    earlier = CycleFactory(number=2, year=2022, phase=CyclePhase.CLOSED)
    now_cycle = CycleFactory(number=3, year=2024, phase=CyclePhase.ELIGIBILITY)
    dossier = make_dossier(now_cycle, findings=[])
    MisconductFinding.objects.create(
        organisation=dossier.organisation, cycle=earlier, description="虚报数据", recorded_by=secretariat
    )

    secretariat_client.post(
        reverse("admin:applications_dossier_changelist"),
        {"action": "refresh_precheck", "_selected_action": [dossier.pk], "index": "0", "select_across": "0"},
    )

    dossier.refresh_from_db()
    fraud = next(f for f in dossier.precheck_findings if f["code"] == "9(5)-fraud")
    assert fraud["outcome"] == "fail"


# --- misconduct findings, organisations and the read-only lists ---


def test_misconduct_finding_added_with_the_recorder_and_audited(secretariat_client, secretariat, cycle):
    organisation = make_organisation()

    response = secretariat_client.post(
        reverse("admin:applications_misconductfinding_add"),
        {"organisation": organisation.pk, "cycle": cycle.pk, "description": "评审中提供虚假证明材料", "_save": "1"},
    )

    assert response.status_code == 302
    finding = MisconductFinding.objects.get()
    assert (finding.organisation, finding.cycle, finding.recorded_by) == (organisation, cycle, secretariat)
    event = AuditEvent.objects.get(action="misconduct.recorded")
    assert (event.actor, event.object_type) == (secretariat, "applications.misconductfinding")


def test_misconduct_finding_cannot_be_changed_or_deleted(secretariat_client, secretariat, cycle):
    finding = MisconductFinding.objects.create(
        organisation=make_organisation(), cycle=cycle, description="原记录", recorded_by=secretariat
    )
    change = reverse("admin:applications_misconductfinding_change", args=[finding.pk])

    assert secretariat_client.post(change, {"description": "改写", "_save": "1"}).status_code == 403
    delete = reverse("admin:applications_misconductfinding_delete", args=[finding.pk])
    assert secretariat_client.post(delete, {"post": "yes"}).status_code == 403
    assert MisconductFinding.objects.get().description == "原记录"


def test_organisation_list_search_and_memberships_inline(secretariat_client, dossier):
    organisation = dossier.organisation
    other = make_organisation(name="舞阳县另一单位", industry_section="F")
    member = UserFactory(roles=["applicant"], name="申报联系人")
    Membership.objects.create(user=member, organisation=organisation)
    Invitation.objects.create(organisation=organisation, email="new@example.com", invited_by=member)
    url = reverse("admin:applications_organisation_changelist")

    def listed(**query):
        return {row.pk for row in secretariat_client.get(url, query).context["cl"].result_list}

    assert listed(q=organisation.credit_code) == {organisation.pk}
    assert listed(q="舞阳") == {other.pk}
    assert listed(industry_section__exact="F") == {other.pk}
    html = secretariat_client.get(reverse("admin:applications_organisation_change", args=[organisation.pk]))
    html = html.content.decode()
    assert "申报联系人" in html
    assert dossier.number in html
    assert 'name="_save"' not in html
    invitations = secretariat_client.get(reverse("admin:applications_invitation_changelist")).content.decode()
    assert "new@example.com" in invitations
    invitation = Invitation.objects.get()
    page = secretariat_client.get(reverse("admin:applications_invitation_change", args=[invitation.pk]))
    assert str(invitation.token) not in page.content.decode()


def test_eligibility_decisions_are_read_only(secretariat_client, secretariat, dossier):
    decision = EligibilityDecision.objects.create(
        dossier=dossier, kind="ineligible", articles=["8(1)"], decided_by=secretariat
    )

    response = secretariat_client.post(
        reverse("admin:applications_eligibilitydecision_change", args=[decision.pk]), {"kind": "eligible"}
    )
    assert response.status_code == 403
    assert (
        secretariat_client.get(reverse("admin:applications_eligibilitydecision_delete", args=[decision.pk])).status_code
        == 403
    )
    assert EligibilityDecision.objects.get().kind == "ineligible"


def test_permissions_secretariat_reads_applicants_open_only_their_own_files(secretariat, dossier):
    applicant = MembershipFactory(organisation=dossier.organisation).user
    stranger = MembershipFactory().user
    attachment = AttachmentFactory(dossier=dossier)

    assert secretariat.has_module_perms("applications")
    for perm in (
        "view_dossier",
        "view_organisation",
        "view_eligibilitydecision",
        "add_misconductfinding",
        "decide_eligibility",
        "refresh_precheck",
        "view_attachment",
    ):
        assert secretariat.has_perm(f"applications.{perm}"), perm
    for perm in (
        "change_dossier",
        "delete_dossier",
        "add_dossier",
        "change_misconductfinding",
        "delete_misconductfinding",
        "add_eligibilitydecision",
        "change_organisation",
    ):
        assert not secretariat.has_perm(f"applications.{perm}"), perm
    assert applicant.has_perm("applications.view_attachment", attachment)
    assert not stranger.has_perm("applications.view_attachment", attachment)
    assert not applicant.has_perm("applications.view_attachment")
    assert not applicant.has_perm("applications.view_dossier", dossier)
    assert not applicant.has_module_perms("applications")


def test_decide_needs_the_csrf_token(secretariat, dossier):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(secretariat)

    response = browser.post(decide_url(dossier), {"kind": "ineligible", "articles": ["8(1)"]})

    assert response.status_code == 403
    assert Dossier.objects.get(pk=dossier.pk).state == DossierState.SUBMITTED
