"""Uploaded files go through Django's storage API (``STORAGES["default"]``), never a path on
one machine's disk: with another storage (here Django's in-memory one, standing for an object
store several app servers share) nothing is written under MEDIA_ROOT and the pages link the
storage's own addresses."""

import io

from django.core.files.base import ContentFile
from django.core.files.storage import storages
from PIL import Image

from tests.factories import EditionFactory, SessionFactory, SpeakerFactory


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "white").save(buffer, "PNG")
    return buffer.getvalue()


def test_uploads_use_the_configured_storage(client, db, settings):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.InMemoryStorage",
            "OPTIONS": {"base_url": "https://files.example.org/kongres/"},
        },
    }
    edition = EditionFactory()
    speaker = SpeakerFactory(name="Anna Nowak", slug="anna-nowak")
    SessionFactory(edition=edition, slug="rewi").speakers.add(speaker)
    speaker.photo.save("anna.png", ContentFile(png()))
    assert storages["default"].exists(speaker.photo.name)
    assert not settings.MEDIA_ROOT.exists() or not any(settings.MEDIA_ROOT.rglob("*.png"))
    response = client.get("/prelegenci/anna-nowak/")
    assert f'src="https://files.example.org/kongres/{speaker.photo.name}"' in response.text
