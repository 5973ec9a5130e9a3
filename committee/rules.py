"""Permissions of the committee app (loaded by rules' autodiscovery): each area keeps its own module."""

import rules

from mayor_award.core.rules import is_secretariat

# The committee's admin pages are the secretariat's.
if not rules.perm_exists("committee"):
    rules.add_perm("committee", is_secretariat)

from . import rules_awards, rules_voting  # noqa: F401
