"""Logging in, the lock-out after wrong passwords, password reset, login-required pages and the language switch."""

import re

import pytest
from django.core import mail
from django.urls import reverse

from tests.factories.core import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

LOGIN_URL = "/accounts/login/"
ADDRESS = "203.0.113.7"


def html_lang(response):
    return re.search(r'<html lang="([^"]+)">', response.text).group(1)


def log_in(client, username, password, address=ADDRESS):
    return client.post(LOGIN_URL, {"username": username, "password": password}, REMOTE_ADDR=address)


# --- login and django-axes ---


def test_login_page_renders(client):
    response = client.get(LOGIN_URL)

    assert response.status_code == 200
    assert response.templates[0].name == "registration/login.html"
    assert list(response.context["form"].fields) == ["username", "password"]


def test_login_right_password_leads_to_the_workspace(client):
    user = UserFactory(username="applicant-a")

    response = log_in(client, "applicant-a", PASSWORD)

    assert (response.status_code, response["Location"]) == (302, reverse("after-login"))
    assert client.session["_auth_user_id"] == str(user.pk)


@pytest.mark.parametrize(
    ("roles", "staff", "workspace"),
    [
        (["secretariat"], True, "admin:index"),
        (["applicant"], False, "applications:dashboard"),
        (["expert"], False, "review:dashboard"),
        (["committee"], False, "committee:home"),
        ([], False, "home"),
    ],
    ids=["secretariat", "applicant", "expert", "committee", "no-role"],
)
def test_workspace_after_login_by_role(client, roles, staff, workspace):
    client.force_login(UserFactory(roles=roles, is_staff=staff))

    response = client.get(reverse("after-login"))

    assert (response.status_code, response["Location"]) == (302, reverse(workspace))


def test_login_four_wrong_passwords_then_the_right_one_succeeds(client):
    UserFactory(username="applicant-a")
    for _attempt in range(4):
        assert log_in(client, "applicant-a", "wrong-password").status_code == 200

    response = log_in(client, "applicant-a", PASSWORD)

    assert response.status_code == 302


def test_login_after_five_wrong_passwords_locked_even_with_the_right_one(client):
    UserFactory(username="applicant-a")
    for _attempt in range(5):
        log_in(client, "applicant-a", "wrong-password")

    response = log_in(client, "applicant-a", PASSWORD)

    assert response.status_code == 429
    # axes renders its page after the login view has rendered the form, so both templates are listed
    assert "registration/locked_out.html" in [template.name for template in response.templates]
    assert 'name="password"' not in response.text
    assert "_auth_user_id" not in client.session


def test_login_lockout_is_per_address(client):
    UserFactory(username="applicant-a")
    for _attempt in range(5):
        log_in(client, "applicant-a", "wrong-password", address="203.0.113.7")

    response = log_in(client, "applicant-a", PASSWORD, address="198.51.100.9")

    assert response.status_code == 302


# --- password reset ---


def test_password_reset_sends_one_mail_with_a_reset_link(client):
    user = UserFactory(username="applicant-a", email="contact@example.com")

    response = client.post("/accounts/password_reset/", {"email": "contact@example.com"})

    assert (response.status_code, response["Location"]) == (302, "/accounts/password_reset/done/")
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["contact@example.com"]
    links = re.findall(r"https?://testserver(/accounts/reset/[^/\s]+/[^/\s]+/)", mail.outbox[0].body)
    assert len(links) == 1
    confirm = client.get(links[0], follow=True)
    assert confirm.context["validlink"] is True
    assert confirm.context["form"].user == user


def test_password_reset_unknown_address_sends_nothing(client):
    UserFactory(email="contact@example.com")

    response = client.post("/accounts/password_reset/", {"email": "nobody@example.com"})

    assert (response.status_code, response["Location"]) == (302, "/accounts/password_reset/done/")
    assert mail.outbox == []


# --- LoginRequiredMiddleware ---


def test_password_change_anonymous_redirected_to_login(client):
    response = client.get("/accounts/password_change/")

    assert (response.status_code, response["Location"]) == (
        302,
        "/accounts/login/?next=/accounts/password_change/",
    )


def test_password_change_logged_in_user_sees_the_form(client, applicant):
    client.force_login(applicant)

    response = client.get("/accounts/password_change/")

    assert response.status_code == 200


@pytest.mark.parametrize("url", ["/", "/notices/", "/notices/feed/", LOGIN_URL, "/accounts/password_reset/"])
def test_public_pages_need_no_login(client, url):
    assert client.get(url).status_code == 200


# --- languages ---


def test_language_default_is_simplified_chinese(client):
    response = client.get("/")

    assert html_lang(response) == "zh-hans"
    assert "最新公告" in response.text
    assert "Latest notices" not in response.text


def test_language_switch_to_english(client):
    switch = client.post("/i18n/setlang/", {"language": "en", "next": "/"})

    response = client.get("/")

    assert (switch.status_code, switch["Location"]) == (302, "/")
    assert html_lang(response) == "en"
    assert "Latest notices" in response.text
    assert "最新公告" not in response.text


def test_language_switch_back_to_chinese(client):
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})

    response = client.get("/")

    assert html_lang(response) == "zh-hans"
