"""Recomputing a dossier's eligibility pre-check on the secretariat's request (e.g. after a misconduct finding).

The pre-check recorded at submission stays the applicant's record until the secretariat refreshes it; a refresh
is audited with the outcome before and after.
"""

from django.db import transaction
from django.utils.translation import gettext as _

from mayor_award.core.services import audit_record

from . import eligibility, services
from .enums import DossierState
from .models import Dossier

# The states in which the eligibility review is still open: later states keep the pre-check they were judged on.
REFRESHABLE_STATES = (DossierState.SUBMITTED, DossierState.CORRECTION, DossierState.ELIGIBLE, DossierState.INELIGIBLE)


@transaction.atomic
def dossier_refresh_precheck(*, dossier: Dossier, by) -> Dossier:
    """Run the pre-check again on the dossier as it stands now, store it, and record who asked."""
    dossier = Dossier.objects.select_for_update().select_related("cycle", "organisation").get(pk=dossier.pk)
    if dossier.state not in REFRESHABLE_STATES:
        raise services.DossierError(
            _("The pre-check can be refreshed only for submitted dossiers under eligibility review.")
        )
    previous = dossier.precheck_outcome
    findings = services.dossier_precheck(dossier)
    outcome = str(eligibility.summary(findings))
    stored = services.findings_to_json(findings)
    Dossier.objects.filter(pk=dossier.pk).update(precheck_outcome=outcome, precheck_findings=stored)
    dossier.precheck_outcome, dossier.precheck_findings = outcome, stored
    audit_record(actor=by, action="dossier.precheck_refreshed", obj=dossier, data={"from": previous, "to": outcome})
    return dossier
