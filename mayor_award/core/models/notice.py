import uuid
from pathlib import PurePath

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from ..enums import NoticeKind, NoticeState


class NoticeQuerySet(models.QuerySet):
    def published(self):
        return self.filter(state=NoticeState.PUBLISHED)

    def due(self, now=None):
        """Scheduled notices whose time has come: what the publication sweeper picks up."""
        return self.filter(state=NoticeState.SCHEDULED, publish_at__lte=now or timezone.now())


class Notice(models.Model):
    """A public notice (公告): cycle announcement (评审公告), publicity (公示), award or revocation notice."""

    cycle = models.ForeignKey(
        "core.Cycle",
        verbose_name=_("cycle"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="notices",
    )
    kind = models.CharField(_("kind"), max_length=20, choices=NoticeKind.choices, default=NoticeKind.GENERAL)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(
        _("body"),
        help_text=_("Paragraphs, lists, tables, bold and links are kept; anything else is removed when shown."),
    )
    state = models.CharField(_("state"), max_length=20, choices=NoticeState.choices, default=NoticeState.DRAFT)
    publish_at = models.DateTimeField(
        _("publish at"), null=True, blank=True, help_text=_("Leave empty to publish as soon as it is scheduled.")
    )
    published_at = models.DateTimeField(_("published at"), null=True, blank=True, editable=False)
    enqueue_failed_at = models.DateTimeField(
        _("queueing failed at"),
        null=True,
        blank=True,
        editable=False,
        help_text=_("The task queue was unreachable; the sweeper publishes the notice when it is due."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = NoticeQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("notice")
        verbose_name_plural = _("notices")
        ordering = ["-published_at", "-publish_at", "-pk"]
        indexes = [models.Index(fields=["state", "publish_at"]), models.Index(fields=["state", "-published_at"])]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("notice-detail", kwargs={"pk": self.pk})

    @property
    def is_published(self):
        return self.state == NoticeState.PUBLISHED


def attachment_path(instance, filename):
    """A random stored name: the uploaded name is display text only, never part of a path."""
    suffix = PurePath(filename).suffix.lower()[:10]
    return f"notices/{uuid.uuid4().hex}{suffix}"


class NoticeAttachment(models.Model):
    """A file published with a notice, served only through the notice's own page once it is public."""

    notice = models.ForeignKey(Notice, on_delete=models.CASCADE, related_name="attachments")
    title = models.CharField(_("title"), max_length=200)
    file = models.FileField(_("file"), upload_to=attachment_path)
    original_name = models.CharField(_("original file name"), max_length=200, editable=False)
    content_type = models.CharField(_("content type"), max_length=100, editable=False)
    size = models.PositiveBigIntegerField(_("size"), default=0, editable=False)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["pk"]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("notice-attachment", kwargs={"notice_pk": self.notice_id, "pk": self.pk})
