"""The Excel export of every score of a cycle (评分汇总表): a sheet per stage with a row per item score, a summary
per dossier, Chinese headers, a frozen header row; only for the secretariat, and audited."""

import io
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook

from mayor_award.core.enums import CyclePhase
from mayor_award.core.models import AuditEvent
from review import export
from review.enums import ReviewStage, SheetState
from tests.factories.core import UserFactory
from tests.review.dashboard_data import agree, item_codes, score, scored_cycle

pytestmark = pytest.mark.django_db


def zh(value) -> str:
    with translation.override("zh-hans"):
        return str(value)


def download(client, cycle):
    response = client.get(reverse("admin:review_scores_export", args=[cycle.pk]))
    # Read to its end, which closes it; a second close() would close the test's database connection.
    content = b"".join(response.streaming_content)
    return response, load_workbook(io.BytesIO(content))


@pytest.fixture
def world():
    """One panel, one dossier, five experts: four submitted at 50 % (one item at 70 % for the first), one draft."""
    world = scored_cycle(dossiers=1, experts=5, phase=CyclePhase.ONSITE_REVIEW)
    dossier = world.dossiers[0][0]
    seats = world.seats[0]
    score(seats[0], dossier, percents={"4.1.2": 70}, strengths='=HYPERLINK("http://x")')
    for seat in seats[1:4]:
        score(seat, dossier, percent=50)
    score(seats[4], dossier, percent=40, submit=False)
    return world


def test_export_has_a_summary_and_a_sheet_per_stage(client, secretariat, world):
    client.force_login(secretariat)

    response, book = download(client, world.cycle)

    assert response.status_code == 200
    assert book.sheetnames == [zh(export.SUMMARY_TITLE), zh(ReviewStage.MATERIAL.label), zh(ReviewStage.ONSITE.label)]


def test_export_headers_are_translated_and_frozen(client, secretariat, world):
    client.force_login(secretariat)

    _response, book = download(client, world.cycle)

    material = book[zh(ReviewStage.MATERIAL.label)]
    assert [cell.value for cell in material[1]] == [zh(header) for header, _width in export.SCORE_COLUMNS]
    assert material.freeze_panes == "A2"
    assert material.column_dimensions["B"].width == 30
    assert book[zh(export.SUMMARY_TITLE)].freeze_panes == "A2"


def test_export_has_one_row_per_item_score(client, secretariat, world):
    client.force_login(secretariat)

    _response, book = download(client, world.cycle)

    rows = list(book[zh(ReviewStage.MATERIAL.label)].iter_rows(min_row=2, values_only=True))
    assert len(rows) == 5 * 23
    dossier, seat = world.dossiers[0][0], world.seats[0][0]
    first = next(row for row in rows if row[3] == str(seat.expert) and row[5] == "4.1.2")
    assert first[:7] == (
        dossier.number,
        dossier.organisation.name,
        world.panels[0].name,
        str(seat.expert),
        first[4],
        "4.1.2",
        first[6],
    )
    assert first[4].startswith("4.1 ")
    assert (first[7], first[8], first[9]) == (35, 70, 50)  # 50 points x 70 % = 35
    assert first[10] == '=HYPERLINK("http://x")'  # text stays text, never a formula
    assert first[12] == zh(SheetState.SUBMITTED.label)
    assert first[13] is not None
    draft = [row for row in rows if row[3] == str(world.seats[0][4].expert)]
    assert {(row[8], row[12], row[13]) for row in draft} == {(40, zh(SheetState.DRAFT.label), None)}
    assert list(book[zh(ReviewStage.ONSITE.label)].iter_rows(min_row=2, values_only=True)) == []


def test_export_formula_text_is_stored_as_a_string(client, secretariat, world):
    client.force_login(secretariat)

    _response, book = download(client, world.cycle)

    cells = [row[10] for row in book[zh(ReviewStage.MATERIAL.label)].iter_rows(min_row=2)]
    assert {cell.data_type for cell in cells} == {"s"}


