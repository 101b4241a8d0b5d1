"""Checks of files staff upload (security review 2026-12, L11): one validator for every image
field (news, logos, speakers), so that a size limit and a check of the content apply alike.

The content is checked by what the file *is*, not by its name or the type the browser said:
its first bytes must be those of PNG, JPEG, GIF or WebP, the name's extension must fit that
format, and Pillow must read the file as that format only (``verify``) with no more pixels than
``MAX_PIXELS`` (a small file that would unpack into gigabytes). The size limit is the
configuration's ``upload_max_mb`` (``settings.KONGRES_UPLOAD_MAX_BYTES``), read when a file is
checked, never at import time."""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from pathlib import PurePath
from typing import NoReturn

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import models
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _
from PIL import Image

DEFAULT_MAX_BYTES = 5 * 1024 * 1024
MAX_PIXELS = 40_000_000  # 40 megapixels: a photo from any camera, not a decompression bomb

# format → (what its first bytes are, the extensions a file of it may have)
IMAGE_FORMATS: dict[str, tuple[tuple[bytes, ...], frozenset[str]]] = {
    "PNG": ((b"\x89PNG\r\n\x1a\n",), frozenset({".png"})),
    "JPEG": ((b"\xff\xd8\xff",), frozenset({".jpg", ".jpeg", ".jpe", ".jfif"})),
    "GIF": ((b"GIF87a", b"GIF89a"), frozenset({".gif"})),
    "WEBP": ((b"RIFF",), frozenset({".webp"})),  # and "WEBP" at offset 8, checked below
}


def _sniff(head: bytes) -> str | None:
    """The format whose signature ``head`` (the file's first bytes) starts with."""
    for name, (signatures, _extensions) in IMAGE_FORMATS.items():
        if head.startswith(signatures):
            if name == "WEBP" and head[8:12] != b"WEBP":
                continue
            return name
    return None


def _upload(value) -> UploadedFile | None:
    """The file being uploaded now in ``value`` (a form's upload, or a model's ``FieldFile``
    that holds one), else None: a file already in the storage is not checked again (a limit
    lowered later must not keep an organiser from editing an older news post)."""
    if isinstance(value, UploadedFile):
        return value
    try:
        file = value.file  # a FieldFile opens a kept file from the storage here
    except (OSError, ValueError):  # a kept file the storage no longer has
        return None
    return file if isinstance(file, UploadedFile) else None


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f}".rstrip("0").rstrip(".")


def validate_upload_size(upload) -> None:
    """At most ``upload_max_mb`` (``settings.KONGRES_UPLOAD_MAX_BYTES``)."""
    limit = getattr(settings, "KONGRES_UPLOAD_MAX_BYTES", DEFAULT_MAX_BYTES)
    if upload.size > limit:
        raise ValidationError(
            _("The file is too large (%(size)s MB): at most %(limit)s MB."),
            code="file_too_large",
            params={"size": _megabytes(upload.size), "limit": _megabytes(limit)},
        )


@deconstructible
class UploadedImageValidator:
    """For ``ImageField(validators=[UploadedImageValidator()])``: at most the configured size,
    and a PNG, JPEG, GIF or WebP image by content, whose name's extension fits it."""

    def __call__(self, value) -> None:
        if not value:
            return
        upload = _upload(value)
        if upload is None:  # a file kept earlier: checked when it was uploaded
            return
        validate_upload_size(upload)
        try:
            upload.seek(0)
            kind = _sniff(upload.read(16))
            extension = PurePath(upload.name or "").suffix.lower()
            if kind is None or extension not in IMAGE_FORMATS[kind][1]:
                raise ValidationError(
                    _(
                        "The file is not a PNG, JPEG, GIF or WebP image, or its name's "
                        "extension does not fit its content."
                    ),
                    code="invalid_image_type",
                )
            upload.seek(0)
            try:
                with Image.open(upload, formats=[kind]) as image:
                    pixels = image.width * image.height
                    image.verify()
            except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as error:
                raise ValidationError(
                    _("The file is not a readable image."), code="invalid_image"
                ) from error
            if pixels > MAX_PIXELS:
                raise ValidationError(
                    _("The image is too large: at most %(limit)s megapixels."),
                    code="image_too_many_pixels",
                    params={"limit": MAX_PIXELS // 1_000_000},
                )
        finally:
            upload.seek(0)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, UploadedImageValidator)

    def __hash__(self) -> int:
        return hash(type(self))


