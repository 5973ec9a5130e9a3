"""Fixtures of the core tests: logged-in clients and real file contents for the upload checks."""

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

# The smallest files each recogniser accepts: real magic numbers, not just the right names.
PDF_BYTES = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
PNG_BYTES = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
)
JPEG_BYTES = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"
EXE_BYTES = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48 + b"PE\x00\x00"


def office_bytes(*part_names: str) -> bytes:
    """A zip archive holding the named parts, as an Office file is built."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in part_names:
            archive.writestr(name, "<?xml version='1.0' encoding='UTF-8'?><root/>")
    return buffer.getvalue()


DOCX_BYTES = office_bytes("[Content_Types].xml", "_rels/.rels", "word/document.xml")
XLSX_BYTES = office_bytes("[Content_Types].xml", "_rels/.rels", "xl/workbook.xml")


@pytest.fixture
def make_upload():
    """Build an upload the way Django hands it to a form: a name, bytes and the browser's content type."""

    def make(name, content, content_type="application/octet-stream"):
        return SimpleUploadedFile(name, content, content_type=content_type)

    return make


@pytest.fixture
def english_client(client):
    """An anonymous browser that asks for English, so page texts can be compared word for word."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


@pytest.fixture
def secretariat_client(client, secretariat):
    client.force_login(secretariat)
    return client


@pytest.fixture
def applicant_client(client, applicant):
    client.force_login(applicant)
    return client
