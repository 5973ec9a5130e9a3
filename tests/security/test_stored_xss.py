"""Stored script payloads come back as text wherever they appear (security.md, XSS): portal, expert pages,
committee and public pages, the admin, the PDFs and the Excel export.

Every user-editable text column (CharField/TextField found through `_meta.get_fields()`) of the dossier's
organisation, its attachments, the score sheets, the consensus, objections and notices holds one of the payloads;
then every page that shows them is rendered and must contain the payload escaped, never raw.
"""

import io
import re
from decimal import Decimal

import pytest
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from openpyxl import load_workbook
from pypdf import PdfReader

from applications.models import Attachment, Dossier, DossierSection, Organisation
from committee import certificates, minutes
from committee.models import Objection, VotingSession
from mayor_award.core.enums import CyclePhase, NoticeState
from mayor_award.core.models import CriteriaItem, Cycle, Notice
from review import export, feedback, reports
from review.enums import ConsensusState
from review.models import Consensus, ConsensusItem, ItemScore
from tests.factories.applications import AttachmentFactory, MembershipFactory, OrganisationFactory
from tests.factories.committee import CandidateFactory, CommitteeMemberFactory
from tests.factories.committee_awards import (
    AwardFactory,
    CertificateFactory,
    ObjectionFactory,
    PublicityCandidateFactory,
    RankingEntryFactory,
)
from tests.factories.core import NoticeFactory
from tests.factories.review_consensus import ConsensusFactory, ConsensusItemFactory, scored_panel

pytestmark = pytest.mark.django_db

PAYLOADS = ("<script>alert(1)</script>", '"><img src=x onerror=alert(1)>', "<svg/onload=alert(1)>")
RAW_TAGS = ("<script>alert(1)", "<img src=x onerror", "<svg/onload")
FORMULAS = ('=HYPERLINK("http://x")', "+1+1", "-1+1", "@SUM(A1)")

# Columns that are not free text a user types: codes checked by format, stored file paths, digests, states.
NOT_FREE_TEXT = {
    "credit_code",
    "industry_division",
    "contact_email",
    "contact_phone",
    "file",
    "sha256",
    "content_type",
    "number",
    "state",
    "reference",
    "email",
    "phone",
    "id_number",
    "client_address",
    "kind",
    "stage",
}


def text_fields(model) -> list[str]:
    """The model's user-editable text columns wide enough for a payload."""
    return [
        field.name
        for field in model._meta.get_fields()
        if isinstance(field, models.CharField | models.TextField)
        and field.editable
        and not field.choices
        and field.name not in NOT_FREE_TEXT
        and (field.max_length is None or field.max_length >= max(map(len, PAYLOADS)) + 4)
    ]


def payload_values(model, offset=0) -> dict[str, str]:
    """Each text field of `model` with one payload (in turn), after a short tag that keeps the values apart."""
    return {
        name: f"{index}{PAYLOADS[(index + offset) % len(PAYLOADS)]}"
        for index, name in enumerate(text_fields(model), start=1)
    }


def assert_escaped(response, *, shows=True):
    """No payload raw in the page; when `shows`, at least one payload is on it, escaped."""
    assert response.status_code == 200, (response.status_code, response.wsgi_request.path)
    content = response.content.decode()
    for tag in RAW_TAGS:
        assert tag not in content, (response.wsgi_request.path, content[content.index(tag) - 200 :][:400])
    if shows:
        assert any(escape(payload) in content for payload in PAYLOADS), response.wsgi_request.path


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


def pdf_text(content: bytes) -> str:
    return squeeze("".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages))


# --- the world ---


@pytest.fixture
def reviewed():
    """A dossier whose organisation, sections, attachment, score sheets and consensus all hold payloads."""
    organisation = OrganisationFactory(**payload_values(Organisation))
    world = scored_panel(experts=3, organisation=organisation)
    member = MembershipFactory(organisation=organisation)
    dossier = world.dossier
    DossierSection.objects.filter(dossier=dossier, key="basics").update(
        data={"overview": PAYLOADS[0], "certificates": PAYLOADS[1], "customers": list(PAYLOADS)}
    )
    DossierSection.objects.filter(dossier=dossier, key="declarations").update(
        data={"licences": list(PAYLOADS), "awards": [{"name": PAYLOADS[2], "level": "provincial", "year": 2025}]}
    )
    AttachmentFactory(dossier=dossier, **payload_values(Attachment))
    world.submit_all(percents=[40, 55, 70])
    ItemScore.objects.filter(sheet__dossier=dossier).update(
        strengths=PAYLOADS[0] + FORMULAS[0], opportunities=PAYLOADS[1]
    )
    consensus = ConsensusFactory(panel=world.panel, dossier=dossier, **payload_values(Consensus))
    for item in CriteriaItem.objects.filter(category__criteria_id=world.cycle.criteria_id):
        ConsensusItemFactory(consensus=consensus, item=item, **payload_values(ConsensusItem, offset=1))
    world.member = member.user
    world.consensus = consensus
    return world


