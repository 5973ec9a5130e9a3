"""Role predicates (rules) and the core's permissions; object predicates live in each app's rules.py."""

import rules

from .enums import Role

is_secretariat = rules.is_group_member(Role.SECRETARIAT.value)
is_expert = rules.is_group_member(Role.EXPERT.value)
is_committee_member = rules.is_group_member(Role.COMMITTEE.value)
is_applicant = rules.is_group_member(Role.APPLICANT.value)

# The secretariat runs the award from the admin; nobody else reaches the core's admin pages.
rules.add_perm("core", is_secretariat)
for _model in ("cycle", "notice", "noticeattachment", "user"):
    for _action in ("view", "add", "change"):
        rules.add_perm(f"core.{_action}_{_model}", is_secretariat)
rules.add_perm("core.delete_notice", is_secretariat)
rules.add_perm("core.delete_noticeattachment", is_secretariat)
rules.add_perm("core.view_auditevent", is_secretariat)
rules.add_perm("core.advance_cycle", is_secretariat)
rules.add_perm("core.preview_notice", is_secretariat)
rules.add_perm("core.view_criteria", is_secretariat)
rules.add_perm("core.view_criteriaitem", is_secretariat)
rules.add_perm("core.correct_criteria", is_secretariat)
