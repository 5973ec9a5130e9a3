"""Reads of the applications app, each a fixed number of queries, scoped to who asks."""

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.db.models import Prefetch

from mayor_award.core.models import Cycle

from . import eligibility
from .enums import AttachmentPurpose, DossierSectionKey, DossierState
from .models import Attachment, Dossier, DossierSection, MisconductFinding, Organisation
from .sections import missing_sections

WON_STATES = (DossierState.AWARDED, DossierState.REVOKED)


def organisation_for_user(user) -> Organisation | None:
    membership = getattr(user, "membership", None) if user.is_authenticated else None
    return membership.organisation if membership else None


def dossiers_for_applicant(user):
    """The dossiers of the user's organisation, newest cycle first: nobody else's."""
    organisation = organisation_for_user(user)
    if organisation is None:
        return Dossier.objects.none()
    return (
        Dossier.objects.filter(organisation=organisation)
        .select_related("cycle", "organisation")
        .order_by("-cycle__number")
    )


def dossier_for_applicant(user, pk):
    """One dossier with its sections and attachments, or None when it is not the user's organisation's."""
    return (
        dossiers_for_applicant(user)
        .prefetch_related(
            Prefetch("sections", queryset=DossierSection.objects.order_by("pk")),
            Prefetch("attachments", queryset=Attachment.objects.order_by("purpose", "pk")),
            "decisions",
        )
        .filter(pk=pk)
        .first()
    )


def open_cycle():
    return Cycle.objects.filter(phase="open").order_by("-number").first()


def _date(value):
    return dt.date.fromisoformat(value) if value else None


def _decimal(value):
    try:
        return Decimal(value) if value not in (None, "") else None
    except InvalidOperation:
        return None


def eligibility_inputs(dossier):
    """The plain facts the eligibility module judges, read from the dossier and the organisation's past."""
    organisation = dossier.organisation
    data = {row.key: row.data for row in dossier.sections.all()}
    purposes = set(dossier.attachments.values_list("purpose", flat=True))
    basics, results = data.get(DossierSectionKey.BASICS, {}), data.get(DossierSectionKey.RESULTS, {})
    declarations = data.get(DossierSectionKey.DECLARATIONS, {})

    years = tuple(
        eligibility.YearResult(
            year=int(year),
            operating_revenue=_decimal(figures.get("operating_revenue")),
            total_profit_and_tax=_decimal(figures.get("total_profit_and_tax")),
            net_profit=_decimal(figures.get("net_profit")),
            asset_contribution_rate=_decimal(figures.get("asset_contribution_rate")),
        )
        for year, figures in results.get("years", {}).items()
        if any(value not in (None, "") for value in figures.values())
    )
    claim = None
    if results.get("top_five_indicator") in eligibility.TOP_FIVE_INDICATORS:
        claim = eligibility.TopFiveClaim(
            indicator=results["top_five_indicator"],
            rank=results.get("top_five_rank") or None,
            evidence_attached=AttachmentPurpose.TOP_FIVE_EVIDENCE in purposes,
        )
    earlier = Dossier.objects.filter(organisation=organisation, cycle__number__lt=dossier.cycle.number)
    history = eligibility.History(
        awards_won_in_cycles=tuple(earlier.filter(state__in=WON_STATES).values_list("cycle__number", flat=True)),
        fraud_found_in_cycles=tuple(
            MisconductFinding.objects.filter(organisation=organisation).values_list("cycle__number", flat=True)
        ),
    )
    facts = eligibility.DossierFacts(
        excellence_model_since=_date(basics.get("excellence_model_since")),
        results=years,
        top_five_claim=claim,
        self_assessment_report_attached=AttachmentPurpose.SELF_ASSESSMENT_REPORT in purposes,
        social_contribution=results.get("social_contribution", ""),
        declarations={article: declarations.get(article) == "affirmed" for article in eligibility.DECLARATION_ARTICLES},
        missing_sections=tuple(str(label) for label in missing_sections(dossier)),
    )
    organisation_facts = eligibility.OrganisationFacts(
        is_legal_entity_or_organisation=True,  # only organisations can register (Art. 2)
        for_profit=organisation.is_for_profit,
        registered_in_luohe_since=organisation.registered_in_luohe_since,
    )
    return organisation_facts, facts, history
