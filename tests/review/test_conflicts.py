"""Automatic conflicts of interest (回避) between experts and the cycle's applicants, found by conflicts_detect.

An expert may not review an applicant they work for, worked for in the last three years (leaving exactly three
years ago still counts, Civil Code Art. 201-202), or whose key competitor, customer or supplier employs them.
"""

import datetime as dt

import pytest
from django.utils import timezone

from applications.timewords import add_years
from mayor_award.core.models import AuditEvent
from review import services
from review.conflicts import normalise_name
from review.models import Conflict
from tests.factories.applications import DossierFactory, OrganisationFactory
from tests.factories.core import CycleFactory
from tests.factories.review import ExpertFactory

pytestmark = pytest.mark.django_db

APPLICANT = "漯河双汇食品加工有限公司"


@pytest.fixture
def cycle():
    return CycleFactory(number=1, year=2020)


@pytest.fixture
def organisation():
    return OrganisationFactory(name=APPLICANT)


def submitted_dossier(cycle, organisation, basics=None):
    return DossierFactory(cycle=cycle, organisation=organisation, submitted=True, sections={"basics": basics or {}})


def detected(cycle):
    services.conflicts_detect(cycle=cycle)
    return list(Conflict.objects.order_by("pk").values_list("expert", "organisation", "kind", "note"))


def years_ago(years, days=0):
    return (add_years(timezone.localdate(), -years) - dt.timedelta(days=days)).isoformat()


# --- names ---


@pytest.mark.parametrize(
    ("name", "normalised"),
    [
        ("漯河双汇食品加工有限公司", "漯河双汇食品加工"),
        ("漯河双汇食品加工股份有限公司", "漯河双汇食品加工"),
        ("漯河双汇食品加工有限责任公司", "漯河双汇食品加工"),
        (" 漯河 双汇食品加工 有限公司 ", "漯河双汇食品加工"),
        ("漯河城建集团有限公司", "漯河城建"),
        ("Luohe Shuanghui Co., Ltd.", "luoheshuanghui"),
    ],
)
def test_normalise_name_strips_spaces_case_and_company_suffixes(name, normalised):
    assert normalise_name(name) == normalised


def test_normalise_name_group_company_and_group_limited_company_are_the_same():
    assert normalise_name("漯河城建集团公司") == normalise_name("漯河城建集团有限公司")


# --- the current employer ---


def test_conflicts_detect_current_employer_by_credit_code(cycle, organisation):
    submitted_dossier(cycle, organisation)
    expert = ExpertFactory(employer="双汇（漯河）总部", employer_credit_code=organisation.credit_code.lower())

    assert detected(cycle) == [(expert.pk, organisation.pk, "employer", "双汇（漯河）总部")]


@pytest.mark.parametrize(
    "employer",
    ["漯河双汇食品加工有限公司", "漯河双汇食品加工", "漯河双汇食品加工股份有限公司", "漯河 双汇食品加工 有限公司"],
)
def test_conflicts_detect_current_employer_by_name_without_company_suffix(cycle, organisation, employer):
    submitted_dossier(cycle, organisation)
    expert = ExpertFactory(employer=employer, employer_credit_code="")

    assert detected(cycle) == [(expert.pk, organisation.pk, "employer", employer)]


def test_conflicts_detect_same_name_with_another_credit_code_is_another_company(cycle, organisation):
    submitted_dossier(cycle, organisation)
    ExpertFactory(employer=APPLICANT, employer_credit_code="91410100MA00000000")

    assert detected(cycle) == []


def test_conflicts_detect_unrelated_employer_gives_nothing(cycle, organisation):
    submitted_dossier(cycle, organisation)
    ExpertFactory(employer="漯河双汇物流有限公司")

    assert detected(cycle) == []


def test_conflicts_detect_ignores_drafts(cycle, organisation):
    DossierFactory(cycle=cycle, organisation=organisation)
    ExpertFactory(employer=APPLICANT)

    assert detected(cycle) == []


# --- a former employer, for three years after leaving ---


@pytest.mark.parametrize(
    ("years", "days", "conflict"),
    [
        (2, 0, True),
        (3, 0, True),  # left exactly three years ago: still within the three years (inclusive)
        (3, 1, False),
        (4, 0, False),
    ],
    ids=["two-years", "exactly-three-years", "three-years-and-a-day", "four-years"],
)
def test_conflicts_detect_former_employer_for_three_years(cycle, organisation, years, days, conflict):
    submitted_dossier(cycle, organisation)
    left = years_ago(years, days=days)
    expert = ExpertFactory(
        former_employers=[{"name": "漯河双汇食品加工股份有限公司", "credit_code": "", "until": left}]
    )

    expected = [(expert.pk, organisation.pk, "former_employer", "漯河双汇食品加工股份有限公司")] if conflict else []
    assert detected(cycle) == expected


def test_conflicts_detect_former_employer_by_credit_code(cycle, organisation):
    submitted_dossier(cycle, organisation)
    expert = ExpertFactory(
        former_employers=[{"name": "双汇集团", "credit_code": organisation.credit_code, "until": years_ago(1)}]
    )

    assert detected(cycle) == [(expert.pk, organisation.pk, "former_employer", "双汇集团")]


# --- the applicant's competitors, customers and suppliers (from the dossier's basics section) ---


@pytest.mark.parametrize("field", ["competitors", "customers", "suppliers"])
def test_conflicts_detect_employer_among_the_applicants_business_partners(cycle, organisation, field):
    submitted_dossier(cycle, organisation, basics={field: ["河南某同行企业有限公司", "郑州某集团"]})
    expert = ExpertFactory(employer="河南某同行企业")
    ExpertFactory(employer="河南另一企业有限公司")

    assert detected(cycle) == [(expert.pk, organisation.pk, field[:-1], "河南某同行企业")]


def test_conflicts_detect_business_partners_of_another_applicant_do_not_count(cycle, organisation):
    submitted_dossier(cycle, organisation)
    other = OrganisationFactory(name="漯河银鸽纸业股份有限公司")
    submitted_dossier(cycle, other, basics={"suppliers": ["河南纸浆公司"]})
    expert = ExpertFactory(employer="河南纸浆有限公司")

    assert detected(cycle) == [(expert.pk, other.pk, "supplier", "河南纸浆有限公司")]


# --- idempotence ---


def test_conflicts_detect_twice_creates_nothing_the_second_time(cycle, organisation):
    submitted_dossier(cycle, organisation, basics={"customers": ["郑州某集团"]})
    ExpertFactory(employer=APPLICANT)
    ExpertFactory(employer="郑州某集团有限公司")
    first = services.conflicts_detect(cycle=cycle)
    rows = list(Conflict.objects.values_list("pk", flat=True))

    second = services.conflicts_detect(cycle=cycle)

    assert (first, second) == (2, 0)
    assert list(Conflict.objects.values_list("pk", flat=True)) == rows
    assert list(AuditEvent.objects.filter(action="conflicts.detected").values_list("data", flat=True)) == [
        {"created": 2}
    ]
