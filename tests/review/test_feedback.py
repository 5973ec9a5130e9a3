"""The feedback report (反馈报告): released once the cycle is decided, to the dossier's own organisation only;
score bands per category (exact scores only when the cycle allows them), the panel's agreed texts, the radar,
the stages reached, and never a reviewer's name, on the page or in the PDF.

Consensus rows are written directly here (the leader's consensus pages are another area's work).
"""

import io
import re
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone, translation
from pypdf import PdfReader

from applications import pdf
from applications.enums import DossierState
from mayor_award.core.enums import CyclePhase
from mayor_award.core.models import AuditEvent, CriteriaCategory, CriteriaItem
from review import feedback
from review.enums import ConsensusState, ReviewStage, SheetState
from review.models import Consensus, ConsensusItem, ItemScore, ScoreSheet
from tests.factories.applications import MembershipFactory, OrganisationFactory
from tests.factories.core import CycleFactory, UserFactory
from tests.factories.review import ExpertFactory, PanelDossierFactory, PanelFactory, SeatFactory

pytestmark = pytest.mark.django_db

ORGANISATION = "漯河反馈测试食品有限公司"
OTHER_ORGANISATION = "漯河另一家测试有限公司"
# Distinctive names, so that a leak would be found: none of them may appear anywhere in the report.
EXPERT_NAMES = ("甄士隐", "贾雨村", "林黛玉", "薛宝钗", "王熙凤", "史湘云", "妙玉")
EXPERT_USERNAMES = tuple(f"reviewer-zhen-{n}" for n in range(len(EXPERT_NAMES)))
SHEET_TEXT = "独立评分私见"  # an expert's own sheet: stays internal
OVERALL_STRENGTHS = {
    ReviewStage.MATERIAL: "材料评审总体优势：领导重视",
    ReviewStage.ONSITE: "现场评审总体优势：现场管理规范",
}
OVERALL_OPPORTUNITIES = {
    ReviewStage.MATERIAL: "材料评审总体改进：数据分析不足",
    ReviewStage.ONSITE: "现场评审总体改进：标杆对比欠缺",
}
RELEASED = (CyclePhase.ANNOUNCED, CyclePhase.CLOSED)
NOT_RELEASED = tuple(phase for phase in CyclePhase if phase not in RELEASED)


def zh(message: str, **params) -> str:
    with translation.override("zh-hans"):
        text = translation.gettext(message)
    return text % params if params else text


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def squeeze(text: str) -> str:
    """Text without white space: a PDF breaks lines inside table cells."""
    return re.sub(r"\s+", "", text)


def page_url(dossier):
    return reverse("review:feedback", kwargs={"pk": dossier.pk})


def pdf_url(dossier):
    return reverse("review:feedback-pdf", kwargs={"pk": dossier.pk})


def items_of(cycle):
    return list(CriteriaItem.objects.filter(category__criteria_id=cycle.criteria_id).select_related("category"))


def record(dossier, panel, stage, *, percents=None, default=60, state=ConsensusState.RECORDED, by=None):
    """A consensus of the panel for the dossier and stage, one agreed row per item (texts named after the item)."""
    percents = percents or {}
    consensus = Consensus.objects.create(
        panel=panel,
        dossier=dossier,
        stage=stage,
        state=state,
        strengths=OVERALL_STRENGTHS[stage],
        opportunities=OVERALL_OPPORTUNITIES[stage],
        issues_to_verify="内部：现场核实事项",
        recorded_by=by,
        recorded_at=timezone.now(),
    )
    ConsensusItem.objects.bulk_create(
        ConsensusItem(
            consensus=consensus,
            item=item,
            aggregate=Decimal(percents.get(item.code, default)),
            percent=percents.get(item.code, default),
            strengths=f"{item.code}{stage}优势",
            opportunities=f"{item.code}{stage}改进",
        )
        for item in items_of(dossier.cycle)
    )
    return consensus


