"""Every form of the project, found in the apps' modules, with how to build it and hostile values for its fields.

`discover_forms()` walks the apps' packages and collects each Form or ModelForm class defined there, so that a new
form fails `test_every_form_has_a_builder` until `builders()` can build it (or, for an abstract base, it is in BASES).
Field values are drawn by the field's type (`field_values`): hostile text, numbers at and beyond every bound,
malformed dates and choices; forms posted as the browser does, every value a string.
"""

import contextlib
import importlib
import pkgutil
from decimal import Decimal

from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm
from django.core.exceptions import FieldDoesNotExist
from hypothesis import strategies as st

APP_PACKAGES = ("mayor_award.core", "applications", "review", "committee")

# Abstract bases and mixins: never shown on their own; their subclasses are built.
BASES = {
    "applications.forms.SectionForm",
    "applications.forms.PlainHelperMixin",
    "committee.admin_awards.ServiceForm",
    "committee.admin_voting.DecisionForm",
    # django-import-export's column picker: only check boxes of a fixed list, posted by the library's own view.
    "review.admin.PoolExportForm",
}

# Django's own forms the project shows (login, password change) are added to the builders by name.


def discover_forms() -> dict[str, type]:
    found = {}
    for package_name in APP_PACKAGES:
        package = importlib.import_module(package_name)
        modules = [package_name] + [
            info.name
            for info in pkgutil.walk_packages(package.__path__, prefix=f"{package_name}.")
            if ".migrations" not in info.name and ".management" not in info.name and not info.name.endswith(".demo")
        ]
        for module_name in modules:
            module = importlib.import_module(module_name)
            for value in vars(module).values():
                if (
                    isinstance(value, type)
                    and issubclass(value, forms.BaseForm)
                    and value.__module__ == module_name
                    and not value.__module__.startswith("django.")
                ):
                    found[f"{module_name}.{value.__qualname__}"] = value
    return found


# --- hostile values ---

PAYLOADS = (
    "'; DROP TABLE x; --",
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "<svg/onload=alert(1)>",
    "{{ 7*7 }}{% debug %}",
    "%(name)s %s %d",
    "\x00",
    "a\x00b",
    "\x1b[31m红\x1b[0m",
    "line\r\nline\rline",
    "\u202egpj.exe",
    "😀👨‍👩‍👧‍👦🏳️‍🌈",
    "\ufeff\u200b\u200d",
    "\ud7ff\ue000\uffff",
    " ",
    "",
    "字" * 10_001,
    "x" * 100_001,
)
hostile_text = st.one_of(
    st.sampled_from(PAYLOADS),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=60),
    st.lists(st.sampled_from(PAYLOADS[:12]), min_size=2, max_size=4).map("".join),
)
NUMBER_WORDS = (
    "NaN",
    "nan",
    "Infinity",
    "-Infinity",
    "inf",
    "1e308",
    "1e-308",
    "1E400",
    "0x10",
    "１２",
    "٣",
    " 5 ",
    "5.",
    ".5",
    "--1",
    "1,000",
    "0.00000000000000000001",
    "-0",
    "9" * 400,
)
DATE_WORDS = ("2026-02-30", "2026-13-01", "0000-00-00", "0001-01-01", "9999-12-31", "99999-01-01", "2026-1-1T25:61")


def _integer_values(field) -> st.SearchStrategy:
    bounds = []
    for bound in (field.min_value, field.max_value):
        if bound is not None:
            bounds += [bound - 1, bound, bound + 1]
    return st.one_of(
        st.sampled_from([*bounds, 0, -1, 10**30, -(10**30)]).map(str),
        st.integers().map(str),
        st.decimals(allow_nan=True, allow_infinity=True).map(str),
        st.sampled_from(NUMBER_WORDS),
        hostile_text,
    )


