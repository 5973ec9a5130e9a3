"""Forms of the applicant portal: validation only, the services write."""

import re

from crispy_forms.helper import FormHelper
from django import forms
from django.conf import settings
from django.contrib.auth.forms import SetPasswordMixin
from django.utils.translation import gettext_lazy as _

from mayor_award.core.articles import article_label
from mayor_award.core.models import User
from mayor_award.core.uploads import safe_display_name, validate_upload

from . import eligibility
from .enums import AttachmentPurpose
from .models import Organisation
from .sections import DECLARATION_ARTICLES, OVERVIEW_MAX_CHARS
from .validators import normalise_credit_code, validate_credit_code

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
ATTACHMENT_KINDS = ("pdf", "jpeg", "png")


class PlainHelperMixin:
    """Crispy renders the fields; the template owns the <form> tag and the buttons."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False


class NewAccountMixin(SetPasswordMixin):
    """A new user name (free, valid) and a password typed twice that passes the validators."""

    def clean_username(self):
        username = self.cleaned_data["username"]
        User.username_validator(username)
        if User.objects.filter(username__iexact=username).exists():
            raise forms.ValidationError(_("This user name is taken."))
        return username

    def clean(self):
        cleaned = super().clean()
        self.validate_passwords()
        if "username" in cleaned:
            self.validate_password_for_user(self.build_user())
        return cleaned


class OrganisationRegistrationForm(PlainHelperMixin, NewAccountMixin, forms.ModelForm):
    """An organisation and its first user (Art. 2: only organisations apply)."""

    username = forms.CharField(label=_("user name"), max_length=150, help_text=_("Letters, digits and @/./+/-/_ only."))
    user_name = forms.CharField(label=_("your name"), max_length=100)
    email = forms.EmailField(label=_("your e-mail address"), help_text=_("We send a confirmation link to it."))
    password1, password2 = SetPasswordMixin.create_password_fields()

    class Meta:
        model = Organisation
        fields = [
            "name",
            "credit_code",
            "kind",
            "legal_form",
            "registered_in_luohe_since",
            "registration_area",
            "industry_section",
            "industry_division",
            "address",
            "legal_representative",
            "contact_name",
            "contact_phone",
            "contact_email",
        ]
        widgets = {"registered_in_luohe_since": DATE_INPUT}

    # Longer than the stored 18 characters: codes are often typed with spaces or dashes, removed when cleaned.
    credit_code = forms.CharField(label=_("unified social credit code"), max_length=30)
    ACCOUNT_FIELDS = ("username", "user_name", "email", "password1", "password2")

    def organisation_fields(self):
        return [field for field in self if field.name not in self.ACCOUNT_FIELDS]

    def account_fields(self):
        return [self[name] for name in self.ACCOUNT_FIELDS]

    def _get_validation_exclusions(self):
        # clean_credit_code checks the code completely; the model's length check would only repeat it.
        return {*super()._get_validation_exclusions(), "credit_code"}

    def clean_credit_code(self):
        code = normalise_credit_code(self.cleaned_data["credit_code"])
        validate_credit_code(code)
        if Organisation.objects.filter(credit_code=code).exists():
            raise forms.ValidationError(
                _("An organisation with this credit code is already registered; ask its users to invite you.")
            )
        return code

    def build_user(self) -> User:
        return User(
            username=self.cleaned_data["username"],
            name=self.cleaned_data.get("user_name", ""),
            email=self.cleaned_data.get("email", ""),
        )


class InvitationForm(PlainHelperMixin, forms.Form):
    email = forms.EmailField(label=_("e-mail address of the colleague"))


class InvitationAcceptForm(PlainHelperMixin, NewAccountMixin, forms.Form):
    username = forms.CharField(label=_("user name"), max_length=150)
    name = forms.CharField(label=_("your name"), max_length=100)
    password1, password2 = SetPasswordMixin.create_password_fields()

    def build_user(self) -> User:
        return User(username=self.cleaned_data["username"], name=self.cleaned_data.get("name", ""))


class SectionForm(PlainHelperMixin, forms.Form):
    """A dossier section; `version` carries the version the page was loaded with."""

    version = forms.IntegerField(widget=forms.HiddenInput)


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.replace("；", "\n").replace(";", "\n").splitlines() if line.strip()]


class BasicsForm(SectionForm):
    excellence_model_since = forms.DateField(
        label=_("performance-excellence model adopted since"),
        required=False,
        widget=DATE_INPUT,
        help_text=_("At least one year before the deadline (Art. 8(2))."),
    )
    certificates = forms.CharField(
        label=_("management-system certificates"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One per line, e.g. ISO 9001 with its certificate number."),
    )
    overview = forms.CharField(
        label=_("organisation overview"),
        required=False,
        max_length=OVERVIEW_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 10, "maxlength": OVERVIEW_MAX_CHARS}),
        help_text=_("At most 3,000 characters."),
    )
    competitors = forms.CharField(
        label=_("key competitors"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Names of organisations, one per line."),
    )
    customers = forms.CharField(
        label=_("key customers"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Names of organisations, one per line."),
    )
    suppliers = forms.CharField(
        label=_("key suppliers"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Names of organisations, one per line."),
    )

    LIST_FIELDS = ("competitors", "customers", "suppliers")

    @classmethod
    def initial_from(cls, data):
        initial = dict(data)
        for name in cls.LIST_FIELDS:
            initial[name] = "\n".join(data.get(name, []))
        return initial

    def clean(self):
        cleaned = super().clean()
        for name in self.LIST_FIELDS:
            cleaned[name] = _lines(cleaned.get(name) or "")
        return cleaned


MONEY = {"max_digits": 16, "decimal_places": 2, "required": False}


class ResultsForm(SectionForm):
    """Three completed years (Y-1, Y-2, Y-3), the top-five claim or, for non-profits, social contribution."""

    top_five_indicator = forms.ChoiceField(
        label=_("indicator ranked in the city's top five of the industry last year"),
        required=False,
        choices=[("", "—"), *eligibility.TOP_FIVE_INDICATORS.items()],
    )
    top_five_rank = forms.IntegerField(label=_("rank"), required=False, min_value=1, max_value=999)
    social_contribution = forms.CharField(
        label=_("social contribution (non-profit organisations)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def __init__(self, *args, years, for_profit, **kwargs):
        super().__init__(*args, **kwargs)
        self.years = years
        self.for_profit = for_profit
        for year in years:
            self.fields[f"y{year}_operating_revenue"] = forms.DecimalField(
                label=_("%(year)s operating revenue (10,000 yuan)") % {"year": year}, **MONEY
            )
            self.fields[f"y{year}_total_profit_and_tax"] = forms.DecimalField(
                label=_("%(year)s total profit and tax (10,000 yuan)") % {"year": year}, **MONEY
            )
            self.fields[f"y{year}_net_profit"] = forms.DecimalField(
                label=_("%(year)s net profit (10,000 yuan)") % {"year": year},
                **MONEY,
                help_text=_("Negative for a loss."),
            )
            self.fields[f"y{year}_asset_contribution_rate"] = forms.DecimalField(
                label=_("%(year)s total-asset contribution rate (%%)") % {"year": year},
                max_digits=7,
                decimal_places=2,
                required=False,
            )
            self.fields[f"y{year}_quality_indicators"] = forms.CharField(
                label=_("%(year)s quality indicators") % {"year": year},
                required=False,
                widget=forms.Textarea(attrs={"rows": 2}),
            )
        if not for_profit:
            del self.fields["top_five_indicator"], self.fields["top_five_rank"]
        else:
            del self.fields["social_contribution"]

    @classmethod
    def initial_from(cls, data):
        initial = {key: value for key, value in data.items() if key != "years"}
        for year, figures in data.get("years", {}).items():
            for name, value in figures.items():
                initial[f"y{year}_{name}"] = value
        return initial

    def clean(self):
        cleaned = super().clean()
        years = {
            str(year): {
                name: cleaned.pop(f"y{year}_{name}", None)
                for name in (
                    "operating_revenue",
                    "total_profit_and_tax",
                    "net_profit",
                    "asset_contribution_rate",
                    "quality_indicators",
                )
            }
            for year in self.years
        }
        cleaned["years"] = years
        return cleaned


def validate_step_of_five(value):
    if value % 5:
        raise forms.ValidationError(
            _("Ensure this value is a multiple of step size %(limit_value)s."),
            code="step_size",
            params={"limit_value": 5},
        )


class SelfAssessmentForm(SectionForm):
    """For each of the 23 scored items: a narrative and a self-assessed percentage (steps of 5)."""

    def __init__(self, *args, items, **kwargs):
        super().__init__(*args, **kwargs)
        self.items = items
        for item in items:
            self.fields[f"n_{item.code}"] = forms.CharField(
                label=f"{item.code} {item.name}",
                required=False,
                widget=forms.Textarea(attrs={"rows": 4, "class": "form-control"}),
            )
            self.fields[f"p_{item.code}"] = forms.IntegerField(
                label=_("self-assessed %"),
                required=False,
                min_value=0,
                max_value=100,
                validators=[validate_step_of_five],  # not step_size: Django's check overflows on a huge number
                widget=forms.NumberInput(attrs={"step": 5, "data-points": item.points, "class": "self-percent"}),
            )

    @classmethod
    def initial_from(cls, data):
        initial = {}
        for code, entry in data.get("items", {}).items():
            initial[f"n_{code}"] = entry.get("narrative", "")
            initial[f"p_{code}"] = entry.get("percent")
        return initial

    def rows(self):
        """(item, narrative field, percent field) for the template's table."""
        return [(item, self[f"n_{item.code}"], self[f"p_{item.code}"]) for item in self.items]

    def clean(self):
        cleaned = super().clean()
        cleaned["items"] = {
            item.code: {"narrative": cleaned.pop(f"n_{item.code}", ""), "percent": cleaned.pop(f"p_{item.code}", None)}
            for item in self.items
        }
        return cleaned


