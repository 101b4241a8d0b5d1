"""Small files of each kind, made in the test (no fixtures on disk)."""

from __future__ import annotations

import io
import zipfile

from django.core.files.uploadedfile import SimpleUploadedFile


def pdf_bytes(extra: bytes = b"") -> bytes:
    return (
        b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
        b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n"
        + extra
        + b"trailer << /Root 1 0 R >>\n%%EOF\n"
    )


def zip_bytes(members: list[tuple[str, bytes]], *, stored_first: bool = False) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for index, (name, data) in enumerate(members):
            kind = zipfile.ZIP_STORED if stored_first and index == 0 else zipfile.ZIP_DEFLATED
            archive.writestr(name, data, compress_type=kind)
    return buffer.getvalue()


def pptx_bytes() -> bytes:
    return zip_bytes(
        [
            (
                "[Content_Types].xml",
                b'<?xml version="1.0"?><Types><Override ContentType="application/'
                b'vnd.openxmlformats-officedocument.presentationml.presentation.main+xml"/>'
                b"</Types>",
            ),
            ("ppt/presentation.xml", b"<p:presentation/>"),
        ]
    )


def odp_bytes() -> bytes:
    return zip_bytes(
        [
            ("mimetype", b"application/vnd.oasis.opendocument.presentation"),
            ("content.xml", b"<office:document-content/>"),
        ],
        stored_first=True,
    )


def mp4_bytes() -> bytes:
    return b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00" * 200


def webm_bytes() -> bytes:
    return b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\x82\x84webm" + b"\x00" * 200


def upload(name: str, data: bytes, content_type: str = "application/octet-stream"):
    return SimpleUploadedFile(name, data, content_type=content_type)
