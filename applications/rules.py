"""Permissions of the applications app: the secretariat's admin, and who owns a dossier.

Model permissions follow mayor_award/core/rules.py: the secretariat reads everything applicants wrote, records
misconduct findings (Art. 9(5)) and decides eligibility (Art. 15); nobody changes or deletes a dossier from the
admin (the applicant writes it through the portal, and its history is evidence).
"""

import rules

from mayor_award.core.rules import is_secretariat


@rules.predicate
def is_dossier_owner(user, dossier):
    """The user acts for the organisation that wrote the dossier."""
    if dossier is None or not user.is_authenticated:
        return False
    membership = getattr(user, "membership", None)
    return membership is not None and membership.organisation_id == dossier.organisation_id


can_view_dossier = is_secretariat | is_dossier_owner

# The secretariat's admin pages; everyone else is sent to the admin login (non-staff) or refused (other staff).
rules.add_perm("applications", is_secretariat)
for _model in (
    "organisation",
    "membership",
    "invitation",
    "dossier",
    "dossiersection",
    "attachment",
    "eligibilitydecision",
    "misconductfinding",
):
    rules.add_perm(f"applications.view_{_model}", is_secretariat)
rules.add_perm("applications.add_misconductfinding", is_secretariat)
rules.add_perm("applications.decide_eligibility", is_secretariat)
rules.add_perm("applications.refresh_precheck", is_secretariat)
