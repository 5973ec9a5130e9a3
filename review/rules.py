"""Permissions of the review app: panel seats decide what an expert may open.

An expert may open a dossier's files only through a panel seat they accepted, after signing the cycle's
pledge, and never for an organisation they are in conflict with. The applications app's attachment
permission is widened here (review stands on applications, never the other way round).
"""

import rules

from applications.rules import is_attachment_owner
from mayor_award.core.rules import is_expert, is_secretariat

from .selectors import dossiers_for_expert


@rules.predicate
def reviews_dossier(user, attachment):
    if attachment is None or not user.is_authenticated:
        return False
    return dossiers_for_expert(user).filter(pk=attachment.dossier_id).exists()


rules.set_perm("applications.view_attachment", is_secretariat | is_attachment_owner | (is_expert & reviews_dossier))

rules.add_perm("review", is_secretariat)
for _model in ("expert", "conflict", "panel", "seat", "pledge", "paneldossier"):
    rules.add_perm(f"review.view_{_model}", is_secretariat)
for _model in ("expert", "conflict", "panel"):
    rules.add_perm(f"review.add_{_model}", is_secretariat)
    rules.add_perm(f"review.change_{_model}", is_secretariat)
rules.add_perm("review.draw_panel", is_secretariat)
rules.add_perm("review.view_scoresheet", is_secretariat)
rules.add_perm("review.reopen_scoresheet", is_secretariat)