def test_the_payloads_reach_every_text_column(reviewed):
    organisation = reviewed.dossier.organisation
    assert {"name", "address", "legal_representative", "contact_name"} <= set(text_fields(Organisation))
    assert {"strengths", "opportunities"} <= set(text_fields(Consensus))
    assert all(getattr(organisation, name).endswith(("</script>", "alert(1)>")) for name in text_fields(Organisation))


def test_portal_pages_show_the_payloads_as_text(client, reviewed):
    client.force_login(reviewed.member)
    dossier = reviewed.dossier

    assert_escaped(client.get(reverse("applications:dashboard")))
    assert_escaped(client.get(dossier.get_absolute_url()), shows=False)
    for key in ("basics", "declarations"):
        assert_escaped(client.get(reverse("applications:section", kwargs={"pk": dossier.pk, "key": key})))
    assert_escaped(client.get(reverse("applications:attachments", kwargs={"pk": dossier.pk})))


def test_expert_pages_show_the_payloads_as_text(client, reviewed):
    dossier = reviewed.dossier
    client.force_login(reviewed.leader.expert.user)

    assert_escaped(client.get(reverse("review:dashboard")))
    assert_escaped(client.get(reverse("review:dossier", kwargs={"pk": dossier.pk})))
    assert_escaped(client.get(reverse("review:panel-scores", kwargs={"pk": dossier.pk, "stage": "material"})))
    consensus_url = reverse(
        "review:consensus", kwargs={"pk": reviewed.panel.pk, "dossier_pk": dossier.pk, "stage": "material"}
    )
    assert_escaped(client.get(consensus_url))
    assert_escaped(client.get(reverse("review:panel", kwargs={"pk": reviewed.panel.pk})))


def test_admin_lists_and_forms_show_the_payloads_as_text(client, reviewed, secretariat):
    client.force_login(secretariat)
    dossier, organisation = reviewed.dossier, reviewed.dossier.organisation
    sheet = ItemScore.objects.filter(sheet__dossier=dossier).first().sheet

    for model_path, pk in (
        ("applications/organisation", organisation.pk),
        ("applications/dossier", dossier.pk),
        ("review/scoresheet", sheet.pk),
        ("review/consensus", reviewed.consensus.pk),
    ):
        assert_escaped(client.get(f"/admin/{model_path}/"))
        assert_escaped(client.get(f"/admin/{model_path}/{pk}/change/"))


# --- public and committee pages ---


def test_notices_show_the_payloads_as_text(client, secretariat):
    notice = NoticeFactory(published=True, **payload_values(Notice))
    draft = NoticeFactory(state=NoticeState.DRAFT, **payload_values(Notice, offset=1))

    assert_escaped(client.get(reverse("notice-list")))
    assert_escaped(client.get(reverse("notice-detail", kwargs={"pk": notice.pk})))
    feed = client.get(reverse("notice-feed")).content.decode()
    assert not any(tag in feed for tag in RAW_TAGS)
    client.force_login(secretariat)
    assert_escaped(client.get("/admin/core/notice/"))
    assert_escaped(client.get(f"/admin/core/notice/{draft.pk}/change/"))


def test_publicity_winners_and_verification_show_the_payloads_as_text(client, secretariat):
    organisation = OrganisationFactory(**payload_values(Organisation))
    candidate = PublicityCandidateFactory()
    Dossier.objects.filter(pk=candidate.dossier_id).update(organisation=organisation)
    objection = ObjectionFactory(candidate=candidate, **payload_values(Objection))
    certificate = CertificateFactory(award=AwardFactory(organisation=organisation))

    assert_escaped(client.get(reverse("committee:publicity", kwargs={"cycle": candidate.publicity.cycle.number})))
    assert_escaped(client.get(reverse("committee:winners")))
    assert_escaped(client.get(reverse("committee:verify", kwargs={"serial": certificate.serial})))
    client.force_login(secretariat)
    assert_escaped(client.get("/admin/committee/objection/"))
    assert_escaped(client.get(f"/admin/committee/objection/{objection.pk}/change/"))


