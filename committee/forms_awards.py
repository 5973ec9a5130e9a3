"""The public objection form (异议): validation only; committee.services_awards.objection_submit does the writing."""

import re

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.forms.utils import ErrorDict
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from stdnum.cn import ric

from mayor_award.core.uploads import safe_display_name, validate_upload

from .services_awards import ANONYMOUS_REFUSED, EVIDENCE_KINDS, MAX_EVIDENCE_FILES

OTHER_DOCUMENT = re.compile(r"[A-Za-z0-9-]{5,30}", re.ASCII)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input; cleans to a list."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png"}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if isinstance(data, list | tuple):
            return [super(MultipleFileField, self).clean(item, initial) for item in data]
        return [super().clean(data, initial)] if data else []


class ObjectionForm(forms.Form):
    """Real name, identity document or organisation, phone, e-mail, the objection and its evidence."""

    candidate = forms.ModelChoiceField(
        label=gettext_lazy("Organisation you object to"), queryset=None, empty_label=gettext_lazy("Choose…")
    )
    name = forms.CharField(label=gettext_lazy("Your real name"), max_length=100, required=False)
    id_number = forms.CharField(
        label=gettext_lazy("Identity document number"),
        max_length=30,
        required=False,
        help_text=gettext_lazy("Resident identity card or another identity document; or give your organisation."),
    )
    organisation = forms.CharField(
        label=gettext_lazy("Your organisation"),
        max_length=200,
        required=False,
        help_text=gettext_lazy("If you object on behalf of an organisation: its full name."),
    )
    phone = forms.CharField(label=gettext_lazy("Phone"), max_length=30, required=False)
    email = forms.EmailField(
        label=gettext_lazy("E-mail"),
        required=False,
        help_text=gettext_lazy("The reference number and the secretariat's written reply are sent here."),
    )
    text = forms.CharField(
        label=gettext_lazy("Your objection"),
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=10000,
        help_text=gettext_lazy("What you object to, the facts and how you know them."),
    )
    evidence = MultipleFileField(
        label=gettext_lazy("Evidence"),
        required=False,
        help_text=gettext_lazy("PDF, JPEG or PNG; up to five files of at most 20 MB each."),
    )

    def __init__(self, *args, candidates, refusal: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.refusal = refusal
        self.fields["candidate"].queryset = candidates
        self.fields["candidate"].label_from_instance = lambda candidate: candidate.dossier.organisation.name

    def full_clean(self):
        """A refused submission (too many from the address) is not examined at all: its files are not read."""
        if not self.refusal:
            return super().full_clean()
        self._errors = ErrorDict()
        self.cleaned_data = {}
        self.add_error(None, self.refusal)
        return None

    def clean_id_number(self):
        value = re.sub(r"\s+", "", self.cleaned_data["id_number"]).upper()
        if not value:
            return value
        if len(value) == 18 and value[:17].isdigit():
            if not ric.is_valid(value):
                raise ValidationError(_("This resident identity card number is not valid; please check it."))
        elif not OTHER_DOCUMENT.fullmatch(value):
            raise ValidationError(_("Write the document number with letters and digits only."))
        return value

    def clean_evidence(self):
        files = self.cleaned_data["evidence"]
        if not files:
            raise ValidationError(_("Attach the evidence for your objection (PDF, JPEG or PNG)."))
        if len(files) > MAX_EVIDENCE_FILES:
            raise ValidationError(_("Attach at most %(count)s files.") % {"count": MAX_EVIDENCE_FILES})
        checked = []
        for upload in files:
            kind = validate_upload(upload, allowed=EVIDENCE_KINDS, max_bytes=settings.DOSSIER_ATTACHMENT_MAX_BYTES)
            upload.name = safe_display_name(upload.name, kind)
            checked.append((upload, kind))
        return checked

    def clean(self):
        cleaned = super().clean()
        missing = [name for name in ("name", "phone", "email") if not cleaned.get(name)]
        if "email" in self.errors:
            missing = [name for name in missing if name != "email"]
        unidentified = (
            not cleaned.get("id_number") and not cleaned.get("organisation") and "id_number" not in self.errors
        )
        if missing or unidentified:
            self.add_error(None, str(ANONYMOUS_REFUSED))
            for name in missing:
                self.add_error(name, _("Required: anonymous objections are not accepted."))
            if unidentified:
                self.add_error("id_number", _("Give your identity document number or your organisation."))
        return cleaned
