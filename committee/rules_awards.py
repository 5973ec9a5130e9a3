"""Permissions of publicity, awards, certificates and revocation.

The secretariat works in the admin. A certificate is downloaded by the members of the winning organisation while
the award stands, and by the secretariat; anyone else is answered "not found".
"""

import rules

from applications.selectors import organisation_for_user
from mayor_award.core.rules import is_secretariat


@rules.predicate
def is_winner_member(user, award) -> bool:
    """The user acts for the organisation that holds `award`, and the award is not revoked."""
    if award is None or award.is_revoked:
        return False
    organisation = organisation_for_user(user)
    return organisation is not None and organisation.pk == award.organisation_id


for _model, _actions in {
    "publicity": ("view", "add"),
    "objection": ("view", "change"),
    "awardapproval": ("view", "add"),
    "award": ("view", "change"),
    "revocationcase": ("view", "add", "change"),
}.items():
    for _action in _actions:
        rules.add_perm(f"committee.{_action}_{_model}", is_secretariat)

rules.add_perm("committee.schedule_announcement", is_secretariat)
rules.add_perm("committee.render_certificates", is_secretariat)
rules.add_perm("committee.download_certificate", is_secretariat | is_winner_member)