validate_uploaded_image = UploadedImageValidator()


class UploadedImageFormField(forms.ImageField):
    """Django's image field of a form, which refuses a file over the size limit before Pillow
    reads it (and says so, rather than "not an image" for a large file of another kind)."""

    def to_python(self, data):
        if data and isinstance(data, UploadedFile):
            validate_upload_size(data)
        return super().to_python(data)


class UploadedImageField(models.ImageField):
    """An image field of a model for files staff upload: give it
    ``validators=[validate_uploaded_image]``; its forms check the size first."""

    def formfield(self, **kwargs):
        return super().formfield(**{"form_class": UploadedImageFormField, **kwargs})


# -- documents and recordings (kongres.materials) ---------------------------------------------
#
# Slides (PDF, PPTX, ODP) and recordings (MP4, WebM) are checked by what the file *is*: its
# first bytes, and for the ZIP-based formats the members a real presentation has. A polyglot
# (a file that is also a ZIP, a PDF, or HTML/script, so that another program or a browser
# could read it as something else) is refused, and so are macros, scripts in a PDF, and ZIP
# members that unpack into far more than was sent.

PDF_ACTIVE = (b"/JavaScript", b"/JS", b"/Launch", b"/EmbeddedFile", b"/RichMedia", b"/XFA")
HTML_MARKERS = (b"<html", b"<script", b"<!doctype", b"<body", b"<svg", b"<iframe", b"javascript:")
ZIP_MEMBERS_MAX = 5000
ZIP_UNPACKED_MAX = 1024 * 1024 * 1024  # 1 GB unpacked at most
ZIP_RATIO_MAX = 100  # a member may unpack into at most 100 times its packed size
ODP_MIMETYPE = b"application/vnd.oasis.opendocument.presentation"
MP4_BRANDS = frozenset(
    {b"isom", b"iso2", b"iso4", b"iso5", b"iso6", b"mp41", b"mp42", b"avc1", b"M4V ", b"dash"}
)


@dataclass(frozen=True)
class FileKind:
    """What a checked file is: ``name`` (pdf, pptx, odp, mp4, webm), its media type, and
    whether it is a recording (video) or a document."""

    name: str
    content_type: str
    extensions: frozenset[str]
    is_video: bool = False


DOCUMENT_KINDS = {
    "pdf": FileKind("pdf", "application/pdf", frozenset({".pdf"})),
    "pptx": FileKind(
        "pptx",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        frozenset({".pptx"}),
    ),
    "odp": FileKind("odp", "application/vnd.oasis.opendocument.presentation", frozenset({".odp"})),
}
VIDEO_KINDS = {
    "mp4": FileKind("mp4", "video/mp4", frozenset({".mp4", ".m4v"}), is_video=True),
    "webm": FileKind("webm", "video/webm", frozenset({".webm"}), is_video=True),
}


def _refuse(message, code: str, **params) -> NoReturn:
    raise ValidationError(message, code=code, params=params or None)


def _not_allowed_type() -> NoReturn:
    _refuse(
        _(
            "The file is not a PDF, PPTX or ODP presentation, nor an MP4 or WebM video, or its "
            "name's extension does not fit its content."
        ),
        "invalid_material_type",
    )


def _polyglot() -> NoReturn:
    _refuse(
        _(
            "The file holds content of another kind too (an archive, a web page or a script) "
            "and cannot be accepted. Save it again as a plain document and send that."
        ),
        "polyglot",
    )


def _sniff_material(head: bytes) -> str | None:
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"PK\x03\x04"):
        return "zip"
    if head[4:8] == b"ftyp" and head[8:12] in MP4_BRANDS:
        return "mp4"
    if head.startswith(b"\x1a\x45\xdf\xa3") and b"webm" in head[:64]:
        return "webm"
    return None


def _has_markup(data: bytes) -> bool:
    lowered = data.lower()
    return any(marker in lowered for marker in HTML_MARKERS)


def _check_pdf(upload: UploadedFile) -> None:
    upload.seek(0)
    data = upload.read()
    if _has_markup(data) or any(
        re.search(rb"%s(?![A-Za-z0-9])" % re.escape(name), data) for name in PDF_ACTIVE
    ):
        _polyglot()
    if b"%%EOF" not in data[-1024:]:
        _refuse(_("The PDF file is damaged or incomplete."), "invalid_pdf")


