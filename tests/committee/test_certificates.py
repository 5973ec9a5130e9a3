"""Certificates (证书): the PDF's text, its CJK fonts, A4 landscape, the QR code of the verification address,
idempotent rendering, the batch with its progress, downloads, and a clear error without a Chinese font."""

import io

import pytest
import segno
from django.urls import reverse
from django.utils import timezone, translation
from pypdf import PdfReader

from applications import pdf as pdf_module
from committee import certificates, services_awards
from committee.models import Certificate, CertificateBatch
from committee.tasks_awards import task_render_certificate, task_render_pending_certificates
from mayor_award.core.models import AuditEvent
from tests.factories.applications import MembershipFactory
from tests.factories.committee_awards import announce, approved_cycle
from tests.factories.core import UserFactory


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def award(secretariat_user):
    (granted,) = announce(approved_cycle(proposed=1, spare=0).cycle, by=secretariat_user)
    return granted


@pytest.fixture
def rendered(award):
    """The award's certificate, rendered through the Celery task (eager in tests); its PDF bytes."""
    task_render_certificate.delay(award_id=award.pk)
    certificate = Certificate.objects.select_related("award__organisation").get(award=award)
    with certificate.pdf.open("rb") as stored:
        return certificate, stored.read()


def _page(content):
    return PdfReader(io.BytesIO(content)).pages[0]


def _font_names(page):
    return {str(font.get_object()["/BaseFont"]) for font in page["/Resources"]["/Font"].values()}


