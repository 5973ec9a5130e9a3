"""Registering an organisation with its first user, confirming the e-mail address, inviting colleagues.

The pages are Chinese by default; messages are compared with the catalog's translation of their source string.
"""

import re

import pytest
from django.contrib.auth import password_validation
from django.contrib.auth.models import Group
from django.contrib.messages import get_messages
from django.core import mail
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import translation
from pytest_django.asserts import assertTemplateUsed
from stdnum.cn import uscc

from applications.models import Invitation, Membership, Organisation
from mayor_award.core.enums import Role
from mayor_award.core.models import AuditEvent, User
from tests.factories.applications import MembershipFactory, OrganisationFactory, valid_credit_code

pytestmark = pytest.mark.django_db

REGISTER_URL = "/register/"
CREDIT_CODE = valid_credit_code(4711)
STRONG_PASSWORD = "Luohe-Quality-2026!"
REGISTRATION = {
    "name": "漯河市注册测试食品有限公司",
    "credit_code": CREDIT_CODE,
    "kind": "for_profit",
    "legal_form": "enterprise",
    "registered_in_luohe_since": "2015年3月1日",
    "registration_area": "yuanhui",
    "industry_section": "C",
    "industry_division": "13",
    "address": "河南省漯河市源汇区人民路1号",
    "legal_representative": "张建国",
    "contact_name": "李明",
    "contact_phone": "0395-1234567",
    "contact_email": "office@zhuce.example.com",
    "username": "zhuce",
    "user_name": "王注册",
    "email": "wang@zhuce.example.com",
    "password1": STRONG_PASSWORD,
    "password2": STRONG_PASSWORD,
}
CONFIRM_LINK = re.compile(r"http://testserver(/register/confirm/[^/\s]+/[^/\s]+/)")
INVITATION_LINK = re.compile(r"http://testserver(/invitations/[0-9a-f-]{36}/)")


def zh(message: str) -> str:
    with translation.override("zh-hans"):
        return translation.gettext(message)


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def only_link(pattern) -> str:
    assert len(mail.outbox) == 1, [message.subject for message in mail.outbox]
    links = pattern.findall(mail.outbox[0].body)
    assert len(links) == 1, mail.outbox[0].body
    return links[0]


def assert_nothing_registered():
    assert Organisation.objects.count() == 0
    assert User.objects.filter(username=REGISTRATION["username"]).exists() is False
    assert Membership.objects.count() == 0
    assert mail.outbox == []


# --- registration ---


def test_register_valid_creates_inactive_user_organisation_membership_and_mails_a_link(client):
    response = client.post(REGISTER_URL, REGISTRATION)

    assert response.status_code == 200
    assertTemplateUsed(response, "applications/registration/check_email.html")
    organisation = Organisation.objects.get()
    assert (organisation.name, organisation.credit_code, organisation.registered_in_luohe_since.isoformat()) == (
        "漯河市注册测试食品有限公司",
        CREDIT_CODE,
        "2015-03-01",
    )
    user = User.objects.get(username="zhuce")
    assert (user.is_active, user.name, user.email) == (False, "王注册", "wang@zhuce.example.com")
    assert list(user.groups.all()) == [Group.objects.get(name=Role.APPLICANT)]
    assert user.membership.organisation == organisation
    assert mail.outbox[0].to == ["wang@zhuce.example.com"]
    assert only_link(CONFIRM_LINK).startswith("/register/confirm/")


def test_register_confirmation_link_activates_and_redirects_to_login(client):
    client.post(REGISTER_URL, REGISTRATION)
    link = only_link(CONFIRM_LINK)

    response = client.get(link)

    assert response.status_code == 302
    assert response.url == reverse("login")
    assert messages_of(response) == [zh("Your e-mail address is confirmed. Please log in.")]
    user = User.objects.get(username="zhuce")
    assert user.is_active is True
    assert list(AuditEvent.objects.filter(action="user.email_confirmed").values_list("actor", flat=True)) == [user.pk]


