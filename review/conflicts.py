"""Finding conflicts of interest between experts and applicant organisations (回避).

Automatic reasons: the expert works for the applicant now, or did in the last three years, or the expert's
employer is among the applicant's declared key competitors, customers or suppliers. Names are compared
after removing spaces and the usual company suffixes, credit codes exactly.
"""

import datetime as dt
import re

from applications.enums import DossierSectionKey
from applications.timewords import add_years

from .enums import ConflictKind

SUFFIXES = ("股份有限公司", "有限责任公司", "有限公司", "集团", "公司", "co., ltd.", "co.,ltd.", "ltd.", "ltd", "inc.")


def normalise_name(name: str) -> str:
    text = re.sub(r"[\s（）()·.,，]", "", (name or "").lower())
    stripped = True
    while stripped:  # "集团有限公司" loses both suffixes, whatever their order
        stripped = False
        for suffix in SUFFIXES:
            cleaned_suffix = re.sub(r"[\s.,]", "", suffix)
            if text.endswith(cleaned_suffix) and len(text) > len(cleaned_suffix):
                text = text[: -len(cleaned_suffix)]
                stripped = True
    return text


def _same(name_a, code_a, name_b, code_b) -> bool:
    name_a, code_a, name_b, code_b = (str(value or "") for value in (name_a, code_a, name_b, code_b))
    if code_a and code_b:
        return code_a.upper() == code_b.upper()
    return bool(normalise_name(name_a)) and normalise_name(name_a) == normalise_name(name_b)


def automatic_conflicts(expert, organisation, basics: dict, today: dt.date) -> list[tuple[str, str]]:
    """(kind, note) for every automatic reason the expert may not review the organisation's dossier."""
    found = []
    if _same(expert.employer, expert.employer_credit_code, organisation.name, organisation.credit_code):
        found.append((ConflictKind.EMPLOYER, expert.employer))
    three_years_ago = add_years(today, -3)
    for former in expert.former_employers or []:
        until = dt.date.fromisoformat(former["until"]) if former.get("until") else today
        if until >= three_years_ago and _same(
            former.get("name", ""), former.get("credit_code", ""), organisation.name, organisation.credit_code
        ):
            found.append((ConflictKind.FORMER_EMPLOYER, former.get("name", "")))
    employer = normalise_name(expert.employer)
    for field, kind in (
        ("competitors", ConflictKind.COMPETITOR),
        ("customers", ConflictKind.CUSTOMER),
        ("suppliers", ConflictKind.SUPPLIER),
    ):
        if employer and any(normalise_name(name) == employer for name in basics.get(field, [])):
            found.append((kind, expert.employer))
    return found


def dossier_basics(dossier) -> dict:
    for section in dossier.sections.all():
        if section.key == DossierSectionKey.BASICS:
            return section.data
    return {}
