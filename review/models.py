"""The expert pool (专家库), conflicts of interest, panels (专项评审组) and their seats, and the pledge."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .enums import ConflictKind, ConsensusState, ExpertStatus, ReviewStage, SeatStatus, SelectionOutcome, SheetState


class Expert(models.Model):
    """A member of the expert pool (评审员), tied to a user account."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.PROTECT, related_name="expert"
    )
    employer = models.CharField(_("employer"), max_length=200)
    employer_credit_code = models.CharField(_("employer's credit code"), max_length=18, blank=True)
    former_employers = models.JSONField(
        _("former employers (last three years)"),
        default=list,
        blank=True,
        help_text=_("A list of {name, credit_code, until}: conflicts for three years after leaving."),
    )
    position = models.CharField(_("position"), max_length=100, blank=True)
    professional_title = models.CharField(_("professional title"), max_length=100, blank=True)
    qualifications = models.JSONField(_("qualifications"), default=list, blank=True)
    industries = models.JSONField(_("industries of expertise"), default=list, help_text=_("GB/T 4754 sections."))
    status = models.CharField(_("status"), max_length=20, choices=ExpertStatus.choices, default=ExpertStatus.ACTIVE)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    created_at = models.DateTimeField(_("added at"), auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("expert")
        verbose_name_plural = _("expert pool")
        ordering = ["user__username"]

    def __str__(self):
        return str(self.user)


class Conflict(models.Model):
    """A conflict of interest between an expert and an applicant organisation; it keeps the dossier closed."""

    expert = models.ForeignKey(Expert, verbose_name=_("expert"), on_delete=models.CASCADE, related_name="conflicts")
    organisation = models.ForeignKey(
        "applications.Organisation", verbose_name=_("organisation"), on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(_("reason"), max_length=20, choices=ConflictKind.choices)
    note = models.TextField(_("note"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("conflict of interest")
        verbose_name_plural = _("conflicts of interest")
        constraints = [
            models.UniqueConstraint(fields=["expert", "organisation", "kind"], name="conflict_unique_per_reason")
        ]

    def __str__(self):
        return f"{self.expert} · {self.organisation}"


class Panel(models.Model):
    """A panel of experts (专项评审组) for a group of a cycle's dossiers, drawn at random (Art. 6, 7).

    The draw's seed, its candidate list and its result are stored, so anyone can check the draw afterwards.
    """

    cycle = models.ForeignKey("core.Cycle", verbose_name=_("cycle"), on_delete=models.PROTECT, related_name="panels")
    name = models.CharField(_("name"), max_length=100)
    industries = models.JSONField(_("industries"), default=list)
    size = models.PositiveSmallIntegerField(_("size"), default=5)
    dossiers = models.ManyToManyField(
        "applications.Dossier", verbose_name=_("dossiers"), through="PanelDossier", related_name="panels"
    )
    seed = models.CharField(_("draw seed"), max_length=64, blank=True)
    draw_record = models.JSONField(_("draw record"), default=dict, blank=True)
    drawn_at = models.DateTimeField(_("drawn at"), null=True, blank=True)
    drawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("drawn by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("panel")
        verbose_name_plural = _("panels")
        ordering = ["cycle", "name"]
        constraints = [
            models.UniqueConstraint(fields=["cycle", "name"], name="panel_name_unique_in_cycle"),
            models.CheckConstraint(condition=Q(size__gte=5), name="panel_at_least_five"),
        ]

    def __str__(self):
        return f"{self.cycle} · {self.name}"

    @property
    def is_drawn(self):
        return self.drawn_at is not None


class PanelDossier(models.Model):
    """A dossier assigned to a panel: each dossier is reviewed by one panel."""

    panel = models.ForeignKey(Panel, verbose_name=_("panel"), on_delete=models.CASCADE)
    dossier = models.OneToOneField(
        "applications.Dossier", verbose_name=_("dossier"), on_delete=models.PROTECT, related_name="panel_assignment"
    )

    class Meta:
        verbose_name = _("panel dossier")
        verbose_name_plural = _("panel dossiers")

    def __str__(self):
        return f"{self.panel} · {self.dossier}"


class Seat(models.Model):
    """An expert's place on a panel: invited, accepted, declined, or left for a conflict."""

    panel = models.ForeignKey(Panel, verbose_name=_("panel"), on_delete=models.CASCADE, related_name="seats")
    expert = models.ForeignKey(Expert, verbose_name=_("expert"), on_delete=models.PROTECT, related_name="seats")
    status = models.CharField(_("status"), max_length=20, choices=SeatStatus.choices, default=SeatStatus.INVITED)
    is_leader = models.BooleanField(_("panel leader"), default=False)
    rank = models.PositiveSmallIntegerField(_("draw rank"), default=0)
    replaces = models.ForeignKey(
        "self", verbose_name=_("replaces"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    invited_at = models.DateTimeField(_("invited at"), null=True, blank=True)
    reply_by = models.DateTimeField(_("reply by"), null=True, blank=True)
    replied_at = models.DateTimeField(_("replied at"), null=True, blank=True)
    reply_note = models.TextField(_("reason given"), blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("seat")
        verbose_name_plural = _("seats")
        ordering = ["panel", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["panel", "expert"], name="one_seat_per_expert_and_panel"),
            models.UniqueConstraint(fields=["panel"], condition=Q(is_leader=True), name="one_leader_per_panel"),
        ]

    def __str__(self):
        return f"{self.panel} · {self.expert}"


class Pledge(models.Model):
    """The confidentiality and integrity pledge (保密及廉洁承诺, Art. 23), signed before any dossier opens."""

    expert = models.ForeignKey(Expert, verbose_name=_("expert"), on_delete=models.PROTECT, related_name="pledges")
    cycle = models.ForeignKey("core.Cycle", verbose_name=_("cycle"), on_delete=models.PROTECT, related_name="+")
    text = models.TextField(_("text signed"))
    signed_at = models.DateTimeField(_("signed at"), auto_now_add=True)
    ip_address = models.GenericIPAddressField(_("address"), null=True, blank=True)
    user_agent = models.CharField(_("browser"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("pledge")
        verbose_name_plural = _("pledges")
        constraints = [models.UniqueConstraint(fields=["expert", "cycle"], name="one_pledge_per_cycle")]

    def __str__(self):
        return f"{self.expert} · {self.cycle}"


class ScoreSheet(models.Model):
    """One expert's independent scores of one dossier in one stage (评分表), item by item (Art. 12)."""

    seat = models.ForeignKey(Seat, verbose_name=_("seat"), on_delete=models.PROTECT, related_name="sheets")
    dossier = models.ForeignKey(
        "applications.Dossier", verbose_name=_("dossier"), on_delete=models.PROTECT, related_name="score_sheets"
    )
    stage = models.CharField(_("stage"), max_length=10, choices=ReviewStage.choices)
    state = models.CharField(_("state"), max_length=10, choices=SheetState.choices, default=SheetState.DRAFT)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    updated_at = models.DateTimeField(_("saved at"), auto_now=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("score sheet")
        verbose_name_plural = _("score sheets")
        constraints = [
            models.UniqueConstraint(fields=["seat", "dossier", "stage"], name="one_sheet_per_seat_dossier_stage")
        ]

    def __str__(self):
        return f"{self.dossier} · {self.seat.expert} · {self.get_stage_display()}"


class ItemScore(models.Model):
    """The score of one GB/T 19580 item on a sheet: a percentage, strengths (优势), opportunities (改进机会)."""

    sheet = models.ForeignKey(ScoreSheet, verbose_name=_("score sheet"), on_delete=models.CASCADE, related_name="items")
    item = models.ForeignKey(
        "core.CriteriaItem", verbose_name=_("criteria item"), on_delete=models.PROTECT, related_name="+"
    )
    percent = models.PositiveSmallIntegerField(_("percentage"), null=True, blank=True)
    strengths = models.TextField(_("strengths"), blank=True)
    opportunities = models.TextField(_("opportunities for improvement"), blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("item score")
        verbose_name_plural = _("item scores")
        constraints = [
            models.UniqueConstraint(fields=["sheet", "item"], name="one_score_per_sheet_item"),
            models.CheckConstraint(condition=Q(percent__lte=100), name="score_percent_at_most_100"),
        ]

    def __str__(self):
        return f"{self.sheet} · {self.item.code}"


class Consensus(models.Model):
    """The panel's agreed result (评审组共识) for one dossier in one stage, recorded by its leader.

    The experts' own sheets stay on record beside it; the consensus is what reports, selection and ranking use.
    """

    panel = models.ForeignKey(Panel, verbose_name=_("panel"), on_delete=models.PROTECT, related_name="consensuses")
    dossier = models.ForeignKey(
        "applications.Dossier", verbose_name=_("dossier"), on_delete=models.PROTECT, related_name="consensuses"
    )
    stage = models.CharField(_("stage"), max_length=10, choices=ReviewStage.choices)
    state = models.CharField(_("state"), max_length=10, choices=ConsensusState.choices, default=ConsensusState.DRAFT)
    total = models.DecimalField(
        _("total points"), max_digits=8, decimal_places=4, null=True, blank=True, help_text=_("Out of 1,000.")
    )
    strengths = models.TextField(_("agreed strengths"), blank=True)
    opportunities = models.TextField(_("agreed opportunities for improvement"), blank=True)
    issues_to_verify = models.TextField(
        _("issues to verify on site"), blank=True, help_text=_("Carried over from the material review.")
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("recorded at"), null=True, blank=True)
    report_pdf = models.FileField(_("report"), upload_to="review-reports/", blank=True)
    report_generated_at = models.DateTimeField(_("report generated at"), null=True, blank=True)
    updated_at = models.DateTimeField(_("saved at"), auto_now=True)

    history = HistoricalRecords(excluded_fields=["report_pdf"])

    class Meta:
        verbose_name = _("panel consensus")
        verbose_name_plural = _("panel consensuses")
        constraints = [models.UniqueConstraint(fields=["dossier", "stage"], name="one_consensus_per_dossier_stage")]

    def __str__(self):
        return f"{self.dossier} · {self.get_stage_display()}"


class ConsensusItem(models.Model):
    """The agreed percentage of one item, prefilled with the panel's aggregate, and the agreed comments."""

    consensus = models.ForeignKey(
        Consensus, verbose_name=_("panel consensus"), on_delete=models.CASCADE, related_name="items"
    )
    item = models.ForeignKey(
        "core.CriteriaItem", verbose_name=_("criteria item"), on_delete=models.PROTECT, related_name="+"
    )
    aggregate = models.DecimalField(_("panel aggregate (%)"), max_digits=8, decimal_places=4, null=True, blank=True)
    percent = models.PositiveSmallIntegerField(_("agreed percentage"), null=True, blank=True)
    strengths = models.TextField(_("strengths"), blank=True)
    opportunities = models.TextField(_("opportunities for improvement"), blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("agreed item score")
        verbose_name_plural = _("agreed item scores")
        constraints = [
            models.UniqueConstraint(fields=["consensus", "item"], name="one_agreed_score_per_item"),
            models.CheckConstraint(condition=Q(percent__lte=100), name="agreed_percent_at_most_100"),
        ]

    def __str__(self):
        return f"{self.consensus} · {self.item.code}"


class OnsiteSelection(models.Model):
    """Whether a dossier goes on to the on-site review, by the cycle's rule fixed beforehand (现场评审入围)."""

    dossier = models.OneToOneField(
        "applications.Dossier", verbose_name=_("dossier"), on_delete=models.PROTECT, related_name="onsite_selection"
    )
    panel = models.ForeignKey(Panel, verbose_name=_("panel"), on_delete=models.PROTECT, related_name="selections")
    outcome = models.CharField(_("outcome"), max_length=20, choices=SelectionOutcome.choices)
    material_total = models.DecimalField(_("material review total"), max_digits=8, decimal_places=4)
    rank = models.PositiveSmallIntegerField(_("rank in the panel"))
    tied_at_cutoff = models.BooleanField(_("tied at the cut-off"), default=False)
    reason = models.TextField(
        _("reason"), blank=True, help_text=_("Required when a dossier tied at the cut-off is not taken.")
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("decided by"), on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"), auto_now_add=True)
    applicant_notified_at = models.DateTimeField(_("applicant told at"), null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("on-site selection")
        verbose_name_plural = _("on-site selections")
        ordering = ["panel", "rank"]

    def __str__(self):
        return f"{self.dossier} · {self.get_outcome_display()}"


class OnsiteVisit(models.Model):
    """The on-site review's schedule for one dossier (现场评审安排): dates, place and the team that goes."""

    dossier = models.OneToOneField(
        "applications.Dossier", verbose_name=_("dossier"), on_delete=models.PROTECT, related_name="onsite_visit"
    )
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("to"))
    place = models.CharField(_("place"), max_length=300)
    team = models.ManyToManyField(Seat, verbose_name=_("team"), related_name="onsite_visits")
    notes = models.TextField(_("notes for the team and the applicant"), blank=True)
    updated_at = models.DateTimeField(_("saved at"), auto_now=True)

    history = HistoricalRecords(m2m_fields=[team])

    class Meta:
        verbose_name = _("on-site visit")
        verbose_name_plural = _("on-site visits")
        ordering = ["starts_on"]
        constraints = [models.CheckConstraint(condition=Q(ends_on__gte=F("starts_on")), name="visit_ends_after_start")]

    def __str__(self):
        return f"{self.dossier} · {self.starts_on}"


class Candidate(models.Model):
    """A panel's candidate (候选对象) handed to the committee, in the order of its on-site consensus score (Art. 16).

    Rows are written once, when the leader hands the list over; from then on they are fixed.
    """

    panel = models.ForeignKey(Panel, verbose_name=_("panel"), on_delete=models.PROTECT, related_name="candidates")
    dossier = models.OneToOneField(
        "applications.Dossier", verbose_name=_("dossier"), on_delete=models.PROTECT, related_name="candidacy"
    )
    position = models.PositiveSmallIntegerField(_("position in the panel"))
    onsite_total = models.DecimalField(_("on-site consensus score"), max_digits=8, decimal_places=4)
    material_total = models.DecimalField(_("material review score"), max_digits=8, decimal_places=4)
    handed_over_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("handed over by"), on_delete=models.PROTECT, related_name="+"
    )
    handed_over_at = models.DateTimeField(_("handed over at"), auto_now_add=True)

    class Meta:
        verbose_name = _("candidate")
        verbose_name_plural = _("candidates")
        ordering = ["panel", "position"]
        constraints = [models.UniqueConstraint(fields=["panel", "position"], name="one_candidate_per_panel_position")]

    def __str__(self):
        return f"{self.panel} · {self.position}. {self.dossier}"
