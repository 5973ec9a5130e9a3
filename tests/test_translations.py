"""No string the project uses goes without a Chinese translation, and the compiled catalog is the one Django loads.

The first test copies the source into a temporary folder and runs makemessages there with the options of
`make messages`, so a string added to the code or the templates since the catalog was last regenerated shows up
as untranslated (or as a fuzzy guess by msgmerge) and fails the test, without touching the real catalog.
"""

import shutil
import subprocess
import sys
from pathlib import Path

import polib
from django.utils import translation
from django.utils.translation import trans_real

from tests.conftest import require

ROOT = Path(__file__).resolve().parent.parent
# Every top-level folder is copied except these and hidden ones (.venv, .git, caches), so a new app is covered
# without editing this list; tests are left out on purpose: a string only a test uses needs no translation.
NOT_SOURCES = {"var", "tests", "test-results", "node_modules"}
REQUIRED_SOURCES = ("mayor_award", "applications", "review", "committee", "templates", "locale")
CATALOG = Path("locale", "zh_Hans", "LC_MESSAGES", "django.po")
MAKEMESSAGES = [
    "makemessages",
    "--locale",
    "zh_Hans",
    "--no-obsolete",
    "--no-location",
    "--ignore",
    ".venv/*",
    "--ignore",
    "var/*",
]
GETTEXT_TOOLS = ("xgettext", "msgmerge", "msguniq", "msgattrib", "msgfmt")
# A string only the copy uses: it must come out untranslated, which proves makemessages wrote the copy's catalog.
PROBE = "Translation test probe: this string is in no catalog"


def require_gettext_tools():
    missing = [tool for tool in GETTEXT_TOOLS if shutil.which(tool) is None]
    require(not missing, f"GNU gettext tools missing ({', '.join(missing)}): apt-get install gettext")


def copy_project(target: Path):
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.mo")
    sources = [
        path
        for path in ROOT.iterdir()
        if path.is_dir()
        and not path.name.startswith(".")
        and path.name not in NOT_SOURCES
        and not path.name.endswith(".egg-info")
    ]
    assert set(REQUIRED_SOURCES) <= {path.name for path in sources}
    for source in sources:
        shutil.copytree(source, target / source.name, ignore=ignore)
    shutil.copy2(ROOT / "manage.py", target / "manage.py")
    probe = target / "templates" / "_translation_probe.html"
    probe.write_text(f'{{% load i18n %}}{{% translate "{PROBE}" %}}\n', encoding="utf-8")


def describe(entry: polib.POEntry) -> str:
    context = f"[{entry.msgctxt}] " if entry.msgctxt else ""
    return f"{context}{entry.msgid!r}"


def test_every_used_string_has_a_chinese_translation(tmp_path):
    require_gettext_tools()
    copy_project(tmp_path)

    result = subprocess.run(
        [sys.executable, "manage.py", *MAKEMESSAGES],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, f"makemessages failed:\n{result.stdout}\n{result.stderr}"

    catalog = tmp_path / CATALOG
    po = polib.pofile(str(catalog))
    probe = po.find(PROBE)
    assert probe is not None and not probe.translated(), (
        "makemessages did not regenerate the copied catalog (does LOCALE_PATHS resolve inside the copy?)"
    )

    assert not po.metadata_is_fuzzy, f"the header of {CATALOG} is marked fuzzy"
    assert po.metadata.get("Plural-Forms", "").startswith("nplurals=1;"), "Chinese has one plural form"

    untranslated = [describe(e) for e in po if not e.obsolete and not e.fuzzy and not e.translated()]
    fuzzy = [describe(e) for e in po if not e.obsolete and e.fuzzy]
    untranslated.remove(repr(PROBE))
    problems = [f"untranslated: {msgid}" for msgid in untranslated] + [f"fuzzy: {msgid}" for msgid in fuzzy]
    assert not problems, (
        f"{len(problems)} string(s) without a checked Chinese translation; run `make messages`, "
        f"translate them in {CATALOG} and remove the fuzzy flags:\n" + "\n".join(problems)
    )

    # Placeholders must survive translation: msgfmt compares them for every python-format entry.
    check = subprocess.run(
        ["msgfmt", "--check-format", "--output-file", str(tmp_path / "django.mo"), str(catalog)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert check.returncode == 0, f"msgfmt rejects {CATALOG}:\n{check.stderr}"


def test_the_compiled_catalog_is_used():
    po = ROOT / CATALOG
    mo = po.with_suffix(".mo")
    if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
        require_gettext_tools()
        subprocess.run(
            ["msgfmt", "--check-format", "--output-file", str(mo), str(po)],
            check=True,
            capture_output=True,
            timeout=60,
        )
        # Catalogs are cached per process; forget any loaded before the .mo was (re)compiled.
        trans_real._translations = {}
        trans_real._default = None

    with translation.override("zh-hans"):
        assert translation.gettext("Luohe Mayor's Quality Award") == "漯河市市长质量奖"
        assert translation.pgettext("cycle phase", "Government approval") == "市政府审定"
        assert (
            translation.ngettext("about %(quota)s organisation", "about %(quota)s organisations", 5) % {"quota": 5}
            == "5个左右"
        )