def _qr_modules(image, border):
    """The dark/light modules of a QR image made at certificates.QR_SCALE pixels per module."""
    grey = image.convert("L")
    scale = certificates.QR_SCALE
    count = grey.width // scale
    assert grey.width == grey.height == count * scale
    return [
        [grey.getpixel((x * scale + scale // 2, y * scale + scale // 2)) < 128 for x in range(count)]
        for y in range(count)
    ], border


@pytest.mark.django_db
def test_certificate_pdf_holds_the_organisation_the_award_year_and_the_serial(rendered):
    certificate, content = rendered
    text = _page(content).extract_text()

    assert certificate.serial == f"LHZLJ-{timezone.localdate().year}-01"
    assert certificate.award.organisation.name in text
    assert f"获奖年度{certificate.award.award_year}年" in text
    assert certificate.serial in text
    assert "漯河市人民政府" in text


@pytest.mark.django_db
def test_certificate_fonts_are_cjk_fonts(rendered):
    _certificate, content = rendered

    names = _font_names(_page(content))

    assert names
    assert all("Noto" in name and "CJK" in name for name in names), names


@pytest.mark.django_db
def test_certificate_is_a4_landscape(rendered):
    _certificate, content = rendered
    box = _page(content).mediabox

    assert (round(float(box.width)), round(float(box.height))) == (842, 595)


@pytest.mark.django_db
def test_certificate_qr_code_encodes_the_verify_address(rendered):
    certificate, content = rendered
    page = _page(content)
    expected = f"http://127.0.0.1:8000/verify/{certificate.serial}/"
    (image,) = page.images

    modules, border = _qr_modules(image.image, certificates.QR_BORDER)
    symbol = segno.make(expected, error=certificates.QR_ERROR, micro=False)
    links = {annotation.get_object()["/A"]["/URI"] for annotation in page["/Annots"]}

    assert modules == [[bool(v) for v in row] for row in symbol.matrix_iter(scale=1, border=border)]
    assert links == {expected}
    assert reverse("committee:verify", kwargs={"serial": certificate.serial}) == expected.removeprefix(
        "http://127.0.0.1:8000"
    )


@pytest.mark.django_db
def test_running_the_task_twice_leaves_one_certificate_with_the_same_serial(award):
    task_render_certificate.delay(award_id=award.pk)
    first = Certificate.objects.get(award=award)

    task_render_certificate.delay(award_id=award.pk)

    again = Certificate.objects.get(award=award)
    assert Certificate.objects.count() == 1
    assert (again.serial, again.pdf.name, again.rendered_at) == (first.serial, first.pdf.name, first.rendered_at)
    assert AuditEvent.objects.filter(action="certificate.rendered").count() == 1


@pytest.mark.django_db
def test_no_chinese_font_is_a_clear_error_never_boxes(award, monkeypatch):
    monkeypatch.setattr(pdf_module, "chinese_font_available", lambda: False)

    with pytest.raises(pdf_module.MissingChineseFont, match="No font for Chinese"):
        services_awards.certificate_render(award_id=award.pk)

    certificate = Certificate.objects.get(award=award)
    assert not certificate.pdf
    assert "fonts-noto-cjk" in certificate.render_error


@pytest.mark.django_db
def test_batch_without_a_chinese_font_stops_with_the_message(
    award, secretariat_user, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(pdf_module, "chinese_font_available", lambda: False)

    with django_capture_on_commit_callbacks(execute=True):
        batch = services_awards.certificate_batch_start(cycle=award.cycle, by=secretariat_user)

    batch.refresh_from_db()
    status = services_awards.certificate_batch_status(batch)
    assert (status["done"], status["failed"], status["finished"]) == (0, 1, True)
    assert "No font for Chinese" in status["error"]


@pytest.mark.django_db
def test_batch_renders_every_certificate_and_reports_progress(
    client, secretariat_user, django_capture_on_commit_callbacks
):
    cycle = approved_cycle(proposed=3, spare=0).cycle
    announce(cycle, by=secretariat_user)
    client.force_login(secretariat_user)

    with django_capture_on_commit_callbacks(execute=True):
        started = client.post(reverse("admin:committee_award_certificates"), {"cycle": cycle.pk})
    batch = CertificateBatch.objects.latest("pk")  # granting the awards queued a first one
    status = client.get(reverse("admin:committee_award_certificates_status", args=[batch.pk]))
    page = client.get(started["Location"])

    assert started.status_code == 302
    assert status.json() == {"total": 3, "done": 3, "failed": 0, "percent": 100, "finished": True, "error": ""}
    assert Certificate.objects.exclude(pdf="").count() == 3
    assert 'data-status-url="' in page.content.decode()
    assert "committee/certificate_batch.js" in page.content.decode()


@pytest.mark.django_db
def test_batch_status_is_the_secretariats(client, award, secretariat_user):
    batch = CertificateBatch.objects.create(cycle=award.cycle, total=1)
    client.force_login(UserFactory(roles=["applicant"]))

    response = client.get(reverse("admin:committee_award_certificates_status", args=[batch.pk]))

    assert response.status_code == 302  # to the admin's login page


@pytest.mark.django_db
def test_winner_downloads_the_certificate_others_do_not(client, rendered, secretariat_user):
    certificate, content = rendered
    url = reverse("committee:certificate", kwargs={"serial": certificate.serial})
    member = MembershipFactory(organisation=certificate.award.organisation).user
    stranger = MembershipFactory().user

    client.force_login(member)
    own = client.get(url)
    own_content = b"".join(own.streaming_content)  # read to its end, which closes the file
    client.force_login(stranger)
    other = client.get(url)
    client.force_login(secretariat_user)
    staff = client.get(url)
    staff_content = b"".join(staff.streaming_content)

    assert (own.status_code, own_content) == (200, content)
    assert own["Content-Disposition"] == f'attachment; filename="{certificate.serial}.pdf"'
    assert other.status_code == 404
    assert (staff.status_code, staff_content) == (200, content)
    assert AuditEvent.objects.filter(action="certificate.downloaded").count() == 2


@pytest.mark.django_db
def test_signed_out_visitor_is_sent_to_log_in_for_a_certificate(client, rendered):
    certificate, _content = rendered

    response = client.get(reverse("committee:certificate", kwargs={"serial": certificate.serial}))

    assert response.status_code == 302
    assert "/login/" in response["Location"]


@pytest.mark.django_db
def test_sweeper_renders_a_missing_certificate_once(award):
    Certificate.objects.filter(award=award).delete()

    assert task_render_pending_certificates() == 1
    assert task_render_pending_certificates() == 0

    certificate = Certificate.objects.get(award=award)
    assert certificate.is_current and not certificate.rendered_revoked


@pytest.mark.django_db
def test_sweeper_rerenders_a_certificate_whose_award_was_revoked_meanwhile(award):
    task_render_pending_certificates()
    type(award).objects.filter(pk=award.pk).update(revoked_at=timezone.now())

    assert task_render_pending_certificates() == 1

    assert Certificate.objects.get(award=award).rendered_revoked
