"""The review dashboard at a province's scale: panels paginated, a fixed number of queries per page whatever the
number of panels, and the cycle-wide figures (totals, late experts, spread per item) from database aggregates."""

import statistics
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from mayor_award.core.enums import CyclePhase
from review import dashboard
from review.enums import ReviewStage
from review.models import Conflict
from tests.review.dashboard_data import agree, item_codes, score, scored_cycle, select

pytestmark = pytest.mark.django_db


def url(cycle, query=""):
    return reverse("admin:review_dashboard", args=[cycle.pk]) + query


def queries(client, address) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(address).status_code == 200
    return len(captured)


def _half_scored(world):
    """In each panel the first expert submits the first dossier and the second leaves a draft of it."""
    for panel, seats, dossiers in zip(world.panels, world.seats, world.dossiers, strict=True):
        score(seats[0], dossiers[0])
        score(seats[1], dossiers[0], submit=False)
        agree(panel, dossiers[0])


def cold_queries(client, address) -> int:
    cache.clear()  # the charts and the spread computed again, as on the first request after a sheet is submitted
    return queries(client, address)


def test_a_page_costs_the_same_queries_for_one_panel_or_three(client, secretariat, monkeypatch):
    monkeypatch.setattr(dashboard, "PANELS_PER_PAGE", 3)
    world = scored_cycle(panels=4, dossiers=2, experts=5)
    _half_scored(world)
    single = scored_cycle(panels=1, dossiers=1, experts=5, number=2)
    _half_scored(single)
    client.force_login(secretariat)
    client.get(url(world.cycle))  # the per-process caches (permissions, templates)

    three = cold_queries(client, url(world.cycle))
    one = cold_queries(client, url(world.cycle, "?page=2"))
    alone = cold_queries(client, url(single.cycle))
    warm = queries(client, url(single.cycle))

    assert len(client.get(url(world.cycle)).context["dashboard"].panels) == 3
    assert three == one == alone
    assert warm == alone - 3  # the page's percentages and the cycle-wide spread come from the cache


def test_page_two_shows_the_other_panels_and_the_totals_of_every_panel(client, secretariat, monkeypatch):
    monkeypatch.setattr(dashboard, "PANELS_PER_PAGE", 2)
    world = scored_cycle(panels=3, dossiers=1, experts=5)
    _half_scored(world)
    client.force_login(secretariat)

    first = client.get(url(world.cycle)).context["dashboard"]
    second = client.get(url(world.cycle, "?page=2")).context["dashboard"]

    assert [entry.panel for entry in first.panels] == world.panels[:2]
    assert [entry.panel for entry in second.panels] == world.panels[2:]
    assert [entry["dossier"] for entry in second.charts["radar"]] == [world.dossiers[2][0].number]
    assert {seat.panel for seat in (late.seat for late in second.late)} == {world.panels[2]}
    assert {row["panel"] for row in second.charts["stages"][0]["calibration"]} <= {world.panels[2].name}
    material = second.totals[ReviewStage.MATERIAL.value]
    assert (material.dossiers, material.expected, material.submitted, material.drafts) == (3, 15, 3, 3)
    assert material.consensus_recorded == 3
    assert (second.late_count, second.late_panel_count, second.panel_count) == (15 - 3, 3, 3)
    assert second.page.number == 2 and second.page.paginator.num_pages == 2


def test_the_pages_link_to_each_other(client, secretariat, monkeypatch):
    monkeypatch.setattr(dashboard, "PANELS_PER_PAGE", 1)
    world = scored_cycle(panels=2, dossiers=1, experts=5)
    client.force_login(secretariat)

    content = client.get(url(world.cycle)).content.decode()

    assert 'href="?page=2"' in content
    assert content.count('class="progress-row"') == 2  # one panel, two stages
    assert world.panels[1].name not in content.split('id="review-progress"')[1].split("</table>")[0]


