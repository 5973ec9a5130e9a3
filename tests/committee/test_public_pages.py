"""The public pages at their stable addresses: /publicity/<cycle>/, /winners/, /verify/<serial>/."""

import datetime as dt

import pytest
from django.utils import timezone, translation
from django.utils.formats import date_format

from committee.models import Award
from mayor_award.core.enums import CyclePhase
from tests.factories.committee_awards import (
    AwardFactory,
    CertificateFactory,
    approved_cycle,
    publicise,
)
from tests.factories.core import CycleFactory


@pytest.fixture(autouse=True)
def _english(client, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with translation.override("en"):
        yield


def test_public_addresses_are_stable():
    from django.urls import reverse

    assert reverse("committee:publicity", kwargs={"cycle": 5}) == "/publicity/5/"
    assert reverse("committee:winners") == "/winners/"
    assert reverse("committee:verify", kwargs={"serial": "LHZLJ-2026-01"}) == "/verify/LHZLJ-2026-01/"


# --- publicity ---


@pytest.mark.django_db
def test_publicity_page_lists_candidates_period_and_the_form_while_it_runs(client, secretariat_user):
    approved = approved_cycle(proposed=2, spare=1)
    publicity = publicise(approved.cycle, by=secretariat_user)

    response = client.get(f"/publicity/{approved.cycle.number}/")

    page = response.content.decode()
    assert response.status_code == 200
    for entry in approved.entries:
        organisation = entry.candidate.dossier.organisation
        assert organisation.name in page
        assert str(organisation.get_industry_section_display()) in page
    assert approved.spare[0].candidate.dossier.organisation.name not in page
    assert f"Publicity period: {date_format(publicity.starts_on)} to {date_format(publicity.ends_on)}" in page
    assert 'id="how-to-object"' in page
    assert 'id="objection-form"' in page


@pytest.mark.django_db
def test_publicity_page_before_the_notice_is_public_shows_nothing_yet(client, secretariat_user):
    approved = approved_cycle()
    publicise(approved.cycle, by=secretariat_user, starts_on=timezone.localdate() + dt.timedelta(days=2), publish=False)

    page = client.get(f"/publicity/{approved.cycle.number}/").content.decode()

    assert 'id="no-publicity"' in page
    assert approved.entries[0].candidate.dossier.organisation.name not in page


@pytest.mark.django_db
def test_publicity_page_of_an_unknown_or_draft_cycle_is_not_found(client):
    CycleFactory(number=40, phase=CyclePhase.DRAFT)

    assert client.get("/publicity/40/").status_code == 404
    assert client.get("/publicity/41/").status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("count", [1, 3])
def test_publicity_page_queries_do_not_grow_with_the_list(client, secretariat_user, django_assert_num_queries, count):
    approved = approved_cycle(proposed=count, spare=0)
    publicise(approved.cycle, by=secretariat_user)

    with django_assert_num_queries(6):
        response = client.get(f"/publicity/{approved.cycle.number}/")

    assert response.status_code == 200


# --- winners ---


def _award(cycle, **fields):
    award = AwardFactory(cycle=cycle, **fields)
    CertificateFactory(award=award)
    return award


@pytest.mark.django_db
def test_winners_page_lists_every_winner_by_cycle_with_its_award_year(client):
    earlier = CycleFactory(number=21, year=2060, phase=CyclePhase.CLOSED)
    later = CycleFactory(number=22, year=2062, phase=CyclePhase.ANNOUNCED)
    first = _award(earlier, award_year=2061)
    second = _award(later, award_year=2063, repeat_winner=True)
    AwardFactory(cycle=CycleFactory(number=23, year=2064, phase=CyclePhase.PUBLICITY))  # not announced: not shown

    page = client.get("/winners/").content.decode()

    assert page.index(later.title) < page.index(earlier.title)  # newest cycle first
    assert first.organisation.name in page and second.organisation.name in page
    assert "<td>2061</td>" in page and "<td>2063</td>" in page
    assert "repeat winner" in page
    assert Award.objects.count() == 3
    assert page.count('class="winner') == 2


@pytest.mark.django_db
def test_winners_page_keeps_a_revoked_award_marked_with_its_date(client):
    cycle = CycleFactory(number=24, year=2066, phase=CyclePhase.CLOSED)
    revoked = _award(cycle, revoked_at=timezone.now())

    page = client.get("/winners/").content.decode()

    assert f"<del>{revoked.organisation.name}</del>" in page
    assert f"Revoked on {date_format(timezone.localtime(revoked.revoked_at))}" in page


@pytest.mark.django_db
def test_winners_page_offers_the_download_to_the_winner_only(client):
    from tests.factories.applications import MembershipFactory

    cycle = CycleFactory(number=25, year=2068, phase=CyclePhase.ANNOUNCED)
    own, other = _award(cycle), _award(cycle)
    client.force_login(MembershipFactory(organisation=own.organisation).user)

    page = client.get("/winners/").content.decode()

    assert f"/certificates/{own.certificate.serial}.pdf" in page
    assert f"/certificates/{other.certificate.serial}.pdf" not in page


@pytest.mark.django_db
@pytest.mark.parametrize("count", [1, 3])
def test_winners_page_queries_do_not_grow_with_the_winners(client, django_assert_num_queries, count):
    for number in (26, 27):
        cycle = CycleFactory(number=number, year=2018 + 2 * number, phase=CyclePhase.ANNOUNCED)
        for _n in range(count):
            _award(cycle)

    # the request's savepoint, the number of awards (the page's paginator), a page of awards, its release
    with django_assert_num_queries(4):
        response = client.get("/winners/")

    assert response.content.decode().count('class="winner') == 2 * count


# --- verification ---


@pytest.mark.django_db
def test_verify_page_shows_a_valid_certificate(client):
    award = _award(CycleFactory(number=28, year=2074, phase=CyclePhase.ANNOUNCED), award_year=2075)

    response = client.get(f"/verify/{award.certificate.serial}/")

    page = response.content.decode()
    assert response.status_code == 200
    assert award.organisation.name in page
    assert award.cycle.title in page
    assert "2075" in page
    assert 'class="alert alert-success" id="certificate-status"' in page


@pytest.mark.django_db
def test_unknown_serial_gets_a_404_page_that_says_so(client):
    response = client.get("/verify/LHZLJ-2099-99/")

    assert response.status_code == 404
    assert "No certificate of the Luohe Mayor's Quality Award has the serial number “LHZLJ-2099-99”" in (
        response.content.decode()
    )


@pytest.mark.django_db
def test_verify_page_queries(client, django_assert_num_queries):
    award = _award(CycleFactory(number=29, year=2076, phase=CyclePhase.ANNOUNCED))

    with django_assert_num_queries(3):  # the request's savepoint, the certificate, its release
        response = client.get(f"/verify/{award.certificate.serial}/")

    assert response.status_code == 200
