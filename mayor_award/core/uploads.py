"""Recognising uploaded files by their content, never by the name or the browser's content type."""

import io
import re
import unicodedata
import zipfile
from pathlib import PurePath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

# kind -> (content type, extension)
KINDS = {
    "pdf": ("application/pdf", ".pdf"),
    "png": ("image/png", ".png"),
    "jpeg": ("image/jpeg", ".jpg"),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", ".docx"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ".xlsx"),
}
KIND_LABELS = {"pdf": "PDF", "png": "PNG", "jpeg": "JPEG", "docx": "Word (.docx)", "xlsx": "Excel (.xlsx)"}


def sniff_kind(upload) -> str | None:
    """The kind of file `upload` really is, from its first bytes (and, for Office files, its parts)."""
    upload.seek(0)
    head = upload.read(8)
    upload.seek(0)
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"PK\x03\x04"):
        return _office_kind(upload)
    return None


def _office_kind(upload) -> str | None:
    try:
        with zipfile.ZipFile(upload) as archive:
            names = set(archive.namelist())
    except zipfile.BadZipFile:
        return None
    finally:
        upload.seek(0)
    if "[Content_Types].xml" not in names:
        return None
    if "word/document.xml" in names:
        return "docx"
    if "xl/workbook.xml" in names:
        return "xlsx"
    return None


def safe_display_name(name: str, kind: str) -> str:
    """The uploaded name reduced to its last part, without control or path characters, with the right suffix."""
    stem = PurePath(name.replace("\\", "/")).stem
    stem = unicodedata.normalize("NFC", stem)
    stem = "".join(char for char in stem if unicodedata.category(char)[0] != "C")
    stem = re.sub(r'[/\\:*?"<>|]+', "_", stem).strip(" .") or "file"
    return stem[:150] + KINDS[kind][1]


def validate_upload(upload, *, allowed: tuple[str, ...], max_bytes: int) -> str:
    """Check size and content of an upload; returns its kind or raises a ValidationError in plain words."""
    if upload.size > max_bytes:
        raise ValidationError(
            _("The file is %(size)s; at most %(limit)s is accepted."),
            params={"size": filesizeformat(upload.size), "limit": filesizeformat(max_bytes)},
            code="too_large",
        )
    kind = sniff_kind(upload)
    if kind not in allowed or not _intact(upload, kind):
        raise ValidationError(
            _("This file is not a real %(kinds)s file. Please upload one of these kinds."),
            params={"kinds": "、".join(KIND_LABELS[k] for k in allowed)},
            code="wrong_kind",
        )
    return kind


MAX_IMAGE_PIXELS = 50_000_000  # a scanned A3 page at 600 dpi is about 35 million pixels


def _intact(upload, kind: str) -> bool:
    """More than the first bytes: an image must decode within a sane size, a PDF must end like one."""
    try:
        if kind in ("png", "jpeg"):
            return _image_intact(upload)
        if kind == "pdf":
            upload.seek(max(0, upload.size - 2048))
            return b"%%EOF" in upload.read()
        return True
    finally:
        upload.seek(0)


def _image_intact(upload) -> bool:
    from PIL import Image  # Pillow comes with WeasyPrint; imported here to keep start-up light

    try:
        with Image.open(upload) as image:
            if image.width * image.height > MAX_IMAGE_PIXELS:  # a decompression bomb, refused before decoding
                return False
            image.verify()
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        return False
    return True


# --- oversized uploads: stopped while they arrive, never stored in full ---


def upload_limit() -> int:
    """The largest file any form accepts; a file beyond it is refused while it arrives."""
    return max(settings.DOSSIER_ATTACHMENT_MAX_BYTES, settings.NOTICE_ATTACHMENT_MAX_BYTES)


class OversizedUpload(UploadedFile):
    """Stands in for a file that was stopped at the limit: no content, its size as the request declared it, so
    validate_upload refuses it with the usual message naming both sizes."""

    def __init__(self, name: str, content_type: str, size: int):
        super().__init__(file=io.BytesIO(), name=name, content_type=content_type, size=size)


class LimitedUploadHandler(FileUploadHandler):
    """First of FILE_UPLOAD_HANDLERS: passes each file's bytes on until the file exceeds upload_limit(), then
    stops reading the request (StopUpload) so that neither memory nor the temporary folder receive the rest.

    The stopped file is kept on the request (`request.oversized_uploads`); `files_of(request)` puts it back among
    the uploads so that the form says the file is too large instead of that it is missing."""

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        self.declared_length = content_length
        self.request.oversized_uploads = {}

    def new_file(self, field_name, file_name, content_type, *args, **kwargs):
        super().new_file(field_name, file_name, content_type, *args, **kwargs)
        self.limit = upload_limit()

    def receive_data_chunk(self, raw_data, start):
        received = start + len(raw_data)
        if received > self.limit:
            size = max(received, self.declared_length or 0)
            self.request.oversized_uploads[self.field_name] = OversizedUpload(self.file_name, self.content_type, size)
            raise StopUpload(connection_reset=True)
        return raw_data

    def file_complete(self, file_size):
        return None


def files_of(request):
    """request.FILES with any file stopped at the limit in its field (see LimitedUploadHandler)."""
    oversized = getattr(request, "oversized_uploads", None)
    if not oversized:
        return request.FILES
    files = request.FILES.copy()
    for field_name, placeholder in oversized.items():
        files.setlist(field_name, [placeholder])
    return files