def _decimal_values(field) -> st.SearchStrategy:
    words = list(NUMBER_WORDS)
    if field.max_digits is not None and field.decimal_places is not None:
        whole = field.max_digits - field.decimal_places
        words += [
            "9" * whole + "." + "9" * field.decimal_places,
            "9" * (whole + 1),
            "-" + "9" * whole,
            "0." + "0" * field.decimal_places + "1",
        ]
    return st.one_of(
        st.sampled_from(words),
        st.decimals(allow_nan=True, allow_infinity=True).map(str),
        st.integers(0, 30).flatmap(lambda places: st.decimals(places=places, allow_nan=False)).map(str),
        st.integers().map(str),
        hostile_text,
    )


def _choice_values(field) -> st.SearchStrategy:
    keys = [str(key) for key, _label in getattr(field, "choices", []) if not isinstance(_label, list | tuple)]
    one = st.one_of(st.sampled_from(keys), hostile_text) if keys else hostile_text
    if isinstance(field, forms.MultipleChoiceField | forms.ModelMultipleChoiceField):
        return st.lists(one, max_size=3)
    return one


def _model_choice_values(field) -> st.SearchStrategy:
    keys = [str(pk) for pk in field.queryset.values_list("pk", flat=True)[:5]]
    one = st.one_of(
        st.sampled_from([*keys, "0", "-1", "1.5", str(2**63 - 1), *beyond_keys(), "NaN"]),
        hostile_text,
    )
    if isinstance(field, forms.ModelMultipleChoiceField):
        return st.lists(one, max_size=3)
    return one


def beyond_keys() -> list[str]:
    """Keys no database column holds. On PostgreSQL Django answers "no such row"; SQLite's driver cannot even
    send them (OverflowError in Django's own ModelChoiceField), which only the test database uses."""
    from django.db import connection

    return [str(2**63), str(2**64)] if connection.vendor == "postgresql" else []


def field_values(field) -> st.SearchStrategy | None:
    """What a hostile browser may post for `field`; None for a file (sent separately)."""
    if isinstance(field, forms.FileField):
        return None
    if isinstance(field, forms.ModelMultipleChoiceField | forms.ModelChoiceField):
        return _model_choice_values(field)
    if isinstance(field, forms.ChoiceField):  # MultipleChoiceField and TypedChoiceField included
        return _choice_values(field)
    if isinstance(field, forms.IntegerField):
        return _integer_values(field)
    if isinstance(field, forms.DecimalField | forms.FloatField):
        return _decimal_values(field)
    if isinstance(field, forms.DateField | forms.DateTimeField | forms.TimeField):
        return st.one_of(st.sampled_from(DATE_WORDS), st.dates().map(str), hostile_text)
    if isinstance(field, forms.NullBooleanField | forms.BooleanField):
        return st.one_of(st.sampled_from(["on", "true", "false", "unknown", "2", ""]), hostile_text)
    if isinstance(field, forms.EmailField):
        return st.one_of(st.emails().map(str), st.sampled_from(["a@b.c\x00", "a@" + "b" * 300 + ".cn"]), hostile_text)
    if isinstance(field.widget, forms.MultipleHiddenInput):
        return st.lists(st.one_of(st.integers().map(str), hostile_text), max_size=3)
    return hostile_text


def form_data_strategy(form) -> st.SearchStrategy:
    """A dict of hostile values for some of `form`'s fields (a browser may leave any out)."""
    strategies = {name: field_values(field) for name, field in form.fields.items()}
    strategies = {name: value for name, value in strategies.items() if value is not None}
    return st.fixed_dictionaries({}, optional=strategies)


# --- bounds: values at a limit (accepted) and one step beyond it (refused) ---


def _max_length(field) -> int | None:
    """The length the field really checks (a max_length set after construction checks nothing)."""
    limits = [v.limit_value for v in field.validators if type(v).__name__ == "MaxLengthValidator"]
    return min(limits) if limits else None


def _decimal_cases(field) -> list[tuple[str, bool]]:
    cases = [(word, False) for word in ("NaN", "Infinity", "-Infinity", "1e400")]
    if field.max_digits is not None and field.decimal_places is not None:
        whole = field.max_digits - field.decimal_places
        top = "9" * whole + ("." + "9" * field.decimal_places if field.decimal_places else "")
        cases += [
            (top, field.max_value is None),
            ("-" + top, field.min_value is None),
            ("1" + "0" * whole, False),
            ("0." + "0" * field.decimal_places + "1", False),
        ]
    if field.min_value is not None:
        cases += [(str(field.min_value), True), (str(Decimal(field.min_value) - 1), False)]
    return cases


