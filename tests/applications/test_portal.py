"""The applicant portal through its pages: starting a dossier, section drafts and their lock, the deadline,
submission and numbering, withdrawal, correction, uploads, and who may open what.

Every request goes through the test client as the browser sends it (form fields as strings, files as multipart).
Messages are compared in Chinese, looked up in the catalog from their English source.
"""

import datetime as dt
import io
import re
from urllib.parse import quote

import pytest
from django.contrib.messages import get_messages
from django.core import mail
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template.defaultfilters import filesizeformat
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from PIL import Image

from applications import pdf, receipts, sections, services
from applications.enums import DossierSectionKey, DossierState, EligibilityDecisionKind
from applications.models import Attachment, Dossier, DossierSection
from mayor_award.core.articles import article_label
from mayor_award.core.enums import CyclePhase
from mayor_award.core.models import AuditEvent, Cycle
from tests.conftest import require
from tests.factories.applications import (
    AttachmentFactory,
    DossierFactory,
    EligibilityDecisionFactory,
    MembershipFactory,
    pdf_bytes,
)
from tests.factories.core import CycleFactory

pytestmark = pytest.mark.django_db

KB = 1024
MB = 1024 * KB
SECTION_KEYS = ("basics", "results", "self_assessment", "declarations")
REQUIRED_ATTACHMENTS = ("business_licence", "self_assessment_report", "commitment_letter", "top_five_evidence")
DEADLINE_PASSED = "The application deadline has passed: the dossier can no longer be changed."
WRONG_KIND = "This file is not a real %(kinds)s file. Please upload one of these kinds."
STORED_NAME = re.compile(r"dossiers/(\d+)/[0-9a-f]{32}\.(pdf|png|jpg)")


def zh(message: str, **params) -> str:
    with translation.override("zh-hans"):
        text = translation.gettext(message)
    return text % params if params else text


def zh_label(label) -> str:
    with translation.override("zh-hans"):
        return str(label)


def zh_filesize(size: int) -> str:
    with translation.override("zh-hans"):
        return str(filesizeformat(size))


def body(response) -> bytes:
    """The response's content. A streamed file is read to its end, which closes it: the test client's wrapper
    does so without closing the test's database connection (a second response.close() would close it)."""
    return b"".join(response.streaming_content) if response.streaming else response.content


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def section_url(dossier, key):
    return reverse("applications:section", kwargs={"pk": dossier.pk, "key": key})


def attachments_url(dossier):
    return reverse("applications:attachments", kwargs={"pk": dossier.pk})


def submit_url(dossier):
    return reverse("applications:submit", kwargs={"pk": dossier.pk})


def withdraw_url(dossier):
    return reverse("applications:withdraw", kwargs={"pk": dossier.pk})


def open_cycle(number=7):
    deadline = timezone.now() + dt.timedelta(days=30)
    return CycleFactory(
        number=number,
        year=timezone.localtime(deadline).year,
        phase=CyclePhase.OPEN,
        applications_open_on=timezone.localdate() - dt.timedelta(days=30),
        application_deadline=deadline,
    )


def pass_the_deadline(cycle):
    Cycle.objects.filter(pk=cycle.pk).update(application_deadline=timezone.now() - dt.timedelta(seconds=1))


def section_post(key, dossier) -> dict:
    """What a browser posts for a completely filled-in section (without the version)."""
    years = sections.result_years(dossier.cycle)
    if key == "basics":
        return {
            "excellence_model_since": f"{years[-1]}-01-01",
            "certificates": "ISO 9001:2015 质量管理体系认证",
            "overview": "公司成立以来坚持质量第一，导入卓越绩效管理模式。",
            "competitors": "河南某同行企业\n许昌某食品公司",
            "customers": "郑州某集团",
            "suppliers": "漯河某原料公司",
        }
    if key == "results":
        data = {"top_five_indicator": "operating_revenue", "top_five_rank": "2"}
        for position, year in enumerate(years):
            data |= {
                f"y{year}_operating_revenue": str(50000 + 5000 * position),
                f"y{year}_total_profit_and_tax": "6000",
                f"y{year}_net_profit": "3000",
                f"y{year}_asset_contribution_rate": "12.5",
                f"y{year}_quality_indicators": "产品一次交验合格率99.6%",
            }
        return data
    if key == "self_assessment":
        data = {}
        for item in sections.scored_items(dossier.cycle):
            data |= {f"n_{item.code}": f"{item.name}：方法系统，全面展开。", f"p_{item.code}": "55"}
        return data
    return {
        **dict.fromkeys(sections.DECLARATION_ARTICLES, "affirmed"),
        "licences": "食品生产许可证",
        "awards": f"河南省省长质量奖, provincial, {years[-1]}",
    }


