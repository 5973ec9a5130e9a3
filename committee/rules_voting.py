"""Permissions of the deliberation: the secretariat runs it in the admin; committee members vote on their pages.

Nobody, not even the secretariat or a superuser through these rules, has a permission on the ballot box (VoteCount,
the running totals, has no default permissions and no admin page): only the tally at close leaves it.
"""

import rules

from mayor_award.core.rules import is_committee_member, is_secretariat

for _model, _actions in {
    "committeemember": ("view", "add", "change", "delete"),
    "recusal": ("view", "add", "delete"),
    "votingsession": ("view", "add", "change", "delete"),
    "proposedlist": ("view", "change"),
    "governmentapproval": ("view", "add"),
}.items():
    for _action in _actions:
        rules.add_perm(f"committee.{_action}_{_model}", is_secretariat)

rules.add_perm("committee.open_votingsession", is_secretariat)
rules.add_perm("committee.close_votingsession", is_secretariat)
rules.add_perm("committee.adjust_proposedlist", is_secretariat)
rules.add_perm("committee.confirm_proposedlist", is_secretariat)
rules.add_perm("committee.deliberate", is_committee_member)