DECLARATION_TEXTS = {
    "9(1)": _("The organisation is in line with national and local industrial, environmental and quality policy."),
    "9(2)": _("The organisation holds every licence and permit that the law requires for its activities."),
    "9(3)": _("No quality, safety or environmental liability accident occurred in the last three years."),
    "9(4)": _(
        "In the last three years no product failed national, provincial or municipal supervisory sampling, no "
        "exported product caused foreign claims, returns or investigations for quality, and there was no serious "
        "service-quality problem."
    ),
    "9(5)": _("The organisation committed no fraud or other violation in the award's review in the last three cycles."),
    "9(6)": _(
        "The organisation has no credit blacklist record or other serious violation of law in the last three years."
    ),
}
DECLARATION_CHOICES = [
    ("affirmed", _("I declare this is true")),
    ("not_affirmed", _("This is not true for us")),
]
AWARD_LEVELS = [("national", _("national")), ("provincial", _("provincial"))]


class DeclarationsForm(SectionForm):
    """Each Art. 9 exclusion answered explicitly (never pre-selected); licences; quality awards received."""

    licences = forms.CharField(
        label=_("licences and permits held"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One per line."),
    )
    awards = forms.CharField(
        label=_("national or provincial quality awards received"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "One per line: name, level (national or provincial), year; e.g. 河南省省长质量奖, provincial, 2025."
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for article in DECLARATION_ARTICLES:
            self.fields[article] = forms.ChoiceField(
                label=_("%(article)s: %(text)s")
                % {"article": article_label(article), "text": DECLARATION_TEXTS[article]},
                choices=DECLARATION_CHOICES,
                required=False,
                widget=forms.RadioSelect,
            )

    @classmethod
    def initial_from(cls, data):
        initial = dict(data)
        initial["awards"] = "\n".join(f"{a['name']}, {a['level']}, {a['year']}" for a in data.get("awards", []))
        initial["licences"] = "\n".join(data.get("licences", []))
        return initial

    def clean_awards(self):
        awards = []
        levels = {str(label): value for value, label in AWARD_LEVELS} | {value: value for value, _ in AWARD_LEVELS}
        for number, line in enumerate(_lines(self.cleaned_data["awards"]), start=1):
            parts = [part.strip() for part in line.replace("，", ",").split(",")]
            if len(parts) != 3 or parts[1].lower() not in levels or not re.fullmatch(r"\d{4}", parts[2], re.ASCII):
                raise forms.ValidationError(
                    _(
                        "Line %(number)s: write the name, the level (national or provincial) and the year, "
                        "separated by commas."
                    )
                    % {"number": number}
                )
            awards.append({"name": parts[0], "level": levels[parts[1].lower()], "year": int(parts[2])})
        return awards

    def clean_licences(self):
        return _lines(self.cleaned_data["licences"])


class AttachmentForm(PlainHelperMixin, forms.Form):
    purpose = forms.ChoiceField(label=_("what it is"), choices=AttachmentPurpose.choices)
    title = forms.CharField(label=_("title"), max_length=200)
    file = forms.FileField(label=_("file"), help_text=_("PDF, JPEG or PNG, at most 20 MB."))

    def __init__(self, *args, space_left: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.space_left = space_left

    def clean_file(self):
        upload = self.cleaned_data["file"]
        self.kind = validate_upload(upload, allowed=ATTACHMENT_KINDS, max_bytes=settings.DOSSIER_ATTACHMENT_MAX_BYTES)
        if upload.size > self.space_left:
            raise forms.ValidationError(
                _("The dossier's attachments may take at most %(limit)s MB in all; this file does not fit.")
                % {"limit": settings.DOSSIER_TOTAL_MAX_BYTES // (1024 * 1024)}
            )
        upload.name = safe_display_name(upload.name, self.kind)
        return upload


class WithdrawForm(PlainHelperMixin, forms.Form):
    reason = forms.CharField(label=_("reason for the withdrawal"), widget=forms.Textarea(attrs={"rows": 4}))
