"""Fixtures shared across apps: roles, users, the services the suite may need, and CI's no-skip rule."""

import os
import shutil
import socket
import subprocess
import uuid

import pytest
from django.conf import settings as django_settings
from django.core.signals import request_finished
from django.db import close_old_connections

from mayor_award.celery import app as celery_app
from tests.factories.core import UserFactory

IN_CI = os.environ.get("CI") == "true"


def require(condition: bool, reason: str):
    """Skip with a clear reason on a machine without a service; under CI=true the skip fails the run."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"CI must run this test, but: {reason}")
    pytest.skip(reason)


def postgres_in_use() -> bool:
    return django_settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"


def redis_url() -> str:
    return os.environ.get("REDIS_URL", "")


def redis_reachable(url: str) -> bool:
    if not url or not shutil.which("redis-cli"):
        return False
    result = subprocess.run(["redis-cli", "-u", url, "ping"], capture_output=True, text=True, timeout=5)
    return result.stdout.strip() == "PONG"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session", autouse=True)
def _keep_test_connection_open_on_response_close():
    """Closing a response (to close a downloaded file) sends request_finished, whose close_old_connections
    would close the test's database connection in the middle of its transaction; the test client itself
    detaches it around each request, and so do the tests around response.close()."""
    request_finished.disconnect(close_old_connections)
    yield
    request_finished.connect(close_old_connections)


@pytest.fixture(autouse=True)
def _fast_and_local(settings, tmp_path):
    """Fast hashing, private files in a temporary folder, and tasks run in-process unless a test says not."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.PRIVATE_FILES_ROOT = tmp_path / "private"
    settings.MEDIA_ROOT = settings.PRIVATE_FILES_ROOT
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": settings.PRIVATE_FILES_ROOT},
        },
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    # A cache of the test's own: counters (the objection rate limit) never leak between tests or runs, even when
    # REDIS_URL points the project's cache at a shared Redis.
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": f"test-{uuid.uuid4()}"}
    }
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = eager


@pytest.fixture
def secretariat(db):
    return UserFactory(username="secretariat-test", roles=["secretariat"], is_staff=True)


@pytest.fixture
def applicant(db):
    return UserFactory(roles=["applicant"])


@pytest.fixture
def expert(db):
    return UserFactory(roles=["expert"])


@pytest.fixture
def committee_member(db):
    return UserFactory(roles=["committee"])
