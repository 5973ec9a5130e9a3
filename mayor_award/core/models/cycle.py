from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .. import lifecycle
from ..enums import CyclePhase


class CycleQuerySet(models.QuerySet):
    def public(self):
        """Cycles the public may know about: every cycle past its draft."""
        return self.exclude(phase=CyclePhase.DRAFT)

    def current(self):
        """The cycle the public site shows: the latest one that has left its draft."""
        return self.public().order_by("-number").first()


class Cycle(models.Model):
    """One round of the award (届), held every two years (Art. 4), with the rules it runs under."""

    number = models.PositiveSmallIntegerField(_("number"), unique=True, help_text=_("1 for the first cycle"))
    year = models.PositiveSmallIntegerField(_("year"))
    title = models.CharField(_("title"), max_length=200)
    phase = models.CharField(_("phase"), max_length=20, choices=CyclePhase.choices, default=CyclePhase.DRAFT)
    phase_changed_at = models.DateTimeField(_("phase changed at"), null=True, blank=True, editable=False)

    applications_open_on = models.DateField(_("applications open on"))
    application_deadline = models.DateTimeField(
        _("application deadline"), help_text=_("Durations in Art. 8 and 9 are measured at this moment.")
    )
    reviews_end_on = models.DateField(_("reviews end on"), null=True, blank=True)
    announcement_expected_on = models.DateField(_("results expected on"), null=True, blank=True)

    award_quota = models.PositiveSmallIntegerField(
        _("number of awards"), default=lifecycle.DEFAULT_AWARD_QUOTA, help_text=_("About five (Art. 4).")
    )
    prize_amount = models.DecimalField(
        _("prize (yuan)"),
        max_digits=12,
        decimal_places=2,
        default=lifecycle.DEFAULT_PRIZE_YUAN,
        validators=[MinValueValidator(0)],
    )
    panel_min_size = models.PositiveSmallIntegerField(
        _("minimum panel size"), default=lifecycle.MIN_PANEL_SIZE, help_text=_("At least five (Art. 7).")
    )
    publicity_min_days = models.PositiveSmallIntegerField(
        _("minimum publicity days"),
        default=lifecycle.MIN_PUBLICITY_DAYS,
        help_text=_("At least seven, both ends counted (Art. 17)."),
    )
    onsite_score_weight = models.DecimalField(
        _("on-site score weight"),
        max_digits=4,
        decimal_places=3,
        default=lifecycle.DEFAULT_ONSITE_WEIGHT,
        help_text=_("Strictly between 0.5 and 1; the vote weighs the rest (Art. 16)."),
    )
    slate_ratio = models.DecimalField(
        _("slate ratio"),
        max_digits=4,
        decimal_places=2,
        default=lifecycle.DEFAULT_SLATE_RATIO,
        help_text=_("Candidates on the ballot per award place."),
    )
    pass_ratio = models.DecimalField(
        _("pass ratio"),
        max_digits=5,
        decimal_places=4,
        default=lifecycle.DEFAULT_PASS_RATIO,
        help_text=_("A candidate needs more than this share of the ballots cast."),
    )
    quorum_ratio = models.DecimalField(
        _("quorum"),
        max_digits=5,
        decimal_places=4,
        default=lifecycle.DEFAULT_QUORUM_RATIO,
        help_text=_("Share of the committee that must vote for a ballot to count."),
    )
    one_panel_per_expert = models.BooleanField(
        _("an expert sits on one panel per cycle"),
        default=True,
        help_text=_("When set, the draw skips experts who already hold a seat on another panel of this cycle."),
    )
    score_step = models.PositiveSmallIntegerField(
        _("score step (percentage points)"),
        default=lifecycle.DEFAULT_SCORE_STEP,
        choices=[(1, "1"), (5, "5"), (10, "10")],
        help_text=_("Experts score each item in steps of this many percentage points."),
    )
    independent_scoring = models.BooleanField(
        _("independent scoring"),
        default=True,
        help_text=_("When set, an expert sees the panel's scores only after submitting their own sheet."),
    )
    trimmed_aggregate = models.BooleanField(
        _("drop the highest and lowest score"),
        default=True,
        help_text=_(
            "The panel's aggregate per item leaves out one highest and one lowest score when it has five or more."
        ),
    )
    outlier_points = models.PositiveSmallIntegerField(
        _("outlier distance (percentage points)"),
        default=lifecycle.DEFAULT_OUTLIER_POINTS,
        help_text=_("An expert more than this far from the panel's aggregate on an item is flagged for discussion."),
    )
    onsite_top_n = models.PositiveSmallIntegerField(
        _("on-site review: top N per panel"),
        null=True,
        blank=True,
        help_text=_("Fixed before material scores open. Leave empty for no limit by rank."),
    )
    onsite_min_score = models.DecimalField(
        _("on-site review: minimum material score"),
        max_digits=6,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        help_text=_("Out of 1,000. Fixed before material scores open. Leave empty for no minimum."),
    )
    award_min_score = models.DecimalField(
        _("minimum on-site score for an award"),
        max_digits=6,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        help_text=_("Out of 1,000. Candidates below it are not proposed (Art. 4: places may stay empty)."),
    )
    feedback_exact_scores = models.BooleanField(
        _("feedback shows exact scores"),
        default=False,
        help_text=_("When not set, the applicants' feedback reports show the score band of each category only."),
    )
    criteria = models.ForeignKey(
        "core.Criteria",
        verbose_name=_("evaluation criteria"),
        on_delete=models.PROTECT,
        related_name="cycles",
        null=True,
        blank=True,
        help_text=_("The edition of GB/T 19580 this cycle is judged by (Art. 10, 13)."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = CycleQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("award cycle")
        verbose_name_plural = _("award cycles")
        ordering = ["-number"]
        constraints = [
            models.CheckConstraint(condition=Q(year__gte=2019), name="cycle_year_from_2019"),
            models.CheckConstraint(condition=Q(panel_min_size__gte=5), name="cycle_panel_at_least_5"),
            models.CheckConstraint(condition=Q(publicity_min_days__gte=7), name="cycle_publicity_at_least_7"),
            models.CheckConstraint(
                condition=Q(onsite_score_weight__gt=0.5, onsite_score_weight__lt=1),
                name="cycle_onsite_weight_above_half",
            ),
            models.CheckConstraint(condition=Q(score_step__in=(1, 5, 10)), name="cycle_score_step_divides_100"),
            models.CheckConstraint(
                condition=Q(onsite_min_score__isnull=True) | Q(onsite_min_score__lte=1000),
                name="cycle_onsite_min_score_at_most_1000",
            ),
            models.CheckConstraint(
                condition=Q(award_min_score__isnull=True) | Q(award_min_score__lte=1000),
                name="cycle_award_min_score_at_most_1000",
            ),
        ]

    def __str__(self):
        return self.title

    @property
    def numbering(self):
        return lifecycle.CycleNumbering(number=self.number, year=self.year)

    @property
    def rules(self):
        return lifecycle.CycleRules(
            award_quota=self.award_quota,
            prize_amount=self.prize_amount,
            panel_min_size=self.panel_min_size,
            publicity_min_days=self.publicity_min_days,
            onsite_score_weight=self.onsite_score_weight,
            slate_ratio=self.slate_ratio,
            pass_ratio=self.pass_ratio,
            quorum_ratio=self.quorum_ratio,
        )

    @property
    def next_phase(self):
        return lifecycle.next_phase(self.phase)

    def clean(self):
        problems = {}
        if self.number is not None and self.year is not None:
            previous = Cycle.objects.filter(number__lt=self.number).exclude(pk=self.pk).order_by("-number").first()
            problems.update(
                lifecycle.numbering_problems(cycle=self.numbering, previous=previous.numbering if previous else None)
            )
        if None not in vars(self.rules).values():
            problems.update(lifecycle.rules_problems(self.rules))
        if (
            self.application_deadline
            and self.applications_open_on
            and timezone.localtime(self.application_deadline).date() < self.applications_open_on
        ):
            problems["application_deadline"] = _("The deadline cannot come before applications open.")
        problems.update(self._selection_rule_problems())
        if problems:
            raise ValidationError(problems)

    SELECTION_RULE_FIELDS = ("onsite_top_n", "onsite_min_score")

    def selection_rule_fixed(self, phase: str | None = None) -> bool:
        """The on-site selection rule is fixed from the material review on: scores are read against it."""
        phase = phase or self.phase
        return lifecycle.PHASE_ORDER.index(CyclePhase(phase)) >= lifecycle.PHASE_ORDER.index(CyclePhase.MATERIAL_REVIEW)

    def _selection_rule_problems(self) -> dict[str, str]:
        if self.pk is None:
            return {}
        stored = Cycle.objects.filter(pk=self.pk).values("phase", *self.SELECTION_RULE_FIELDS).first()
        if stored is None or not self.selection_rule_fixed(stored["phase"]):
            return {}
        return {
            name: _("The on-site selection rule is fixed once the material review has started; it cannot change.")
            for name in self.SELECTION_RULE_FIELDS
            if getattr(self, name) != stored[name]
        }