def test_register_confirmation_link_works_once(client):
    client.post(REGISTER_URL, REGISTRATION)
    link = only_link(CONFIRM_LINK)
    client.get(link)

    response = client.get(link)

    assert response.status_code == 400
    assertTemplateUsed(response, "applications/registration/confirm_failed.html")
    assert AuditEvent.objects.filter(action="user.email_confirmed").count() == 1


def test_register_confirmation_link_with_a_changed_token_refused(client):
    client.post(REGISTER_URL, REGISTRATION)
    link = only_link(CONFIRM_LINK)
    forged = link[:-3] + ("0" if link[-3] != "0" else "1") + link[-2:]

    response = client.get(forged)

    assert response.status_code == 400
    assert User.objects.get(username="zhuce").is_active is False


def test_register_confirmation_link_of_an_unknown_user_refused(client):
    response = client.get(reverse("applications:confirm-email", kwargs={"uidb64": "OTk5OTk", "token": "abc-def"}))

    assert response.status_code == 400


def wrong_check_character(code: str) -> str:
    return code[:-1] + ("0" if code[-1] != "0" else "1")


@pytest.mark.parametrize(
    ("credit_code", "message"),
    [
        (
            wrong_check_character(CREDIT_CODE),
            "The check character does not match: please compare the code with the business licence.",
        ),
        (CREDIT_CODE[:-1], "A unified social credit code has 18 characters."),
        (CREDIT_CODE[:10], "A unified social credit code has 18 characters."),
        (
            "9141110O" + CREDIT_CODE[8:],
            "This is not a valid unified social credit code: please copy it from the business licence.",
        ),
    ],
    ids=["check-character", "17-characters", "10-characters", "letter-in-the-region"],
)
def test_register_invalid_credit_code_gives_the_chinese_field_error_and_creates_nothing(client, credit_code, message):
    response = client.post(REGISTER_URL, {**REGISTRATION, "credit_code": credit_code})

    assert response.status_code == 200
    assert response.context["form"].errors == {"credit_code": [zh(message)]}
    assert_nothing_registered()


def test_register_credit_code_of_19_characters_refused_with_the_length_rule(client):
    response = client.post(REGISTER_URL, {**REGISTRATION, "credit_code": CREDIT_CODE + "1"})

    with translation.override("zh-hans"):
        expected = translation.gettext("A unified social credit code has 18 characters.")
    assert response.context["form"].errors == {"credit_code": [expected]}
    assert_nothing_registered()


@pytest.mark.parametrize("typed", [CREDIT_CODE, CREDIT_CODE.lower()], ids=["same", "lower-case"])
def test_register_duplicate_credit_code_refused(client, typed):
    OrganisationFactory(credit_code=CREDIT_CODE)

    response = client.post(REGISTER_URL, {**REGISTRATION, "credit_code": typed})

    assert response.context["form"].errors == {
        "credit_code": [zh("An organisation with this credit code is already registered; ask its users to invite you.")]
    }
    assert Organisation.objects.count() == 1
    assert User.objects.filter(username="zhuce").exists() is False
    assert mail.outbox == []


def test_register_taken_user_name_refused_whatever_the_case(client):
    MembershipFactory(user__username="ZhuCe")

    response = client.post(REGISTER_URL, REGISTRATION)

    assert response.context["form"].errors == {"username": [zh("This user name is taken.")]}
    assert Organisation.objects.filter(credit_code=CREDIT_CODE).exists() is False


def password_errors(password: str) -> list[str]:
    """What Django's validators configured in settings say about `password` for the registering user, in Chinese."""
    user = User(username=REGISTRATION["username"], name=REGISTRATION["user_name"], email=REGISTRATION["email"])
    with translation.override("zh-hans"):
        try:
            password_validation.validate_password(password, user)
        except ValidationError as error:
            return error.messages
    return []


@pytest.mark.parametrize(
    "password", ["12345678", "password1234", "Wang@zhuce.example.com"], ids=["short", "common", "like-the-e-mail"]
)
def test_register_weak_password_refused(client, password):
    expected = password_errors(password)

    response = client.post(REGISTER_URL, {**REGISTRATION, "password1": password, "password2": password})

    assert expected != []
    assert response.context["form"].errors == {"password2": expected}
    assert_nothing_registered()


