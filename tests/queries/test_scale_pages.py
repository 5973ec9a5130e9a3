"""Issue 9 (provincial scale): the key pages cost the same number of queries however many dossiers the cycle holds
and however many rows the list has (the public winners list is paginated)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from committee.views.public import WINNERS_PER_PAGE
from mayor_award.core.enums import CyclePhase
from tests.factories.committee_awards import AwardFactory, CertificateFactory
from tests.factories.core import CycleFactory
from tests.factories.review import PanelDossierFactory, PanelFactory

from ..review.test_score_page import item_url, make_panel, score_url

pytestmark = pytest.mark.django_db


def queries(client, method, url, data=None) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = getattr(client, method)(url, data) if data is not None else getattr(client, method)(url)
    assert response.status_code == 200
    return len(captured)


def _expert_pages(client, world) -> dict:
    return {
        "dashboard": queries(client, "get", reverse("review:dashboard")),
        "score": queries(client, "get", score_url(world.dossier)),
        "autosave": queries(client, "post", item_url(world.dossier), {"p_4.1.2": "60"}),
    }


def test_the_experts_pages_do_not_grow_with_the_cycles_dossiers(client):
    world = make_panel(dossiers=2)
    client.force_login(world.seat.expert.user)
    client.get(score_url(world.dossier))  # opens the sheet and fills the per-process caches
    client.post(item_url(world.dossier), {"p_4.1.2": "50"})
    small = _expert_pages(client, world)

    for name in ("二组", "三组"):
        PanelDossierFactory.create_batch(4, panel=PanelFactory(cycle=world.cycle, name=name))
    PanelDossierFactory.create_batch(4, panel=world.panel)
    large = _expert_pages(client, world)

    assert large == small


def test_the_winners_list_is_paginated_at_a_fixed_cost(client):
    cycle = CycleFactory(number=30, year=2078, phase=CyclePhase.ANNOUNCED)
    CertificateFactory(award__cycle=cycle, award__number=1)
    one = queries(client, "get", reverse("committee:winners"))

    for number in range(2, WINNERS_PER_PAGE + 3):
        AwardFactory(cycle=cycle, number=number)
    page = client.get(reverse("committee:winners")).content.decode()
    many = queries(client, "get", reverse("committee:winners"))

    assert many == one
    assert page.count('class="winner') == WINNERS_PER_PAGE
    second = client.get(reverse("committee:winners"), {"page": 2}).content.decode()
    assert second.count('class="winner') == 2


def test_the_review_dashboard_charts_are_cached_until_a_sheet_is_submitted(client, secretariat):
    from review import dashboard, sheets
    from tests.review.dashboard_data import score, scored_cycle

    world = scored_cycle(experts=5)
    seats, dossier = world.seats[0], world.dossiers[0][0]
    score(seats[0], dossier)
    client.force_login(secretariat)
    address = reverse("admin:review_dashboard", args=[world.cycle.pk])
    cold = queries(client, "get", address)
    first = client.get(address).context["dashboard"].charts
    warm = queries(client, "get", address)
    score(seats[1], dossier, percent=90)
    fresh = client.get(address).context["dashboard"].charts
    reopened = sheets.sheet_reopen(sheet=seats[1].sheets.get(), reason="笔误", by=secretariat)
    score(seats[1], dossier, percent=10)  # the same sheet, submitted again with other percentages
    again = client.get(address).context["dashboard"].charts

    # The percentages of the page's sheets and consensuses, and the cycle-wide spread per item, are not read again.
    assert warm == cold - 3
    assert fresh["radar"][0]["series"]["material"]["sheets"] == 2 and fresh != first
    assert reopened.pk == seats[1].sheets.get().pk and again != fresh
    assert again == dashboard.chart_data(world.cycle, *_scores_read(world.cycle))


def _scores_read(cycle):
    from review import dashboard

    rows = dashboard._read(cycle)
    dashboard._read_scores(cycle, rows)
    return rows, {panel.pk: panel.name for panel in rows.panels}