def upload(
    client, dossier, name="材料.pdf", content=None, content_type="application/pdf", purpose="evidence", follow=False
):
    content = pdf_bytes() if content is None else content
    file = SimpleUploadedFile(name, content, content_type=content_type)
    return client.post(attachments_url(dossier), {"purpose": purpose, "title": "证明材料", "file": file}, follow=follow)


def fill_in(client, dossier):
    """Every section saved through its page, and the four required PDFs uploaded through the attachments page."""
    for key in SECTION_KEYS:
        response = client.post(section_url(dossier, key), {**section_post(key, dossier), "version": "0"})
        assert response.status_code == 302, response.context["form"].errors
    for purpose in REQUIRED_ATTACHMENTS:
        response = upload(client, dossier, name=f"{purpose}.pdf", purpose=purpose)
        assert response.status_code == 302, response.context["form"].errors
    client.get(dossier.get_absolute_url())  # the "saved" and "uploaded" messages are shown (and done with)


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 6), (20, 120, 200)).save(buffer, "PNG")
    return buffer.getvalue()


def padded_pdf(size: int) -> bytes:
    """A file that passes as a PDF (header and end marker), exactly `size` bytes long."""
    head, tail = b"%PDF-1.4\n", b"\n%%EOF\n"
    return head + b"0" * (size - len(head) - len(tail)) + tail


def snapshot(dossier):
    """Everything the applicant wrote and uploaded: to prove a refused action lost nothing."""
    rows = DossierSection.objects.filter(dossier=dossier).order_by("key").values_list("key", "version", "data")
    files = Attachment.objects.filter(dossier=dossier).order_by("pk").values_list("pk", "purpose", "file", "sha256")
    return list(rows), list(files)


def stored_files_exist(dossier) -> bool:
    return all(a.file.storage.exists(a.file.name) for a in dossier.attachments.all())


@pytest.fixture
def cycle():
    return open_cycle()


@pytest.fixture
def member():
    return MembershipFactory()


@pytest.fixture
def dossier(cycle, member):
    return services.dossier_start(cycle=cycle, organisation=member.organisation, by=member.user)


@pytest.fixture
def applicant_client(client, member):
    client.force_login(member.user)
    return client


# --- starting the dossier ---


def test_dashboard_offers_to_start_while_the_cycle_is_open(applicant_client, cycle):
    response = applicant_client.get(reverse("applications:dashboard"))

    assert response.status_code == 200
    assert (response.context["cycle"], response.context["can_start"], response.context["dossiers"]) == (cycle, True, [])


def test_dossier_start_creates_one_dossier_and_twice_gives_the_same(applicant_client, cycle, member):
    first = applicant_client.post(reverse("applications:dossier-start"))
    second = applicant_client.post(reverse("applications:dossier-start"))

    dossier = Dossier.objects.get()
    assert (dossier.cycle, dossier.organisation, dossier.state) == (cycle, member.organisation, DossierState.DRAFT)
    assert (first.url, second.url) == (dossier.get_absolute_url(), dossier.get_absolute_url())
    assert sorted(dossier.sections.values_list("key", flat=True)) == sorted(sections.EDITABLE_SECTIONS)
    assert AuditEvent.objects.filter(action="dossier.started").count() == 1


def test_dossier_start_without_an_open_cycle_refused(applicant_client):
    CycleFactory(number=7, phase=CyclePhase.ELIGIBILITY)

    response = applicant_client.post(reverse("applications:dossier-start"))

    assert response.url == reverse("applications:dashboard")
    assert messages_of(response) == [zh("No cycle accepts applications now.")]
    assert Dossier.objects.count() == 0


def test_dossier_start_after_the_deadline_refused(applicant_client, cycle):
    pass_the_deadline(cycle)

    response = applicant_client.post(reverse("applications:dossier-start"))

    assert response.url == reverse("applications:dashboard")
    assert messages_of(response) == [zh("This cycle does not accept applications now.")]
    assert Dossier.objects.count() == 0


# --- section drafts ---


@pytest.mark.parametrize("key", SECTION_KEYS)
def test_section_saves_a_draft_and_shows_it_again(applicant_client, dossier, member, key):
    posted = section_post(key, dossier)

    response = applicant_client.post(section_url(dossier, key), {**posted, "version": "0"})
    page = applicant_client.get(section_url(dossier, key))

    assert response.status_code == 302
    assert response.url == section_url(dossier, key)
    assert messages_of(response) == [zh("Saved as a draft.")]
    section = dossier.sections.get(key=key)
    assert (section.version, section.updated_by) == (1, member.user)
    form = page.context["form"]
    assert {name: str(form[name].value()) for name in posted} == posted
    assert form["version"].value() == 1


