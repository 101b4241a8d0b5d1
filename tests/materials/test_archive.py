"""The archive: every public edition keeps its home, programme, sessions, speakers, news,
materials and recordings at its own stable addresses (``/archiwum/<edition>/…``,
``/en/archive/<edition>/…``), with the same templates as the current edition's pages and a
constant number of queries; the current edition's pages stay where they are; the sitemap and
the feeds cover the archive."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kongres.events.models import Edition
from kongres.materials.services import material_approve, material_submit
from tests.factories import EditionFactory, NewsPostFactory, SessionFactory, SpeakerFactory
from tests.materials.files import pdf_bytes, upload

SM = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


@pytest.fixture
def editions(db):
    today = timezone.localdate()
    past = EditionFactory(
        slug="iii",
        title_pl="III Kongres",
        title_en="3rd Congress",
        status=Edition.Status.ARCHIVED,
        start_date=today - dt.timedelta(days=365),
        end_date=today - dt.timedelta(days=364),
    )
    current = EditionFactory(slug="iv", title_pl="IV Kongres", title_en="4th Congress")
    old_session = SessionFactory(
        edition=past, slug="rewitalizacja", title_pl="Rewitalizacja 2025", title_en="Renewal 2025"
    )
    speaker = SpeakerFactory(slug="anna-nowak", name="Anna Nowak")
    old_session.speakers.add(speaker)
    SessionFactory(edition=current, slug="smart-city", title_pl="Smart City 2026")
    NewsPostFactory(edition=past, slug="stara-wiadomosc", title_pl="Relacja z III Kongresu")
    NewsPostFactory(edition=current, slug="nowa-wiadomosc", title_pl="Zapraszamy na IV")
    material = material_submit(
        session=old_session, title="Slajdy z 2025", file=upload("s.pdf", pdf_bytes())
    )
    material_approve(material=material, actor=None)
    material_submit(session=old_session, title="Jeszcze nie", url="https://example.org/x")
    return {"past": past, "current": current, "session": old_session, "material": material}


@pytest.mark.parametrize(
    ("url", "expected", "absent"),
    [
        ("/archiwum/iii/", ["III Kongres", "Relacja z III Kongresu"], ["Zapraszamy na IV"]),
        (
            "/archiwum/iii/program/",
            ["Rewitalizacja 2025", "/archiwum/iii/program/rewitalizacja/"],
            ["Smart City 2026"],
        ),
        (
            "/archiwum/iii/program/rewitalizacja/",
            ["Rewitalizacja 2025", "Slajdy z 2025", "PDF", "/archiwum/iii/prelegenci/anna-nowak/"],
            ["Jeszcze nie"],
        ),
        ("/archiwum/iii/prelegenci/", ["Anna Nowak", "/archiwum/iii/program/rewitalizacja/"], []),
        ("/archiwum/iii/prelegenci/anna-nowak/", ["Anna Nowak", "Rewitalizacja 2025"], []),
        ("/archiwum/iii/aktualnosci/", ["Relacja z III Kongresu"], ["Zapraszamy na IV"]),
        ("/archiwum/iii/materialy/", ["Slajdy z 2025", "Rewitalizacja 2025"], ["Jeszcze nie"]),
        (
            "/en/archive/iii/programme/",
            ["Renewal 2025", "/en/archive/iii/programme/rewitalizacja/"],
            [],
        ),
        ("/en/archive/iii/materials/", ["Renewal 2025", "Slajdy z 2025"], []),
        ("/en/archive/iii/news/", ["/en/archive/iii/news/feed.atom"], []),
    ],
)
def test_archive_pages_show_the_past_edition(client, editions, url, expected, absent):
    response = client.get(url)
    assert response.status_code == 200, url
    for text in expected:
        assert text in response.text, (url, text)
    for text in absent:
        assert text not in response.text, (url, text)


def test_current_edition_pages_stay_where_they_are(client, editions):
    assert "Smart City 2026" in client.get("/program/").text
    assert "Rewitalizacja 2025" not in client.get("/program/").text
    assert client.get("/program/rewitalizacja/").status_code == 404  # the past one's session
    archive = client.get("/archiwum/").text
    assert 'href="/archiwum/iii/"' in archive and 'href="/"' in archive


def test_unknown_or_draft_edition_is_404(client, editions):
    EditionFactory(slug="szkic", status=Edition.Status.DRAFT)
    assert client.get("/archiwum/nie-ma/").status_code == 404
    assert client.get("/archiwum/szkic/program/").status_code == 404
    assert client.get("/archiwum/iii/program/smart-city/").status_code == 404  # another's


def test_archive_news_feed(client, editions):
    response = client.get("/archiwum/iii/aktualnosci/feed.atom")
    assert response.status_code == 200
    assert "Relacja z III Kongresu" in response.text
    assert "Zapraszamy na IV" not in response.text


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize(
    "url",
    [
        "/archiwum/iii/",
        "/archiwum/iii/program/",
        "/archiwum/iii/prelegenci/",
        "/archiwum/iii/aktualnosci/",
        "/archiwum/iii/materialy/",
    ],
)
def test_archive_pages_take_a_constant_number_of_queries(
    client, editions, django_assert_num_queries, settings, url
):
    settings.PUBLIC_CACHE_SECONDS = 0  # every request renders the page
    before = _queries(client, url)
    past = editions["past"]
    for n in range(5):
        session = SessionFactory(edition=past, slug=f"dodatkowa-{n}")
        session.speakers.add(SpeakerFactory(slug=f"prelegent-{n}"))
        material = material_submit(
            session=session, title=f"Nagranie {n}", url=f"https://example.org/{n}"
        )
        material_approve(material=material, actor=None)
        NewsPostFactory(edition=past, slug=f"wiadomosc-{n}")
    with django_assert_num_queries(before):
        client.get(url)


def test_sitemap_covers_the_archive(client, editions):
    root = ET.fromstring(client.get("/sitemap.xml").content)  # noqa: S314 -- our own response
    locations = {url.findtext(f"{SM}loc") for url in root.findall(f"{SM}url")}
    for path in (
        "/archiwum/iii/",
        "/archiwum/iii/program/",
        "/archiwum/iii/prelegenci/",
        "/archiwum/iii/aktualnosci/",
        "/archiwum/iii/materialy/",
        "/archiwum/iii/program/rewitalizacja/",
        "/archiwum/iii/prelegenci/anna-nowak/",
        "/en/archive/iii/programme/rewitalizacja/",
    ):
        assert f"http://testserver{path}" in locations, path
    assert not any("/archiwum/iv/" in location for location in locations)  # current: own pages