def _integer_cases(field) -> list[tuple[str, bool]]:
    cases = [(word, False) for word in ("NaN", "Infinity", "1.5", "1e3")]
    step = getattr(field, "step_size", None) or 1
    if field.min_value is not None:
        cases += [(str(field.min_value), True), (str(field.min_value - step), False)]
    if field.max_value is not None:
        cases += [(str(field.max_value), True), (str(field.max_value + step), False)]
    return cases


def _text_cases(field) -> list[tuple[str, bool]]:
    cases = [("a\x00b", False)]  # PostgreSQL text cannot hold NUL: refused with a message, never a server error
    limit = _max_length(field)
    if limit is not None:
        cases += [("字" * limit, True), ("字" * (limit + 1), False)]
    return cases


def bound_cases(form) -> dict[str, list[tuple[str, bool]]]:
    """Field name → [(posted value, accepted?)] for every field with a limit."""
    cases = {}
    for name, field in form.fields.items():
        if field.disabled:
            continue
        if isinstance(field, forms.DecimalField):  # before IntegerField: DecimalField is one
            cases[name] = _decimal_cases(field)
        elif isinstance(field, forms.IntegerField):
            cases[name] = _integer_cases(field)
        elif isinstance(field, forms.CharField) and not isinstance(field, forms.EmailField):
            cases[name] = _text_cases(field)
    return cases


def bound_rounds(cases: dict[str, list[tuple[str, bool]]]) -> list[dict[str, tuple[str, bool]]]:
    """The cases as few forms as possible: a field's errors depend on its own value only, so round i posts the
    i-th case of every field at once."""
    rounds = max((len(values) for values in cases.values()), default=0)
    return [{name: values[i] for name, values in cases.items() if i < len(values)} for i in range(rounds)]


PLAIN_VALIDATORS = {
    "MaxLengthValidator",
    "MinLengthValidator",
    "ProhibitNullCharactersValidator",
    "MinValueValidator",
    "MaxValueValidator",
    "StepValueValidator",
    "DecimalValidator",
}


def only_its_limits(form, name) -> bool:
    """A field whose only rules are its limits (no format of its own, in the form or the model): any value within
    them is accepted, so a refusal at a limit is a bug."""
    field = form.fields[name]
    validators = {type(v).__name__ for v in field.validators}
    own_clean = any(f"clean_{name}" in vars(klass) for klass in type(form).__mro__)
    model = getattr(getattr(form, "_meta", None), "model", None)
    if model is not None:
        with contextlib.suppress(FieldDoesNotExist):  # a form field that is not a model field
            validators |= {type(v).__name__ for v in model._meta.get_field(name).validators}
    return not own_clean and validators <= PLAIN_VALIDATORS


def contains_nul(value) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(contains_nul(key) or contains_nul(item) for key, item in value.items())
    if isinstance(value, list | tuple | set):
        return any(contains_nul(item) for item in value)
    return False


def finite(value) -> bool:
    if isinstance(value, Decimal):
        return value.is_finite()
    if isinstance(value, float):
        return value == value and abs(value) != float("inf")
    if isinstance(value, dict):
        return all(finite(item) for item in value.values())
    if isinstance(value, list | tuple):
        return all(finite(item) for item in value)
    return True


# --- how each form is built ---


