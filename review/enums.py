"""Choices of the review app; a leaf module that imports no model."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class ExpertStatus(models.TextChoices):
    ACTIVE = "active", pgettext_lazy("expert status", "Active")
    SUSPENDED = "suspended", pgettext_lazy("expert status", "Suspended")
    RETIRED = "retired", pgettext_lazy("expert status", "Retired")


class Qualification(models.TextChoices):
    NATIONAL_REVIEWER = "national_reviewer", _("National quality award reviewer")
    PROVINCIAL_REVIEWER = "provincial_reviewer", _("Provincial quality award reviewer")
    CERTIFIED_ASSESSOR = "certified_assessor", _("Certified performance-excellence assessor")
    MANAGEMENT_SYSTEM_AUDITOR = "system_auditor", _("Management-system auditor")


class ConflictKind(models.TextChoices):
    """Why an expert may not review an organisation's dossier."""

    EMPLOYER = "employer", _("Works for the applicant")
    FORMER_EMPLOYER = "former_employer", _("Worked for the applicant in the last three years")
    COMPETITOR = "competitor", _("Employer is a key competitor of the applicant")
    CUSTOMER = "customer", _("Employer is a key customer of the applicant")
    SUPPLIER = "supplier", _("Employer is a key supplier of the applicant")
    RECORDED = "recorded", _("Recorded by the secretariat")
    DECLARED = "declared", _("Declared by the expert")


class SeatStatus(models.TextChoices):
    """Where an expert's place on a panel stands."""

    INVITED = "invited", pgettext_lazy("seat status", "Invited")
    ACCEPTED = "accepted", pgettext_lazy("seat status", "Accepted")
    DECLINED = "declined", pgettext_lazy("seat status", "Declined")
    CONFLICT = "conflict", pgettext_lazy("seat status", "Withdrew for a conflict of interest")

    @classmethod
    def holding(cls):
        """Seats that count toward the panel's size."""
        return (cls.INVITED, cls.ACCEPTED)


class ReviewStage(models.TextChoices):
    """The two scored stages of the review (Art. 12)."""

    MATERIAL = "material", _("Material review")
    ONSITE = "onsite", _("On-site review")


class SheetState(models.TextChoices):
    DRAFT = "draft", pgettext_lazy("score sheet state", "Draft")
    SUBMITTED = "submitted", pgettext_lazy("score sheet state", "Submitted")


class ConsensusState(models.TextChoices):
    """The panel's agreed result of one dossier in one stage (评审组共识)."""

    DRAFT = "draft", pgettext_lazy("consensus state", "Being discussed")
    RECORDED = "recorded", pgettext_lazy("consensus state", "Recorded")


class SelectionOutcome(models.TextChoices):
    """Whether a dossier goes on to the on-site review (现场评审)."""

    SELECTED = "selected", pgettext_lazy("on-site selection", "Selected")
    NOT_SELECTED = "not_selected", pgettext_lazy("on-site selection", "Not selected")
