"""Uploads are recognised by their bytes; their names are display text only."""

import re

import pytest
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils import translation
from django.utils.translation import gettext

from mayor_award.core.forms import NOTICE_ATTACHMENT_KINDS, NoticeAttachmentForm
from mayor_award.core.models.notice import attachment_path
from mayor_award.core.uploads import safe_display_name, sniff_kind, validate_upload

from .conftest import DOCX_BYTES, EXE_BYTES, JPEG_BYTES, PDF_BYTES, PNG_BYTES, XLSX_BYTES, office_bytes

# --- sniff_kind ---


@pytest.mark.parametrize(
    ("name", "content", "kind"),
    [
        ("申报书.pdf", PDF_BYTES, "pdf"),
        ("营业执照.png", PNG_BYTES, "png"),
        ("现场照片.jpg", JPEG_BYTES, "jpeg"),
        ("自评报告.docx", DOCX_BYTES, "docx"),
        ("财务数据.xlsx", XLSX_BYTES, "xlsx"),
    ],
)
def test_sniff_kind_recognises_real_files(make_upload, name, content, kind):
    assert sniff_kind(make_upload(name, content)) == kind


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("材料.pdf", EXE_BYTES),
        ("材料.docx", office_bytes("word/document.xml")),  # a zip without [Content_Types].xml
        ("材料.docx", office_bytes("[Content_Types].xml", "ppt/presentation.xml")),
        ("材料.docx", b"PK\x03\x04 but not a zip archive"),
        ("材料.pdf", b""),
        ("材料.txt", "纯文本".encode()),
    ],
    ids=["exe", "zip-without-content-types", "pptx", "broken-zip", "empty", "text"],
)
def test_sniff_kind_unknown_content_is_none(make_upload, name, content):
    assert sniff_kind(make_upload(name, content)) is None


def test_sniff_kind_leaves_the_file_at_its_start(make_upload):
    upload = make_upload("自评报告.docx", DOCX_BYTES)

    sniff_kind(upload)

    assert upload.read() == DOCX_BYTES


def test_sniff_kind_ignores_the_name_and_the_browser_content_type(make_upload):
    upload = make_upload("照片.jpg", PDF_BYTES, content_type="image/jpeg")

    assert sniff_kind(upload) == "pdf"


# --- validate_upload ---


def test_validate_upload_renamed_executable_refused(make_upload):
    upload = make_upload("材料.pdf", EXE_BYTES, content_type="application/pdf")

    with pytest.raises(ValidationError) as excinfo:
        validate_upload(upload, allowed=NOTICE_ATTACHMENT_KINDS, max_bytes=1024)

    assert excinfo.value.code == "wrong_kind"


def test_validate_upload_kind_not_allowed_refused(make_upload):
    upload = make_upload("照片.png", PNG_BYTES)

    with pytest.raises(ValidationError) as excinfo:
        validate_upload(upload, allowed=("pdf",), max_bytes=1024)

    assert excinfo.value.code == "wrong_kind"


def test_validate_upload_accepted_returns_the_kind(make_upload):
    upload = make_upload("申报书.pdf", PDF_BYTES)

    assert validate_upload(upload, allowed=NOTICE_ATTACHMENT_KINDS, max_bytes=len(PDF_BYTES)) == "pdf"


def test_validate_upload_one_byte_too_large_refused_in_chinese(make_upload):
    upload = make_upload("申报书.pdf", PDF_BYTES)
    limit = len(PDF_BYTES) - 1

    with translation.override("zh-hans"), pytest.raises(ValidationError) as excinfo:
        validate_upload(upload, allowed=NOTICE_ATTACHMENT_KINDS, max_bytes=limit)

    with translation.override("zh-hans"):
        expected = gettext("The file is %(size)s; at most %(limit)s is accepted.") % {
            "size": filesizeformat(len(PDF_BYTES)),
            "limit": filesizeformat(limit),
        }
    assert excinfo.value.code == "too_large"
    assert excinfo.value.messages == [expected]


def test_validate_upload_size_checked_before_content(make_upload):
    upload = make_upload("材料.pdf", EXE_BYTES)

    with pytest.raises(ValidationError) as excinfo:
        validate_upload(upload, allowed=NOTICE_ATTACHMENT_KINDS, max_bytes=1)

    assert excinfo.value.code == "too_large"


# --- display names and stored names ---


@pytest.mark.parametrize(
    ("name", "kind", "display_name"),
    [
        ("../../etc/passwd.pdf", "pdf", "passwd.pdf"),
        ("..\\..\\x.pdf", "pdf", "x.pdf"),
        ("C:\\Users\\张三\\申报书.pdf", "pdf", "申报书.pdf"),
        ("a\x00b\nc\x1bd.pdf", "pdf", "abcd.pdf"),
        ("\u202efdp.exe", "pdf", "fdp.pdf"),  # right-to-left override, a format control character
        ("..pdf", "pdf", "file.pdf"),
        ("  .隐藏.pdf", "pdf", "隐藏.pdf"),
        ('报<告>:"|?*.pdf', "pdf", "报_告_.pdf"),
        ("照片.PNG", "jpeg", "照片.jpg"),
        ("病毒.exe", "pdf", "病毒.pdf"),
    ],
)
def test_safe_display_name_keeps_only_a_harmless_last_part(name, kind, display_name):
    assert safe_display_name(name, kind) == display_name


def test_safe_display_name_long_name_cut():
    assert safe_display_name("长" * 300 + ".pdf", "pdf") == "长" * 150 + ".pdf"


def test_attachment_path_is_random_and_never_uses_the_uploaded_name():
    first = attachment_path(None, "../../etc/passwd.PDF")
    second = attachment_path(None, "../../etc/passwd.PDF")

    assert re.fullmatch(r"notices/[0-9a-f]{32}\.pdf", first)
    assert first != second


# --- NoticeAttachmentForm ---


def test_notice_attachment_form_sets_name_type_and_size_from_the_content(make_upload):
    upload = make_upload("../申报指南.PDF", PDF_BYTES, content_type="text/plain")

    form = NoticeAttachmentForm(data={"title": "申报指南"}, files={"file": upload})

    assert form.is_valid(), form.errors
    assert (form.instance.original_name, form.instance.content_type, form.instance.size) == (
        "申报指南.pdf",
        "application/pdf",
        len(PDF_BYTES),
    )


def test_notice_attachment_form_docx_gets_the_office_content_type(make_upload):
    form = NoticeAttachmentForm(data={"title": "申报书模板"}, files={"file": make_upload("模板.docx", DOCX_BYTES)})

    assert form.is_valid(), form.errors
    assert form.instance.content_type == "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def test_notice_attachment_form_renamed_executable_refused(make_upload):
    form = NoticeAttachmentForm(data={"title": "材料"}, files={"file": make_upload("材料.pdf", EXE_BYTES)})

    assert form.is_valid() is False
    assert [error.code for error in form.errors.as_data()["file"]] == ["wrong_kind"]


def test_notice_attachment_form_oversized_file_refused(make_upload, settings):
    settings.NOTICE_ATTACHMENT_MAX_BYTES = len(PDF_BYTES) - 1

    form = NoticeAttachmentForm(data={"title": "材料"}, files={"file": make_upload("材料.pdf", PDF_BYTES)})

    assert form.is_valid() is False
    assert [error.code for error in form.errors.as_data()["file"]] == ["too_large"]
