import datetime as dt
import xml.etree.ElementTree as ET

import pytest
from django.utils import timezone

from kongres.content.models import NewsPost
from tests.factories import EditionFactory, NewsPostFactory

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"


def _parse(response):
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    return ET.fromstring(response.content)  # noqa: S314 -- our own response


def test_feed_has_edition_title_and_published_entries(client):
    edition = EditionFactory(
        title_pl="IV Kongres", title_en="4th Congress", motto_pl="Polska wielu prędkości?"
    )
    now = timezone.now()
    NewsPostFactory(
        edition=edition,
        slug="starszy",
        title_pl="Starszy & ważny",
        lead_pl="Wstęp <b>pierwszy</b>",
        published_at=now - dt.timedelta(days=2),
    )
    for slug, title, days in [("nowszy", "Nowszy", -1), ("przyszly", "Przyszły", 1)]:
        NewsPostFactory(
            edition=edition,
            slug=slug,
            title_pl=title,
            published_at=now + dt.timedelta(days=days),
        )

    feed = _parse(client.get("/aktualnosci/kanal.atom"))

    assert feed.tag == f"{ATOM}feed"
    assert feed.get("{http://www.w3.org/XML/1998/namespace}lang") == "pl"
    assert feed.findtext(f"{ATOM}title") == "IV Kongres: aktualności"
    assert feed.findtext(f"{ATOM}subtitle") == "Polska wielu prędkości?"
    assert feed.find(f"{ATOM}link[@rel='alternate']").get("href") == (
        "http://testserver/aktualnosci/"
    )
    assert feed.find(f"{ATOM}link[@rel='self']").get("href") == (
        "http://testserver/aktualnosci/kanal.atom"
    )
    entries = feed.findall(f"{ATOM}entry")
    assert [entry.findtext(f"{ATOM}title") for entry in entries] == ["Nowszy", "Starszy & ważny"]
    older = entries[1]
    assert older.find(f"{ATOM}link").get("href") == "http://testserver/aktualnosci/starszy/"
    assert older.findtext(f"{ATOM}summary") == "Wstęp &lt;b&gt;pierwszy&lt;/b&gt;"
    assert older.findtext(f"{ATOM}published")
    assert older.findtext(f"{ATOM}updated")
    assert dt.datetime.fromisoformat(older.findtext(f"{ATOM}published")) == (
        NewsPost.objects.get(slug="starszy").published_at
    )


def test_feed_in_english(client):
    edition = EditionFactory(title_pl="IV Kongres", title_en="4th Congress")
    NewsPostFactory(edition=edition, slug="wpis", title_pl="Wpis", title_en="Post")
    NewsPostFactory(edition=edition, slug="tylko-pl", title_pl="Tylko polski", title_en="")

    feed = _parse(client.get("/en/news/feed.atom"))

    assert feed.get("{http://www.w3.org/XML/1998/namespace}lang") == "en"
    assert feed.findtext(f"{ATOM}title") == "4th Congress: news"
    links = {
        e.findtext(f"{ATOM}title"): e.find(f"{ATOM}link").get("href")
        for e in feed.findall(f"{ATOM}entry")
    }
    assert links == {
        "Post": "http://testserver/en/news/wpis/",
        "Tylko polski": "http://testserver/en/news/tylko-pl/",
    }


def test_feed_has_latest_twenty(client):
    now = timezone.now()
    for number in range(22):
        NewsPostFactory(
            title_pl=f"Wpis {number}", published_at=now - dt.timedelta(hours=number + 1)
        )

    entries = _parse(client.get("/aktualnosci/kanal.atom")).findall(f"{ATOM}entry")

    assert len(entries) == 20
    assert entries[0].findtext(f"{ATOM}title") == "Wpis 0"
    assert entries[-1].findtext(f"{ATOM}title") == "Wpis 19"


def test_feed_without_edition_or_posts(client):
    feed = _parse(client.get("/en/news/feed.atom"))
    assert feed.findtext(f"{ATOM}title") == "News"
    assert feed.findall(f"{ATOM}entry") == []


def test_pages_link_the_feed(client):
    text = client.get("/aktualnosci/").text
    assert (
        '<link rel="alternate" type="application/atom+xml" title="Aktualności" '
        'href="/aktualnosci/kanal.atom">'
    ) in text
