"""Score sheets: each expert scores the 23 items on their own, submits when complete (Art. 12), and only the
secretariat reopens a submitted sheet."""

import pytest
from django.urls import reverse
from django.utils import translation

from mayor_award.core.enums import CyclePhase
from mayor_award.core.models import AuditEvent, CriteriaItem
from review import sheets
from review.enums import SheetState
from tests.factories.core import CycleFactory
from tests.factories.review import PanelDossierFactory, PanelFactory, PledgeFactory, SeatFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def reading():
    """An accepted, pledged expert on the panel of a dossier whose cycle is in the material review."""
    cycle = CycleFactory(number=1, year=2020, phase=CyclePhase.MATERIAL_REVIEW)
    panel = PanelFactory(cycle=cycle)
    assignment = PanelDossierFactory(panel=panel)
    seat = SeatFactory(panel=panel, accepted=True)
    PledgeFactory(expert=seat.expert, cycle=cycle)
    return seat, assignment.dossier


def codes(dossier):
    return list(
        CriteriaItem.objects.filter(category__criteria_id=dossier.cycle.criteria_id).values_list("code", flat=True)
    )


def all_items(dossier, percent=50):
    return {code: {"percent": percent, "strengths": "方法系统", "opportunities": "加强展开"} for code in codes(dossier)}


def test_sheet_opens_with_one_row_per_scored_item(reading):
    seat, dossier = reading

    sheet = sheets.sheet_open(seat=seat, dossier=dossier, stage="material")

    assert sheet.items.count() == 23
    assert sheets.sheet_open(seat=seat, dossier=dossier, stage="material") == sheet


@pytest.mark.parametrize("percent", [0, 5, 100])
def test_sheet_save_accepts_steps_of_five(reading, percent):
    seat, dossier = reading
    sheet = sheets.sheet_open(seat=seat, dossier=dossier, stage="material")

    sheets.sheet_save(sheet=sheet, entries={"4.1.2": {"percent": percent}}, by=seat.expert.user)

    assert sheet.items.get(item__code="4.1.2").percent == percent


@pytest.mark.parametrize("percent", [-5, 7, 105])
def test_sheet_save_refuses_other_percentages(reading, percent):
    seat, dossier = reading
    sheet = sheets.sheet_open(seat=seat, dossier=dossier, stage="material")

    with pytest.raises(sheets.SheetError):
        sheets.sheet_save(sheet=sheet, entries={"4.1.2": {"percent": percent}}, by=seat.expert.user)

    assert sheet.items.get(item__code="4.1.2").percent is None


def test_sheet_submit_refused_until_every_item_is_scored(reading):
    seat, dossier = reading
    sheet = sheets.sheet_open(seat=seat, dossier=dossier, stage="material")
    entries = all_items(dossier)
    entries["4.7.7"]["percent"] = None
    sheets.sheet_save(sheet=sheet, entries=entries, by=seat.expert.user)

    with pytest.raises(sheets.SheetError, match=r"4\.7\.7"), translation.override("en"):
        sheets.sheet_submit(sheet=sheet, by=seat.expert.user)

    sheet.refresh_from_db()
    assert sheet.state == SheetState.DRAFT


def test_sheet_submitted_is_locked_and_reopened_only_with_a_reason(reading, secretariat):
    seat, dossier = reading
    sheet = sheets.sheet_open(seat=seat, dossier=dossier, stage="material")
    sheets.sheet_save(sheet=sheet, entries=all_items(dossier), by=seat.expert.user)
    sheets.sheet_submit(sheet=sheet, by=seat.expert.user)

    with pytest.raises(sheets.SheetError):
        sheets.sheet_save(sheet=sheet, entries={"4.1.2": {"percent": 0}}, by=seat.expert.user)
    with pytest.raises(sheets.SheetError):
        sheets.sheet_reopen(sheet=sheet, reason=" ", by=secretariat)
    sheets.sheet_reopen(sheet=sheet, reason="评分录入有误", by=secretariat)

    sheet.refresh_from_db()
    assert sheet.state == SheetState.DRAFT
    assert list(AuditEvent.objects.filter(action="sheet.reopened").values_list("data", flat=True)) == [
        {"reason": "评分录入有误"}
    ]


