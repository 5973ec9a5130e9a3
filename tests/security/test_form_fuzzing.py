"""Bad input (issue 8): every form of the project fed hostile data, at the form and through its page.

Form level: `is_valid()` never raises; a value beyond a field's bound is refused on that field, a value at the bound
is accepted; NUL characters (which PostgreSQL text cannot hold) are refused with a message, never stored.
Page level: the same kind of data posted as the right logged-in role never gives a server error, and a refused form
shows what the user typed.
"""

import datetime as dt

import pytest
from django import forms
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from django.utils.html import conditional_escape
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from applications import services
from applications.forms import InvitationForm
from mayor_award.core.enums import CyclePhase
from tests.committee import conftest as committee_fixtures
from tests.factories.applications import DossierFactory, MembershipFactory, pdf_bytes
from tests.factories.committee_awards import approved_cycle, publicise
from tests.factories.core import CycleFactory
from tests.factories.review import PanelDossierFactory, SeatFactory
from tests.factories.review_consensus import criteria_codes, scored_panel
from tests.security.form_catalog import (
    BASES,
    World,
    beyond_keys,
    bound_cases,
    bound_rounds,
    builders,
    contains_nul,
    discover_forms,
    finite,
    form_data_strategy,
    hostile_text,
    only_its_limits,
)

pytestmark = pytest.mark.django_db

deliberation = committee_fixtures.deliberation
open_session = committee_fixtures.open_session
secretariat_user = committee_fixtures.secretariat_user
FOUND = discover_forms()
BUILDERS = builders(FOUND)
FUZZ = settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)


def test_every_form_has_a_builder():
    """A new form is fuzzed from the day it is written: say here how to build it (or that it is an abstract base)."""
    assert len(FOUND) >= 40
    missing = sorted(name for name in FOUND if name not in BUILDERS and name not in BASES)
    assert missing == [], f"forms without a builder in tests/security/form_catalog.py: {missing}"


@pytest.fixture
def world():
    return World()


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_hostile_data_never_breaks_a_form(name, world):
    make = BUILDERS[name](world)
    data_strategy = form_data_strategy(make())

    @FUZZ
    @given(data=data_strategy)
    def check(data):
        form = make(data=data)
        valid = form.is_valid()  # raises nothing
        if valid:
            assert not contains_nul(form.cleaned_data), "a NUL character would reach the database"
            assert finite(form.cleaned_data), "NaN or Infinity would reach the database"
        else:
            assert form.errors

    check()


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_bounds_of_every_field(name, world):
    """Beyond a limit: refused on that field. At a limit: accepted, for a field with no other rule."""
    make = BUILDERS[name](world)
    blank = make()
    for posted in bound_rounds(bound_cases(blank)):
        form = make(data={field_name: value for field_name, (value, _accepted) in posted.items()})
        form.is_valid()
        for field_name, (value, accepted) in posted.items():
            if not accepted:
                assert field_name in form.errors, (field_name, value[:20])
            elif only_its_limits(blank, field_name):
                assert field_name not in form.errors, (field_name, value[:20], form.errors.get(field_name))


# --- through the pages, as the right role ---

PAGES = settings(
    max_examples=3,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)
NOT_ECHOED = (forms.PasswordInput, forms.HiddenInput, forms.FileInput)


def typed_text(form, data) -> dict[str, str]:
    """The free text the user typed into `form` (what a refused form must show again)."""
    typed = {}
    for name, value in data.items():
        field = form.fields.get(name)
        if (
            isinstance(value, str)
            and value.strip()
            and isinstance(field, forms.CharField)
            and not isinstance(field.widget, NOT_ECHOED)
            and not field.disabled
        ):
            typed[form.add_prefix(name)] = value
    return typed


def assert_served(response):
    assert response.status_code < 500, response.content[:2000]


def assert_input_kept(response, form_of, typed):
    """A refused form shows what was typed, as text."""
    form = form_of(response.context) if response.context is not None else None
    if response.status_code in (301, 302, 303) or form is None or not form.errors:
        return
    content = response.content.decode()
    for name, value in typed.items():
        if f'name="{name}"' in content:  # the page shows the form (a withdrawn dossier's page does not)
            assert str(conditional_escape(value)) in content, f"{name}: the typed text is lost"


def page_form(context):
    return context.get("form")