@pytest.fixture
def reviewed():
    """`make(...)`: a dossier of ORGANISATION reviewed by a panel of `experts` (each with a submitted sheet) and
    its consensus per stage (material: `material` percentages by item code, `default` for the others; on-site:
    `onsite_percents`, 60 for the others); returns (dossier, member user, panel)."""

    def make(
        *,
        phase=CyclePhase.ANNOUNCED,
        experts=5,
        onsite=False,
        exact=False,
        material=None,
        onsite_percents=None,
        cycle=None,
        organisation=None,
        material_state=ConsensusState.RECORDED,
        default=60,
    ):
        cycle = cycle or CycleFactory(phase=phase, feedback_exact_scores=exact)
        organisation = organisation or OrganisationFactory(name=ORGANISATION)
        member = MembershipFactory(organisation=organisation).user
        panel = PanelFactory(cycle=cycle)
        state = DossierState.ONSITE_REVIEWED if onsite else DossierState.NOT_SELECTED
        dossier = PanelDossierFactory(panel=panel, dossier__organisation=organisation, dossier__state=state).dossier
        leader = None
        for index in range(experts):
            user = UserFactory(
                username=f"{EXPERT_USERNAMES[index]}-{panel.pk}", name=EXPERT_NAMES[index], roles=["expert"]
            )
            seat = SeatFactory(panel=panel, expert=ExpertFactory(user=user), accepted=True, leader=index == 0)
            leader = leader or user
            sheet = ScoreSheet.objects.create(
                seat=seat, dossier=dossier, stage=ReviewStage.MATERIAL, state=SheetState.SUBMITTED
            )
            ItemScore.objects.bulk_create(
                ItemScore(sheet=sheet, item=item, percent=60, strengths=f"{SHEET_TEXT}{EXPERT_NAMES[index]}")
                for item in items_of(cycle)
            )
        record(
            dossier, panel, ReviewStage.MATERIAL, percents=material, default=default, state=material_state, by=leader
        )
        if onsite:
            record(dossier, panel, ReviewStage.ONSITE, percents=onsite_percents, by=leader)
        return dossier, member, panel

    return make


# --- the release rule ---


@pytest.mark.parametrize("phase", list(CyclePhase))
@pytest.mark.parametrize("recorded", [True, False])
def test_feedback_released_only_when_decided_and_material_consensus_recorded(phase, recorded):
    expected = phase in (CyclePhase.ANNOUNCED, CyclePhase.CLOSED) and recorded

    assert feedback.feedback_released(cycle_phase=phase, material_consensus_recorded=recorded) is expected


@pytest.mark.parametrize("phase", NOT_RELEASED)
def test_feedback_page_not_found_before_the_cycle_is_decided(client, reviewed, phase):
    dossier, member, _ = reviewed(phase=phase)
    client.force_login(member)

    assert client.get(page_url(dossier)).status_code == 404
    assert client.get(pdf_url(dossier)).status_code == 404
    assert AuditEvent.objects.filter(action="feedback.opened").count() == 0


@pytest.mark.parametrize("phase", RELEASED)
def test_feedback_page_shown_once_the_cycle_is_decided(client, reviewed, phase):
    dossier, member, _ = reviewed(phase=phase)
    client.force_login(member)

    response = client.get(page_url(dossier))

    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"


def test_feedback_boundary_publicity_then_announced(client, reviewed):
    dossier, member, _ = reviewed(phase=CyclePhase.PUBLICITY)
    client.force_login(member)
    before = client.get(page_url(dossier)).status_code

    dossier.cycle.phase = CyclePhase.ANNOUNCED
    dossier.cycle.save(update_fields=["phase"])
    after = client.get(page_url(dossier)).status_code

    assert (before, after) == (404, 200)


def test_feedback_not_found_without_a_recorded_material_consensus(client, reviewed):
    dossier, member, _ = reviewed(material_state=ConsensusState.DRAFT)
    client.force_login(member)

    assert client.get(page_url(dossier)).status_code == 404
    assert client.get(pdf_url(dossier)).status_code == 404


def test_feedback_not_found_for_another_organisation(client, reviewed):
    dossier, _, _ = reviewed()
    stranger = MembershipFactory(organisation=OrganisationFactory(name=OTHER_ORGANISATION)).user
    client.force_login(stranger)

    assert client.get(page_url(dossier)).status_code == 404
    assert client.get(pdf_url(dossier)).status_code == 404


