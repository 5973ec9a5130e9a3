"""Recognising uploaded files by their content, never by the name or the browser's content type."""

import re
import unicodedata
import zipfile
from pathlib import PurePath

from django.core.exceptions import ValidationError
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
