"""Hostile uploads through the real pages (security.md T4): files that lie about their kind, image bombs, and a
body far above the limit that must be stopped while it arrives.

After every refusal the page shows the reason (in Chinese), keeps what was typed, and the dossier keeps its saved
sections and its other files.
"""

import datetime as dt
import io
import struct
import tracemalloc
import zipfile
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils import timezone, translation
from PIL import Image

from applications import services
from applications.models import Attachment, DossierSection
from committee.models import Objection
from committee.services_awards import EVIDENCE_KINDS
from mayor_award.core.enums import CyclePhase
from mayor_award.core.uploads import KIND_LABELS, upload_limit
from tests.factories.applications import AttachmentFactory, MembershipFactory, pdf_bytes
from tests.factories.committee_awards import approved_cycle, publicise
from tests.factories.core import CycleFactory

pytestmark = pytest.mark.django_db

MB = 1024 * 1024
WRONG_KIND = "This file is not a real %(kinds)s file. Please upload one of these kinds."
TOO_LARGE = "The file is %(size)s; at most %(limit)s is accepted."
TITLE = "恶意文件<b>测试</b>"


def zh(message: str, **params) -> str:
    with translation.override("zh-hans"):
        text = translation.gettext(message)
    return text % params if params else text


def zh_filesize(size: int) -> str:
    with translation.override("zh-hans"):
        return str(filesizeformat(size))


# --- hostile files ---


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_bomb(width=50_000, height=50_000) -> bytes:
    """A valid PNG header declaring width × height pixels, with a tiny compressed body."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    body = zlib.compress(b"\x00" * 1024)
    return b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", header) + png_chunk(b"IDAT", body) + png_chunk(b"IEND", b"")


def jpeg_bomb(width=50_000, height=50_000) -> bytes:
    """A real small JPEG whose frame header (SOF0) is rewritten to declare width × height pixels."""
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(buffer, "JPEG")
    data = bytearray(buffer.getvalue())
    sof = data.index(b"\xff\xc0")
    data[sof + 5 : sof + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def zip_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("payload.exe", b"MZ" + b"\x00" * 100)
    return buffer.getvalue()


EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48 + b"PE\x00\x00"
HOSTILE = {
    "renamed-executable": ("报告.pdf", EXE),
    "html-named-pdf": ("报告.pdf", b"<html><script>alert(1)</script></html>"),
    "zip-named-pdf": ("报告.pdf", zip_bytes()),
    "pdf-header-then-html": ("报告.pdf", b"%PDF-1.4\n<script>alert(1)</script>"),
    "png-bomb": ("照片.png", png_bomb()),
    "jpeg-bomb": ("照片.jpg", jpeg_bomb()),
    "png-bomb-below-pillows-own-limit": ("照片.png", png_bomb(8_000, 8_000)),
    "jpeg-bomb-below-pillows-own-limit": ("照片.jpg", jpeg_bomb(8_000, 8_000)),
    "png-named-pdf-bomb": ("报告.pdf", png_bomb()),
}


@pytest.mark.parametrize("name", ["png-bomb", "jpeg-bomb"])
def test_the_bombs_really_declare_billions_of_pixels(name):
    with pytest.raises(Image.DecompressionBombError, match="2500000000 pixels"):
        Image.open(io.BytesIO(HOSTILE[name][1]))
    with Image.open(io.BytesIO(HOSTILE[f"{name}-below-pillows-own-limit"][1])) as image:
        assert image.size == (8_000, 8_000)  # 64 million pixels: only the award's own limit refuses it


# --- the dossier that must lose nothing ---


@pytest.fixture
def member():
    return MembershipFactory()


@pytest.fixture
def dossier(member):
    deadline = timezone.now() + dt.timedelta(days=30)
    cycle = CycleFactory(
        number=31,
        year=timezone.localtime(deadline).year,
        phase=CyclePhase.OPEN,
        applications_open_on=timezone.localdate() - dt.timedelta(days=30),
        application_deadline=deadline,
    )
    dossier = services.dossier_start(cycle=cycle, organisation=member.organisation, by=member.user)
    services.section_save(dossier=dossier, key="basics", data={"overview": "已保存的概况"}, version=0, by=member.user)
    AttachmentFactory(dossier=dossier)
    return dossier


@pytest.fixture
def applicant_client(client, member):
    client.force_login(member.user)
    return client


def attachments_url(dossier) -> str:
    return reverse("applications:attachments", kwargs={"pk": dossier.pk})


def snapshot(dossier):
    rows = DossierSection.objects.filter(dossier=dossier).order_by("key").values_list("key", "version", "data")
    files = Attachment.objects.filter(dossier=dossier).order_by("pk").values_list("pk", "file", "sha256")
    return list(rows), list(files)


def assert_refused_and_nothing_lost(response, dossier, before, message):
    assert response.status_code == 200
    assert response.context["form"].errors["file"] == [message]
    page = response.content.decode()
    assert message in page
    assert 'value="恶意文件&lt;b&gt;测试&lt;/b&gt;"' in page  # the typed title is kept, as text
    assert snapshot(dossier) == before
    assert all(a.file.storage.exists(a.file.name) for a in dossier.attachments.all())


@pytest.mark.parametrize("attack", list(HOSTILE))
def test_hostile_file_is_refused_and_the_dossier_keeps_everything(applicant_client, dossier, attack):
    name, content = HOSTILE[attack]
    before = snapshot(dossier)

    upload = SimpleUploadedFile(name, content, content_type="application/pdf")
    response = applicant_client.post(attachments_url(dossier), {"purpose": "evidence", "title": TITLE, "file": upload})

    assert_refused_and_nothing_lost(response, dossier, before, zh(WRONG_KIND, kinds="PDF、JPEG、PNG"))


def test_a_real_pdf_after_the_refusals_is_still_accepted(applicant_client, dossier):
    upload = SimpleUploadedFile("报告.pdf", pdf_bytes(), content_type="application/pdf")

    response = applicant_client.post(attachments_url(dossier), {"purpose": "evidence", "title": "报告", "file": upload})

    assert response.status_code == 302
    assert dossier.attachments.count() == 2


# --- a body far above the limit, streamed ---


class EndlessPdf(io.RawIOBase):
    """A request body generated as it is read: a multipart form whose file part is `size` bytes of PDF.

    Counts what the server read, so the test sees where the reading stopped; nothing is held in memory."""

    BOUNDARY = "----hostile-boundary"

    def __init__(self, size: int, fields: dict[str, str], field_name="file"):
        head = "".join(
            f'--{self.BOUNDARY}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n{value}\r\n'
            for key, value in fields.items()
        )
        head += (
            f'--{self.BOUNDARY}\r\nContent-Disposition: form-data; name="{field_name}"; filename="巨大.pdf"\r\n'
            "Content-Type: application/pdf\r\n\r\n%PDF-1.4\n"
        )
        self.head = head.encode()
        self.length = len(self.head) + size
        self.position = 0

    def readable(self):
        return True

    def readinto(self, buffer):
        count = min(len(buffer), self.length - self.position)
        if count <= 0:
            return 0
        start = self.position
        head_part = self.head[start : start + count]
        buffer[: len(head_part)] = head_part
        buffer[len(head_part) : count] = b"0" * (count - len(head_part))
        self.position += count
        return count


def post_stream(client, url, body: EndlessPdf):
    return client.post(
        url,
        **{
            "wsgi.input": body,
            "CONTENT_LENGTH": str(body.length),
            "CONTENT_TYPE": f"multipart/form-data; boundary={EndlessPdf.BOUNDARY}",
        },
    )


def test_a_500_mb_upload_is_stopped_at_the_limit_and_refused_with_the_reason(
    applicant_client, dossier, settings, tmp_path
):
    temporary = tmp_path / "uploads"
    temporary.mkdir()
    settings.FILE_UPLOAD_TEMP_DIR = str(temporary)
    before = snapshot(dossier)
    body = EndlessPdf(500 * MB, {"purpose": "evidence", "title": TITLE})

    tracemalloc.start()
    try:
        response = post_stream(applicant_client, attachments_url(dossier), body)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    limit = upload_limit()
    print(f"\nstreamed upload: read {body.position / MB:.1f} MB of {body.length / MB:.0f} MB, peak {peak / MB:.1f} MB")
    assert body.position <= limit + 2 * MB  # the reading stopped at the limit: the other 480 MB never came in
    assert peak < 16 * MB  # neither held in memory …
    assert list(temporary.iterdir()) == []  # … nor left on disk
    sizes = {"size": zh_filesize(body.length), "limit": zh_filesize(settings.DOSSIER_ATTACHMENT_MAX_BYTES)}
    assert_refused_and_nothing_lost(response, dossier, before, zh(TOO_LARGE, **sizes))


def test_an_upload_just_within_the_stream_limit_is_read_whole(applicant_client, dossier, settings):
    """The stop applies beyond the largest limit only: below it, the form's own checks decide."""
    settings.DOSSIER_ATTACHMENT_MAX_BYTES = 1 * MB
    body = EndlessPdf(2 * MB, {"purpose": "evidence", "title": TITLE})

    response = post_stream(applicant_client, attachments_url(dossier), body)

    assert body.position == body.length
    assert response.status_code == 200
    assert response.context["form"].errors["file"]


