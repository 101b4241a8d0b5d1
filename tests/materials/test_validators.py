"""Materials are checked by content: the kind, the extension that fits it, the size limit of
the kind, and no second kind hidden in the same file (polyglots)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from kongres.core.validators import check_material_file
from tests.materials.files import (
    mp4_bytes,
    odp_bytes,
    pdf_bytes,
    pptx_bytes,
    upload,
    webm_bytes,
    zip_bytes,
)


@pytest.mark.parametrize(
    ("name", "data", "expected"),
    [
        ("slajdy.pdf", pdf_bytes(), ("pdf", "application/pdf", False)),
        (
            "slajdy.pptx",
            pptx_bytes(),
            (
                "pptx",
                "application/vnd.openxmlformats-officedocument.presentationml.presentation",
                False,
            ),
        ),
        (
            "slajdy.odp",
            odp_bytes(),
            ("odp", "application/vnd.oasis.opendocument.presentation", False),
        ),
        ("nagranie.mp4", mp4_bytes(), ("mp4", "video/mp4", True)),
        ("nagranie.webm", webm_bytes(), ("webm", "video/webm", True)),
    ],
)
def test_material_file_of_each_kind_is_accepted(name, data, expected):
    kind = check_material_file(upload(name, data))
    assert (kind.name, kind.content_type, kind.is_video) == expected


def _code(name: str, data: bytes, **kwargs) -> str:
    with pytest.raises(ValidationError) as error:
        check_material_file(upload(name, data), **kwargs)
    return error.value.code


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("slajdy.pdf", b"just some text, not a PDF"),  # the extension lies
        ("slajdy.exe", pdf_bytes()),  # the content is a PDF, the extension is not
        ("slajdy.pptx", pdf_bytes()),  # a PDF named as PPTX
        ("slajdy.pdf", mp4_bytes()),
        ("obraz.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 50),
        ("slajdy.docx", zip_bytes([("word/document.xml", b"<w/>")])),
        ("slajdy.pptx", zip_bytes([("word/document.xml", b"<w/>")])),  # a ZIP, not a PPTX
        ("slajdy.odp", zip_bytes([("content.xml", b"<x/>")])),  # no mimetype first
    ],
)
def test_material_of_a_wrong_type_is_refused(name, data):
    assert _code(name, data) == "invalid_material_type"


def test_video_is_refused_where_only_documents_may_be_sent():
    assert _code("nagranie.mp4", mp4_bytes(), allow_video=False) == "invalid_material_type"


@pytest.mark.parametrize(
    ("name", "data"),
    [
        # a PDF that is also a ZIP (an archive appended: a ZIP reader finds it from the end)
        ("slajdy.pdf", pdf_bytes() + zip_bytes([("evil.html", b"<script>alert(1)</script>")])),
        ("slajdy.pdf", pdf_bytes(b"<html><script>alert(1)</script></html>\n")),  # HTML inside
        ("slajdy.pdf", pdf_bytes(b"3 0 obj << /S /JavaScript /JS (app.alert(1)) >> endobj\n")),
        ("slajdy.pdf", pdf_bytes(b"3 0 obj << /Type /EmbeddedFile >> endobj\n")),
        # a video with a web page in its head
        ("nagranie.mp4", mp4_bytes()[:24] + b"<script>alert(1)</script>" + b"\x00" * 50),
        ("nagranie.webm", webm_bytes() + zip_bytes([("a.txt", b"x")])),
    ],
)
def test_polyglot_is_refused(name, data):
    assert _code(name, data) == "polyglot"


def test_pptx_with_a_pdf_in_its_head_is_a_polyglot():
    data = zip_bytes(
        [("[Content_Types].xml", b"%PDF-1.4 presentationml"), ("ppt/presentation.xml", b"<p/>")],
        stored_first=True,
    )
    assert _code("slajdy.pptx", data) == "polyglot"


def test_pptx_with_macros_is_refused():
    data = zip_bytes(
        [
            ("[Content_Types].xml", b"presentationml"),
            ("ppt/presentation.xml", b"<p/>"),
            ("ppt/vbaProject.bin", b"macro"),
        ]
    )
    assert _code("slajdy.pptx", data) == "macros"


def test_zip_bomb_is_refused():
    data = zip_bytes(
        [
            ("[Content_Types].xml", b"presentationml"),
            ("ppt/presentation.xml", b"<p/>"),
            ("ppt/media/big.bin", b"\x00" * 5_000_000),
        ]
    )
    assert _code("slajdy.pptx", data) == "zip_bomb"


def test_material_over_the_limit_of_its_kind_is_refused(settings):
    settings.KONGRES_MATERIAL_MAX_BYTES = 100
    settings.KONGRES_RECORDING_MAX_BYTES = 10_000
    with pytest.raises(ValidationError) as error:
        check_material_file(upload("slajdy.pdf", pdf_bytes(b"x" * 200)))
    assert error.value.code == "file_too_large"
    assert check_material_file(upload("nagranie.mp4", mp4_bytes())).name == "mp4"  # its own limit