def test_feedback_refused_to_experts_committee_and_secretariat(client, reviewed, committee_member, secretariat):
    dossier, _, panel = reviewed()
    leader = panel.seats.get(is_leader=True).expert.user
    member = panel.seats.filter(is_leader=False).first().expert.user

    statuses = []
    for user in (leader, member, committee_member, secretariat):
        client.force_login(user)
        statuses.append((client.get(page_url(dossier)).status_code, client.get(pdf_url(dossier)).status_code))

    assert statuses == [(403, 403)] * 4


def test_feedback_asks_anonymous_visitors_to_log_in(client, reviewed):
    dossier, _, _ = reviewed()

    response = client.get(page_url(dossier))

    assert response.status_code == 302
    assert "/login/" in response["Location"]


# --- bands ---


@pytest.fixture
def bands(db):
    return feedback._bands(CycleFactory().criteria_id)


@pytest.mark.parametrize(
    ("percent", "expected"),
    [
        ("0", "0–5%"),
        ("5", "0–5%"),
        ("9.99", "0–5%"),
        ("10", "10–25%"),
        ("25", "10–25%"),
        ("29.99", "10–25%"),
        ("30", "30–45%"),
        ("45", "30–45%"),
        ("49.99", "30–45%"),
        ("50", "50–65%"),
        ("65", "50–65%"),
        ("69.99", "50–65%"),
        ("70", "70–85%"),
        ("85", "70–85%"),
        ("89.99", "70–85%"),
        ("90", "90–100%"),
        ("100", "90–100%"),
    ],
)
def test_band_for_at_the_band_boundaries(bands, percent, expected):
    assert feedback.band_for(Decimal(percent), bands).label == expected


def test_band_of_each_category_from_its_share_of_the_points(client, reviewed):
    # 4.1 (110 points: 50 + 30 + 30): all at 50 % → exactly 50 %; 4.2 all at 45 % → 45 %;
    # 4.3 (40 + 50): 40 at 50 %, 50 at 45 % → 47.2 % (still 30–45 %); 4.7 all at 90 % → 90 %.
    material = {"4.1.2": 50, "4.1.3": 50, "4.1.4": 50, "4.2.2": 45, "4.2.3": 45, "4.3.2": 50, "4.3.3": 45}
    material |= dict.fromkeys(("4.7.2", "4.7.3", "4.7.4", "4.7.5", "4.7.6", "4.7.7"), 90)
    dossier, member, _ = reviewed(material=material)
    client.force_login(member)

    report = client.get(page_url(dossier)).context["report"]

    bands = {category.code: category.band.label for category in report.categories}
    assert bands == {
        "4.1": "50–65%",
        "4.2": "30–45%",
        "4.3": "30–45%",
        "4.4": "50–65%",
        "4.5": "50–65%",
        "4.6": "50–65%",
        "4.7": "90–100%",
    }


def test_bands_come_from_the_onsite_consensus_when_there_is_one(client, reviewed):
    dossier, member, _ = reviewed(onsite=True, material={"4.1.2": 90, "4.1.3": 90, "4.1.4": 90})
    client.force_login(member)

    report = client.get(page_url(dossier)).context["report"]

    assert report.basis.stage == ReviewStage.ONSITE
    assert report.categories[0].band.label == "50–65%"  # on-site: every item at the default 60 %


# --- exact scores, the median and the radar ---


def test_exact_scores_hidden_by_default(client, reviewed):
    dossier, member, _ = reviewed(material={"4.3.2": 50, "4.3.3": 45})  # 4.3: 47.2 %, 42.50 points
    client.force_login(member)

    response = client.get(page_url(dossier))

    content = response.content.decode()
    report = response.context["report"]
    assert [(c.percent, c.achieved_points, c.median_percent) for c in report.categories] == [(None, None, None)] * 7
    assert [stage.total for stage in report.stages] == [None]
    assert "47.2" not in content
    assert "42.50" not in content
    assert "588.50" not in content  # the total
    assert zh("Points achieved") not in content
    assert zh("Median of the cycle") not in content
    assert content.count('fill-opacity="0.15"') == 1  # one series on the radar


