"""Forms of the core: validation only; saving is the services' job."""

from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.core.validators import MaxLengthValidator
from django.utils.translation import gettext_lazy as _

from .enums import NoticeState
from .models import Notice, NoticeAttachment
from .uploads import KINDS, safe_display_name, validate_upload

NOTICE_ATTACHMENT_KINDS = ("pdf", "docx", "xlsx", "png", "jpeg")


class NoticeAdminForm(forms.ModelForm):
    """The secretariat writes a notice and either keeps it as a draft or schedules it."""

    state = forms.ChoiceField(
        label=_("state"),
        choices=[(NoticeState.DRAFT, NoticeState.DRAFT.label), (NoticeState.SCHEDULED, NoticeState.SCHEDULED.label)],
        help_text=_("Scheduled notices are published at their time, or at once when no time is given."),
    )

    class Meta:
        model = Notice
        fields = ["cycle", "kind", "title", "body", "state", "publish_at"]

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk and Notice.objects.filter(pk=self.instance.pk, state=NoticeState.PUBLISHED).exists():
            raise forms.ValidationError(_("A published notice cannot be changed; publish a correction instead."))
        return cleaned


class NoticeAttachmentForm(forms.ModelForm):
    class Meta:
        model = NoticeAttachment
        fields = ["title", "file"]

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload and hasattr(upload, "content_type"):  # a new upload, not the stored file
            kind = validate_upload(
                upload, allowed=NOTICE_ATTACHMENT_KINDS, max_bytes=settings.NOTICE_ATTACHMENT_MAX_BYTES
            )
            self.instance.original_name = safe_display_name(upload.name, kind)
            self.instance.content_type = KINDS[kind][0]
            self.instance.size = upload.size
            upload.name = self.instance.original_name  # the stored name's suffix follows the real kind
        return upload


class LoginForm(AuthenticationForm):
    """Django's login form, with its user name's length really checked: a longer one is refused before the
    lockout (django-axes) records the attempt in its 255-character column, which would fail on PostgreSQL."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        username = self.fields["username"]
        username.validators.append(MaxLengthValidator(username.max_length))