def test_sheet_total_is_item_points_times_percentages(reading):
    seat, dossier = reading
    sheet = sheets.sheet_open(seat=seat, dossier=dossier, stage="material")
    sheets.sheet_save(sheet=sheet, entries=all_items(dossier, percent=50), by=seat.expert.user)

    total, categories = sheets.sheet_total(sheet)

    assert total == 500
    assert categories["4.7"] == 200


def test_score_page_saves_and_submits(client, reading):
    seat, dossier = reading
    client.force_login(seat.expert.user)
    url = reverse("review:score", args=[dossier.pk, "material"])
    form = {f"p_{code}": "60" for code in codes(dossier)} | {"action": "submit"}

    assert client.get(url).status_code == 200
    response = client.post(url, form)

    assert response.status_code == 302
    sheet = seat.sheets.get()
    assert sheet.state == SheetState.SUBMITTED
    assert set(sheet.items.values_list("percent", flat=True)) == {60}


def test_score_page_of_another_panel_or_a_closed_stage_is_not_found(client, reading):
    seat, dossier = reading
    outsider = SeatFactory(panel=PanelFactory(cycle=dossier.cycle), accepted=True)
    PledgeFactory(expert=outsider.expert, cycle=dossier.cycle)
    client.force_login(outsider.expert.user)

    assert client.get(reverse("review:score", args=[dossier.pk, "material"])).status_code == 404

    client.force_login(seat.expert.user)
    response = client.post(reverse("review:score", args=[dossier.pk, "onsite"]), {"action": "save"})
    assert response.status_code == 302
    assert seat.sheets.get(stage="onsite").state == SheetState.DRAFT  # opened, but the on-site stage refuses saves


# --- the cycle's step, one item at a time (the page's autosave), and what a refusal keeps ---


def reading_with(**cycle_settings):
    cycle = CycleFactory(number=2, year=2022, phase=CyclePhase.MATERIAL_REVIEW, **cycle_settings)
    assignment = PanelDossierFactory(panel=PanelFactory(cycle=cycle))
    seat = SeatFactory(panel=assignment.panel, accepted=True)
    PledgeFactory(expert=seat.expert, cycle=cycle)
    return seat, assignment.dossier, sheets.sheet_open(seat=seat, dossier=assignment.dossier, stage="material")


@pytest.mark.parametrize(
    ("step", "percent", "accepted"), [(10, 15, False), (10, 20, True), (5, 15, True), (1, 7, True)]
)
def test_the_cycles_step_decides_which_percentages_are_accepted(step, percent, accepted):
    seat, _, sheet = reading_with(score_step=step)
    user = seat.expert.user

    for save in (
        lambda: sheets.sheet_save(sheet=sheet, entries={"4.1.2": {"percent": percent}}, by=user),
        lambda: sheets.sheet_save_item(sheet=sheet, code="4.1.2", entry={"percent": percent}, by=user),
    ):
        if accepted:
            save()
        else:
            with pytest.raises(sheets.SheetError, match=rf"4\.1\.2: {percent} .*{step}"), translation.override("en"):
                save()

    assert sheet.items.get(item__code="4.1.2").percent == (percent if accepted else None)


def test_a_sheet_in_steps_of_one_is_submitted_with_a_seven():
    seat, dossier, sheet = reading_with(score_step=1)
    entries = all_items(dossier) | {"4.1.2": {"percent": 7}}
    sheets.sheet_save(sheet=sheet, entries=entries, by=seat.expert.user)

    sheets.sheet_submit(sheet=sheet, by=seat.expert.user)

    assert sheet.items.get(item__code="4.1.2").percent == 7


