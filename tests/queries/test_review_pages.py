"""The experts' pages cost the same number of queries for one seat and dossier as for three (no N+1)."""

import pytest
from django.urls import reverse

from applications.models import Dossier
from tests.factories.core import CycleFactory
from tests.factories.review import ExpertFactory, PanelDossierFactory, PanelFactory, PledgeFactory, SeatFactory

pytestmark = pytest.mark.django_db

ITEM_COUNTS = (1, 3)


@pytest.fixture
def seated_expert():
    """`make(count)`: an expert with an accepted seat and a signed pledge in each of `count` cycles, each panel
    with `count` dossiers, and one seat still to answer in the newest cycle."""

    def make(count):
        expert = ExpertFactory()
        for number in range(1, count + 1):
            cycle = CycleFactory(number=number, phase="material_review")
            panel = PanelFactory(cycle=cycle)
            PanelDossierFactory.create_batch(count, panel=panel)
            SeatFactory(panel=panel, expert=expert, accepted=True, leader=number == 1)
            PledgeFactory(expert=expert, cycle=cycle)
        SeatFactory(panel=PanelFactory(cycle=cycle, name="另一组"), expert=expert)
        return expert

    return make


@pytest.mark.parametrize("item_count", ITEM_COUNTS)
def test_expert_dashboard_queries_fixed(client, seated_expert, django_assert_num_queries, item_count):
    expert = seated_expert(item_count)
    client.force_login(expert.user)

    # The session and the user; a savepoint pair (ATOMIC_REQUESTS) around the expert, the seats with panels and
    # cycles, their dossiers with organisations, the pledged cycles and the user's roles (the menu); then the
    # session saved again (SESSION_SAVE_EVERY_REQUEST) inside its own savepoint pair.
    with django_assert_num_queries(12):
        response = client.get(reverse("review:dashboard"))

    assert len(response.context["seats"]) == item_count + 1
    content = response.content.decode()
    links = [f'href="{reverse("review:dossier", kwargs={"pk": dossier.pk})}"' for dossier in Dossier.objects.all()]
    assert [content.count(link) for link in links] == [1] * item_count**2