def test_register_passwords_that_differ_refused(client):
    response = client.post(REGISTER_URL, {**REGISTRATION, "password2": STRONG_PASSWORD + "x"})

    assert list(response.context["form"].errors) == ["password2"]
    assert_nothing_registered()


def test_register_page_for_a_signed_in_applicant_redirects_to_the_portal(client):
    client.force_login(MembershipFactory().user)

    response = client.get(REGISTER_URL)

    assert response.status_code == 302
    assert response.url == reverse("applications:dashboard")


# --- invitations ---


@pytest.fixture
def member():
    return MembershipFactory(user__name="张邀请")


def invite(client, member, email="colleague@org.example.com"):
    client.force_login(member.user)
    return client.post(reverse("applications:invite"), {"email": email})


def test_invite_sends_one_mail_with_a_link(client, member):
    response = invite(client, member)

    assert response.status_code == 302
    assert response.url == reverse("applications:dashboard")
    invitation = Invitation.objects.get()
    assert (invitation.organisation, invitation.email, invitation.invited_by) == (
        member.organisation,
        "colleague@org.example.com",
        member.user,
    )
    assert mail.outbox[0].to == ["colleague@org.example.com"]
    assert only_link(INVITATION_LINK) == reverse("applications:accept-invitation", args=[invitation.token])
    assert messages_of(response) == [
        zh("An invitation was sent to %(email)s.") % {"email": "colleague@org.example.com"}
    ]


def test_invite_an_address_of_another_organisation_refused_without_mail(client, member):
    MembershipFactory(user__email="taken@other.example.com")

    response = invite(client, member, email="taken@other.example.com")

    assert messages_of(response) == [zh("A user with this e-mail address already belongs to an organisation.")]
    assert Invitation.objects.count() == 0
    assert mail.outbox == []


def test_invite_an_invalid_address_refused(client, member):
    response = invite(client, member, email="not-an-address")

    assert messages_of(response) == [zh("Please enter a valid e-mail address.")]
    assert Invitation.objects.count() == 0


ACCEPTANCE = {"username": "xinren", "name": "新同事", "password1": STRONG_PASSWORD, "password2": STRONG_PASSWORD}


def test_accept_invitation_creates_an_active_applicant_of_the_same_organisation(client, member):
    invite(client, member)
    link = only_link(INVITATION_LINK)
    visitor = Client()

    page = visitor.get(link)
    response = visitor.post(link, ACCEPTANCE)

    assert page.status_code == 200
    assert response.status_code == 302
    assert response.url == reverse("login")
    user = User.objects.get(username="xinren")
    assert (user.is_active, user.name, user.email) == (True, "新同事", "colleague@org.example.com")
    assert user.check_password(STRONG_PASSWORD) is True
    assert list(user.groups.all()) == [Group.objects.get(name=Role.APPLICANT)]
    assert user.membership.organisation == member.organisation
    assert Invitation.objects.get().accepted_at is not None


@pytest.mark.parametrize("method", ["get", "post"])
def test_accept_invitation_used_gives_404(client, member, method):
    invite(client, member)
    link = only_link(INVITATION_LINK)
    visitor = Client()
    visitor.post(link, ACCEPTANCE)

    response = getattr(Client(), method)(link, {**ACCEPTANCE, "username": "second"})

    assert response.status_code == 404
    assert User.objects.filter(username="second").exists() is False
    assert Membership.objects.filter(organisation=member.organisation).count() == 2


def test_accept_invitation_unknown_token_gives_404(client):
    response = client.get(reverse("applications:accept-invitation", args=["00000000-0000-4000-8000-000000000000"]))

    assert response.status_code == 404


def test_accept_invitation_weak_password_refused_and_invitation_stays_open(client, member):
    invite(client, member)
    link = only_link(INVITATION_LINK)

    response = Client().post(link, {**ACCEPTANCE, "password1": "12345678", "password2": "12345678"})

    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["password2"]
    assert User.objects.filter(username="xinren").exists() is False
    assert Invitation.objects.get().accepted_at is None


def test_register_credit_code_of_these_tests_is_valid():
    """The module's credit code is a real one, so the refusals above are about what each test changes."""
    assert uscc.is_valid(CREDIT_CODE) is True