def _check_zip_presentation(upload: UploadedFile, extension: str) -> str:
    """``pptx`` or ``odp`` for a real presentation package; else a ValidationError."""
    upload.seek(0)
    head = upload.read(1024)
    if b"%PDF" in head or _has_markup(head):
        _polyglot()
    upload.seek(0)
    try:
        with zipfile.ZipFile(upload) as archive:
            members = archive.infolist()
            if len(members) > ZIP_MEMBERS_MAX:
                _not_allowed_type()
            unpacked = 0
            for member in members:
                name = member.filename
                if name.startswith("/") or ".." in PurePath(name).parts:
                    _polyglot()
                lowered = name.lower()
                if lowered.endswith("vbaproject.bin") or lowered.startswith(("basic/", "scripts/")):
                    _refuse(_("Presentations with macros or scripts cannot be accepted."), "macros")
                unpacked += member.file_size
                if unpacked > ZIP_UNPACKED_MAX or member.file_size > ZIP_RATIO_MAX * max(
                    member.compress_size, 1024
                ):
                    _refuse(_("The presentation unpacks into too much data."), "zip_bomb")
            names = {member.filename for member in members}
            if extension == ".pptx":
                if "[Content_Types].xml" not in names or "ppt/presentation.xml" not in names:
                    _not_allowed_type()
                if b"presentationml" not in archive.read("[Content_Types].xml"):
                    _not_allowed_type()
                return "pptx"
            if extension == ".odp":
                first = members[0] if members else None
                if first is None or first.filename != "mimetype" or "content.xml" not in names:
                    _not_allowed_type()
                if archive.read("mimetype").strip() != ODP_MIMETYPE:
                    _not_allowed_type()
                return "odp"
    except (zipfile.BadZipFile, zipfile.LargeZipFile, KeyError, OSError, EOFError) as error:
        raise ValidationError(
            _("The presentation file is damaged or incomplete."), code="invalid_zip"
        ) from error
    _not_allowed_type()


def _tail(upload: UploadedFile, size: int) -> bytes:
    upload.seek(max(0, upload.size - size))
    return upload.read()


def check_material_file(upload, *, allow_video: bool = True) -> FileKind:
    """What ``upload`` is (a ``FileKind``), when it is a PDF, PPTX or ODP presentation, or
    (``allow_video``) an MP4 or WebM video, by its content, under the size limit of its kind
    (``KONGRES_MATERIAL_MAX_BYTES``, ``KONGRES_RECORDING_MAX_BYTES``), and nothing else besides
    (no polyglot); else a ``ValidationError`` with a message for the person who sent it."""
    try:
        upload.seek(0)
        head = upload.read(1024)
        extension = PurePath(upload.name or "").suffix.lower()
        sniffed = _sniff_material(head)
        if sniffed is None:
            _not_allowed_type()
        if sniffed == "zip":
            kind = DOCUMENT_KINDS.get(extension[1:]) if extension in {".pptx", ".odp"} else None
        else:
            kind = DOCUMENT_KINDS.get(sniffed) or VIDEO_KINDS.get(sniffed)
        if kind is None or extension not in kind.extensions:
            _not_allowed_type()
        if kind.is_video and not allow_video:
            _not_allowed_type()
        limit = getattr(
            settings,
            "KONGRES_RECORDING_MAX_BYTES" if kind.is_video else "KONGRES_MATERIAL_MAX_BYTES",
            DEFAULT_MAX_BYTES,
        )
        if upload.size > limit:
            _refuse(
                _("The file is too large (%(size)s MB): at most %(limit)s MB."),
                "file_too_large",
                size=_megabytes(upload.size),
                limit=_megabytes(limit),
            )
        if kind.name == "pdf":
            _check_pdf(upload)
        elif kind.name in {"pptx", "odp"}:
            _check_zip_presentation(upload, extension)
        else:  # a video: its head must not be markup, and it must not also be an archive
            if _has_markup(head) or b"%PDF" in head:
                _polyglot()
        if kind.name != "pptx" and kind.name != "odp":
            upload.seek(0)
            if zipfile.is_zipfile(upload) or b"PK\x05\x06" in _tail(upload, 66_000):
                _polyglot()
        return kind
    finally:
        upload.seek(0)