class World:
    """The rows the forms' choices come from, made on first use inside the test's transaction."""

    def __init__(self):
        self._cache = {}

    def _once(self, key, make):
        if key not in self._cache:
            self._cache[key] = make()
        return self._cache[key]

    @property
    def cycle(self):
        from mayor_award.core.enums import CyclePhase
        from tests.factories.core import CycleFactory

        return self._once("cycle", lambda: CycleFactory(number=41, phase=CyclePhase.OPEN))

    @property
    def items(self):
        from applications import sections

        return self._once("items", lambda: list(sections.scored_items(self.cycle)))

    @property
    def user(self):
        from tests.factories.core import UserFactory

        return self._once("user", lambda: UserFactory(username="fuzzed-user"))

    @property
    def organisations(self):
        from tests.factories.applications import OrganisationFactory

        return self._once("organisations", lambda: [OrganisationFactory(), OrganisationFactory()])

    @property
    def summed(self):
        from review import consensus
        from review.enums import ReviewStage
        from tests.factories.review_consensus import scored_panel

        def make():
            world = scored_panel(experts=3)
            world.submit_all(percents=[40, 55, 70])
            return consensus.aggregation(panel=world.panel, dossier=world.dossier, stage=ReviewStage.MATERIAL)

        return self._once("summed", make)

    @property
    def findings(self):
        from applications.eligibility import Finding, Outcome

        def make():
            return [
                Finding(code="8.2", article="8(2)", outcome=Outcome.JUDGEMENT, message="判断"),
                Finding(code="8.1", article="8(1)", outcome=Outcome.FAIL, message="不符合"),
            ]

        return self._once("findings", make)

    @property
    def candidates(self):
        from committee.models import PublicityCandidate

        return PublicityCandidate.objects.all()


def _plain(form_class):
    return lambda world: form_class


def _kw(form_class, **kwargs_of_world):
    def build(world):
        def make(*args, **kwargs):
            extra = {key: value(world) for key, value in kwargs_of_world.items()}
            return form_class(*args, **extra, **kwargs)

        return make

    return build


def _user_first(form_class):
    return lambda world: lambda *args, **kwargs: form_class(world.user, *args, **kwargs)


def _request_first(form_class):
    from django.test import RequestFactory

    request = RequestFactory().post("/accounts/login/", REMOTE_ADDR="203.0.113.9")  # axes counts by address
    return lambda world: lambda *args, **kwargs: form_class(request, *args, **kwargs)


def builders(found: dict[str, type]) -> dict[str, object]:
    """Qualified name → (world → form factory). Forms with keyword-only arguments say where they come from."""
    keyword = {
        "applications.forms.ResultsForm": {
            "years": lambda w: [w.cycle.year - 1, w.cycle.year - 2, w.cycle.year - 3],
            "for_profit": lambda w: True,
        },
        "applications.forms.SelfAssessmentForm": {"items": lambda w: w.items},
        "applications.forms.AttachmentForm": {"space_left": lambda w: 200 * 1024 * 1024},
        "applications.admin.EligibilityDecisionForm": {"findings": lambda w: w.findings},
        "mayor_award.core.admin.CriteriaCorrectionForm": {"items": lambda w: w.items},
        "review.views.expert.ReplyForm": {"organisations": lambda w: w.organisations},
        "review.views.leader.ConsensusForm": {
            "summed": lambda w: w.summed,
            "step": lambda w: 5,
            "editable": lambda w: True,
        },
        "committee.forms_awards.ObjectionForm": {"candidates": lambda w: w.candidates},
        "committee.admin_awards.SupplementForm": {"cycle": lambda w: w.cycle},
    }
    table = {}
    for name, form_class in found.items():
        if name in BASES:
            continue
        if name in keyword:
            table[name] = _kw(form_class, **keyword[name])
        elif _takes_only_data(form_class):
            table[name] = _plain(form_class)
    table["django.contrib.auth.forms.AuthenticationForm"] = _request_first(AuthenticationForm)
    table["django.contrib.auth.forms.PasswordChangeForm"] = _user_first(PasswordChangeForm)
    for name, form_class in found.items():
        if issubclass(form_class, AuthenticationForm):  # the login forms take the request first
            table[name] = _request_first(form_class)
    return table


def _takes_only_data(form_class) -> bool:
    import inspect

    for klass in form_class.__mro__:
        init = vars(klass).get("__init__")
        if init is None or klass.__module__.startswith("django."):
            continue
        parameters = inspect.signature(init).parameters.values()
        if any(p.kind == p.KEYWORD_ONLY and p.default is p.empty for p in parameters):
            return False
    return True
