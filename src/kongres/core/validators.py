"""Checks of files staff upload (security review 2026-12, L11): one validator for every image
field (news, logos, speakers), so that a size limit and a check of the content apply alike.

The content is checked by what the file *is*, not by its name or the type the browser said:
its first bytes must be those of PNG, JPEG, GIF or WebP, the name's extension must fit that
format, and Pillow must read the file as that format only (``verify``) with no more pixels than
``MAX_PIXELS`` (a small file that would unpack into gigabytes). The size limit is the
configuration's ``upload_max_mb`` (``settings.KONGRES_UPLOAD_MAX_BYTES``), read when a file is
checked, never at import time."""

from __future__ import annotations

from pathlib import PurePath

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
