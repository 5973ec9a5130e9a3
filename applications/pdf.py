"""PDF documents (receipts and the like) rendered from Django templates with WeasyPrint.

WeasyPrint is imported inside `render_pdf`, never at module level: importing it loads Pango, HarfBuzz and
fontconfig, which the web process and the test collection should not pay for (design/libraries.md).

Chinese needs a CJK font: without one WeasyPrint still writes the PDF, with every Chinese glyph an empty box
and no error (recipes/services.md §4). `render_pdf` therefore refuses to render, raising `MissingChineseFont`,
when fontconfig knows no font for Chinese. The stylesheet `static/css/pdf.css` names the font explicitly.
"""

import functools
import logging
import shutil
import subprocess
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string

logger = logging.getLogger(__name__)

STYLESHEET = "css/pdf.css"
INSTALL_HINT = "apt-get install fonts-noto-cjk"


class MissingChineseFont(RuntimeError):
    """No font for Chinese is installed: a PDF would show empty boxes instead of characters."""

    def __init__(self, detail: str = ""):
        message = (
            "No font for Chinese (CJK) is installed, so the PDF would show empty boxes instead of Chinese "
            f"characters. Install one on this machine (Debian: `{INSTALL_HINT}`) and check with "
            "`fc-list :lang=zh`."
        )
        super().__init__(f"{message} {detail}".strip())


@functools.cache
def chinese_font_available() -> bool:
    """True when fontconfig lists a font for Chinese (`fc-list :lang=zh`); asked once per process."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        logger.error("fc-list (fontconfig) is not installed: cannot tell whether a Chinese font exists.")
        return False
    result = subprocess.run(  # noqa: S603 - a fixed argument list, no shell, no user input
        [fc_list, ":lang=zh", "family"], capture_output=True, text=True, timeout=30, check=False
    )
    return bool(result.stdout.strip())


def ensure_chinese_font():
    """Raise MissingChineseFont unless a Chinese font is installed."""
    if not chinese_font_available():
        raise MissingChineseFont()


def static_base_dir() -> Path:
    """Where relative URLs in a PDF template (images, fonts) are resolved: the project's static folder."""
    for folder in settings.STATICFILES_DIRS:
        path = Path(folder[1] if isinstance(folder, tuple) else folder)
        if path.is_dir():
            return path
    return Path(settings.STATIC_ROOT)


def stylesheet_path() -> Path:
    """The print stylesheet on disk, found like any static file (project folder or app folders)."""
    found = finders.find(STYLESHEET)
    if found:
        return Path(found)
    collected = Path(settings.STATIC_ROOT) / STYLESHEET
    if collected.is_file():
        return collected
    raise FileNotFoundError(f"The PDF stylesheet {STYLESHEET} is missing from the static files.")


def render_pdf(template_name: str, context: dict) -> bytes:
    """Render `template_name` with `context` into PDF bytes, styled by static/css/pdf.css.

    The caller chooses the language and time zone (translation.override / timezone.override) around the call.
    Raises MissingChineseFont before doing any work when no Chinese font is installed.
    """
    ensure_chinese_font()
    import weasyprint  # heavy native libraries (Pango, HarfBuzz): loaded only when a PDF is made

    html = render_to_string(template_name, context)
    base_url = str(static_base_dir())
    document = weasyprint.HTML(string=html, base_url=base_url)
    return document.write_pdf(stylesheets=[weasyprint.CSS(filename=str(stylesheet_path()))])