def test_section_basics_stored_as_lists_and_iso_dates(applicant_client, dossier, member):
    applicant_client.post(section_url(dossier, "basics"), {**section_post("basics", dossier), "version": "0"})

    data = dossier.sections.get(key="basics").data
    profile = data.pop("profile")
    year = sections.result_years(dossier.cycle)[-1]
    assert data == {
        "excellence_model_since": f"{year}-01-01",
        "certificates": "ISO 9001:2015 质量管理体系认证",
        "overview": "公司成立以来坚持质量第一，导入卓越绩效管理模式。",
        "competitors": ["河南某同行企业", "许昌某食品公司"],
        "customers": ["郑州某集团"],
        "suppliers": ["漯河某原料公司"],
    }
    assert (profile["name"], profile["credit_code"]) == (member.organisation.name, member.organisation.credit_code)


def test_section_invalid_input_shows_the_error_and_saves_nothing(applicant_client, dossier):
    code = sections.scored_items(dossier.cycle)[0].code

    response = applicant_client.post(
        section_url(dossier, "self_assessment"), {"version": "0", f"n_{code}": "方法", f"p_{code}": "52"}
    )

    assert response.status_code == 200
    assert list(response.context["form"].errors) == [f"p_{code}"]
    section = dossier.sections.get(key="self_assessment")
    assert (section.version, section.data) == (0, {})


@pytest.mark.parametrize("key", ["attachments", "unknown"])
def test_section_page_of_a_key_without_a_form_gives_404(applicant_client, dossier, key):
    response = applicant_client.get(section_url(dossier, key))

    assert response.status_code == 404


def test_section_second_save_from_a_stale_page_refused_and_first_save_kept(applicant_client, dossier, member):
    colleague = Client()
    colleague.force_login(MembershipFactory(organisation=member.organisation).user)
    url = section_url(dossier, "basics")
    my_version = applicant_client.get(url).context["form"]["version"].value()
    their_version = colleague.get(url).context["form"]["version"].value()

    first = colleague.post(url, {"overview": "同事先保存的版本", "version": their_version})
    second = applicant_client.post(url, {"overview": "我后保存的版本", "version": my_version})

    assert (my_version, their_version) == (0, 0)
    assert first.status_code == 302
    assert second.status_code == 302
    assert messages_of(second) == [
        zh(
            "Someone else saved this section while you were editing it. Your changes were not saved: "
            "the page now shows their version; please enter your changes again."
        )
    ]
    section = dossier.sections.get(key="basics")
    assert (section.version, section.data["overview"]) == (1, "同事先保存的版本")
    assert applicant_client.get(url).context["form"]["overview"].value() == "同事先保存的版本"


# --- the deadline ---


@pytest.mark.parametrize("key", SECTION_KEYS)
def test_section_after_the_deadline_is_read_only_and_a_save_is_refused(applicant_client, dossier, member, key):
    services.section_save(dossier=dossier, key=key, data={"certificates": "旧数据"}, version=0, by=member.user)
    pass_the_deadline(dossier.cycle)
    before = snapshot(dossier)

    page = applicant_client.get(section_url(dossier, key))
    response = applicant_client.post(
        section_url(dossier, key), {**section_post(key, dossier), "version": "1"}, follow=True
    )

    assert page.context["editable"] is False
    assert [name for name, field in page.context["form"].fields.items() if not field.disabled] == []
    assert zh("This section is read-only now.") in page.content.decode()
    assert messages_of(response) == [zh(DEADLINE_PASSED)]
    assert snapshot(dossier) == before


def test_attachments_after_the_deadline_refuse_uploads_and_removals(applicant_client, dossier):
    attachment = AttachmentFactory(dossier=dossier)
    pass_the_deadline(dossier.cycle)
    before = snapshot(dossier)

    page = applicant_client.get(attachments_url(dossier))
    uploaded = upload(applicant_client, dossier, follow=True)
    removed = applicant_client.post(
        reverse("applications:attachment-delete", kwargs={"pk": dossier.pk, "attachment_pk": attachment.pk}),
        follow=True,
    )

    assert page.context["editable"] is False
    assert (messages_of(uploaded), messages_of(removed)) == ([zh(DEADLINE_PASSED)], [zh(DEADLINE_PASSED)])
    assert snapshot(dossier) == before
    assert stored_files_exist(dossier) is True


