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


# --- panel consensuses and their reports (review/consensus.py, review/reports.py) ---


@rules.predicate
def consensus_recorded(user, consensus):
    from .enums import ConsensusState

    return consensus is not None and consensus.state == ConsensusState.RECORDED


@rules.predicate
def sits_on_consensus_panel(user, consensus):
    """An accepted seat on the consensus' panel, with the dossier open to the expert (pledge, no conflict, review
    phases: selectors.dossiers_for_expert)."""
    if consensus is None or not user.is_authenticated:
        return False
    return (
        dossiers_for_expert(user)
        .filter(pk=consensus.dossier_id, panel_assignment__panel_id=consensus.panel_id)
        .exists()
    )


# Who may read a review report (材料评审报告, 现场评审报告) here: the secretariat and, once the consensus is recorded,
# the experts of its panel. Committee members read the candidates' reports through the committee's own page, which
# knows the committee of the cycle and its recusals (the review app cannot, being the floor below).
can_read_report = is_secretariat | (consensus_recorded & is_expert & sits_on_consensus_panel)
rules.add_perm("review.read_consensus_report", can_read_report)
rules.add_perm("review.view_consensus", is_secretariat)
rules.add_perm("review.view_consensusitem", is_secretariat)
rules.add_perm("review.reopen_consensus", is_secretariat)
rules.add_perm("review.regenerate_consensus_report", is_secretariat)