def fuzz_page(client, url, *, form_of=page_form, fixed=None, files=None, post_to=None, examples=3):
    """GET the page, then POST hostile data for each of its form's fields; never a server error."""
    page = client.get(url)
    assert page.status_code == 200, page.status_code
    form = form_of(page.context)
    fixed = fixed or {}

    def post(data):
        posted = {**fixed, **{form.add_prefix(name): value for name, value in data.items()}}
        for name, make in (files or {}).items():
            posted[name] = make()
        response = client.post(post_to or url, posted)
        assert_served(response)
        assert_input_kept(response, form_of, typed_text(form, data))

    for text, number in EVERY_FIELD_ROUNDS:
        post({name: _posted(text, number, f) for name, f in form.fields.items() if not _file(f)})

    @settings(PAGES, max_examples=examples)
    @given(data=form_data_strategy(form))
    def check(data):
        post(data)

    check()


# (text, number): each round puts its text in every text field and its number in every number field at once,
# whatever the random draw.
EVERY_FIELD_ROUNDS = (
    ("a\x00b", "9" * 400),
    ("<script>alert(1)</script>'; DROP TABLE x; --\u202e😀\x1b[31m\r\n", "NaN"),
    ("字" * 10_001, "-1e400"),
)
NUMBER_FIELDS = (forms.IntegerField, forms.DecimalField, forms.FloatField)


def _posted(text, number, field):
    payload = number if isinstance(field, NUMBER_FIELDS) else text
    if isinstance(field, forms.ModelChoiceField) and not beyond_keys():
        payload = "-1"  # SQLite's driver cannot send a key beyond 64 bits (see form_catalog.beyond_keys)
    return [payload] if _multiple(field) else payload


def _multiple(field) -> bool:
    return isinstance(field, forms.MultipleChoiceField | forms.ModelMultipleChoiceField)


def _file(field) -> bool:
    return isinstance(field, forms.FileField)


@pytest.fixture
def member():
    return MembershipFactory()


@pytest.fixture
def dossier(member):
    deadline = timezone.now() + dt.timedelta(days=30)
    cycle = CycleFactory(
        number=42,
        year=timezone.localtime(deadline).year,
        phase=CyclePhase.OPEN,
        applications_open_on=timezone.localdate() - dt.timedelta(days=30),
        application_deadline=deadline,
    )
    return services.dossier_start(cycle=cycle, organisation=member.organisation, by=member.user)


@pytest.mark.parametrize("key", ["basics", "results", "self_assessment", "declarations"])
def test_dossier_sections_take_any_input(client, member, dossier, key):
    client.force_login(member.user)
    url = reverse("applications:section", kwargs={"pk": dossier.pk, "key": key})

    fuzz_page(client, url, fixed={"version": "0"})


def test_attachment_upload_takes_any_title(client, member, dossier):
    client.force_login(member.user)
    pdf = lambda: SimpleUploadedFile("报告.pdf", pdf_bytes(), content_type="application/pdf")  # noqa: E731

    fuzz_page(client, reverse("applications:attachments", kwargs={"pk": dossier.pk}), files={"file": pdf})


def test_withdrawal_and_invitation_take_any_input(client, member, dossier):
    client.force_login(member.user)
    fuzz_page(client, reverse("applications:withdraw", kwargs={"pk": dossier.pk}))

    @PAGES
    @given(email=form_data_strategy(InvitationForm()))
    def invite(email):
        assert_served(client.post(reverse("applications:invite"), email))

    invite()


def test_registration_takes_any_input(client):
    fuzz_page(client, reverse("applications:register"))


def test_login_and_password_change_take_any_input(client, applicant):
    fuzz_page(client, reverse("login"), fixed={"REMOTE_ADDR": "203.0.113.10"})
    client.force_login(applicant)
    fuzz_page(client, reverse("password_change"))


# --- the experts' and the committee's pages ---

percent_text = st.one_of(st.sampled_from(["-5", "0", "100", "105", "7", "NaN", "1e3", "9" * 400, ""]), hostile_text)


@pytest.fixture
def panel_world():
    world = scored_panel(experts=3)
    return world


def test_score_sheet_and_its_autosave_take_any_input(client, panel_world):
    seat, dossier = panel_world.seats[1], panel_world.dossier
    client.force_login(seat.expert.user)
    codes = criteria_codes(panel_world.cycle)[:3]
    score_url = reverse("review:score", kwargs={"pk": dossier.pk, "stage": "material"})
    assert client.get(score_url).status_code == 200
    entry = st.fixed_dictionaries({}, optional={"p": percent_text, "s": hostile_text, "o": hostile_text})

    @PAGES
    @given(entries=st.dictionaries(st.sampled_from(codes), entry, min_size=1), action=st.sampled_from(["", "submit"]))
    @example(entries={code: {"p": "5", "s": "a\x00b", "o": "<script>alert(1)</script>"} for code in codes}, action="")
    @example(entries={codes[0]: {"p": "9" * 400, "s": "字" * 6000}}, action="submit")
    def sheet(entries, action):
        posted = {f"{key}_{code}": value for code, item in entries.items() for key, value in item.items()}
        response = client.post(score_url, {**posted, "action": action})
        assert_served(response)
        if response.status_code == 422:  # refused: what was typed is shown again
            content = response.content.decode()
            for name, value in posted.items():
                if name[0] in "so" and value.strip():
                    assert str(conditional_escape(value[:5000])) in content, name

    @PAGES
    @given(code=st.sampled_from([*codes, "9.9.9", "<b>"]), item=entry)
    @example(code=codes[0], item={"p": "5", "s": "a\x00b", "o": "a\x00b"})
    @example(code=codes[0], item={"p": "9" * 400})
    def autosave(code, item):
        url = reverse("review:score-item", kwargs={"pk": dossier.pk, "stage": "material", "code": code})
        assert_served(client.post(url, {f"{key}_{code}": value for key, value in item.items()}))

    sheet()
    autosave()


