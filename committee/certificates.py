"""The award certificate (证书) as a PDF: A4 landscape, Chinese fonts (fonts-noto-cjk), issued by the Luohe Municipal
People's Government (Art. 26), with the award year (Art. 25), the serial number and a QR code of its public
verification address.

WeasyPrint and segno are imported inside the functions: loading Pango and HarfBuzz costs the web process and the
test collection for nothing (design/libraries.md). As for every PDF of the award, a machine without a Chinese font
gets MissingChineseFont (applications/pdf.py) instead of a certificate of empty boxes.

The QR code is a PNG data URI (segno, quiet zone of four modules), wrapped in a link to the same address, so the
PDF also carries it as a link annotation.
"""

import functools
from pathlib import Path

from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.utils import timezone

from applications import pdf
from applications.notifications import in_chinese

TEMPLATE = "committee/pdf/certificate.html"
STYLESHEET = "committee/certificate.css"
ISSUER = "漯河市人民政府"  # Art. 26: the plaque and certificate are issued by the municipal government
QR_ERROR = "m"
QR_SCALE = 8  # pixels per module in the PNG
QR_BORDER = 4  # the quiet zone the QR standard asks for, in modules


def qr_code(url: str):
    """The QR code of `url` (segno.QRCode): the same input always gives the same symbol."""
    import segno

    return segno.make(url, error=QR_ERROR, micro=False)


def qr_data_uri(url: str) -> str:
    return qr_code(url).png_data_uri(scale=QR_SCALE, border=QR_BORDER)


def stylesheet_path() -> Path:
    found = finders.find(STYLESHEET)
    if not found:
        raise FileNotFoundError(f"The certificate stylesheet {STYLESHEET} is missing from the static files.")
    return Path(found)


def certificate_context(certificate) -> dict:
    from .services_awards import BEIJING, award_notice, verify_url

    award = certificate.award
    notice = award_notice(award.cycle)
    url = verify_url(certificate.serial)
    return {
        "certificate": certificate,
        "award": award,
        "organisation": award.organisation,
        "cycle": award.cycle,
        "award_year": award.award_year,
        "serial": certificate.serial,
        "issuer": ISSUER,
        "issued_on": timezone.localtime(notice.published_at, BEIJING).date() if notice else None,
        "verify_url": url,
        "qr": qr_data_uri(url),
        "revoked": award.is_revoked,
        "revoked_on": timezone.localtime(award.revoked_at, BEIJING).date() if award.is_revoked else None,
    }


def certificate_html(certificate) -> str:
    """The certificate's HTML, always in Chinese and Beijing time."""
    with in_chinese():
        return render_to_string(TEMPLATE, certificate_context(certificate))


@functools.cache
def parsed_stylesheet():
    """The certificate's stylesheet, parsed once per process: a batch would otherwise parse it per certificate."""
    import weasyprint

    return weasyprint.CSS(filename=str(stylesheet_path()))


def render_html(html: str) -> bytes:
    """HTML to PDF with the certificate's stylesheet; refuses (MissingChineseFont) on a machine without CJK fonts."""
    pdf.ensure_chinese_font()
    import weasyprint  # heavy native libraries (Pango, HarfBuzz): loaded only when a certificate is made

    document = weasyprint.HTML(string=html, base_url=str(pdf.static_base_dir()))
    return document.write_pdf(stylesheets=[parsed_stylesheet()])


def certificate_pdf(certificate) -> bytes:
    return render_html(certificate_html(certificate))
