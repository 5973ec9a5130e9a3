"""The applicant portal's link to a dossier's feedback report, shown only once the report is released."""

from django import template

from .. import feedback

register = template.Library()


@register.simple_tag
def feedback_url(dossier) -> str:
    """`{% feedback_url dossier as url %}`: the report's address once released, else "" (no query before the
    cycle is decided)."""
    return feedback.feedback_url(dossier)
