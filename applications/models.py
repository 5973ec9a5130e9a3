"""Organisations, their users and their dossiers (申报材料), one per organisation and cycle."""

import uuid
from pathlib import PurePath

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .enums import (
    AttachmentPurpose,
    DossierSectionKey,
    DossierState,
    EligibilityDecisionKind,
    IndustrySection,
    LegalForm,
    OrganisationKind,
    RegistrationArea,
)
from .validators import validate_credit_code, validate_industry_division


class Organisation(models.Model):
    """An applicant organisation (申报单位); only organisations may apply (Art. 2)."""

    name = models.CharField(_("name"), max_length=200)
    credit_code = models.CharField(
        _("unified social credit code"), max_length=18, unique=True, validators=[validate_credit_code]
    )
    kind = models.CharField(_("for-profit or non-profit"), max_length=20, choices=OrganisationKind.choices)
    legal_form = models.CharField(_("legal form"), max_length=30, choices=LegalForm.choices)
    registered_in_luohe_since = models.DateField(
        _("registered in Luohe since"), help_text=_("The date of registration in Luohe (Art. 8(1)).")
    )
    registration_area = models.CharField(_("registration area"), max_length=20, choices=RegistrationArea.choices)
    industry_section = models.CharField(
        _("industry (GB/T 4754-2017 section)"), max_length=1, choices=IndustrySection.choices
    )
    industry_division = models.CharField(
        _("industry division"),
        max_length=2,
        blank=True,
        validators=[validate_industry_division],
        help_text=_("Optional two-digit division code, e.g. 13 for agricultural food processing."),
    )
    address = models.CharField(_("address"), max_length=300)
    legal_representative = models.CharField(_("legal representative"), max_length=100)
    contact_name = models.CharField(_("contact person"), max_length=100)
    contact_phone = models.CharField(_("contact phone"), max_length=30)
    contact_email = models.EmailField(_("contact e-mail"))
    created_at = models.DateTimeField(_("registered at"), auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["name"]

    def __str__(self):
        return self.name

    @property
    def is_for_profit(self):
        return self.kind == OrganisationKind.FOR_PROFIT


class Membership(models.Model):
    """A user who acts for an organisation; every applicant user belongs to exactly one."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="membership"
    )
    organisation = models.ForeignKey(
        Organisation, verbose_name=_("organisation"), on_delete=models.CASCADE, related_name="memberships"
    )
    joined_at = models.DateTimeField(_("joined at"), auto_now_add=True)

    class Meta:
        verbose_name = _("organisation user")
        verbose_name_plural = _("organisation users")

    def __str__(self):
        return f"{self.user} · {self.organisation}"


class Invitation(models.Model):
    """An invitation for one more user of an organisation, accepted through an e-mailed link."""

    organisation = models.ForeignKey(
        Organisation, verbose_name=_("organisation"), on_delete=models.CASCADE, related_name="invitations"
    )
    email = models.EmailField(_("e-mail address"))
    token = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("invited by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    accepted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ["-created_at"]

    def __str__(self):
        return self.email


class DossierQuerySet(models.QuerySet):
    def for_organisation(self, organisation):
        return self.filter(organisation=organisation)

    def submitted(self):
        return self.exclude(state__in=[DossierState.DRAFT, DossierState.WITHDRAWN])


class Dossier(models.Model):
    """An organisation's application (申报材料) to one cycle."""

    cycle = models.ForeignKey("core.Cycle", verbose_name=_("cycle"), on_delete=models.PROTECT, related_name="dossiers")
    organisation = models.ForeignKey(
        Organisation, verbose_name=_("organisation"), on_delete=models.PROTECT, related_name="dossiers"
    )
    state = models.CharField(_("state"), max_length=20, choices=DossierState.choices, default=DossierState.DRAFT)
    number = models.CharField(_("dossier number"), max_length=20, null=True, blank=True, unique=True)
    sequence = models.PositiveIntegerField(null=True, blank=True, editable=False)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    withdrawal_reason = models.TextField(_("reason for withdrawal"), blank=True)
    correction_sections = models.JSONField(_("sections reopened for correction"), default=list, blank=True)
    correction_until = models.DateTimeField(_("correction due by"), null=True, blank=True)
    precheck_outcome = models.CharField(_("pre-check"), max_length=20, blank=True)
    precheck_findings = models.JSONField(_("pre-check findings"), default=list, blank=True)
    receipt_pdf = models.FileField(_("receipt"), upload_to="receipts/", blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = DossierQuerySet.as_manager()
    history = HistoricalRecords(excluded_fields=["precheck_findings", "receipt_pdf"])

    class Meta:
        verbose_name = _("dossier")
        verbose_name_plural = _("dossiers")
        ordering = ["cycle", "sequence", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["cycle", "organisation"], name="one_dossier_per_organisation_and_cycle"),
            models.UniqueConstraint(fields=["cycle", "sequence"], name="dossier_sequence_unique_in_cycle"),
            # A withdrawn dossier may never have been submitted, so it may have no number either.
            models.CheckConstraint(
                condition=Q(state__in=["draft", "withdrawn"]) | Q(number__isnull=False),
                name="dossier_numbered_once_submitted",
            ),
        ]

    def __str__(self):
        number = self.number or gettext("draft")
        return f"{number} {self.organisation}"

    def get_absolute_url(self):
        return reverse("applications:dossier", kwargs={"pk": self.pk})

    @property
    def is_editable_state(self):
        return self.state in DossierState.editable()

    @property
    def can_withdraw(self):
        return self.state in DossierState.withdrawable()


class DossierSection(models.Model):
    """One section of a dossier, saved as a draft on its own.

    `data` holds what the section's form cleaned; `version` grows with every save, so that a second user
    saving from a stale page is told the section changed meanwhile instead of overwriting it.
    """

    dossier = models.ForeignKey(Dossier, verbose_name=_("dossier"), on_delete=models.CASCADE, related_name="sections")
    key = models.CharField(max_length=20, choices=DossierSectionKey.choices)
    data = models.JSONField(default=dict, blank=True)
    version = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("dossier section")
        verbose_name_plural = _("dossier sections")
        constraints = [models.UniqueConstraint(fields=["dossier", "key"], name="one_section_per_key")]

    def __str__(self):
        return f"{self.dossier} · {self.get_key_display()}"


def attachment_path(instance, filename):
    """A random stored name inside the dossier's folder; the uploaded name is display text only."""
    return f"dossiers/{instance.dossier_id}/{uuid.uuid4().hex}{PurePath(filename).suffix.lower()[:6]}"


class Attachment(models.Model):
    """A file of a dossier: confidential (Art. 23), served only through views that check who asks."""

    dossier = models.ForeignKey(
        Dossier, verbose_name=_("dossier"), on_delete=models.CASCADE, related_name="attachments"
    )
    purpose = models.CharField(_("purpose"), max_length=30, choices=AttachmentPurpose.choices)
    title = models.CharField(_("title"), max_length=200)
    file = models.FileField(_("file"), upload_to=attachment_path)
    original_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveBigIntegerField(_("size"))
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["purpose", "pk"]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("applications:attachment", kwargs={"dossier_pk": self.dossier_id, "pk": self.pk})


class EligibilityDecision(models.Model):
    """The secretariat's eligibility decision (资格审查结论) on a dossier, with its reasons."""

    dossier = models.ForeignKey(Dossier, verbose_name=_("dossier"), on_delete=models.CASCADE, related_name="decisions")
    kind = models.CharField(_("decision"), max_length=20, choices=EligibilityDecisionKind.choices)
    articles = models.JSONField(_("articles not met"), default=list, blank=True)
    judgements = models.JSONField(_("checklist"), default=dict, blank=True)
    note = models.TextField(_("note to the applicant"), blank=True)
    correction_sections = models.JSONField(_("sections reopened"), default=list, blank=True)
    correction_until = models.DateTimeField(_("correction due by"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("decided by"), on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"), auto_now_add=True)

    class Meta:
        verbose_name = _("eligibility decision")
        verbose_name_plural = _("eligibility decisions")
        ordering = ["-decided_at", "-pk"]

    def __str__(self):
        return f"{self.dossier} · {self.get_kind_display()}"


class MisconductFinding(models.Model):
    """Fraud or another violation in the award's review activity (Art. 9(5)), found in a cycle.

    It bars the organisation from the next three cycles; recorded by the secretariat, or by a revocation.
    """

    organisation = models.ForeignKey(
        Organisation, verbose_name=_("organisation"), on_delete=models.PROTECT, related_name="misconduct_findings"
    )
    cycle = models.ForeignKey("core.Cycle", verbose_name=_("cycle"), on_delete=models.PROTECT, related_name="+")
    description = models.TextField(_("what was found"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("misconduct finding")
        verbose_name_plural = _("misconduct findings")
        ordering = ["-recorded_at"]

    def __str__(self):
        return f"{self.organisation} · {self.cycle}"
