"""Plumbing shared by the phase, IDOR and tampering modules: one world per module, each case in a savepoint.

The world is built once per module inside a transaction rolled back at the end (as test_authorization_matrix does);
pytest-django's `db` then wraps each case in a savepoint of it, so what a case changes (a phase, a saved score) is
undone before the next one. A module uses it with:

    world = module_world(build)                 # the module's fixture, named `world`
    _fast_and_local = module_settings           # instead of the project's per-test settings
"""

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache
from django.core.signals import request_finished
from django.db import close_old_connections, transaction
from django.test import Client, override_settings

from mayor_award.celery import app as celery_app

LOGIN = "login"


def local_settings(root, cache_location="world"):
    """The settings a module's world is built and read with: fast hashing, its files in `root`, mail and cache
    kept in memory (the cache under a name of the module's own)."""
    return {
        "PASSWORD_HASHERS": ["django.contrib.auth.hashers.MD5PasswordHasher"],
        "PRIVATE_FILES_ROOT": root,
        "MEDIA_ROOT": root,
        "STORAGES": {
            **django_settings.STORAGES,
            "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": root}},
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        },
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "CACHES": {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": cache_location}},
    }


@pytest.fixture(scope="module")
def module_private_root(tmp_path_factory):
    return tmp_path_factory.mktemp("security-world")


@pytest.fixture
def module_settings(world):
    """Replaces the project's per-test `_fast_and_local`: the world's module-wide settings (fast hashing, files in
    the module's folder, local mail and cache, eager tasks) already hold; each case starts with an empty cache."""
    cache.clear()


def module_world(build):
    """A module-scoped fixture giving `build()`'s world, built once inside a transaction rolled back at the end."""

    @pytest.fixture(scope="module")
    def world(django_db_setup, django_db_blocker, module_private_root):
        with django_db_blocker.unblock(), override_settings(**local_settings(module_private_root)):
            eager = celery_app.conf.task_always_eager
            celery_app.conf.task_always_eager = True
            outer = transaction.atomic()
            outer.__enter__()
            try:
                built = build()
                built["logins"] = _logins(built["users"])
                yield built
            finally:
                transaction.set_rollback(True)
                outer.__exit__(None, None, None)
                celery_app.conf.task_always_eager = eager

    return world


def _logins(users):
    """A signed-in session per user, made once with the world: a case reuses it instead of logging in again."""
    sessions = {}
    for role, user in users.items():
        if user is not None:
            client = Client()
            client.force_login(user)
            sessions[role] = client.cookies[django_settings.SESSION_COOKIE_NAME].value
    return sessions


def sign_in(client, world, role):
    """Sign `role` of the world in on `client` with its session (anonymous: stay signed out)."""
    if role in world["logins"]:
        client.cookies[django_settings.SESSION_COOKIE_NAME] = world["logins"][role]


def fetch(client, method, url, data=None):
    """The response to `method url`, its body read and any downloaded file closed."""
    response = getattr(client, method)(url, data or {})
    if getattr(response, "streaming", False):
        response.body = b"".join(response.streaming_content)
    # Closing a download sends request_finished, whose close_old_connections would end the module's transaction.
    connected = request_finished.disconnect(close_old_connections)
    try:
        response.close()
    finally:
        if connected:
            request_finished.connect(close_old_connections)
    return response


def status_of(response):
    """The response's status, or LOGIN for a redirect to a login page."""
    if response.status_code == 302 and "/login/" in response.get("Location", ""):
        return LOGIN
    return response.status_code


def templates_of(response) -> set[str]:
    return {template.name for template in getattr(response, "templates", []) or [] if template.name}