def test_submit_after_the_deadline_refused_with_the_deadline_message(applicant_client, dossier):
    fill_in(applicant_client, dossier)
    pass_the_deadline(dossier.cycle)

    response = applicant_client.post(submit_url(dossier))

    assert response.status_code == 200
    assert messages_of(response) == [zh("The deadline has passed: the dossier can no longer be submitted.")]
    dossier.refresh_from_db()
    assert (dossier.state, dossier.number, dossier.submitted_at) == (DossierState.DRAFT, None, None)


def test_submit_page_after_the_deadline_offers_no_submit_button(applicant_client, dossier):
    pass_the_deadline(dossier.cycle)

    response = applicant_client.get(submit_url(dossier))

    assert response.context["can_submit"] is False


# --- progress and submission ---


def test_progress_lists_the_incomplete_sections(applicant_client, dossier):
    applicant_client.post(section_url(dossier, "basics"), {**section_post("basics", dossier), "version": "0"})
    upload(applicant_client, dossier, purpose="business_licence")

    response = applicant_client.get(dossier.get_absolute_url())

    progress = response.context["progress"]
    assert [(entry["key"], entry["missing"] == []) for entry in progress] == [
        ("basics", True),
        ("results", False),
        ("self_assessment", False),
        ("declarations", False),
        ("attachments", True),
    ]
    declarations = next(entry for entry in progress if entry["key"] == "declarations")
    assert [zh_label(label) for label in declarations["missing"]] == [
        *(
            zh("declaration on %(article)s") % {"article": article_label(a, "zh-hans")}
            for a in sections.DECLARATION_ARTICLES
        ),
        zh("the signed and sealed commitment letter"),
    ]
    assert response.content.decode().count(zh("incomplete")) == 3


def test_submit_incomplete_refused_naming_the_missing_sections(applicant_client, dossier):
    applicant_client.post(
        section_url(dossier, "basics"), {**section_post("basics", dossier), "version": "0"}, follow=True
    )
    before = snapshot(dossier)

    response = applicant_client.post(submit_url(dossier))

    missing = "、".join(
        zh_label(key.label)
        for key in (
            DossierSectionKey.RESULTS,
            DossierSectionKey.SELF_ASSESSMENT,
            DossierSectionKey.DECLARATIONS,
            DossierSectionKey.ATTACHMENTS,
        )
    )
    assert messages_of(response) == [zh("The dossier is not complete yet: %(sections)s.") % {"sections": missing}]
    dossier.refresh_from_db()
    assert (dossier.state, dossier.number, dossier.sequence) == (DossierState.DRAFT, None, None)
    assert snapshot(dossier) == before
    assert AuditEvent.objects.filter(action="dossier.submitted").count() == 0


def test_submit_complete_dossier_numbers_it_and_delivers_the_receipt(
    applicant_client, dossier, member, django_capture_on_commit_callbacks
):
    require(pdf.chinese_font_available(), f"no font for Chinese (fc-list :lang=zh is empty): {pdf.INSTALL_HINT}")
    fill_in(applicant_client, dossier)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = applicant_client.post(submit_url(dossier))

    assert response.status_code == 302
    assert response.url == dossier.get_absolute_url()
    assert messages_of(response) == [zh("The dossier was submitted. A receipt is on its way to your e-mail.")]
    assert len(callbacks) == 1
    dossier.refresh_from_db()
    assert (dossier.state, dossier.number, dossier.sequence) == (
        DossierState.SUBMITTED,
        f"LH{dossier.cycle.year}-001",
        1,
    )
    assert dossier.submitted_at is not None
    assert dossier.precheck_outcome == "judgement"
    assert [finding["outcome"] for finding in dossier.precheck_findings].count("fail") == 0
    assert dossier.receipt_pdf.name == receipts.receipt_name(dossier)
    assert [message.to for message in mail.outbox] == [[member.user.email, member.organisation.contact_email]]
    assert [name for name, _content, _type in mail.outbox[0].attachments] == [f"{dossier.number}.pdf"]
    receipt = applicant_client.get(reverse("applications:receipt", kwargs={"pk": dossier.pk}))
    assert body(receipt).startswith(b"%PDF")
    assert [applicant_client.get(section_url(dossier, key)).context["editable"] for key in SECTION_KEYS] == [False] * 4


def test_submit_numbers_the_next_organisation_002(applicant_client, dossier, cycle):
    fill_in(applicant_client, dossier)
    applicant_client.post(submit_url(dossier))
    other = MembershipFactory()
    other_client = Client()
    other_client.force_login(other.user)
    other_dossier = services.dossier_start(cycle=cycle, organisation=other.organisation, by=other.user)
    fill_in(other_client, other_dossier)

    other_client.post(submit_url(other_dossier))

    numbers = Dossier.objects.order_by("sequence").values_list("organisation", "number")
    assert list(numbers) == [
        (dossier.organisation_id, f"LH{cycle.year}-001"),
        (other.organisation_id, f"LH{cycle.year}-002"),
    ]


