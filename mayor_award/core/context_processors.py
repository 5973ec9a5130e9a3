"""What every page needs to draw the navigation for the user's role."""

from django.utils.functional import SimpleLazyObject

from . import rules as core_rules


def navigation(request):
    user = request.user

    def roles():
        return {
            "secretariat": user.is_superuser or core_rules.is_secretariat(user),
            "expert": core_rules.is_expert(user),
            "committee": core_rules.is_committee_member(user),
            "applicant": core_rules.is_applicant(user),
        }

    return {"nav_roles": SimpleLazyObject(roles)}
