"""What applicants wrote, made readable: a section's JSON as labelled entries for a definition list.

Used by the secretariat's dossier page in the admin and by the experts' read-only dossier view.
"""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from mayor_award.core.articles import article_label
from mayor_award.core.lazytext import LIST_SEPARATOR

from . import eligibility
from .eligibility import TOP_FIVE_INDICATORS
from .enums import IndustrySection, LegalForm, OrganisationKind, RegistrationArea
from .models import Organisation


def _join(items) -> str:
    return str(LIST_SEPARATOR).join(str(item) for item in items)


FIELD_LABELS = {
    "profile": gettext_lazy("Organisation as registered when the section was saved"),
    "excellence_model_since": gettext_lazy("performance-excellence model adopted since"),
    "overview": gettext_lazy("organisation overview"),
    "competitors": gettext_lazy("key competitors"),
    "customers": gettext_lazy("key customers"),
    "suppliers": gettext_lazy("key suppliers"),
    "years": gettext_lazy("figures by year"),
    "operating_revenue": gettext_lazy("operating revenue"),
    "total_profit_and_tax": gettext_lazy("total profit and tax"),
    "net_profit": gettext_lazy("net profit"),
    "asset_contribution_rate": gettext_lazy("total-asset contribution rate"),
    "quality_indicators": gettext_lazy("quality indicators"),
    "top_five_indicator": gettext_lazy("top-five indicator"),
    "top_five_rank": gettext_lazy("top-five rank"),
    "social_contribution": gettext_lazy("social contribution"),
    "items": gettext_lazy("self-assessment items"),
    "narrative": gettext_lazy("narrative"),
    "percent": gettext_lazy("score (per cent)"),
    "certificates": gettext_lazy("management-system certificates"),
    "licences": gettext_lazy("licences and permits held"),
    "awards": gettext_lazy("national or provincial quality awards received"),
}
VALUE_LABELS = {
    "kind": dict(OrganisationKind.choices),
    "legal_form": dict(LegalForm.choices),
    "registration_area": dict(RegistrationArea.choices),
    "industry_section": dict(IndustrySection.choices),
    "top_five_indicator": TOP_FIVE_INDICATORS,
}
DECLARATION_VALUES = {
    "affirmed": gettext_lazy("Affirmed"),
    "not_affirmed": gettext_lazy("Not affirmed"),
    "denied": gettext_lazy("Not affirmed"),
}


def _label(key: str, parent: str | None) -> str:
    if key in eligibility.DECLARATION_ARTICLES:
        return _("declaration on %(article)s") % {"article": article_label(key)}
    if parent == "items":
        return _("item %(code)s") % {"code": key}
    if parent == "years":
        return key
    if parent == "profile":
        try:
            return str(Organisation._meta.get_field(key).verbose_name)
        except Exception:  # noqa: S110 - an unknown key falls through to the generic label
            pass
    if key in FIELD_LABELS:
        return str(FIELD_LABELS[key])
    return key.replace("_", " ").capitalize()


def _value(key: str, value) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if key in eligibility.DECLARATION_ARTICLES and value in DECLARATION_VALUES:
        return str(DECLARATION_VALUES[value])
    if key in VALUE_LABELS and value in VALUE_LABELS[key]:
        return str(VALUE_LABELS[key][value])
    return str(value)


def section_entries(data, parent: str | None = None) -> list[dict]:
    """A section's JSON as a list of {label, value, children}, for a definition list; nothing is dropped."""
    if isinstance(data, dict):
        items = list(data.items())
    else:
        items = [(str(index), item) for index, item in enumerate(data, start=1)]
    entries = []
    for key, value in items:
        entry = {"label": _label(key, parent), "value": "", "children": None}
        if isinstance(value, dict):
            entry["children"] = section_entries(value, parent=key)
        elif isinstance(value, list | tuple):
            if all(not isinstance(item, dict | list | tuple) for item in value):
                entry["value"] = _join(_value(key, item) for item in value)
            else:
                entry["children"] = section_entries(value, parent=key)
        else:
            entry["value"] = _value(key, value)
        entries.append(entry)
    return entries