@pytest.mark.parametrize("percent", [-5, 105])
def test_sheet_save_item_refuses_a_percentage_out_of_range(reading, percent):
    seat, dossier = reading
    sheet = sheets.sheet_open(seat=seat, dossier=dossier, stage="material")

    with pytest.raises(sheets.SheetError):
        sheets.sheet_save_item(sheet=sheet, code="4.1.2", entry={"percent": percent}, by=seat.expert.user)


def test_sheet_save_item_writes_only_the_fields_sent(reading):
    seat, dossier = reading
    sheet = sheets.sheet_open(seat=seat, dossier=dossier, stage="material")
    sheets.sheet_save(sheet=sheet, entries=all_items(dossier, percent=40), by=seat.expert.user)

    sheets.sheet_save_item(sheet=sheet, code="4.1.2", entry={"percent": 65}, by=seat.expert.user)
    sheets.sheet_save_item(sheet=sheet, code="4.2.2", entry={"strengths": "战略清晰"}, by=seat.expert.user)

    rows = {row.item.code: row for row in sheet.items.select_related("item")}
    assert (rows["4.1.2"].percent, rows["4.1.2"].strengths) == (65, "方法系统")
    assert (rows["4.2.2"].percent, rows["4.2.2"].strengths, rows["4.2.2"].opportunities) == (40, "战略清晰", "加强展开")
    assert {row.percent for code, row in rows.items() if code != "4.1.2"} == {40}


@pytest.mark.parametrize("code", ["9.9.9", "4.1.1"])  # 4.1.1 is a heading of the standard, not a scored item
def test_sheet_save_item_refuses_a_code_not_in_the_criteria(reading, code):
    seat, dossier = reading
    sheet = sheets.sheet_open(seat=seat, dossier=dossier, stage="material")

    with pytest.raises(sheets.UnknownItem):
        sheets.sheet_save_item(sheet=sheet, code=code, entry={"percent": 50}, by=seat.expert.user)


def test_sheet_save_item_refused_after_submit_and_nothing_is_lost(reading):
    seat, dossier = reading
    sheet = sheets.sheet_open(seat=seat, dossier=dossier, stage="material")
    sheets.sheet_save(sheet=sheet, entries=all_items(dossier, percent=55), by=seat.expert.user)
    sheets.sheet_submit(sheet=sheet, by=seat.expert.user)

    with pytest.raises(sheets.SheetClosed):
        sheets.sheet_save_item(sheet=sheet, code="4.1.2", entry={"percent": 0, "strengths": ""}, by=seat.expert.user)

    assert set(sheet.items.values_list("percent", "strengths")) == {(55, "方法系统")}


def test_sheet_save_item_refused_when_the_stage_is_not_open(reading):
    seat, dossier = reading
    sheet = sheets.sheet_open(seat=seat, dossier=dossier, stage="onsite")

    with pytest.raises(sheets.SheetClosed):
        sheets.sheet_save_item(sheet=sheet, code="4.1.2", entry={"percent": 50}, by=seat.expert.user)


def test_a_refused_form_keeps_what_was_saved(reading):
    seat, dossier = reading
    sheet = sheets.sheet_open(seat=seat, dossier=dossier, stage="material")
    sheets.sheet_save(sheet=sheet, entries={"4.1.2": {"percent": 50}}, by=seat.expert.user)

    with pytest.raises(sheets.SheetError):
        sheets.sheet_save(
            sheet=sheet, entries={"4.1.2": {"percent": 10}, "4.1.3": {"percent": 12}}, by=seat.expert.user
        )

    assert sheet.items.get(item__code="4.1.2").percent == 50


def test_panel_scores_visible_after_own_submission_only_under_independent_scoring(reading):
    seat, dossier = reading
    sheet = sheets.sheet_open(seat=seat, dossier=dossier, stage="material")

    assert not sheets.panel_scores_visible(dossier.cycle, None)
    assert not sheets.panel_scores_visible(dossier.cycle, sheet)
    sheet.state = SheetState.SUBMITTED
    assert sheets.panel_scores_visible(dossier.cycle, sheet)
    dossier.cycle.independent_scoring = False
    assert sheets.panel_scores_visible(dossier.cycle, None)