def test_submitted_dossier_is_read_only(applicant_client, cycle, member):
    dossier = DossierFactory(cycle=cycle, organisation=member.organisation, submitted=True)
    attachment = AttachmentFactory(dossier=dossier)
    before = snapshot(dossier)

    saved = applicant_client.post(
        section_url(dossier, "basics"), {**section_post("basics", dossier), "version": "0"}, follow=True
    )
    uploaded = upload(applicant_client, dossier, follow=True)
    removed = applicant_client.post(
        reverse("applications:attachment-delete", kwargs={"pk": dossier.pk, "attachment_pk": attachment.pk}),
        follow=True,
    )
    resubmitted = applicant_client.post(submit_url(dossier))

    refused = zh("This part of the dossier cannot be changed now.")
    assert (messages_of(saved), messages_of(uploaded), messages_of(removed)) == ([refused], [refused], [refused])
    assert (saved.context["editable"], uploaded.context["editable"]) == (False, False)
    assert messages_of(resubmitted) == [zh("This dossier has already been submitted.")]
    assert resubmitted.context["can_submit"] is False
    assert snapshot(dossier) == before
    assert AuditEvent.objects.filter(object_type="applications.dossier").count() == 0


# --- withdrawal ---


def test_withdraw_before_the_decision_with_a_reason(applicant_client, cycle, member):
    dossier = DossierFactory(cycle=cycle, organisation=member.organisation, submitted=True)

    response = applicant_client.post(withdraw_url(dossier), {"reason": "本年度经营调整，决定下届再申报。"})

    assert response.url == dossier.get_absolute_url()
    assert messages_of(response) == [zh("The dossier was withdrawn.")]
    dossier.refresh_from_db()
    assert (dossier.state, dossier.withdrawal_reason) == (DossierState.WITHDRAWN, "本年度经营调整，决定下届再申报。")
    assert list(AuditEvent.objects.filter(action="dossier.withdrawn").values_list("actor", flat=True)) == [
        member.user.pk
    ]


def test_withdraw_a_draft_with_a_reason(applicant_client, dossier):
    page = applicant_client.get(dossier.get_absolute_url())

    response = applicant_client.post(withdraw_url(dossier), {"reason": "今年不申报了"})

    assert page.context["dossier"].can_withdraw is True
    assert response.url == dossier.get_absolute_url()
    dossier.refresh_from_db()
    assert (dossier.state, dossier.number) == (DossierState.WITHDRAWN, None)


@pytest.mark.parametrize("reason", ["", "   "])
def test_withdraw_without_a_reason_refused(applicant_client, cycle, member, reason):
    dossier = DossierFactory(cycle=cycle, organisation=member.organisation, submitted=True)

    response = applicant_client.post(withdraw_url(dossier), {"reason": reason})

    assert response.status_code == 200
    assert response.context["form"].errors == {"reason": [zh("This field is required.")]}
    dossier.refresh_from_db()
    assert (dossier.state, dossier.withdrawal_reason) == (DossierState.SUBMITTED, "")


@pytest.mark.parametrize("state", [DossierState.ELIGIBLE, DossierState.INELIGIBLE])
def test_withdraw_after_the_eligibility_decision_refused(applicant_client, cycle, member, state):
    dossier = DossierFactory(cycle=cycle, organisation=member.organisation, submitted=True, state=state)
    EligibilityDecisionFactory(dossier=dossier, kind=state)

    page = applicant_client.get(withdraw_url(dossier))
    response = applicant_client.post(withdraw_url(dossier), {"reason": "不想参加了"})

    assert page.context["dossier"].can_withdraw is False
    assert messages_of(response) == [zh("After the eligibility decision a dossier can no longer be withdrawn.")]
    dossier.refresh_from_db()
    assert (dossier.state, dossier.withdrawal_reason) == (state, "")


# --- correction (补正) ---


