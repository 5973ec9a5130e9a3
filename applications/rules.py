"""Permissions of the applications app: the secretariat's admin, and who may open a dossier's files.

Model permissions follow mayor_award/core/rules.py: the secretariat reads everything applicants wrote, records
misconduct findings (Art. 9(5)) and decides eligibility (Art. 15); nobody changes or deletes a dossier from the
admin (the applicant writes it through the portal, and its history is evidence). A dossier's files are
confidential (Art. 23): its own organisation and the secretariat open them, checked per file.
"""

import rules

from mayor_award.core.rules import is_secretariat


def _acts_for(user, organisation_id) -> bool:
    membership = getattr(user, "membership", None) if user.is_authenticated else None
    return membership is not None and membership.organisation_id == organisation_id


@rules.predicate
def is_dossier_owner(user, dossier):
    """The user acts for the organisation that wrote the dossier."""
    return dossier is not None and _acts_for(user, dossier.organisation_id)


@rules.predicate
def is_attachment_owner(user, attachment):
    """The user acts for the organisation whose dossier holds the file."""
    return attachment is not None and _acts_for(user, attachment.dossier.organisation_id)


can_view_dossier = is_secretariat | is_dossier_owner

# The secretariat's admin pages; everyone else is sent to the admin login (non-staff) or refused (other staff).
rules.add_perm("applications", is_secretariat)
for _model in (
    "organisation",
    "membership",
    "invitation",
    "dossier",
    "dossiersection",
    "eligibilitydecision",
    "misconductfinding",
):
    rules.add_perm(f"applications.view_{_model}", is_secretariat)
# Checked per file by the download view (applications:attachment); no admin page lists attachments on their own.
rules.add_perm("applications.view_attachment", is_secretariat | is_attachment_owner)
rules.add_perm("applications.add_misconductfinding", is_secretariat)
rules.add_perm("applications.decide_eligibility", is_secretariat)
rules.add_perm("applications.refresh_precheck", is_secretariat)
