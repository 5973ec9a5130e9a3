"""The expert pool (专家库) as an Excel workbook, for django-import-export in the admin.

One line per expert: user name, name, e-mail, phone, employer, employer's credit code, position, professional
title, qualifications (codes or labels, comma-separated), industries (GB/T 4754 section letters, comma-separated),
status. The first line holds the column titles, in Chinese or English (an exported file imports as it is).

The import runs in one transaction (`use_transactions`): the admin first does a dry run and shows every bad line
with its line number in the workbook (line 1 is the titles) and the reasons; only a file without errors can be
confirmed, and the confirmed import is rolled back as a whole if any line fails after all. A user name that is not
an account yet gets a new, active account in the expert role, with a random password nobody knows: the expert sets
one through "forgot your password" with the e-mail address given here.
"""

import re
import secrets
from collections import Counter
from io import BytesIO

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from import_export.fields import Field
from import_export.formats.base_formats import XLSX
from import_export.resources import ModelResource

from applications.enums import IndustrySection
from applications.validators import normalise_credit_code, validate_credit_code
from mayor_award.core.enums import Role
from mayor_award.core.models import User
from mayor_award.core.services import audit_record

from . import services
from .enums import ExpertStatus, Qualification
from .models import Expert

# Commas (half- and full-width), the Chinese enumeration comma, semicolons and line breaks separate list items.
SEPARATORS = re.compile(r"[,，、;；\n\r]+")
LIST_JOINER = ","
LANGUAGES = ("zh-hans", "en")


def _verbose(model, name):
    return model._meta.get_field(name).verbose_name


# (key, label): the key is the stable internal column name, the label the title written in the file.
COLUMNS = (
    ("username", _verbose(User, "username")),
    ("name", _verbose(User, "name")),
    ("email", _verbose(User, "email")),
    ("phone", _verbose(Expert, "phone")),
    ("employer", _verbose(Expert, "employer")),
    ("employer_credit_code", _verbose(Expert, "employer_credit_code")),
    ("position", _verbose(Expert, "position")),
    ("professional_title", _verbose(Expert, "professional_title")),
    ("qualifications", _verbose(Expert, "qualifications")),
    ("industries", _verbose(Expert, "industries")),
    ("status", _verbose(Expert, "status")),
)
KEYS = tuple(key for key, _label in COLUMNS)
LABELS = dict(COLUMNS)
REQUIRED_COLUMNS = ("username", "employer", "industries")