def test_correction_reopens_only_the_named_section_and_resubmits_under_the_same_number(
    applicant_client, dossier, secretariat
):
    fill_in(applicant_client, dossier)
    applicant_client.post(submit_url(dossier))
    dossier.refresh_from_db()
    number, first_submission = dossier.number, dossier.submitted_at
    Cycle.objects.filter(pk=dossier.cycle_id).update(
        phase=CyclePhase.ELIGIBILITY, application_deadline=timezone.now() - dt.timedelta(days=1)
    )
    services.eligibility_decide(
        dossier=dossier,
        kind=EligibilityDecisionKind.CORRECTION,
        by=secretariat,
        correction_sections=["attachments"],
        correction_until=timezone.now() + dt.timedelta(days=10),
    )
    basics_before = dossier.sections.get(key="basics").data

    editable = {key: applicant_client.get(section_url(dossier, key)).context["editable"] for key in SECTION_KEYS}
    rewritten = applicant_client.post(section_url(dossier, "basics"), {"overview": "改写的概况", "version": "1"})
    added = upload(applicant_client, dossier, name="食品经营许可证.pdf", purpose="permit")
    resubmitted = applicant_client.post(submit_url(dossier))

    assert editable == dict.fromkeys(SECTION_KEYS, False)
    assert messages_of(rewritten) == [zh("This part of the dossier cannot be changed now.")]
    assert dossier.sections.get(key="basics").data == basics_before
    assert added.status_code == 302
    assert resubmitted.url == dossier.get_absolute_url()
    dossier.refresh_from_db()
    assert (dossier.state, dossier.number, dossier.correction_sections, dossier.correction_until) == (
        DossierState.SUBMITTED,
        number,
        [],
        None,
    )
    assert dossier.submitted_at > first_submission
    assert dossier.attachments.filter(purpose="permit").count() == 1
    assert applicant_client.get(attachments_url(dossier)).context["editable"] is False


def test_correction_after_its_date_refuses_uploads_and_resubmission(applicant_client, member, secretariat):
    cycle = CycleFactory(
        number=12, phase=CyclePhase.ELIGIBILITY, application_deadline=timezone.now() - dt.timedelta(days=20)
    )
    dossier = DossierFactory(
        cycle=cycle,
        organisation=member.organisation,
        submitted=True,
        state=DossierState.CORRECTION,
        correction_sections=["attachments"],
        correction_until=timezone.now() - dt.timedelta(seconds=1),
    )
    EligibilityDecisionFactory(dossier=dossier, correction=True, correction_sections=["attachments"])
    before = snapshot(dossier)

    uploaded = upload(applicant_client, dossier, follow=True)
    resubmitted = applicant_client.post(submit_url(dossier))

    assert messages_of(uploaded) == [zh("The correction period has ended: the dossier can no longer be changed.")]
    assert messages_of(resubmitted) == [zh("The deadline has passed: the dossier can no longer be submitted.")]
    dossier.refresh_from_db()
    assert dossier.state == DossierState.CORRECTION
    assert snapshot(dossier) == before


# --- uploads (security.md T4) ---


@pytest.fixture
def written(dossier, member):
    """The dossier with a saved basics section and one uploaded file: what a refused upload must not touch."""
    services.section_save(dossier=dossier, key="basics", data={"overview": "已保存的概况"}, version=0, by=member.user)
    AttachmentFactory(dossier=dossier)
    return dossier


def assert_refused(response, dossier, before, message):
    assert response.status_code == 200
    assert response.context["form"].errors == {"file": [message]}
    assert snapshot(dossier) == before
    assert stored_files_exist(dossier) is True


def test_upload_renamed_executable_refused(applicant_client, written):
    before = snapshot(written)

    response = upload(applicant_client, written, name="材料.pdf", content=b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 100)

    assert_refused(response, written, before, zh(WRONG_KIND, kinds="PDF、JPEG、PNG"))


def test_upload_over_the_size_limit_refused(applicant_client, written, settings):
    settings.DOSSIER_ATTACHMENT_MAX_BYTES = 1 * KB
    before = snapshot(written)

    response = upload(applicant_client, written, content=padded_pdf(1 * KB + 1))

    sizes = {"size": zh_filesize(1 * KB + 1), "limit": zh_filesize(1 * KB)}
    assert_refused(response, written, before, zh("The file is %(size)s; at most %(limit)s is accepted.", **sizes))


def test_upload_of_exactly_the_size_limit_accepted(applicant_client, written, settings):
    settings.DOSSIER_ATTACHMENT_MAX_BYTES = 1 * KB

    response = upload(applicant_client, written, content=padded_pdf(1 * KB))

    assert response.status_code == 302
    assert written.attachments.count() == 2


def test_upload_path_traversal_name_stored_under_a_random_name_in_the_dossier_folder(
    applicant_client, written, settings
):
    content = pdf_bytes()
    assert content.rstrip().endswith(b"%%EOF")

    response = upload(applicant_client, written, name="../../etc/passwd.pdf", content=content)

    assert response.status_code == 302
    attachment = written.attachments.latest("pk")
    assert attachment.original_name == "passwd.pdf"
    match = STORED_NAME.fullmatch(attachment.file.name)
    assert match is not None, attachment.file.name
    assert match.group(1) == str(written.pk)
    stored = settings.PRIVATE_FILES_ROOT / attachment.file.name
    assert stored.resolve().parent == (settings.PRIVATE_FILES_ROOT / "dossiers" / str(written.pk)).resolve()
    assert stored.read_bytes() == content
    assert (attachment.content_type, attachment.size) == ("application/pdf", len(content))


