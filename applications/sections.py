"""What each dossier section holds and when it is complete (申报材料各部分及其完整性).

Sections are stored as JSON documents (DossierSection.data) written by their forms; this module turns
cleaned form data into JSON and says, for each section, what is still missing.
"""

import datetime as dt
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mayor_award.core.articles import article_label
from mayor_award.core.models import CriteriaItem

from .enums import AttachmentPurpose, DossierSectionKey
from .timewords import previous_financial_years

EDITABLE_SECTIONS = (
    DossierSectionKey.BASICS,
    DossierSectionKey.RESULTS,
    DossierSectionKey.SELF_ASSESSMENT,
    DossierSectionKey.DECLARATIONS,
    DossierSectionKey.ATTACHMENTS,
)
DECLARATION_ARTICLES = ("9(1)", "9(2)", "9(3)", "9(4)", "9(5)", "9(6)")
OVERVIEW_MAX_CHARS = 3000
YEAR_FIGURES = ("operating_revenue", "total_profit_and_tax", "net_profit", "asset_contribution_rate")
REQUIRED_FOR_PROFIT = ("operating_revenue", "total_profit_and_tax", "net_profit")


def _plain(value):
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


def to_json(key: str, cleaned: dict) -> dict:
    """A section form's cleaned data as JSON (dates as ISO strings, amounts as decimal strings)."""
    return _plain(dict(cleaned))


def organisation_profile(organisation) -> dict:
    """The organisation's facts as they stood when the dossier was written."""
    return {
        "name": organisation.name,
        "credit_code": organisation.credit_code,
        "kind": organisation.kind,
        "legal_form": organisation.legal_form,
        "registered_in_luohe_since": organisation.registered_in_luohe_since.isoformat(),
        "registration_area": organisation.registration_area,
        "industry_section": organisation.industry_section,
        "industry_division": organisation.industry_division,
        "address": organisation.address,
        "legal_representative": organisation.legal_representative,
        "contact_name": organisation.contact_name,
        "contact_phone": organisation.contact_phone,
    }


def result_years(cycle) -> list[int]:
    """The three completed financial years before the deadline: Y-1, Y-2, Y-3 (rules.md C5)."""
    return previous_financial_years(timezone.localtime(cycle.application_deadline).date())


def scored_items(cycle):
    return list(CriteriaItem.objects.filter(category__criteria_id=cycle.criteria_id).select_related("category"))


def _missing_basics(data, dossier, purposes):
    missing = []
    if not data.get("excellence_model_since"):
        missing.append(_("performance-excellence model adopted since"))
    if not (data.get("overview") or "").strip():
        missing.append(_("organisation overview"))
    for field, label in (
        ("competitors", _("key competitors")),
        ("customers", _("key customers")),
        ("suppliers", _("key suppliers")),
    ):
        if not data.get(field):
            missing.append(label)
    return missing


def _missing_results(data, dossier, purposes):
    missing = []
    years = data.get("years", {})
    for year in result_years(dossier.cycle):
        figures = years.get(str(year), {})
        if dossier.organisation.is_for_profit:
            if any(figures.get(name) in (None, "") for name in REQUIRED_FOR_PROFIT):
                missing.append(_("figures of %(year)s") % {"year": year})
        elif not (figures.get("quality_indicators") or "").strip():
            missing.append(_("quality indicators of %(year)s") % {"year": year})
    if dossier.organisation.is_for_profit:
        if not data.get("top_five_indicator") or not data.get("top_five_rank"):
            missing.append(_("the top-five claim"))
    elif not (data.get("social_contribution") or "").strip():
        missing.append(_("social contribution"))
    return missing


def _missing_self_assessment(data, dossier, purposes):
    missing = []
    items = data.get("items", {})
    for item in scored_items(dossier.cycle):
        entry = items.get(item.code, {})
        if not (entry.get("narrative") or "").strip() or entry.get("percent") in (None, ""):
            missing.append(item.code)
    labels = [_("item %(code)s") % {"code": code} for code in missing[:3]]
    if len(missing) > 3:
        labels.append(_("%(count)s more items") % {"count": len(missing) - 3})
    if AttachmentPurpose.SELF_ASSESSMENT_REPORT not in purposes:
        labels.append(_("the self-assessment report (PDF)"))
    return labels


def _missing_declarations(data, dossier, purposes):
    missing = [
        _("declaration on %(article)s") % {"article": article_label(a)} for a in DECLARATION_ARTICLES if not data.get(a)
    ]
    if AttachmentPurpose.COMMITMENT_LETTER not in purposes:
        missing.append(_("the signed and sealed commitment letter"))
    return missing


def _missing_attachments(data, dossier, purposes):
    return [] if AttachmentPurpose.BUSINESS_LICENCE in purposes else [_("the business licence")]


CHECKS = {
    DossierSectionKey.BASICS: _missing_basics,
    DossierSectionKey.RESULTS: _missing_results,
    DossierSectionKey.SELF_ASSESSMENT: _missing_self_assessment,
    DossierSectionKey.DECLARATIONS: _missing_declarations,
    DossierSectionKey.ATTACHMENTS: _missing_attachments,
}


def progress(dossier, section_rows, attachment_purposes) -> list[dict]:
    """Per section: its key, label, and what is missing (empty when complete)."""
    data = {row.key: row.data for row in section_rows}
    purposes = set(attachment_purposes)
    return [
        {"key": key, "label": key.label, "missing": CHECKS[key](data.get(key, {}), dossier, purposes)}
        for key in EDITABLE_SECTIONS
    ]


def missing_sections(dossier) -> list:
    """Labels of the sections that are not complete yet."""
    rows = list(dossier.sections.all())
    purposes = dossier.attachments.values_list("purpose", flat=True)
    return [entry["label"] for entry in progress(dossier, rows, purposes) if entry["missing"]]