def test_committee_pages_show_the_payloads_as_text(client):
    organisation = OrganisationFactory(**payload_values(Organisation))
    candidate = CandidateFactory(dossier__organisation=organisation)
    member = CommitteeMemberFactory(cycle=candidate.panel.cycle)
    client.force_login(member.user)

    assert_escaped(client.get(reverse("committee:home")))
    assert_escaped(client.get(reverse("committee:ballot")), shows=False)


# --- PDFs and the Excel export ---


def assert_literal_in_pdf(content: bytes, *payloads):
    """The payloads are printed as text: a tag WeasyPrint interpreted would leave no text (or an image) instead."""
    text = pdf_text(content)
    for payload in payloads:
        assert squeeze(payload) in text, (payload, text[:300])


def test_review_report_and_feedback_pdfs_print_the_payloads_as_text(reviewed):
    consensus = reviewed.consensus
    Consensus.objects.filter(pk=consensus.pk).update(state=ConsensusState.RECORDED, recorded_at=timezone.now())
    consensus.refresh_from_db()

    assert_literal_in_pdf(reports.report_render(consensus), PAYLOADS[0], reviewed.dossier.organisation.name)
    Cycle.objects.filter(pk=reviewed.cycle.pk).update(phase=CyclePhase.ANNOUNCED)
    reviewed.dossier.refresh_from_db()
    assert_literal_in_pdf(feedback.feedback_pdf(reviewed.dossier), reviewed.dossier.organisation.name)


def test_certificate_pdf_prints_the_payload_as_text():
    organisation = OrganisationFactory(name=PAYLOADS[1])
    certificate = CertificateFactory(award=AwardFactory(organisation=organisation))

    assert_literal_in_pdf(certificates.certificate_pdf(certificate), PAYLOADS[1])


def test_excel_export_keeps_formulas_and_payloads_as_text(reviewed):
    rows = list(ItemScore.objects.filter(sheet__dossier=reviewed.dossier).order_by("pk")[: len(FORMULAS)])
    for row, formula in zip(rows, FORMULAS, strict=True):
        ItemScore.objects.filter(pk=row.pk).update(strengths=formula, opportunities=PAYLOADS[2])
    Organisation.objects.filter(pk=reviewed.dossier.organisation_id).update(name=FORMULAS[0])

    stream = io.BytesIO()
    export.write_workbook(reviewed.cycle, stream)
    workbook = load_workbook(io.BytesIO(stream.getvalue()))

    cells = [cell for sheet in workbook.worksheets for row in sheet.iter_rows() for cell in row if cell.value]
    risky = [cell for cell in cells if isinstance(cell.value, str) and cell.value[0] in "=+-@"]
    assert {cell.value for cell in risky} >= set(FORMULAS)
    assert all(cell.data_type == "s" for cell in risky), [(c.coordinate, c.value, c.data_type) for c in risky]
    assert PAYLOADS[2] in {cell.value for cell in cells}


def test_minutes_pdf_prints_the_payloads_as_text():
    entry = RankingEntryFactory(
        proposed_list__session__quorum_ratio=Decimal("0.6667"),
        proposed_list__session__pass_ratio=Decimal("0.5"),
        proposed_list__session__slate_ratio=Decimal("1.2"),
        proposed_list__session__onsite_score_weight=Decimal("0.6"),
    )
    Organisation.objects.filter(pk=entry.candidate.dossier.organisation_id).update(name=PAYLOADS[0])
    CommitteeMemberFactory(cycle=entry.proposed_list.cycle, affiliation=PAYLOADS[2])

    assert minutes.minutes_render(session_id=entry.proposed_list.session_id) is True

    session = VotingSession.objects.get(pk=entry.proposed_list.session_id)
    with session.minutes_pdf.open("rb") as stored:
        assert_literal_in_pdf(stored.read(), PAYLOADS[0], PAYLOADS[2])
