"""What follows the government's approval: publicity (公示) and objections (异议), the mayor's approval (Art. 18),
the awards (获奖) with their prize, certificates (证书) and revocation (撤销, Art. 22).

Uploaded files (evidence, signed documents, certificates) are private: stored under random names, served only by
views that check who asks.
"""

import uuid
from pathlib import PurePath

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from ..enums_awards import ObjectionState, PaymentState, PrizeRule, RevocationState

__all__ = [
    "Award",
    "AwardApproval",
    "Certificate",
    "CertificateBatch",
    "Objection",
    "ObjectionEvidence",
    "Publicity",
    "PublicityCandidate",
    "RevocationCase",
]


def _random_name(folder: str, filename: str) -> str:
    """A random stored name: the uploaded name is display text only, never part of a path."""
    return f"{folder}/{uuid.uuid4().hex}{PurePath(filename).suffix.lower()[:6]}"


def evidence_path(instance, filename):
    return _random_name("committee/objections", filename)


def award_approval_path(instance, filename):
    return _random_name("committee/award-approvals", filename)


def revocation_path(instance, filename):
    return _random_name("committee/revocations", filename)


class Publicity(models.Model):
    """A publicity (公示) of proposed winners in the news media, with its period (Art. 17).

    Round 1 publicises the approved list; each later round publicises one candidate added after an upheld
    objection removed another (`replaces`), a decision recorded with its reason.
    """

    cycle = models.ForeignKey(
        "core.Cycle", verbose_name=_("cycle"), on_delete=models.PROTECT, related_name="publicities"
    )
    round = models.PositiveSmallIntegerField(
        _("round"), help_text=_("1 for the approved list; 2 and on for additions.")
    )
    notice = models.OneToOneField(
        "core.Notice", verbose_name=_("notice"), on_delete=models.PROTECT, related_name="publicity"
    )
    starts_on = models.DateField(_("first day"))
    ends_on = models.DateField(_("last day"))
    channel = models.CharField(
        _("media"), max_length=200, help_text=_("Where else it is published, e.g. Luohe Daily (Art. 17).")
    )
    replaces = models.OneToOneField(
        "PublicityCandidate",
        verbose_name=_("replaces"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="replacement",
    )
    decision_reason = models.TextField(_("reason for the addition"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("publicity")
        verbose_name_plural = _("publicities")
        ordering = ["-cycle__number", "round"]
        constraints = [
            models.UniqueConstraint(fields=["cycle", "round"], name="publicity_round_once_per_cycle"),
            models.CheckConstraint(condition=Q(ends_on__gte=models.F("starts_on")), name="publicity_ends_after_start"),
            models.CheckConstraint(
                condition=Q(round=1, replaces__isnull=True) | Q(round__gt=1, replaces__isnull=False),
                name="publicity_addition_replaces_someone",
            ),
        ]

    def __str__(self):
        return f"{self.cycle} · {self.round}"


class PublicityCandidate(models.Model):
    """One organisation on a publicity; an upheld objection removes it (recorded, never deleted)."""

    publicity = models.ForeignKey(
        Publicity, verbose_name=_("publicity"), on_delete=models.CASCADE, related_name="candidates"
    )
    entry = models.ForeignKey(
        "committee.RankingEntry", verbose_name=_("ranking entry"), on_delete=models.PROTECT, related_name="+"
    )
    dossier = models.OneToOneField(
        "applications.Dossier", verbose_name=_("dossier"), on_delete=models.PROTECT, related_name="publicity_entry"
    )
    position = models.PositiveSmallIntegerField(_("position"))
    removed_at = models.DateTimeField(_("removed at"), null=True, blank=True)
    removed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("removed by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    removed_for = models.ForeignKey(
        "Objection",
        verbose_name=_("upheld objection"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("publicised candidate")
        verbose_name_plural = _("publicised candidates")
        ordering = ["publicity", "position"]

    def __str__(self):
        return str(self.dossier.organisation)

    @property
    def is_removed(self):
        return self.removed_at is not None


class Objection(models.Model):
    """An objection (异议) to a publicised candidate: real-name, with evidence, inside the period only."""

    cycle = models.ForeignKey("core.Cycle", verbose_name=_("cycle"), on_delete=models.PROTECT, related_name="+")
    publicity = models.ForeignKey(
        Publicity, verbose_name=_("publicity"), on_delete=models.PROTECT, related_name="objections"
    )
    candidate = models.ForeignKey(
        PublicityCandidate, verbose_name=_("candidate"), on_delete=models.PROTECT, related_name="objections"
    )
    sequence = models.PositiveIntegerField(editable=False)
    reference = models.CharField(_("reference number"), max_length=20, unique=True, editable=False)
    name = models.CharField(_("real name"), max_length=100)
    id_number = models.CharField(_("identity document number"), max_length=30, blank=True)
    organisation = models.CharField(_("organisation"), max_length=200, blank=True)
    phone = models.CharField(_("phone"), max_length=30)
    email = models.EmailField(_("e-mail"))
    text = models.TextField(_("objection"))
    client_address = models.GenericIPAddressField(_("sent from"), null=True, blank=True, editable=False)
    submitted_at = models.DateTimeField(_("received at"), auto_now_add=True)
    state = models.CharField(_("state"), max_length=20, choices=ObjectionState.choices, default=ObjectionState.RECEIVED)
    reply = models.TextField(_("written reply"), blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    receipt_mailed_at = models.DateTimeField(_("acknowledgement e-mailed at"), null=True, blank=True)
    reply_mailed_at = models.DateTimeField(_("reply e-mailed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("objection")
        verbose_name_plural = _("objections")
        ordering = ["-submitted_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["cycle", "sequence"], name="objection_sequence_unique_in_cycle"),
            models.CheckConstraint(condition=~Q(name=""), name="objection_has_a_name"),
            models.CheckConstraint(condition=~Q(id_number="") | ~Q(organisation=""), name="objection_identified"),
            models.CheckConstraint(
                condition=Q(state__in=["received", "investigating"]) | (~Q(reply="") & Q(decided_at__isnull=False)),
                name="objection_decided_with_reply",
            ),
        ]

    def __str__(self):
        return self.reference

    @property
    def is_open(self):
        return self.state in ObjectionState.open()


class ObjectionEvidence(models.Model):
    """A file sent with an objection; the secretariat opens it through the admin only."""

    objection = models.ForeignKey(
        Objection, verbose_name=_("objection"), on_delete=models.CASCADE, related_name="evidence"
    )
    file = models.FileField(_("file"), upload_to=evidence_path)
    original_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveBigIntegerField(_("size"))
    sha256 = models.CharField(max_length=64)

    class Meta:
        verbose_name = _("evidence")
        verbose_name_plural = _("evidence")
        ordering = ["objection", "pk"]

    def __str__(self):
        return self.original_name


class AwardApproval(models.Model):
    """The vice-mayor's review and the mayor's signature of the list that passed publicity (Art. 18)."""

    cycle = models.OneToOneField(
        "core.Cycle", verbose_name=_("cycle"), on_delete=models.PROTECT, related_name="award_approval"
    )
    vice_mayor = models.CharField(_("vice-mayor in charge"), max_length=100)
    reviewed_on = models.DateField(_("reviewed on"))
    mayor = models.CharField(_("mayor"), max_length=100)
    signed_on = models.DateField(_("signed on"))
    document = models.FileField(_("signed document"), upload_to=award_approval_path)
    document_name = models.CharField(_("file name"), max_length=200)
    document_content_type = models.CharField(_("content type"), max_length=100)
    document_sha256 = models.CharField(_("document SHA-256"), max_length=64)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("mayor's approval")
        verbose_name_plural = _("mayor's approvals")
        ordering = ["-cycle__number"]
        constraints = [
            models.CheckConstraint(
                condition=Q(signed_on__gte=models.F("reviewed_on")), name="award_approval_signed_after_review"
            )
        ]

    def __str__(self):
        return f"{self.cycle} · {self.mayor} ({self.signed_on})"


class Award(models.Model):
    """One winner of a cycle (获奖单位): its award year, prize, payment, plaque and, if it comes to that, revocation."""

    cycle = models.ForeignKey("core.Cycle", verbose_name=_("cycle"), on_delete=models.PROTECT, related_name="awards")
    organisation = models.ForeignKey(
        "applications.Organisation", verbose_name=_("organisation"), on_delete=models.PROTECT, related_name="awards"
    )
    dossier = models.OneToOneField(
        "applications.Dossier", verbose_name=_("dossier"), on_delete=models.PROTECT, related_name="award"
    )
    award_year = models.PositiveSmallIntegerField(
        _("award year"), help_text=_("The year of the award announcement (Art. 21, 25).")
    )
    number = models.PositiveSmallIntegerField(_("number in the award year"))
    repeat_winner = models.BooleanField(_("repeat winner (Art. 25)"), default=False)
    prize_amount = models.DecimalField(_("prize (yuan)"), max_digits=12, decimal_places=2)
    prize_rule = models.CharField(_("prize rule"), max_length=20, choices=PrizeRule.choices)
    same_year_award = models.CharField(
        _("same-year national or provincial award"),
        max_length=300,
        blank=True,
        help_text=_("As declared in the dossier, or as found by the secretariat (Art. 21)."),
    )
    same_year_confirmed = models.BooleanField(
        _("same-year award confirmed"),
        null=True,
        blank=True,
        help_text=_("The secretariat's finding: yes, no, or not checked yet."),
    )
    same_year_note = models.TextField(_("note on the Art. 21 check"), blank=True)
    paid_on = models.DateField(_("prize paid on"), null=True, blank=True)
    plaque_handed_on = models.DateField(_("plaque or trophy handed over on"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("award")
        verbose_name_plural = _("awards")
        ordering = ["-cycle__number", "number"]
        constraints = [
            models.UniqueConstraint(fields=["award_year", "number"], name="award_number_unique_in_year"),
            models.CheckConstraint(condition=Q(prize_amount__gte=0), name="award_prize_not_negative"),
            models.CheckConstraint(
                condition=Q(paid_on__isnull=True) | Q(prize_amount__gt=0), name="award_paid_only_with_a_prize"
            ),
        ]

    def __str__(self):
        return f"{self.organisation} · {self.cycle}"

    @property
    def is_revoked(self):
        return self.revoked_at is not None

    @property
    def counts_toward_quota(self):
        return not self.repeat_winner

    @property
    def payment_state(self) -> PaymentState:
        if self.prize_rule == PrizeRule.SAME_YEAR_PENDING:
            return PaymentState.PENDING
        if self.prize_amount == 0:
            return PaymentState.NONE
        if self.paid_on is not None:
            return PaymentState.PAID
        if self.is_revoked:
            return PaymentState.CANCELLED
        return PaymentState.DUE

    def get_payment_state_display(self):
        return self.payment_state.label


class Certificate(models.Model):
    """The certificate (证书) of an award: one per award, its serial printed and verifiable at /verify/<serial>/."""

    award = models.OneToOneField(Award, verbose_name=_("award"), on_delete=models.PROTECT, related_name="certificate")
    serial = models.CharField(_("serial number"), max_length=30, unique=True)
    pdf = models.FileField(_("PDF"), upload_to="certificates/", blank=True)
    pdf_sha256 = models.CharField(max_length=64, blank=True)
    rendered_at = models.DateTimeField(_("rendered at"), null=True, blank=True)
    rendered_revoked = models.BooleanField(_("rendered as revoked"), default=False)
    render_error = models.TextField(_("last rendering error"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("certificate")
        verbose_name_plural = _("certificates")
        ordering = ["serial"]

    def __str__(self):
        return self.serial

    @property
    def is_current(self):
        """The stored PDF matches the award as it stands (valid, or revoked)."""
        return bool(self.pdf) and self.rendered_revoked == self.award.is_revoked


class CertificateBatch(models.Model):
    """A run that renders every certificate of a cycle; its counts feed the admin's progress bar."""

    cycle = models.ForeignKey(
        "core.Cycle", verbose_name=_("cycle"), on_delete=models.PROTECT, related_name="certificate_batches"
    )
    total = models.PositiveIntegerField(_("certificates"), default=0)
    done = models.PositiveIntegerField(_("rendered"), default=0)
    failed = models.PositiveIntegerField(_("failed"), default=0)
    error = models.TextField(_("error"), blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    requested_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("certificate batch")
        verbose_name_plural = _("certificate batches")
        ordering = ["-requested_at", "-pk"]

    def __str__(self):
        return f"{self.cycle} · {self.done}/{self.total}"


class RevocationCase(models.Model):
    """A request to revoke an award for fraud or improper means (Art. 22), and what follows its approval:
    the title revoked, plaque and certificate recovered, prize money recovered, a public notice (通报)."""

    award = models.ForeignKey(Award, verbose_name=_("award"), on_delete=models.PROTECT, related_name="revocation_cases")
    state = models.CharField(_("state"), max_length=20, choices=RevocationState.choices, default=RevocationState.OPEN)
    reason = models.TextField(_("reason"), help_text=_("The fraud or improper means found (Art. 22)."))
    evidence = models.TextField(_("evidence"))
    evidence_file = models.FileField(_("evidence file"), upload_to=revocation_path, blank=True)
    evidence_name = models.CharField(_("evidence file name"), max_length=200, blank=True)
    evidence_content_type = models.CharField(max_length=100, blank=True)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("opened by"), on_delete=models.PROTECT, related_name="+"
    )
    opened_at = models.DateTimeField(_("opened at"), auto_now_add=True)
    approved_on = models.DateField(_("approved by the city government on"), null=True, blank=True)
    approval_reference = models.CharField(_("approval document number"), max_length=100, blank=True)
    approval_document = models.FileField(_("approval document"), upload_to=revocation_path, blank=True)
    approval_document_name = models.CharField(_("approval file name"), max_length=200, blank=True)
    approval_document_content_type = models.CharField(max_length=100, blank=True)
    closed_note = models.TextField(_("note on closing"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decision recorded by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decision recorded at"), null=True, blank=True)
    recovery_due = models.DecimalField(_("prize to recover (yuan)"), max_digits=12, decimal_places=2, default=0)
    recovery_received = models.DecimalField(
        _("prize recovered (yuan)"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    recovery_received_on = models.DateField(_("prize recovered on"), null=True, blank=True)
    plaque_recovered_on = models.DateField(_("plaque or trophy recovered on"), null=True, blank=True)
    certificate_recovered_on = models.DateField(_("certificate recovered on"), null=True, blank=True)
    notice = models.OneToOneField(
        "core.Notice",
        verbose_name=_("revocation notice"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="revocation_case",
    )
    misconduct = models.OneToOneField(
        "applications.MisconductFinding",
        verbose_name=_("misconduct finding"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="revocation_case",
    )

    class Meta:
        verbose_name = _("revocation case")
        verbose_name_plural = _("revocation cases")
        ordering = ["-opened_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["award"], condition=Q(state__in=["open", "revoked"]), name="one_live_revocation_per_award"
            ),
            models.CheckConstraint(
                condition=~Q(state="revoked") | Q(approved_on__isnull=False, misconduct__isnull=False),
                name="revocation_only_after_approval",
            ),
        ]

    def __str__(self):
        return f"{self.award} · {self.get_state_display()}"

    @property
    def recovery_outstanding(self):
        return self.recovery_due - (self.recovery_received or 0)
