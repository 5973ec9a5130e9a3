"""Choices of the applications app; a leaf module that imports no model."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class OrganisationKind(models.TextChoices):
    FOR_PROFIT = "for_profit", _("For-profit")
    NON_PROFIT = "non_profit", _("Non-profit")


class LegalForm(models.TextChoices):
    """Legal forms that may apply: legal persons and other organisations, internal units included (Art. 8(1))."""

    ENTERPRISE = "enterprise", _("Enterprise legal person")
    INSTITUTION = "institution", _("Public institution")
    SOCIAL_ORGANISATION = "social_organisation", _("Social organisation")
    PRIVATE_NON_ENTERPRISE = "private_non_enterprise", _("Private non-enterprise unit")
    BRANCH = "branch", _("Branch or internal unit")
    OTHER = "other", _("Other organisation")


class RegistrationArea(models.TextChoices):
    """The districts, counties and zones of Luohe where an organisation may be registered."""

    YUANHUI = "yuanhui", _("Yuanhui District")
    YANCHENG = "yancheng", _("Yancheng District")
    SHAOLING = "shaoling", _("Shaoling District")
    WUYANG = "wuyang", _("Wuyang County")
    LINYING = "linying", _("Linying County")
    ECONOMIC_ZONE = "economic_zone", _("Luohe Economic and Technological Development Zone")
    WEST_CITY = "west_city", _("Urban-Rural Integration Demonstration Zone (West City)")
    EAST_CITY = "east_city", _("East City Industrial Cluster")


class IndustrySection(models.TextChoices):
    """Sections (门类) of GB/T 4754-2017, Industrial classification for national economic activities."""

    A = "A", _("A Agriculture, forestry, animal husbandry and fishery")
    B = "B", _("B Mining")
    C = "C", _("C Manufacturing")
    D = "D", _("D Electricity, heat, gas and water production and supply")
    E = "E", _("E Construction")
    F = "F", _("F Wholesale and retail trade")
    G = "G", _("G Transport, storage and postal services")
    H = "H", _("H Accommodation and catering")
    I = "I", _("I Information transmission, software and information technology services")  # noqa: E741
    J = "J", _("J Finance")
    K = "K", _("K Real estate")
    L = "L", _("L Leasing and business services")
    M = "M", _("M Scientific research and technical services")
    N = "N", _("N Water conservancy, environment and public facilities management")
    O = "O", _("O Resident services, repair and other services")  # noqa: E741
    P = "P", _("P Education")
    Q = "Q", _("Q Health and social work")
    R = "R", _("R Culture, sports and entertainment")
    S = "S", _("S Public administration, social security and social organisations")
    T = "T", _("T International organisations")


class DossierState(models.TextChoices):
    """Where a dossier (申报材料) stands in the award's procedure."""

    DRAFT = "draft", pgettext_lazy("dossier state", "Draft")
    SUBMITTED = "submitted", pgettext_lazy("dossier state", "Submitted")
    CORRECTION = "correction", pgettext_lazy("dossier state", "Correction requested")
    ELIGIBLE = "eligible", pgettext_lazy("dossier state", "Eligible")
    INELIGIBLE = "ineligible", pgettext_lazy("dossier state", "Ineligible")
    MATERIAL_REVIEWED = "material_reviewed", pgettext_lazy("dossier state", "Material review done")
    SELECTED = "selected", pgettext_lazy("dossier state", "Selected for on-site review")
    NOT_SELECTED = "not_selected", pgettext_lazy("dossier state", "Not selected for on-site review")
    ONSITE_REVIEWED = "onsite_reviewed", pgettext_lazy("dossier state", "On-site review done")
    CANDIDATE = "candidate", pgettext_lazy("dossier state", "Candidate")
    PROPOSED = "proposed", pgettext_lazy("dossier state", "Proposed for the award")
    AWARDED = "awarded", pgettext_lazy("dossier state", "Awarded")
    NOT_AWARDED = "not_awarded", pgettext_lazy("dossier state", "Not awarded")
    WITHDRAWN = "withdrawn", pgettext_lazy("dossier state", "Withdrawn")
    REVOKED = "revoked", pgettext_lazy("dossier state", "Award revoked")

    @classmethod
    def editable(cls):
        """States in which the applicant may change the dossier (before the deadline)."""
        return (cls.DRAFT, cls.CORRECTION)

    @classmethod
    def withdrawable(cls):
        """Withdrawal is possible until the eligibility decision."""
        return (cls.DRAFT, cls.SUBMITTED, cls.CORRECTION)


class DossierSectionKey(models.TextChoices):
    """The sections of a dossier, each saved as a draft on its own."""

    BASICS = "basics", _("Basic facts")
    RESULTS = "results", _("Results")
    SELF_ASSESSMENT = "self_assessment", _("Self-assessment")
    DECLARATIONS = "declarations", _("Declarations")
    ATTACHMENTS = "attachments", _("Attachments")


class AttachmentPurpose(models.TextChoices):
    SELF_ASSESSMENT_REPORT = "self_assessment_report", _("Self-assessment report")
    COMMITMENT_LETTER = "commitment_letter", _("Signed and sealed commitment letter")
    BUSINESS_LICENCE = "business_licence", _("Business licence or registration certificate")
    PERMIT = "permit", _("Permit or licence")
    CERTIFICATE = "certificate", _("Management-system certificate")
    TOP_FIVE_EVIDENCE = "top_five_evidence", _("Evidence of the top-five ranking")
    EVIDENCE = "evidence", _("Other evidence")


class EligibilityDecisionKind(models.TextChoices):
    ELIGIBLE = "eligible", _("Eligible")
    INELIGIBLE = "ineligible", _("Ineligible")
    CORRECTION = "correction", _("Correction requested")
