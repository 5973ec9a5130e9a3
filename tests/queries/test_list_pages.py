"""Every page that lists things costs the same number of queries for one item as for three (no N+1)."""

import pytest
from django.urls import reverse

from mayor_award.core import services
from tests.factories.core import CycleFactory, NoticeFactory

pytestmark = pytest.mark.django_db

ITEM_COUNTS = (1, 3)


@pytest.fixture
def notices():
    cycle = CycleFactory(number=1, year=2020, phase="open")

    def make(count):
        return NoticeFactory.create_batch(count, cycle=cycle, published=True)

    return make


@pytest.mark.parametrize("item_count", ITEM_COUNTS)
def test_home_queries_fixed(client, notices, django_assert_num_queries, item_count):
    created = notices(item_count)

    # A savepoint pair (ATOMIC_REQUESTS), the current cycle, the latest notices.
    with django_assert_num_queries(4):
        response = client.get(reverse("home"))

    assert sorted(notice.pk for notice in response.context["notices"]) == sorted(n.pk for n in created)


@pytest.mark.parametrize("item_count", ITEM_COUNTS)
def test_notice_list_queries_fixed(client, notices, django_assert_num_queries, item_count):
    notices(item_count)

    with django_assert_num_queries(4):  # a savepoint pair, the paginator's count, the page
        response = client.get(reverse("notice-list"))

    assert len(response.context["page"].object_list) == item_count


@pytest.mark.parametrize("item_count", ITEM_COUNTS)
def test_notice_feed_queries_fixed(client, notices, django_assert_num_queries, item_count):
    notices(item_count)

    with django_assert_num_queries(3):  # a savepoint pair, the notices
        response = client.get(reverse("notice-feed"))

    assert response.content.count(b"<entry>") == item_count


@pytest.mark.parametrize("item_count", ITEM_COUNTS)
def test_admin_notice_changelist_queries_fixed(client, secretariat, notices, django_assert_num_queries, item_count):
    notices(item_count)
    client.force_login(secretariat)

    with django_assert_num_queries(14):
        response = client.get(reverse("admin:core_notice_changelist"))

    assert response.context["cl"].result_count == item_count


@pytest.mark.parametrize("item_count", ITEM_COUNTS)
def test_admin_cycle_changelist_queries_fixed(client, secretariat, django_assert_num_queries, item_count):
    for number in range(1, item_count + 1):
        CycleFactory(number=number)
    client.force_login(secretariat)

    with django_assert_num_queries(13):
        response = client.get(reverse("admin:core_cycle_changelist"))

    assert response.context["cl"].result_count == item_count


@pytest.mark.parametrize("item_count", ITEM_COUNTS)
def test_admin_audit_changelist_queries_fixed(client, secretariat, django_assert_num_queries, item_count):
    cycle = CycleFactory(number=1)
    for _ in range(item_count):
        services.audit_record(actor=secretariat, action="cycle.phase_changed", obj=cycle)
    client.force_login(secretariat)

    with django_assert_num_queries(17):
        response = client.get(reverse("admin:core_auditevent_changelist"))

    assert response.context["cl"].result_count == item_count


@pytest.fixture
def organisation_dossiers():
    """`make(count)`: one organisation's dossiers in `count` consecutive cycles, and its applicant user."""
    from tests.factories.applications import DossierFactory, MembershipFactory, OrganisationFactory

    organisation = OrganisationFactory()
    member = MembershipFactory(organisation=organisation)

    def make(count):
        for number in range(1, count + 1):
            DossierFactory(organisation=organisation, cycle=CycleFactory(number=number), submitted=True)
        return member.user

    return make


@pytest.mark.parametrize("item_count", ITEM_COUNTS)
def test_applicant_dashboard_queries_fixed(client, organisation_dossiers, django_assert_num_queries, item_count):
    client.force_login(organisation_dossiers(item_count))

    with django_assert_num_queries(13):
        response = client.get(reverse("applications:dashboard"))

    assert len(response.context["dossiers"]) == item_count


@pytest.mark.parametrize("item_count", ITEM_COUNTS)
def test_admin_dossier_changelist_queries_fixed(
    client, secretariat, organisation_dossiers, django_assert_num_queries, item_count
):
    organisation_dossiers(item_count)
    client.force_login(secretariat)

    # 13: the dossier list counts its rows once (show_full_result_count off: no second count of the whole table).
    with django_assert_num_queries(13):
        response = client.get(reverse("admin:applications_dossier_changelist"))

    assert response.context["cl"].result_count == item_count
