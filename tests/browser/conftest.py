"""Real-browser fixtures: Playwright drives Debian's chromium; nothing is downloaded.

See /work/shared/recipes/browser-tests.md. `playwright install` is never run: the launch goes through
`browser_type_launch_args` with the Debian binary. Without chromium or a CJK font the tests skip with
the reason (and fail under CI=true, through `require`).
"""

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from tests.conftest import require

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SCREENSHOT_DIR = PROJECT_ROOT / "test-results" / "browser"

CHROMIUM = os.environ.get("CHROMIUM_BIN", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",  # the tests may run as root
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    # No calls to update, sync or component servers: the machine has no internet access.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_available() -> bool:
    return bool(shutil.which(CHROMIUM)) or os.access(CHROMIUM, os.X_OK)


def cjk_fonts() -> str:
    """The fonts fontconfig offers for Chinese; empty means every Chinese character renders as a box."""
    if not shutil.which("fc-list"):
        return ""
    return subprocess.run(["fc-list", ":lang=zh"], capture_output=True, text=True, timeout=30).stdout.strip()


@pytest.fixture(scope="package", autouse=True)
def _async_unsafe_allowed():
    """Playwright's sync API keeps an asyncio loop running in the test thread; let the ORM run beside it.

    Only while the browser tests run, and only in the test process: it relaxes Django's guard, nothing else.
    """
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    yield
    if previous is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(scope="session")
def _browser_prerequisites():
    """Checked before the browser starts: a clear skip (or a CI failure) instead of a launch traceback."""
    require(
        chromium_available(),
        f"chromium not found at {CHROMIUM} (apt-get install chromium, or set CHROMIUM_BIN)",
    )
    require(
        bool(cjk_fonts()),
        "no CJK font for fontconfig (`fc-list :lang=zh` is empty; apt-get install fonts-noto-cjk): "
        "Chinese would render as empty boxes",
    )


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args, _browser_prerequisites):
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


# Playwright for this package only, not for the whole session as pytest-playwright has it. While its
# asyncio loop runs, Django's `connections` (an asgiref thread-critical Local) hands out a second
# DatabaseWrapper per alias, not the one setup_databases() stored the serialized test database on.
# Two consequences, both handled here:
#  - serialized_rollback would silently restore nothing in a browser test (the role groups from the data
#    migration vanish after the first flush): the serialized data is handed over to the loop's connections;
#  - with the loop still running, every later test in the session (the worker tests, anything using
#    async_to_sync or asyncio.run) would meet the same second connection or a running loop: the loop is
#    stopped when this package is done, after closing the connections opened inside it.
@pytest.fixture(scope="package")
def playwright(_browser_prerequisites, django_db_setup, _pw_api_request_contexts):
    from django.db import connections

    serialized = {alias: getattr(connections[alias], "_test_serialized_contents", None) for alias in connections}
    pw = sync_playwright().start()
    for alias, contents in serialized.items():
        if contents is not None:
            connections[alias]._test_serialized_contents = contents
    if _pw_api_request_contexts:
        _pw_api_request_contexts.instrument(pw)
    yield pw
    connections.close_all()
    pw.stop()


@pytest.fixture(scope="package")
def browser_type(playwright, browser_name):
    return getattr(playwright, browser_name)


@pytest.fixture(scope="package")
def launch_browser(browser_type_launch_args, browser_type):
    def launch(**kwargs):
        return browser_type.launch(**{**browser_type_launch_args, **kwargs})

    return launch


@pytest.fixture(scope="package")
def browser(launch_browser):
    browser = launch_browser()
    yield browser
    browser.close()


@pytest.fixture(scope="package")
def browser_context_args(pytestconfig, playwright, device, base_url, _pw_artifacts_folder):
    # Replaces pytest-playwright's fixture of this name (session-scoped, so it cannot use the package's
    # playwright above), keeping its --device, --base-url and --video options.
    args = {**(playwright.devices[device] if device else {})}
    if base_url:
        args["base_url"] = base_url
    if pytestconfig.getoption("--video") in ("on", "retain-on-failure"):
        args["record_video_dir"] = _pw_artifacts_folder.name
    # Chromium's Accept-Language follows the context locale (en-US by default); zh-CN makes
    # LocaleMiddleware pick zh-hans, as for a visitor in Luohe.
    return {**args, "locale": "zh-CN", "viewport": {"width": 1280, "height": 800}}


@pytest.fixture(scope="session")
def screenshot_dir() -> Path:
    """`test-results/browser/` under the project root (ignored by git); screenshots are kept for review."""
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    return SCREENSHOT_DIR
