"""Readable names of audit actions. Each app registers its own in AppConfig.ready, so the core imports no app."""

from django.utils.translation import gettext_lazy as _

ACTION_LABELS: dict[str, object] = {
    "cycle.created": _("cycle created"),
    "cycle.changed": _("cycle changed"),
    "cycle.phase_changed": _("cycle phase changed"),
    "notice.created": _("notice created"),
    "notice.changed": _("notice changed"),
    "notice.published": _("notice published"),
    "criteria.corrected": _("corrected criteria published"),
}


def register(labels: dict[str, object]) -> None:
    ACTION_LABELS.update(labels)


def label(action: str):
    return ACTION_LABELS.get(action, action)