def test_export_summary_has_expert_totals_aggregate_and_consensus(client, secretariat, world):
    agree(world.panels[0], world.dossiers[0][0], stage="material", percent=55)
    client.force_login(secretariat)

    _response, book = download(client, world.cycle)

    summary = book[zh(export.SUMMARY_TITLE)]
    header = [cell.value for cell in summary[1]]
    assert header[:7] == [zh(label) for label, _width in export.SUMMARY_COLUMNS]
    assert len(header) == 7 + 2 * 4  # four submitted sheets
    [row] = list(summary.iter_rows(min_row=2, values_only=True))
    dossier = world.dossiers[0][0]
    stage = zh(ReviewStage.MATERIAL.label)
    assert row[:5] == (dossier.number, dossier.organisation.name, world.panels[0].name, stage, 4)
    # Four sheets: the mean (no trimming below five scores): (510 + 3 x 500) / 4.
    assert Decimal(str(row[5])) == Decimal("502.5")
    assert Decimal(str(row[6])) == Decimal("550")
    totals = dict(zip(row[7::2], row[8::2], strict=True))
    assert totals[str(world.seats[0][0].expert)] == 510  # 4.1.2 (50 points) at 70 % instead of 50 %
    assert {totals[str(seat.expert)] for seat in world.seats[0][1:4]} == {500}


def test_export_file_name_has_the_cycle_number(client, secretariat, world):
    client.force_login(secretariat)

    response, _book = download(client, world.cycle)

    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert "attachment" in response["Content-Disposition"]
    name = export.filename(world.cycle)
    assert name.endswith(".xlsx")
    assert str(world.cycle.number) in name


def test_export_is_audited(client, secretariat, world):
    client.force_login(secretariat)

    download(client, world.cycle)

    event = AuditEvent.objects.get(action="review.scores_exported")
    assert (event.actor, event.object_id, event.data) == (secretariat, str(world.cycle.pk), {"rows": 5 * 23})


@pytest.mark.parametrize("role", ["expert", "applicant", "committee"])
def test_export_refused_to_other_roles(client, world, role):
    client.force_login(UserFactory(roles=[role]))

    response = client.get(reverse("admin:review_scores_export", args=[world.cycle.pk]))

    assert response.status_code == 302
    assert "/login/" in response["Location"]
    assert not AuditEvent.objects.filter(action="review.scores_exported").exists()


def test_export_refused_to_staff_outside_the_secretariat(client, world):
    client.force_login(UserFactory(roles=["expert"], is_staff=True))

    assert client.get(reverse("admin:review_scores_export", args=[world.cycle.pk])).status_code == 403


def test_export_of_a_cycle_without_scores_has_headers_only(client, secretariat):
    world = scored_cycle(dossiers=1, experts=5)
    client.force_login(secretariat)

    _response, book = download(client, world.cycle)

    assert book[zh(ReviewStage.MATERIAL.label)].max_row == 1
    [row] = list(book[zh(export.SUMMARY_TITLE)].iter_rows(min_row=2, values_only=True))
    assert row[4:7] == (0, None, None)


def test_export_rows_follow_the_criteria_order(client, secretariat, world):
    client.force_login(secretariat)

    _response, book = download(client, world.cycle)

    rows = list(book[zh(ReviewStage.MATERIAL.label)].iter_rows(min_row=2, values_only=True))
    expert = str(world.seats[0][0].expert)
    assert [row[5] for row in rows if row[3] == expert] == item_codes(world.cycle)


@pytest.mark.parametrize(("panels", "dossiers", "experts"), [(1, 1, 5), (3, 3, 7)])
def test_export_queries_bounded(client, secretariat, django_assert_max_num_queries, panels, dossiers, experts):
    world = scored_cycle(panels=panels, dossiers=dossiers, experts=experts)
    for panel, panel_seats, panel_dossiers in zip(world.panels, world.seats, world.dossiers, strict=True):
        for seat in panel_seats:
            score(seat, panel_dossiers[0])
        agree(panel, panel_dossiers[0])
    client.force_login(secretariat)

    # The session, the user, the savepoints, the cycle, the criteria, the scores, the consensuses, the dossiers,
    # the audit row, the permission checks and the session saved again: the same for any size of cycle.
    with django_assert_max_num_queries(16):
        response = client.get(reverse("admin:review_scores_export", args=[world.cycle.pk]))
        b"".join(response.streaming_content)