def test_exact_scores_shown_when_the_cycle_allows_them(client, reviewed):
    dossier, member, _ = reviewed(exact=True, material={"4.3.2": 50, "4.3.3": 45})
    client.force_login(member)

    response = client.get(page_url(dossier))

    content = response.content.decode()
    category = response.context["report"].categories[2]
    assert (category.code, category.achieved_points, category.percent) == ("4.3", "42.50", "47.2")
    assert [stage.total for stage in response.context["report"].stages] == ["588.50"]
    assert "42.50" in content
    assert "47.2%" in content
    assert zh("Median of the cycle") in content
    assert content.count('fill-opacity="0.15"') == 2  # this dossier and the cycle's median


def test_radar_does_not_reveal_exact_shares_when_hidden(client, reviewed):
    # Two dossiers whose 4.1 shares differ (50 % and 60 %) but fall in the same band draw the same radar.
    first, first_member, _ = reviewed(material={"4.1.2": 50, "4.1.3": 50, "4.1.4": 50})
    second, second_member, _ = reviewed(cycle=first.cycle, organisation=OrganisationFactory())

    radars = []
    for dossier, member in ((first, first_member), (second, second_member)):
        client.force_login(member)
        radars.append(str(client.get(page_url(dossier)).context["report"].radar))

    assert radars[0] == radars[1]


def test_cycle_median_per_category_by_each_dossiers_latest_consensus(reviewed):
    cycle = CycleFactory(phase=CyclePhase.ANNOUNCED, feedback_exact_scores=True)
    dossier, _, _ = reviewed(cycle=cycle, default=40)  # 4.2 at 40 %
    reviewed(cycle=cycle, organisation=OrganisationFactory(), default=50)  # 4.2 at 50 %
    reviewed(cycle=cycle, organisation=OrganisationFactory(), onsite=True, default=10)  # on-site 60 % counts
    reviewed(cycle=cycle, organisation=OrganisationFactory(), material_state=ConsensusState.DRAFT, default=100)

    report = feedback.feedback_report(feedback.dossier_for_feedback(dossier_owner(dossier), dossier.pk))

    assert [category.median_percent for category in report.categories] == ["50.0"] * 7


def dossier_owner(dossier):
    return dossier.organisation.memberships.first().user


# --- the content ---


def test_feedback_page_shows_the_agreed_texts_and_the_stages(client, reviewed):
    dossier, member, _ = reviewed(onsite=True)
    client.force_login(member)

    response = client.get(page_url(dossier))

    content = response.content.decode()
    report = response.context["report"]
    assert ORGANISATION in content
    assert dossier.number in content
    assert dossier.cycle.title in content
    assert zh("Material review and on-site review") in content
    assert all(text in content for text in (*OVERALL_STRENGTHS.values(), *OVERALL_OPPORTUNITIES.values()))
    leadership = report.categories[0]
    assert [(c.item_code, c.stage, c.text) for c in leadership.strengths] == [
        ("4.1.2", zh("Material review"), "4.1.2material优势"),
        ("4.1.3", zh("Material review"), "4.1.3material优势"),
        ("4.1.4", zh("Material review"), "4.1.4material优势"),
        ("4.1.2", zh("On-site review"), "4.1.2onsite优势"),
        ("4.1.3", zh("On-site review"), "4.1.3onsite优势"),
        ("4.1.4", zh("On-site review"), "4.1.4onsite优势"),
    ]
    assert "4.7.7onsite改进" in content
    assert [category.code for category in report.categories] == ["4.1", "4.2", "4.3", "4.4", "4.5", "4.6", "4.7"]


def test_feedback_page_of_a_material_only_dossier(client, reviewed):
    dossier, member, _ = reviewed()
    client.force_login(member)

    content = client.get(page_url(dossier)).content.decode()

    assert zh("Material review only") in content
    assert OVERALL_STRENGTHS[ReviewStage.ONSITE] not in content