def test_consensus_takes_any_input(client, panel_world):
    panel_world.submit_all(percents=[40, 55, 70])
    client.force_login(panel_world.leader.expert.user)
    url = reverse(
        "review:consensus",
        kwargs={"pk": panel_world.panel.pk, "dossier_pk": panel_world.dossier.pk, "stage": "material"},
    )

    fuzz_page(client, url, fixed={"action": "save"})


def test_seat_reply_and_pledge_take_any_input(client):
    seat = SeatFactory()
    PanelDossierFactory(panel=seat.panel)
    client.force_login(seat.expert.user)

    fuzz_page(client, reverse("review:seat-reply", kwargs={"pk": seat.pk}))

    @PAGES
    @given(agree=st.one_of(st.just("yes"), hostile_text))
    def pledge(agree):
        url = reverse("review:pledge", kwargs={"cycle_pk": seat.panel.cycle_id})
        assert_served(client.post(url, {"agree": agree}, HTTP_USER_AGENT="Mozilla/5.0 \u202e😀"))

    pledge()


def test_ballot_takes_any_input(client, deliberation, open_session):
    cycle, members, candidates = deliberation(members=3)
    open_session(cycle)
    client.force_login(members[1].user)
    choice = st.one_of(st.sampled_from(["approve", "reject", "abstain", ""]), hostile_text)

    @PAGES
    @given(choices=st.lists(choice, min_size=len(candidates), max_size=len(candidates)), final=choice)
    def ballot(choices, final):
        posted = {f"c_{c.pk}": value for c, value in zip(candidates, choices, strict=True)}
        assert_served(client.post(reverse("committee:ballot"), {**posted, "final": final, "c_<b>": "approve"}))

    ballot()


def test_public_objection_form_takes_any_input(client, secretariat_user):
    approved = approved_cycle(proposed=2, spare=1)
    publicise(approved.cycle, by=secretariat_user)
    evidence = lambda: SimpleUploadedFile("证据.pdf", pdf_bytes(), content_type="application/pdf")  # noqa: E731

    fuzz_page(
        client, reverse("committee:publicity", kwargs={"cycle": approved.cycle.number}), files={"evidence": evidence}
    )


# --- the secretariat's admin forms ---


def admin_form(context):
    admin_form = context.get("adminform")
    return admin_form.form if admin_form is not None else None


def management_data(page) -> dict[str, str]:
    """The inline formsets' management fields as the page has them (no inline row filled in)."""
    data = {}
    for inline in page.context.get("inline_admin_formsets", []):
        management = inline.formset.management_form
        data |= {management.add_prefix(name): str(value) for name, value in management.initial.items()}
        data[management.add_prefix("TOTAL_FORMS")] = "0"
    return data


ADMIN_ADD_PAGES = (
    "core/notice",
    "review/expert",
    "review/conflict",
    "review/panel",
    "review/onsitevisit",
    "committee/committeemember",
    "committee/recusal",
    "committee/votingsession",
    "committee/publicity",
    "committee/awardapproval",
    "committee/revocationcase",
    "committee/governmentapproval",
)


@pytest.mark.parametrize("model_path", ADMIN_ADD_PAGES)
def test_admin_add_forms_take_any_input(client, secretariat, model_path):
    client.force_login(secretariat)
    url = f"/admin/{model_path}/add/"
    fixed = management_data(client.get(url))

    fuzz_page(client, url, form_of=admin_form, fixed=fixed, examples=2)


def test_eligibility_decision_takes_any_input(client, secretariat):
    dossier = DossierFactory(submitted=True, cycle=CycleFactory(number=43, phase=CyclePhase.ELIGIBILITY))
    client.force_login(secretariat)
    change = reverse("admin:applications_dossier_change", args=[dossier.pk])
    decide = reverse("admin:applications_dossier_decide", args=[dossier.pk])

    fuzz_page(client, change, form_of=lambda context: context.get("decision_form"), post_to=decide)
