"""Issue 8, deployment: the headers, cookies, sessions, throttling and audit protections a city system must prove.

Anchors: Django's deployment checklist, OWASP ASVS 4.0.3 (3.2–3.4 sessions and cookies, 14.4 headers, 2.2.1
anti-automation, 7.3.3 protected logs) and 等保 2.0 level 2 (登录连接超时自动退出, 安全审计 records that cannot be
changed or deleted). The production settings are read in a subprocess, as a server would load them.
"""

import json
import os
import subprocess
import sys
from datetime import timedelta

import pytest
from django.contrib import admin
from django.contrib.sessions.models import Session
from django.db import DatabaseError, connection, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from mayor_award.core.models import AuditEvent
from mayor_award.core.services import audit_record
from tests.conftest import postgres_in_use, require
from tests.factories.core import CycleFactory, UserFactory
from tests.test_deployment import PRODUCTION_ENV, ROOT

PASSWORD = "Correct-Horse-42"

PRODUCTION_SETTINGS = """
import json
from django.conf import settings
print(json.dumps({
    "csp": settings.CONTENT_SECURITY_POLICY["DIRECTIVES"],
    "session_secure": settings.SESSION_COOKIE_SECURE,
    "session_httponly": settings.SESSION_COOKIE_HTTPONLY,
    "session_samesite": settings.SESSION_COOKIE_SAMESITE,
    "csrf_secure": settings.CSRF_COOKIE_SECURE,
    "session_age": settings.SESSION_COOKIE_AGE,
    "save_every_request": settings.SESSION_SAVE_EVERY_REQUEST,
    "hsts": settings.SECURE_HSTS_SECONDS,
    "ssl_redirect": settings.SECURE_SSL_REDIRECT,
    "debug": settings.DEBUG,
    "middleware": settings.MIDDLEWARE,
}))
"""


@pytest.fixture(scope="module")
def production():
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "DATABASE_"))}
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", PRODUCTION_SETTINGS],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env=env | PRODUCTION_ENV,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_production_cookies_are_secure_http_only_and_same_site(production):
    assert production["session_secure"] is True
    assert production["csrf_secure"] is True
    assert production["session_httponly"] is True
    assert production["session_samesite"] == "Lax"


def test_production_redirects_to_https_with_hsts_and_no_debug(production):
    assert production["ssl_redirect"] is True
    assert production["hsts"] > 0
    assert production["debug"] is False


def test_production_idle_sessions_end_after_thirty_minutes(production):
    assert production["session_age"] == 30 * 60
    assert production["save_every_request"] is True


def test_production_content_security_policy_allows_only_this_site(production):
    directives = production["csp"]

    assert directives["default-src"] == ["'self'"]
    assert directives["script-src"] == ["'self'"]
    assert directives["style-src"] == ["'self'"]
    assert directives["object-src"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert "csp.middleware.CSPMiddleware" in production["middleware"]


# --- headers on real responses ---


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/", "/accounts/login/", "/winners/"])
def test_pages_carry_the_security_headers(client, url):
    response = client.get(url)

    policy = response["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert "frame-ancestors 'none'" in policy
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


@pytest.mark.django_db
def test_pages_load_scripts_and_styles_only_from_static_files(client, applicant):
    """No inline script or style element, no style or event-handler attribute: the policy would refuse them."""
    client.force_login(applicant)
    for url in ["/", "/accounts/login/", "/portal/", "/register/"]:
        html = client.get(url, follow=True).text
        for forbidden in ["<script>", "<style", " style=", " onclick=", " onload=", "javascript:"]:
            assert forbidden not in html, (url, forbidden)


# --- sessions ---


@pytest.mark.django_db
def test_login_gives_a_new_session_key_and_logout_ends_it():
    UserFactory(username="applicant-a", password=PASSWORD)
    client = Client()
    session = client.session
    session["probe"] = 1
    session.save()
    client.cookies["sessionid"] = before = session.session_key

    client.post("/accounts/login/", {"username": "applicant-a", "password": PASSWORD})
    after = client.cookies["sessionid"].value
    assert after != before

    client.post(reverse("logout"))
    replay = Client()
    replay.cookies["sessionid"] = after
    response = replay.get("/portal/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.django_db
def test_each_request_moves_the_idle_timeout_and_an_idle_session_is_refused(client):
    user = UserFactory(username="applicant-a", password=PASSWORD, roles=["applicant"])
    client.force_login(user)
    client.get("/portal/")
    session = Session.objects.get(session_key=client.session.session_key)
    assert abs(session.expire_date - (timezone.now() + timedelta(minutes=30))) < timedelta(minutes=1)

    Session.objects.filter(pk=session.pk).update(expire_date=timezone.now() - timedelta(seconds=1))
    response = client.get("/portal/")

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


# --- throttling and CSRF ---


@pytest.mark.django_db
def test_admin_login_is_throttled_after_five_wrong_passwords(client):
    UserFactory(username="secretariat-a", password=PASSWORD, roles=["secretariat"], is_staff=True)
    login = reverse("admin:login")
    for _attempt in range(5):
        client.post(login, {"username": "secretariat-a", "password": "wrong-password"})

    response = client.post(login, {"username": "secretariat-a", "password": PASSWORD})

    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_login_post_without_the_csrf_token_is_refused():
    UserFactory(username="applicant-a", password=PASSWORD)
    client = Client(enforce_csrf_checks=True)

    refused = client.post("/accounts/login/", {"username": "applicant-a", "password": PASSWORD})
    client.get("/accounts/login/")
    token = client.cookies["csrftoken"].value
    accepted = client.post(
        "/accounts/login/", {"username": "applicant-a", "password": PASSWORD, "csrfmiddlewaretoken": token}
    )

    assert refused.status_code == 403
    assert accepted.status_code == 302


# --- the audit trail cannot be changed ---


@pytest.mark.django_db
def test_no_role_may_change_or_delete_audit_events_in_the_admin(rf):
    superuser = UserFactory(is_staff=True, is_superuser=True)
    request = rf.get("/")
    request.user = superuser
    model_admin = admin.site._registry[AuditEvent]
    event = audit_record(actor=superuser, action="cycle.phase_changed", obj=CycleFactory(), data={})

    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request, event)
    assert not model_admin.has_delete_permission(request, event)


@pytest.mark.django_db
@pytest.mark.parametrize("statement", ["UPDATE core_auditevent SET action = 'forged'", "DELETE FROM core_auditevent"])
def test_database_refuses_raw_sql_that_changes_audit_events(statement):
    require(postgres_in_use(), "the append-only trigger exists on PostgreSQL only (DATABASE_URL=postgres://…)")
    actor = UserFactory()
    event = audit_record(actor=actor, action="cycle.phase_changed", obj=CycleFactory(), data={})

    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement)

    assert AuditEvent.objects.get(pk=event.pk).action == "cycle.phase_changed"