def _text(value) -> str:
    """A cell as text: None is empty, 13800000000.0 is "13800000000", strings are stripped."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _items(value: str) -> list[str]:
    return [item.strip() for item in SEPARATORS.split(value or "") if item.strip()]


def _normal(text) -> str:
    return re.sub(r"[\s*＊:：]", "", str(text)).casefold()


def _aliases(code: str, label) -> set[str]:
    """The code and the label in every language of the site, normalised for comparison."""
    names = {_normal(code)}
    for language in LANGUAGES:
        with translation.override(language):
            names.add(_normal(label))
    return names


def _label_lookup(choices) -> dict[str, str]:
    lookup = {}
    for code, label in choices:
        for alias in _aliases(code, label):
            lookup.setdefault(alias, code)
    return lookup


def _header_lookup() -> dict[str, str]:
    lookup = {}
    for key, label in COLUMNS:
        for alias in _aliases(key, label):
            lookup.setdefault(alias, key)
    return lookup


def _qualification_label(code: str) -> str:
    try:
        return str(Qualification(code).label)
    except ValueError:
        return code


def _status_label(code: str) -> str:
    try:
        return str(ExpertStatus(code).label)
    except ValueError:
        return code


def pool_values(expert: Expert) -> dict[str, str]:
    """The expert's line of the workbook, as text in the current language.

    During an import the line being imported (normalised) stands in for the expert, so the preview shows it.
    """
    pending = getattr(expert, "_pool_row", None)
    if pending is not None:
        return pending
    user = expert.user if expert.user_id else None
    return {
        "username": user.username if user else "",
        "name": user.name if user else "",
        "email": user.email if user else "",
        "phone": expert.phone,
        "employer": expert.employer,
        "employer_credit_code": expert.employer_credit_code,
        "position": expert.position,
        "professional_title": expert.professional_title,
        "qualifications": LIST_JOINER.join(_qualification_label(code) for code in expert.qualifications or []),
        "industries": LIST_JOINER.join(expert.industries or []),
        "status": _status_label(expert.status),
    }


class PoolField(Field):
    """A column of the workbook: read from `pool_values`, written by `ExpertResource.import_instance`."""

    def __init__(self, key, label):
        super().__init__(attribute=key, column_name=key, readonly=True)
        self.key = key
        self.label = label

    def get_value(self, instance):
        return pool_values(instance)[self.key]

    def export(self, instance, **kwargs):
        return self.get_value(instance)


class PoolXLSX(XLSX):
    """Excel workbooks whose cells are always text: a value such as "=HYPERLINK(…)" never becomes a formula."""

    def export_data(self, dataset, **kwargs):
        from openpyxl import Workbook
        from openpyxl.styles import Font

        workbook = Workbook()
        sheet = workbook.active
        sheet.title = str(Expert._meta.verbose_name_plural)[:31]
        sheet.append([str(header) for header in dataset.headers or []])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in dataset:
            sheet.append(["" if value is None else str(value) for value in row])
        for row in sheet.iter_rows(min_row=2):
            for cell in row:
                if cell.data_type == "f":
                    cell.data_type = "s"
        for index, _header in enumerate(dataset.headers or [], start=1):
            column = sheet.cell(row=1, column=index).column_letter
            width = max((len(str(cell.value or "")) for cell in sheet[column]), default=8)
            sheet.column_dimensions[column].width = min(max(width * 1.6, 10), 60)
        sheet.freeze_panes = "A2"
        buffer = BytesIO()
        workbook.save(buffer)
        return buffer.getvalue()


class ExpertResource(ModelResource):
    username = PoolField("username", LABELS["username"])
    name = PoolField("name", LABELS["name"])
    email = PoolField("email", LABELS["email"])
    phone = PoolField("phone", LABELS["phone"])
    employer = PoolField("employer", LABELS["employer"])
    employer_credit_code = PoolField("employer_credit_code", LABELS["employer_credit_code"])
    position = PoolField("position", LABELS["position"])
    professional_title = PoolField("professional_title", LABELS["professional_title"])
    qualifications = PoolField("qualifications", LABELS["qualifications"])
    industries = PoolField("industries", LABELS["industries"])
    status = PoolField("status", LABELS["status"])

    class Meta:
        model = Expert
        name = gettext_lazy("Expert pool")
        fields = KEYS
        import_order = KEYS
        export_order = KEYS
        import_id_fields = ["username"]
        use_transactions = True
        clean_model_instances = True
        report_skipped = True

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.file_lines: list[int] = []  # the workbook line of each data row (line 1 is the titles)
        self.repeated: dict[str, list[int]] = {}  # user names on more than one line → those lines

    # --- the titles in the user's language ---

    def get_export_headers(self, selected_fields=None):
        return [str(field.label) for field in self.get_export_fields(selected_fields)]

    def get_diff_headers(self):
        return [str(field.label) for field in self.get_import_fields()]

    def column_labels(self) -> list[str]:
        return [str(label) for _key, label in COLUMNS]

    # --- before the lines: titles, blank lines, repeated user names ---

    def before_import(self, dataset, **kwargs):
        lookup = _header_lookup()
        headers = [_text(header) for header in dataset.headers or []]
        dataset.headers = [lookup.get(_normal(header), header) for header in headers]
        missing = [key for key in REQUIRED_COLUMNS if key not in dataset.headers]
        if missing:
            for index in reversed(range(len(dataset))):  # no line can be read without these columns
                del dataset[index]
            raise ValueError(
                _("The first line of the workbook must hold the column titles; missing: %(columns)s.")
                % {"columns": "、".join(str(LABELS[key]) for key in missing)}
            )
        blank = [index for index, row in enumerate(dataset) if not any(_text(value) for value in row)]
        self.file_lines = [index + 2 for index in range(len(dataset)) if index not in set(blank)]
        for index in reversed(blank):
            del dataset[index]
        position = dataset.headers.index("username")
        lines: dict[str, list[int]] = {}
        for line, row in zip(self.file_lines, dataset, strict=True):
            username = _text(row[position])
            if username:
                lines.setdefault(username, []).append(line)
        counts = Counter({username: len(found) for username, found in lines.items()})
        self.repeated = {username: lines[username] for username, count in counts.items() if count > 1}

    def after_import(self, dataset, result, **kwargs):
        super().after_import(dataset, result, **kwargs)
        result.file_lines = list(self.file_lines)

    # --- one line ---

    def get_instance(self, instance_loader, row):
        username = _text(row.get("username"))
        if not username:
            return None
        return Expert.objects.select_related("user").filter(user__username=username).first()

    def import_instance(self, instance, row, **kwargs):
        values = {key: _text(row.get(key)) for key in KEYS}
        errors: dict[str, list[str]] = {}

        def error(key, message):
            errors.setdefault(key, []).append(str(message))

        existing_user = instance.user if instance.user_id else None
        username = values["username"]
        if not username:
            error("username", _("The user name is missing."))
        elif username in self.repeated:
            error(
                "username",
                _("The user name %(username)s is on more than one line (lines %(lines)s).")
                % {"username": username, "lines": "、".join(str(line) for line in self.repeated[username])},
            )
        else:
            try:
                User.username_validator(username)
            except ValidationError as invalid:
                error("username", " ".join(invalid.messages))
            if len(username) > User._meta.get_field("username").max_length:
                error("username", _("The user name is too long."))
            if existing_user is None:
                existing_user = User.objects.filter(username=username).first()
        if existing_user is not None and existing_user.is_superuser:
            error(
                "username",
                _("The account %(username)s is an administrator's; it cannot join the pool by import.")
                % {"username": username},
            )
        elif existing_user is not None and not pool_account_allowed(existing_user):
            error(
                "username",
                _("The account %(username)s belongs to an applicant or to the secretariat; it cannot join the pool.")
                % {"username": username},
            )
        creates_account = existing_user is None

        if not values["name"] and (creates_account or not existing_user.name):
            error("name", _("The name is missing."))
        if values["email"]:
            try:
                EmailValidator()(values["email"])
            except ValidationError:
                error("email", _("%(value)s is not a valid e-mail address.") % {"value": values["email"]})
        elif creates_account or not existing_user.email:
            error("email", _("An e-mail address is needed: the expert sets a password through it."))
        if not values["employer"]:
            error("employer", _("The employer is missing."))
        credit_code = normalise_credit_code(values["employer_credit_code"])
        if credit_code:
            try:
                validate_credit_code(credit_code)
            except ValidationError as invalid:
                error("employer_credit_code", " ".join(invalid.messages))

        qualifications = self._choices(
            values["qualifications"],
            Qualification.choices,
            "qualifications",
            error,
            _("Unknown qualification “%(value)s”; known: %(known)s."),
        )
        industries = []
        for item in _items(values["industries"]):
            letter = item.upper()
            if letter not in IndustrySection.values:
                error(
                    "industries",
                    _("Unknown industry section “%(value)s”: GB/T 4754 sections are the letters A to T.")
                    % {"value": item},
                )
            elif letter not in industries:
                industries.append(letter)
        if not industries and "industries" not in errors:
            error("industries", _("At least one industry section (a letter from A to T) is needed."))
        status = instance.status or ExpertStatus.ACTIVE
        if values["status"]:
            found = self._choices(
                values["status"],
                ExpertStatus.choices,
                "status",
                error,
                _("Unknown status “%(value)s”; known: %(known)s."),
            )
            if len(found) > 1:
                error("status", _("One status only."))
            status = found[0] if found else status

        instance.phone = values["phone"]
        instance.employer = values["employer"]
        instance.employer_credit_code = credit_code
        instance.position = values["position"]
        instance.professional_title = values["professional_title"]
        instance.qualifications = qualifications
        instance.industries = industries
        instance.status = status
        instance._pool_user = {
            "user": existing_user,
            "username": username,
            "name": values["name"] or (existing_user.name if existing_user else ""),
            "email": values["email"] or (existing_user.email if existing_user else ""),
        }
        instance._pool_row = {
            "username": username,
            "name": instance._pool_user["name"],
            "email": instance._pool_user["email"],
            "phone": instance.phone,
            "employer": instance.employer,
            "employer_credit_code": credit_code,
            "position": instance.position,
            "professional_title": instance.professional_title,
            "qualifications": LIST_JOINER.join(_qualification_label(code) for code in qualifications),
            "industries": LIST_JOINER.join(industries),
            "status": _status_label(status),
        }
        if errors:
            raise ValidationError(errors)

    @staticmethod
    def _choices(text, choices, key, error, unknown_message) -> list[str]:
        lookup = _label_lookup(choices)
        found = []
        for item in _items(text):
            code = lookup.get(_normal(item))
            if code is None:
                error(key, unknown_message % {"value": item, "known": "、".join(str(label) for _c, label in choices)})
            elif code not in found:
                found.append(code)
        return found

    def skip_row(self, instance, original, row, import_validation_errors=None):
        if import_validation_errors or original is None or instance.pk is None:
            return False
        return pool_values(original) == instance._pool_row

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        errors = dict(import_validation_errors or {})
        try:
            # The user is attached when the line is saved (a new account is made then).
            instance.full_clean(exclude=[*errors, "user"], validate_unique=validate_unique)
        except ValidationError as invalid:
            errors = invalid.update_error_dict(errors)
        if errors:
            raise ValidationError(errors)

    def save_instance(self, instance, is_create, row, **kwargs):
        by = kwargs.get("user")
        pending = instance._pool_user
        user = pending["user"]
        if user is None:
            user = User(username=pending["username"], name=pending["name"], email=pending["email"], is_active=True)
            # Nobody knows this password: the expert chooses one through the password reset e-mail. (An unusable
            # password would keep Django's reset form from sending that e-mail.)
            user.set_password(secrets.token_urlsafe(32))
            user._history_user = by
            user.save()
            audit_record(actor=by, action="user.created", obj=user, data={"via": "expert-import"})
        else:
            changed = [
                field for field in ("name", "email") if pending[field] and getattr(user, field) != pending[field]
            ]
            for field in changed:
                setattr(user, field, pending[field])
            if changed:
                user._history_user = by
                user.save(update_fields=changed)
        instance.user = user
        services.expert_save(expert=instance, by=by)


def line_of(result, row_number: int | None) -> int | None:
    """The workbook line of the data row numbered `row_number` (1 = the first row after the titles)."""
    if row_number is None:
        return None
    lines = getattr(result, "file_lines", [])
    if 0 < row_number <= len(lines):
        return lines[row_number - 1]
    return row_number + 1


def problems(result) -> list[dict]:
    """Every problem of an import, as {"line": workbook line or None, "reasons": [text]}, in line order."""
    found = [{"line": None, "reasons": [str(error.error)]} for error in result.base_errors]
    for invalid in result.invalid_rows:
        reasons = []
        for key, messages in invalid.error_dict.items():
            label = LABELS.get(key)
            for message in messages:
                reasons.append(_("%(column)s: %(reason)s") % {"column": label, "reason": message} if label else message)
        found.append({"line": line_of(result, invalid.number), "reasons": reasons})
    for row in result.rows:
        for error in row.errors:
            found.append({"line": line_of(result, error.number), "reasons": [str(error.error)]})
    return sorted(found, key=lambda problem: problem["line"] or 0)


def pool_account_allowed(user) -> bool:
    """Experts judge applicants: an applicant's staff or a secretariat clerk may not sit in the pool."""
    from applications.models import Membership

    if Membership.objects.filter(user=user).exists():
        return False
    return not user.groups.filter(name=Role.SECRETARIAT).exists()