def test_totals_over_every_page_add_up_what_each_page_shows(client, secretariat, monkeypatch):
    monkeypatch.setattr(dashboard, "PANELS_PER_PAGE", 1)
    world = scored_cycle(panels=2, dossiers=2, experts=5, phase=CyclePhase.ONSITE_REVIEW)
    _half_scored(world)
    Conflict.objects.create(expert=world.seats[0][2].expert, organisation=world.dossiers[0][1].organisation)
    select(world.panels[0], world.dossiers[0][0])
    select(world.panels[1], world.dossiers[1][0], selected=False)
    score(world.seats[0][3], world.dossiers[0][0], stage="onsite")

    pages = [dashboard.review_dashboard(world.cycle, page=number) for number in (1, 2)]

    for index, stage in enumerate(dashboard.STAGES):
        shown = [entry.stages[index] for page in pages for entry in page.panels]
        total = pages[0].totals[stage.value]
        for name in ("dossiers", "expected", "submitted", "drafts", "consensus_recorded"):
            assert getattr(total, name) == sum(getattr(progress, name) for progress in shown), (stage, name)
    assert pages[0].late_count == sum(len(page.late) for page in pages) == 4  # on site: five experts, one done


def test_late_only_lists_the_panels_with_a_late_expert(client, secretariat):
    world = scored_cycle(panels=2, dossiers=1, experts=5)
    for seat in world.seats[0]:
        score(seat, world.dossiers[0][0])
    client.force_login(secretariat)

    response = client.get(url(world.cycle, "?late=1"))

    data = response.context["dashboard"]
    assert [entry.panel for entry in data.panels] == [world.panels[1]]
    assert (data.late_count, data.late_panel_count, data.panel_count) == (5, 1, 2)
    assert 'id="all-panels-link"' in response.content.decode()


def test_cycle_wide_spread_per_item_is_the_spread_of_every_panels_scores(client, secretariat, monkeypatch):
    monkeypatch.setattr(dashboard, "PANELS_PER_PAGE", 1)
    world = scored_cycle(panels=2, dossiers=1, experts=5)
    given = {0: (30, 45, 50, 61, 70), 1: (55, 80, 90, 100, 0)}
    for index, percents in given.items():
        for seat, percent in zip(world.seats[index], percents, strict=True):
            score(seat, world.dossiers[index][0], percents={"4.1.2": percent}, percent=40 + index * 10)
    score(world.seats[1][0], world.dossiers[1][0], stage="onsite", submit=False)  # a draft counts nowhere
    client.force_login(secretariat)

    data = client.get(url(world.cycle)).context["dashboard"]

    material, onsite = data.spread
    assert (material["code"], onsite["code"], onsite["rows"]) == ("material", "onsite", [])
    rows = {row["item"]: row for row in material["rows"]}
    assert list(rows) == item_codes(world.cycle)
    scores = [Decimal(percent) for percents in given.values() for percent in percents]
    assert rows["4.1.2"] == {
        "item": "4.1.2",
        "title": rows["4.1.2"]["title"],
        "count": 10,
        "mean": float(round(statistics.mean(scores), 1)),
        "std_dev": float(round(statistics.pstdev(scores), 1)),
        "lowest": 0.0,
        "highest": 100.0,
    }
    other = rows[item_codes(world.cycle)[1]]
    assert (other["count"], other["mean"], other["std_dev"]) == (10, 45.0, 5.0)  # five at 40 %, five at 50 %
    # The page's own spread (the box chart) only has the first panel's scores.
    assert data.charts["stages"][0]["spread"][0]["count"] == 5


def test_cycle_wide_spread_is_cached_until_a_sheet_is_submitted(client, secretariat):
    world = scored_cycle(panels=1, dossiers=1, experts=5)
    score(world.seats[0][0], world.dossiers[0][0], percent=50)
    client.force_login(secretariat)
    client.get(url(world.cycle))

    score(world.seats[0][1], world.dossiers[0][0], percent=70)
    material = client.get(url(world.cycle)).context["dashboard"].spread[0]

    assert (material["rows"][0]["count"], material["rows"][0]["mean"]) == (2, 60.0)
