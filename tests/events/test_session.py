import datetime as dt

import pytest
from django.utils import timezone

from kongres.events.models import Edition
from tests.events.conftest import page_text
from tests.factories import (
    EditionFactory,
    RoomFactory,
    SessionFactory,
    SpeakerFactory,
    TrackFactory,
)


@pytest.fixture
def session(edition):
    room = RoomFactory(
        venue=edition.venue,
        name_pl="Sala Kongresowa",
        name_en="Congress Hall",
        slug="kongresowa",
        accessibility_pl="Wejście bez progów, pętla indukcyjna",
        accessibility_en="Step-free entrance, induction loop",
    )
    track = TrackFactory(
        edition=edition, name_pl="Metropolie", name_en="Metropolises", slug="metro"
    )
    session = SessionFactory(
        edition=edition,
        title_pl="Metropolie i ośrodki regionalne",
        title_en="Metropolises and regional centres",
        slug="metropolie",
        description_pl="Rozmowa o **sieci** miast.",
        description_en="A talk about the **network** of cities.",
        room=room,
        track=track,
        starts_at=timezone.make_aware(dt.datetime(2027, 10, 7, 14, 0)),
        ends_at=timezone.make_aware(dt.datetime(2027, 10, 7, 15, 30)),
    )
    session.speakers.add(
        SpeakerFactory(name="Anna Nowak", slug="anna-nowak", affiliation_pl="Uniwersytet")
    )
    session.moderators.add(SpeakerFactory(name="Jan Kowalski", slug="jan-kowalski"))
    return session


def test_session_page_in_polish(client, session):
    response = client.get("/program/metropolie/")
    text = page_text(response)
    assert response.status_code == 200
    assert "<h1>Metropolie i ośrodki regionalne</h1>" in response.text
    assert "Kiedy Czwartek, 7 października 2027, 14:00\N{EN DASH}15:30" in text
    assert (
        "Sala Sala Kongresowa, Centrum Konferencyjne Fabryczna 13 "
        "Dostępność: Wejście bez progów, pętla indukcyjna"
    ) in text
    assert "Panel tematyczny Metropolie Rodzaj Panel dyskusyjny Język Polski" in text
    assert "O sesji Rozmowa o sieci miast." in text
    assert "Rozmowa o <strong>sieci</strong> miast." in response.text
    assert "Prelegenci Anna Nowak, Uniwersytet Moderatorzy Jan Kowalski" in text
    assert '<a href="/prelegenci/anna-nowak/">Anna Nowak</a>' in response.text
    assert '<a href="/prelegenci/jan-kowalski/">Jan Kowalski</a>' in response.text
    assert '<a href="/program/?track=metro">Metropolie</a>' in response.text
    assert 'href="/program/metropolie.ics"' in response.text
    assert "Dodaj do kalendarza" in text
    assert "<title>Metropolie i ośrodki regionalne ·" in response.text


def test_session_page_in_english(client, session):
    response = client.get("/en/programme/metropolie/")
    text = page_text(response)
    assert "<h1>Metropolises and regional centres</h1>" in response.text
    assert "When Thursday, 7 October 2027, 14:00\N{EN DASH}15:30" in text
    assert "Room Congress Hall, Centrum Konferencyjne Fabryczna 13" in text
    assert "Accessibility: Step-free entrance, induction loop" in text
    assert "Thematic panel Metropolises Kind Panel Language Polish" in text
    assert "A talk about the <strong>network</strong> of cities." in response.text
    assert 'href="/en/programme/metropolie.ics"' in response.text
    assert '<a href="/en/speakers/anna-nowak/">Anna Nowak</a>' in response.text


def test_session_without_english_title_shows_polish_marked(client, session):
    session.title_en = ""
    session.description_en = ""
    session.save()
    response = client.get("/en/programme/metropolie/")
    assert '<h1><span lang="pl">Metropolie i ośrodki regionalne</span></h1>' in response.text
    assert '<div lang="pl"><p>Rozmowa o <strong>sieci</strong> miast.</p></div>' in response.text
    # the <title> cannot hold markup: the Polish text is there as plain text
    assert "<title>Metropolie i ośrodki regionalne ·" in response.text


def test_session_unknown_slug_is_404(client, edition):
    assert client.get("/program/nie-ma/").status_code == 404
    assert client.get("/en/programme/nie-ma/").status_code == 404


def test_session_of_another_edition_is_404(client, edition):
    old = EditionFactory(
        status=Edition.Status.ARCHIVED,
        start_date=dt.date(2024, 10, 7),
        end_date=dt.date(2024, 10, 8),
    )
    SessionFactory(edition=old, slug="stara-sesja")
    assert client.get("/program/stara-sesja/").status_code == 404
    assert client.get("/program/stara-sesja.ics").status_code == 404


def test_session_without_any_edition_is_404(client, db):
    assert client.get("/program/cokolwiek/").status_code == 404