def test_feedback_page_never_names_an_expert(client, reviewed):
    dossier, member, _ = reviewed(experts=7, onsite=True)
    client.force_login(member)

    content = client.get(page_url(dossier)).content.decode()

    assert [name for name in (*EXPERT_NAMES, *EXPERT_USERNAMES) if name in content] == []
    assert SHEET_TEXT not in content
    assert "内部：现场核实事项" not in content


def test_feedback_page_is_audited(client, reviewed):
    dossier, member, _ = reviewed()
    client.force_login(member)

    client.get(page_url(dossier))

    event = AuditEvent.objects.get(action="feedback.opened")
    assert (event.actor, event.object_id, event.data) == (member, str(dossier.pk), {"format": "page"})


# --- the PDF ---


def test_feedback_pdf_text_names_organisation_and_categories_and_no_expert(client, reviewed):
    dossier, member, _ = reviewed(experts=7, onsite=True)
    client.force_login(member)

    response = client.get(pdf_url(dossier))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment; filename")
    text = squeeze(pdf_text(response.content))
    names = [c.name_zh for c in CriteriaCategory.objects.filter(criteria_id=dossier.cycle.criteria_id)]
    assert ORGANISATION in text
    assert dossier.number in text
    assert [name for name in names if name not in text] == []
    assert OVERALL_STRENGTHS[ReviewStage.ONSITE].replace("：", "") in text.replace("：", "")
    assert [name for name in (*EXPERT_NAMES, *EXPERT_USERNAMES) if name in text] == []
    assert SHEET_TEXT not in text
    event = AuditEvent.objects.get(action="feedback.opened")
    assert (event.actor, event.object_id, event.data) == (member, str(dossier.pk), {"format": "pdf"})


def test_feedback_pdf_hides_exact_scores_by_default(client, reviewed):
    dossier, member, _ = reviewed(material={"4.3.2": 50, "4.3.3": 45})
    client.force_login(member)

    text = squeeze(pdf_text(client.get(pdf_url(dossier)).content))

    assert "30–45%" in text
    assert "42.50" not in text
    assert "47.2" not in text


def test_feedback_pdf_without_a_chinese_font_says_so(client, reviewed, monkeypatch):
    dossier, member, _ = reviewed()
    client.force_login(member)

    def missing(template_name, context):
        raise pdf.MissingChineseFont()

    monkeypatch.setattr(pdf, "render_pdf", missing)

    response = client.get(pdf_url(dossier), follow=True)

    assert response.redirect_chain[0] == (page_url(dossier), 302)
    assert [m.level_tag for m in get_messages(response.wsgi_request)] == ["error"]
    assert list(AuditEvent.objects.filter(action="feedback.opened").values_list("data", flat=True)) == [
        {"format": "page"}
    ]


# --- the portal's link ---


def test_portal_dossier_page_links_to_the_feedback_once_released(client, reviewed):
    dossier, member, _ = reviewed(phase=CyclePhase.PUBLICITY)
    client.force_login(member)
    before = client.get(dossier.get_absolute_url()).content.decode()

    dossier.cycle.phase = CyclePhase.ANNOUNCED
    dossier.cycle.save(update_fields=["phase"])
    after = client.get(dossier.get_absolute_url()).content.decode()

    assert (page_url(dossier) in before, page_url(dossier) in after) == (False, True)


# --- queries ---


@pytest.mark.parametrize("experts", [5, 7])
def test_feedback_page_queries_fixed(client, reviewed, django_assert_num_queries, experts):
    dossier, member, _ = reviewed(experts=experts, onsite=True, exact=True)
    client.force_login(member)

    # The session and the user; a savepoint pair (ATOMIC_REQUESTS) around the membership and its organisation,
    # the dossier, its consensuses and their items, the criteria's categories and items, the bands, the cycle's
    # agreed items (the median), the audit row and the user's roles (the menu); then the session saved again in
    # its own savepoint pair. No query reads a seat, an expert or a score sheet.
    with django_assert_num_queries(18):
        response = client.get(page_url(dossier))

    assert response.status_code == 200
