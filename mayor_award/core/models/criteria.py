from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from ..enums import CriteriaKind


class CriteriaQuerySet(models.QuerySet):
    def latest_published(self):
        return self.filter(is_published=True).order_by("-code", "-version").first()


class Criteria(models.Model):
    """A version of the evaluation standard (评价准则), GB/T 19580-2012 to begin with (Art. 10, 13).

    Versioned data, never edited once scores exist: a correction is a new version, and each cycle points
    to the version it is judged by, so old scores keep their meaning.
    """

    code = models.CharField(_("standard"), max_length=40)
    version = models.PositiveSmallIntegerField(_("version"), default=1)
    title = models.CharField(_("title"), max_length=200)
    total_points = models.PositiveSmallIntegerField(_("total points"), default=1000)
    is_published = models.BooleanField(_("published"), default=True)
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = CriteriaQuerySet.as_manager()

    class Meta:
        verbose_name = _("evaluation criteria")
        verbose_name_plural = _("evaluation criteria")
        ordering = ["code", "-version"]
        constraints = [models.UniqueConstraint(fields=["code", "version"], name="criteria_code_version_unique")]

    def __str__(self):
        return f"{self.code} ({self.version})"


class _Named(models.Model):
    name_zh = models.CharField(_("name (Chinese)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100)

    class Meta:
        abstract = True

    @property
    def name(self):
        return self.name_en if (get_language() or "").startswith("en") else self.name_zh


class CriteriaCategory(_Named):
    """One of the seven categories (类目), e.g. 4.1 领导."""

    criteria = models.ForeignKey(Criteria, on_delete=models.CASCADE, related_name="categories")
    code = models.CharField(_("code"), max_length=10)
    points = models.PositiveSmallIntegerField(_("points"))
    kind = models.CharField(_("kind"), max_length=10, choices=CriteriaKind.choices)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("criteria category")
        verbose_name_plural = _("criteria categories")
        ordering = ["criteria", "position"]
        constraints = [models.UniqueConstraint(fields=["criteria", "code"], name="category_code_unique")]

    def __str__(self):
        return f"{self.code} {self.name}"


class CriteriaItem(_Named):
    """One of the 23 scored items (评分条款), e.g. 4.1.2 高层领导的作用, 50 points."""

    category = models.ForeignKey(CriteriaCategory, on_delete=models.CASCADE, related_name="items")
    code = models.CharField(_("code"), max_length=10)
    points = models.PositiveSmallIntegerField(_("points"))
    kind = models.CharField(_("kind"), max_length=10, choices=CriteriaKind.choices)
    scope_en = models.TextField(_("scope"), blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("criteria item")
        verbose_name_plural = _("criteria items")
        ordering = ["category__position", "position"]
        constraints = [models.UniqueConstraint(fields=["category", "code"], name="item_code_unique")]

    def __str__(self):
        return f"{self.code} {self.name}"


class ScoringBand(models.Model):
    """A scoring band (评分档次) for process or results items: its percentages and its descriptor."""

    criteria = models.ForeignKey(Criteria, on_delete=models.CASCADE, related_name="bands")
    kind = models.CharField(_("kind"), max_length=10, choices=CriteriaKind.choices)
    band = models.PositiveSmallIntegerField(_("band"))
    min_percent = models.PositiveSmallIntegerField(_("from %"))
    max_percent = models.PositiveSmallIntegerField(_("to %"))
    allowed_percents = models.JSONField(_("allowed percentages"), default=list)
    text_zh = models.TextField(_("descriptor (Chinese)"))
    text_en = models.TextField(_("descriptor (English)"))

    class Meta:
        verbose_name = _("scoring band")
        verbose_name_plural = _("scoring bands")
        ordering = ["criteria", "kind", "band"]
        constraints = [models.UniqueConstraint(fields=["criteria", "kind", "band"], name="band_unique")]

    def __str__(self):
        return f"{self.get_kind_display()} {self.band}: {self.min_percent}–{self.max_percent}%"

    @property
    def text(self):
        return self.text_en if (get_language() or "").startswith("en") else self.text_zh
