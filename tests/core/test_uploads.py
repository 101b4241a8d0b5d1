"""Files staff upload (security review 2026-12, L11): every image field of the admin (a news
post's image, an organisation's logo, a speaker's photo) refuses a file over the size limit
(``upload_max_mb``) and a file whose content is not the image its name says, with a message in
the admin's language, keeping what was typed in the other fields. Uploaded files are served by
the application only where ``serve_media`` (or DEBUG) says so; in production nginx serves them
(tests/deploy/test_nginx.py)."""

import io
import os

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from kongres.content.models import NewsPost
from kongres.core.validators import validate_uploaded_image
from kongres.events.models import Organisation, Speaker
from tests.factories import EditionFactory, SpeakerFactory

pytestmark = pytest.mark.django_db


def image(kind: str = "PNG", size=(8, 8), noise: bool = False) -> bytes:
    picture = Image.new("RGB", size, "white")
    if noise:
        picture = Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3))
    buffer = io.BytesIO()
    picture.save(buffer, kind)
    return buffer.getvalue()


@pytest.fixture
def admin_client(client):
    user = get_user_model().objects.create_superuser(username="admin", password="x-hasło-123456")
    client.force_login(user)
    return client


def _news(edition):
    return (
        "/admin/content/newspost/add/",
        "image",
        {
            "edition": edition.pk,
            "title_pl": "Wpisany tytuł aktualności",
            "slug": "wpisany-tytul",
        },
    )


def _speaker(edition):
    return (
        "/admin/events/speaker/add/",
        "photo",
        {
            "name": "Wpisane imię prelegentki",
            "slug": "wpisana-prelegentka",
        },
    )


def _organisation(edition):
    return (
        "/admin/events/organisation/add/",
        "logo",
        {
            "name_pl": "Wpisana nazwa instytucji",
            "slug": "wpisana-instytucja",
        },
    )


FORMS = {"news": _news, "speaker": _speaker, "organisation": _organisation}
TYPED = {"news": "Wpisany tytuł aktualności", "speaker": "Wpisane imię prelegentki",
         "organisation": "Wpisana nazwa instytucji"}  # fmt: skip
MODELS = {"news": NewsPost, "speaker": Speaker, "organisation": Organisation}


def post(client, which: str, upload: SimpleUploadedFile):
    edition = EditionFactory()
    url, field, data = FORMS[which](edition)
    return client.post(url, {**data, field: upload}, HTTP_ACCEPT_LANGUAGE="pl")


@pytest.mark.parametrize("which", sorted(FORMS))
def test_an_image_over_the_size_limit_is_refused_keeping_what_was_typed(admin_client, which):
    big = b"\x89PNG\r\n\x1a\n" + os.urandom(5 * 1024 * 1024 + 100)  # the default limit: 5 MB
    response = post(admin_client, which, SimpleUploadedFile("plakat.png", big, "image/png"))
    assert response.status_code == 200  # the form again, not a redirect
    assert "Plik jest za duży (5 MB): najwyżej 5 MB." in response.text
    assert TYPED[which] in response.text
    assert not MODELS[which].objects.exists()


@pytest.mark.parametrize("which", sorted(FORMS))
def test_content_that_is_not_the_image_its_name_says_is_refused(admin_client, which):
    # a BMP named .png: Pillow reads it, so only a check of the content's type refuses it
    bmp = SimpleUploadedFile("zdjecie.png", image("BMP"), "image/png")
    response = post(admin_client, which, bmp)
    assert response.status_code == 200
    assert "Plik nie jest obrazem PNG, JPEG, GIF ani WebP" in response.text
    assert TYPED[which] in response.text
    assert not MODELS[which].objects.exists()


@pytest.mark.parametrize("which", sorted(FORMS))
def test_a_good_image_is_kept(admin_client, which):
    response = post(admin_client, which, SimpleUploadedFile("zdjecie.jpg", image("JPEG")))
    assert response.status_code == 302, response.text[:2000]
    assert MODELS[which].objects.get()


def test_the_size_limit_comes_from_the_configuration(settings):
    settings.KONGRES_UPLOAD_MAX_BYTES = 10_000
    noisy = image("PNG", size=(100, 100), noise=True)
    assert len(noisy) > 10_000
    with pytest.raises(ValidationError) as refused:
        validate_uploaded_image(SimpleUploadedFile("a.png", noisy))
    assert refused.value.code == "file_too_large"
    validate_uploaded_image(SimpleUploadedFile("a.png", image("PNG")))


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("a.png", b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>",
         "invalid_image_type"),
        ("a.jpg", image("PNG"), "invalid_image_type"),  # the extension must fit the content
        ("a.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 64, "invalid_image"),  # a signature, no image
        ("a.gif", image("GIF"), None),
        ("a.webp", image("WEBP"), None),
        ("a.jpeg", image("JPEG"), None),
    ],
)  # fmt: skip
def test_content_is_checked_by_what_it_is(name, content, code):
    upload = SimpleUploadedFile(name, content, "image/png")
    if code is None:
        validate_uploaded_image(upload)
        return
    with pytest.raises(ValidationError) as refused:
        validate_uploaded_image(upload)
    assert refused.value.code == code


def test_a_file_kept_earlier_is_not_checked_again(settings, tmp_path):
    """A limit lowered later does not keep an organiser from editing an older speaker."""
    settings.MEDIA_ROOT = tmp_path
    speaker = SpeakerFactory()
    speaker.photo.save("stare.png", ContentFile(image("PNG", size=(100, 100), noise=True)))
    settings.KONGRES_UPLOAD_MAX_BYTES = 1_000
    speaker.full_clean()  # no error


def test_uploaded_files_are_not_served_by_the_application_in_production(client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    (tmp_path / "news").mkdir()
    (tmp_path / "news" / "plakat.png").write_bytes(image("PNG"))
    settings.KONGRES_SERVE_MEDIA = False
    assert client.get("/media/news/plakat.png").status_code == 404
    settings.KONGRES_SERVE_MEDIA = True  # DEBUG, make demo, a site without nginx
    served = client.get("/media/news/plakat.png")
    assert served.status_code == 200
    assert served["X-Content-Type-Options"] == "nosniff"
    assert served["Content-Security-Policy"] == "default-src 'none'; sandbox"
