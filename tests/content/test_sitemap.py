import xml.etree.ElementTree as ET

import pytest

from kongres.content.models import Page
from kongres.events.models import Edition
from tests.factories import (
    EditionFactory,
    NewsPostFactory,
    PageFactory,
    SessionFactory,
    SpeakerFactory,
)

pytestmark = pytest.mark.django_db

SM = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
XHTML = "{http://www.w3.org/1999/xhtml}"


def _sitemap(client) -> dict[str, dict[str, str]]:
    """Each <loc> with its alternates, {hreflang: href}."""
    response = client.get("/sitemap.xml")
    assert response.status_code == 200
    root = ET.fromstring(response.content)  # noqa: S314 -- our own response
    return {
        url.findtext(f"{SM}loc"): {
            link.get("hreflang"): link.get("href") for link in url.findall(f"{XHTML}link")
        }
        for url in root.findall(f"{SM}url")
    }


def test_sitemap_lists_home_in_both_languages_with_alternates(client):
    EditionFactory()

    urls = _sitemap(client)

    alternates = {
        "pl": "http://testserver/",
        "en": "http://testserver/en/",
        "x-default": "http://testserver/",
    }
    assert urls["http://testserver/"] == alternates
    assert urls["http://testserver/en/"] == alternates
    assert "http://testserver/aktualnosci/" in urls
    assert urls["http://testserver/en/news/"]["pl"] == "http://testserver/aktualnosci/"


def test_sitemap_lists_published_news_and_sessions(client):
    edition = EditionFactory()
    NewsPostFactory(edition=edition, slug="ogloszenie")
    NewsPostFactory(edition=edition, slug="szkic", published_at=None)
    session = SessionFactory(edition=edition, slug="rewitalizacja")
    speaker = SpeakerFactory(slug="jan-kowalski")
    session.speakers.add(speaker)

    urls = _sitemap(client)

    assert urls["http://testserver/aktualnosci/ogloszenie/"] == {
        "pl": "http://testserver/aktualnosci/ogloszenie/",
        "en": "http://testserver/en/news/ogloszenie/",
        "x-default": "http://testserver/aktualnosci/ogloszenie/",
    }
    assert "http://testserver/en/news/ogloszenie/" in urls
    assert not [url for url in urls if "szkic" in url]
    session_urls = [url for url in urls if url.endswith("/rewitalizacja/")]
    assert len(session_urls) == 2
    assert any(url.startswith("http://testserver/en/") for url in session_urls)
    assert len([url for url in urls if url.endswith("/jan-kowalski/")]) == 2
    assert len([url for url in urls if url.endswith(f"/{edition.slug}/")]) == 2


def test_sitemap_lists_only_published_pages(client):
    PageFactory(kind=Page.Kind.PRIVACY, slug="prywatnosc")
    PageFactory(slug="dojazd")
    PageFactory(slug="ukryta", is_published=False)

    urls = _sitemap(client)

    assert "http://testserver/polityka-prywatnosci/" in urls
    assert "http://testserver/en/privacy/" in urls
    assert "http://testserver/strony/dojazd/" in urls
    assert "http://testserver/en/pages/dojazd/" in urls
    assert not [url for url in urls if "ukryta" in url]
    assert "http://testserver/deklaracja-dostepnosci/" not in urls  # no such page yet


def test_sitemap_leaves_out_draft_editions_sessions(client):
    draft = EditionFactory(status=Edition.Status.DRAFT, slug="szkic-edycji")
    SessionFactory(edition=draft, slug="sesja-szkicu")

    urls = _sitemap(client)

    assert not [url for url in urls if "szkic" in url]


def test_sitemap_x_default_is_the_polish_address_even_with_pl_in_it(client):
    PageFactory(slug="pl")

    urls = _sitemap(client)

    assert urls["http://testserver/en/pages/pl/"] == {
        "pl": "http://testserver/strony/pl/",
        "en": "http://testserver/en/pages/pl/",
        "x-default": "http://testserver/strony/pl/",
    }