# --- the public objection form's evidence ---


@pytest.fixture
def publicity_page(secretariat):
    approved = approved_cycle(proposed=2, spare=1)
    publicity = publicise(approved.cycle, by=secretariat)
    url = reverse("committee:publicity", kwargs={"cycle": approved.cycle.number})
    return url, publicity.candidates.first()


def objection(candidate, evidence):
    return {
        "candidate": candidate.pk,
        "name": "王建国",
        "organisation": "漯河市某食品有限公司",
        "phone": "13800000000",
        "email": "objector@example.com",
        "text": "异议内容<script>alert(1)</script>",
        "evidence": evidence,
    }


@pytest.mark.parametrize("attack", ["renamed-executable", "html-named-pdf", "png-bomb"])
def test_hostile_evidence_of_an_objection_is_refused_and_the_text_kept(client, publicity_page, attack):
    url, candidate = publicity_page
    name, content = HOSTILE[attack]

    evidence = SimpleUploadedFile(name, content, content_type="application/pdf")
    response = client.post(url, objection(candidate, evidence))

    assert response.status_code == 200
    message = zh(WRONG_KIND, kinds="、".join(KIND_LABELS[kind] for kind in EVIDENCE_KINDS))
    assert response.context["form"].errors["evidence"] == [message]
    page = response.content.decode()
    assert message in page
    assert "异议内容&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert not Objection.objects.exists()


def test_an_oversized_evidence_file_is_stopped_at_the_limit(client, publicity_page):
    url, candidate = publicity_page
    fields = {key: str(value) for key, value in objection(candidate, None).items() if key != "evidence"}
    body = EndlessPdf(100 * MB, fields, field_name="evidence")

    response = post_stream(client, url, body)

    assert body.position <= upload_limit() + 2 * MB
    assert response.status_code == 200
    sizes = {"size": zh_filesize(body.length), "limit": zh_filesize(upload_limit())}
    assert response.context["form"].errors["evidence"] == [zh(TOO_LARGE, **sizes)]
    assert not Objection.objects.exists()