def test_upload_png_magic_then_garbage_refused(applicant_client, written):
    before = snapshot(written)

    response = upload(
        applicant_client,
        written,
        name="照片.png",
        content=b"\x89PNG\r\n\x1a\n" + b"\x00garbage" * 40,
        content_type="image/png",
    )

    assert_refused(response, written, before, zh(WRONG_KIND, kinds="PDF、JPEG、PNG"))


def test_upload_real_png_accepted(applicant_client, written):
    content = png_bytes()

    response = upload(applicant_client, written, name="营业执照照片.png", content=content, content_type="image/png")

    assert response.status_code == 302
    assert messages_of(response) == [zh("The file was uploaded.")]
    attachment = written.attachments.latest("pk")
    assert (attachment.original_name, attachment.content_type, attachment.size) == (
        "营业执照照片.png",
        "image/png",
        len(content),
    )
    assert STORED_NAME.fullmatch(attachment.file.name).group(2) == "png"


def test_upload_filling_the_quota_exactly_accepted(applicant_client, dossier, settings):
    settings.DOSSIER_TOTAL_MAX_BYTES = 1 * MB
    AttachmentFactory(dossier=dossier, content=padded_pdf(1 * MB - 2 * KB))

    response = upload(applicant_client, dossier, content=padded_pdf(2 * KB))

    assert response.status_code == 302
    assert sum(dossier.attachments.values_list("size", flat=True)) == 1 * MB


def test_upload_one_byte_over_the_quota_refused(applicant_client, dossier, member, settings):
    settings.DOSSIER_TOTAL_MAX_BYTES = 1 * MB
    services.section_save(dossier=dossier, key="basics", data={"overview": "已保存的概况"}, version=0, by=member.user)
    AttachmentFactory(dossier=dossier, content=padded_pdf(1 * MB - 2 * KB))
    before = snapshot(dossier)

    response = upload(applicant_client, dossier, content=padded_pdf(2 * KB + 1))

    assert_refused(
        response,
        dossier,
        before,
        zh("The dossier's attachments may take at most %(limit)s MB in all; this file does not fit.") % {"limit": 1},
    )


def test_attachment_remove_deletes_the_row_and_then_the_file_after_commit(
    applicant_client, dossier, django_capture_on_commit_callbacks
):
    kept = AttachmentFactory(dossier=dossier)
    removed = AttachmentFactory(dossier=dossier, purpose="evidence")
    storage, name = removed.file.storage, removed.file.name

    with django_capture_on_commit_callbacks(execute=True):
        response = applicant_client.post(
            reverse("applications:attachment-delete", kwargs={"pk": dossier.pk, "attachment_pk": removed.pk})
        )
        assert storage.exists(name) is True  # until the transaction commits

    assert response.url == attachments_url(dossier)
    assert messages_of(response) == [zh("The file was removed.")]
    assert list(dossier.attachments.all()) == [kept]
    assert storage.exists(name) is False
    assert storage.exists(kept.file.name) is True
    assert list(AuditEvent.objects.filter(action="dossier.attachment_removed").values_list("data", flat=True)) == [
        {"attachment": removed.pk, "name": removed.original_name}
    ]


# --- who may open what ---


@pytest.fixture
def theirs(cycle):
    """Another organisation's submitted dossier with a file and a receipt."""
    other = MembershipFactory()
    dossier = DossierFactory(
        cycle=cycle, organisation=other.organisation, submitted=True, sections={"basics": {"overview": "他们的概况"}}
    )
    AttachmentFactory(dossier=dossier)
    dossier.receipt_pdf.save(f"{dossier.number}.pdf", ContentFile(pdf_bytes()))
    return dossier


def dossier_urls(dossier):
    attachment = dossier.attachments.get()
    return {
        "dossier": dossier.get_absolute_url(),
        **{f"section-{key}": section_url(dossier, key) for key in SECTION_KEYS},
        "attachments": attachments_url(dossier),
        "download": attachment.get_absolute_url(),
        "receipt": reverse("applications:receipt", kwargs={"pk": dossier.pk}),
        "submit": submit_url(dossier),
        "withdraw": withdraw_url(dossier),
    }


