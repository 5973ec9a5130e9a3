"""The stored draw of a panel, checked again from its record and printed as 评审专家随机抽取记录 (PDF).

The PDFs are really rendered (WeasyPrint, Pango, Noto CJK); tests that need the font skip with the reason on a
machine without it (and fail under CI=true, see tests.conftest.require).
"""

import io

import pytest
from django.urls import reverse
from django.utils import translation
from pypdf import PdfReader

from applications import pdf
from applications.enums import DossierState
from mayor_award.core.models import AuditEvent
from review import draw, services
from review.draw_record import record_candidates, record_context, record_request, render_draw_record, verify_panel
from review.models import Panel
from tests.conftest import require
from tests.factories.applications import DossierFactory, OrganisationFactory
from tests.factories.core import CycleFactory
from tests.factories.review import ConflictFactory, ExpertFactory, PanelFactory

pytestmark = pytest.mark.django_db

SEED = "draw-record-seed-2026"


@pytest.fixture
def cjk_font():
    require(pdf.chinese_font_available(), f"no font for Chinese (fc-list :lang=zh is empty): {pdf.INSTALL_HINT}")


@pytest.fixture
def cycle():
    return CycleFactory(number=3, year=2024, title="第三届漯河市市长质量奖")


@pytest.fixture
def panel(cycle, secretariat, committee_member):
    organisation = OrganisationFactory(name="漯河市抽取记录测试食品有限公司")
    dossier = DossierFactory(cycle=cycle, organisation=organisation, submitted=True, state=DossierState.ELIGIBLE)
    for _ in range(7):
        ExpertFactory()
    ConflictFactory(expert=ExpertFactory(), organisation=organisation)  # excluded: conflict
    ExpertFactory(industries=["F"])  # excluded: no expertise
    ExpertFactory(user=committee_member)  # excluded: committee
    created = services.panel_create(
        cycle=cycle, name="食品制造评审组", industries=["C"], dossiers=[dossier], size=5, by=secretariat
    )
    return services.panel_draw(panel=created, by=secretariat, seed=SEED)


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def pdf_font_names(content: bytes) -> set[str]:
    names = set()
    for page in PdfReader(io.BytesIO(content)).pages:
        for font in page.get("/Resources", {}).get("/Font", {}).values():
            names.add(str(font.get_object().get("/BaseFont")))
    return names


# --- the check ---


def test_the_stored_record_rebuilds_the_draw_and_verifies(panel):
    record = panel.draw_record
    candidates = record_candidates(record)
    request = record_request(panel, record)

    assert verify_panel(panel) is True
    assert draw.draw(candidates, request, SEED) == draw.DrawResult.from_record(record["result"])
    assert len(candidates) == 10
    assert request.size == 5 and request.industries == frozenset({"C"})


def test_a_changed_record_does_not_verify(panel):
    record = panel.draw_record
    member = record["result"]["members"][0]
    for candidate in record["candidates"]:
        if candidate["expert_id"] == member:  # a member's conflict with the applicant, written in afterwards
            candidate["conflicts"] = record["request"]["organisations"]
    Panel.objects.filter(pk=panel.pk).update(draw_record=record)
    panel.refresh_from_db()

    assert verify_panel(panel) is False


def test_a_damaged_record_does_not_verify(panel):
    Panel.objects.filter(pk=panel.pk).update(draw_record={"seed": SEED, "result": {"recipe": 1}})
    panel.refresh_from_db()

    assert verify_panel(panel) is False


def test_an_undrawn_panel_has_nothing_to_verify(cycle):
    panel = PanelFactory(cycle=cycle)

    assert verify_panel(panel) is None
    assert record_context(panel) == {"drawn": False}


def test_record_context_gives_each_candidate_its_reason_and_outcome(panel):
    context = record_context(panel)
    result = panel.draw_record["result"]

    with translation.override("zh-hans"):
        reasons = {row["reason"] for row in record_context(panel)["candidates"] if not row["eligible"]}
        expected = {
            str(draw.Reason.CONFLICT.label),
            str(draw.Reason.NO_EXPERTISE.label),
            str(draw.Reason.COMMITTEE.label),
        }
    assert reasons == expected
    assert [member["expert_id"] for member in context["members"]] == result["members"]
    assert [alternate["expert_id"] for alternate in context["alternates"]] == result["alternates"]
    assert (context["eligible_count"], context["excluded_count"]) == (7, 3)
    assert context["material"] == draw.seed_material(SEED, result["candidate_ids"]).decode()


# --- the printed record ---


def test_draw_record_pdf_shows_seed_panel_and_members_in_a_chinese_font(cjk_font, panel):
    content = render_draw_record(panel)

    assert content.startswith(b"%PDF")
    text = pdf_text(content)
    names = dict(panel.seats.values_list("expert_id", "expert__user__name"))
    for expected in (
        SEED,
        "食品制造评审组",
        "第三届漯河市市长质量奖",
        "漯河市抽取记录测试食品有限公司",
        *names.values(),
    ):
        assert expected in text, expected
    assert "监督人" in text or "Supervisor" in text
    fonts = pdf_font_names(content)
    assert any("CJK" in name for name in fonts), fonts


def test_the_admin_gives_the_draw_record_as_an_attachment(cjk_font, client, secretariat, panel):
    client.force_login(secretariat)

    response = client.get(reverse("admin:review_panel_draw_record", args=[panel.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="draw-record-3-{panel.pk}.pdf"'
    assert SEED in pdf_text(response.content)
    assert AuditEvent.objects.filter(action="panel.draw_record_printed", object_id=str(panel.pk)).exists()


def test_an_undrawn_panel_has_no_draw_record(client, secretariat, cycle):
    client.force_login(secretariat)
    panel = PanelFactory(cycle=cycle)

    response = client.get(reverse("admin:review_panel_draw_record", args=[panel.pk]))

    assert response.status_code == 404


def test_without_a_chinese_font_the_admin_says_so_instead_of_printing_boxes(client, secretariat, panel, monkeypatch):
    client.force_login(secretariat)

    def missing(template_name, context):
        raise pdf.MissingChineseFont()

    monkeypatch.setattr(pdf, "render_pdf", missing)

    response = client.get(reverse("admin:review_panel_draw_record", args=[panel.pk]), follow=True)

    assert response.redirect_chain[-1][0] == reverse("admin:review_panel_change", args=[panel.pk])
    assert [m.level_tag for m in response.context["messages"]] == ["error"]
