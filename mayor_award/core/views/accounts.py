"""Where a user lands after logging in: their own workspace, by role."""

from django.shortcuts import redirect
from django.urls import NoReverseMatch, reverse

from .. import rules as core_rules

# Role → the URL name of its workspace; the apps own the pages, the core only names them.
WORKSPACES = (
    (lambda user: user.is_staff and (user.is_superuser or core_rules.is_secretariat(user)), "admin:index"),
    (core_rules.is_applicant, "applications:dashboard"),
    (core_rules.is_expert, "review:dashboard"),
    (core_rules.is_committee_member, "committee:home"),
)


def after_login(request):
    for has_role, url_name in WORKSPACES:
        if has_role(request.user):
            try:
                return redirect(reverse(url_name))
            except NoReverseMatch:
                continue
    return redirect("home")