URL_NAMES = (
    "dossier",
    *(f"section-{key}" for key in SECTION_KEYS),
    "attachments",
    "download",
    "receipt",
    "submit",
    "withdraw",
)


@pytest.mark.parametrize("name", URL_NAMES)
def test_another_organisations_dossier_gives_404(applicant_client, theirs, name):
    response = applicant_client.get(dossier_urls(theirs)[name])

    assert response.status_code == 404


@pytest.mark.parametrize("name", URL_NAMES)
def test_own_organisations_dossier_opens(client, theirs, name):
    client.force_login(theirs.organisation.memberships.get().user)

    response = client.get(dossier_urls(theirs)[name])

    assert response.status_code == 200
    body(response)


PORTAL_PAGES = ("dossier", *(f"section-{key}" for key in SECTION_KEYS), "attachments", "receipt", "submit", "withdraw")


@pytest.mark.parametrize("role", ["expert", "committee_member", "secretariat"])
def test_portal_pages_refused_to_staff_of_the_award(client, theirs, request, role):
    client.force_login(request.getfixturevalue(role))
    urls = dossier_urls(theirs)

    statuses = {name: client.get(urls[name]).status_code for name in PORTAL_PAGES}
    statuses["dashboard"] = client.get(reverse("applications:dashboard")).status_code
    statuses["start"] = client.post(reverse("applications:dossier-start")).status_code
    statuses["invite"] = client.post(reverse("applications:invite"), {"email": "x@example.com"}).status_code

    assert statuses == dict.fromkeys((*PORTAL_PAGES, "dashboard", "start", "invite"), 403)
    assert mail.outbox == []


@pytest.mark.parametrize("role", ["expert", "committee_member"])
def test_attachment_download_refused_to_experts_and_committee_members(client, theirs, request, role):
    client.force_login(request.getfixturevalue(role))

    response = client.get(theirs.attachments.get().get_absolute_url())

    assert response.status_code == 404
    assert AuditEvent.objects.filter(action="dossier.attachment_opened").count() == 0


@pytest.mark.parametrize("who", ["secretariat", "owner"])
def test_attachment_download_streams_the_file_and_is_audited(client, theirs, secretariat, who):
    user = secretariat if who == "secretariat" else theirs.organisation.memberships.get().user
    attachment = theirs.attachments.get()
    client.force_login(user)

    response = client.get(attachment.get_absolute_url())
    content = body(response)

    assert response.status_code == 200
    assert content == pdf_bytes()
    assert response["Content-Disposition"] == "attachment; filename*=utf-8''" + quote("营业执照.pdf")
    assert (response["Content-Type"], response["X-Content-Type-Options"]) == ("application/pdf", "nosniff")
    events = AuditEvent.objects.filter(action="dossier.attachment_opened")
    assert list(events.values_list("actor", "object_type", "object_id", "data")) == [
        (user.pk, "applications.dossier", str(theirs.pk), {"attachment": attachment.pk})
    ]


def test_attachment_download_twice_audited_twice(client, theirs, secretariat):
    client.force_login(secretariat)
    url = theirs.attachments.get().get_absolute_url()

    for _ in range(2):
        body(client.get(url))

    assert AuditEvent.objects.filter(action="dossier.attachment_opened").count() == 2


def test_section_post_to_another_organisations_dossier_gives_404_and_changes_nothing(applicant_client, dossier, theirs):
    before = snapshot(theirs)

    response = applicant_client.post(
        section_url(theirs, "basics"), {**section_post("basics", theirs), "overview": "篡改", "version": "0"}
    )

    assert response.status_code == 404
    assert snapshot(theirs) == before


def test_upload_to_another_organisations_dossier_gives_404(applicant_client, dossier, theirs):
    before = snapshot(theirs)

    response = upload(applicant_client, theirs)

    assert response.status_code == 404
    assert snapshot(theirs) == before


def test_another_organisations_attachment_under_the_own_dossier_url_gives_404(applicant_client, dossier, theirs):
    attachment = theirs.attachments.get()
    before = snapshot(theirs)

    download = applicant_client.get(
        reverse("applications:attachment", kwargs={"dossier_pk": dossier.pk, "pk": attachment.pk})
    )
    removal = applicant_client.post(
        reverse("applications:attachment-delete", kwargs={"pk": dossier.pk, "attachment_pk": attachment.pk})
    )

    assert (download.status_code, removal.status_code) == (404, 404)
    assert snapshot(theirs) == before
    assert AuditEvent.objects.filter(action="dossier.attachment_opened").count() == 0


def test_portal_for_anonymous_visitors_redirects_to_login(client, theirs):
    response = client.get(theirs.get_absolute_url())

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))
