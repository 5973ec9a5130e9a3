"""Rows every installation needs: the role groups and the first edition of the criteria.

Migrations 0002 and 0004 create them; the post_migrate hook below creates them again whenever the
database is emptied and rebuilt without migrations (`flush`, transactional tests), so they always exist.
"""

from .criteria import import_edition, load_edition
from .enums import Role

FIRST_EDITION = ("GB/T 19580-2012", 1, "gbt19580_2012.json")


def ensure_roles(Group):
    for role in Role:
        Group.objects.get_or_create(name=role.value)


def ensure_first_criteria(Criteria, CriteriaCategory, CriteriaItem, ScoringBand):
    code, version, filename = FIRST_EDITION
    existing = Criteria.objects.filter(code=code, version=version).first()
    if existing is not None:
        return existing
    return import_edition(
        load_edition(filename),
        Criteria=Criteria,
        CriteriaCategory=CriteriaCategory,
        CriteriaItem=CriteriaItem,
        ScoringBand=ScoringBand,
        version=version,
    )


def ensure_reference_data(sender, using="default", **kwargs):
    from django.contrib.auth.models import Group

    from .models import Criteria, CriteriaCategory, CriteriaItem, ScoringBand

    ensure_roles(Group)
    ensure_first_criteria(Criteria, CriteriaCategory, CriteriaItem, ScoringBand)
