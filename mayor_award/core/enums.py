"""Choices shared by every phase of the award; a leaf module that imports no model."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Role(models.TextChoices):
    """The four roles, each a Django group made by a migration."""

    SECRETARIAT = "secretariat", _("Secretariat")
    EXPERT = "expert", _("Expert")
    COMMITTEE = "committee", _("Committee member")
    APPLICANT = "applicant", _("Applicant organisation")


class CyclePhase(models.TextChoices):
    """The phases of a cycle (届), in the order the regulation runs them (Art. 12-18)."""

    DRAFT = "draft", pgettext_lazy("cycle phase", "Draft")
    OPEN = "open", pgettext_lazy("cycle phase", "Open for applications")
    ELIGIBILITY = "eligibility", pgettext_lazy("cycle phase", "Eligibility review")
    MATERIAL_REVIEW = "material_review", pgettext_lazy("cycle phase", "Material review")
    ONSITE_REVIEW = "onsite_review", pgettext_lazy("cycle phase", "On-site review")
    DELIBERATION = "deliberation", pgettext_lazy("cycle phase", "Committee deliberation")
    APPROVAL = "approval", pgettext_lazy("cycle phase", "Government approval")
    PUBLICITY = "publicity", pgettext_lazy("cycle phase", "Publicity")
    ANNOUNCED = "announced", pgettext_lazy("cycle phase", "Announced")
    CLOSED = "closed", pgettext_lazy("cycle phase", "Closed")


class NoticeKind(models.TextChoices):
    """What a public notice (公告) announces."""

    CYCLE_ANNOUNCEMENT = "announcement", _("Cycle announcement")
    PUBLICITY = "publicity", _("Publicity")
    AWARD_ANNOUNCEMENT = "award", _("Award announcement")
    REVOCATION = "revocation", _("Revocation notice")
    GENERAL = "general", _("General notice")


class NoticeState(models.TextChoices):
    """Where a notice stands on its way to the public site."""

    DRAFT = "draft", pgettext_lazy("notice state", "Draft")
    SCHEDULED = "scheduled", pgettext_lazy("notice state", "Scheduled")
    PUBLISHED = "published", pgettext_lazy("notice state", "Published")


class CriteriaKind(models.TextChoices):
    """Process items are judged by approach, deployment, learning, integration; results by levels and trends."""

    PROCESS = "process", _("Process")
    RESULTS = "results", _("Results")
