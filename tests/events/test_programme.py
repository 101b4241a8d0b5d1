import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.events.conftest import page_text
from tests.factories import RoomFactory, SessionFactory, SpeakerFactory, TrackFactory


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


@pytest.fixture
def programme(edition):
    """Two days; two tracks; two rooms; three sessions (two of them at the same time)."""
    day1, day2 = edition.start_date, edition.end_date
    revit = TrackFactory(
        edition=edition, name_pl="Rewitalizacja", name_en="Regeneration", slug="rewi"
    )
    smart = TrackFactory(edition=edition, name_pl="Smart City", name_en="Smart City", slug="smart")
    hall = RoomFactory(
        venue=edition.venue, name_pl="Sala Główna", name_en="Main Hall", slug="glowna"
    )
    small = RoomFactory(venue=edition.venue, name_pl="Sala B", name_en="Room B", slug="b")
    opening = SessionFactory(
        edition=edition,
        title_pl="Otwarcie kongresu",
        title_en="Opening of the congress",
        kind="plenary",
        track=None,
        room=hall,
        starts_at=at(day1, 9),
        ends_at=at(day1, 9, 45),
    )
    regeneration = SessionFactory(
        edition=edition,
        title_pl="Rewitalizacja miast średnich",
        title_en="Regenerating medium-sized towns",
        track=revit,
        room=hall,
        starts_at=at(day1, 10),
        ends_at=at(day1, 11, 30),
    )
    smart_city = SessionFactory(
        edition=edition,
        title_pl="Miasta inteligentne",
        title_en="Smart cities",
        track=smart,
        room=small,
        starts_at=at(day1, 10),
        ends_at=at(day1, 11),
    )
    closing = SessionFactory(
        edition=edition,
        title_pl="Podsumowanie",
        title_en="Wrap-up",
        kind="plenary",
        track=revit,
        room=small,
        starts_at=at(day2, 15),
        ends_at=at(day2, 16),
    )
    regeneration.speakers.add(SpeakerFactory(name="Anna Nowak", slug="anna-nowak"))
    regeneration.moderators.add(SpeakerFactory(name="Jan Kowalski", slug="jan-kowalski"))
    return {
        "sessions": [opening, regeneration, smart_city, closing],
        "tracks": [revit, smart],
        "rooms": [hall, small],
    }


def test_programme_groups_by_day_then_time(client, programme):
    response = client.get("/program/")
    text = page_text(response)
    assert response.status_code == 200
    assert text.count("<h1>") == 0 and response.text.count("<h1>") == 1
    assert "Czwartek, 7 października 2027 09:00 Otwarcie kongresu" in text
    assert "10:00 Rewitalizacja miast średnich" in text
    assert text.index("Rewitalizacja miast średnich") < text.index("Miasta inteligentne")
    assert "Piątek, 8 października 2027 15:00 Podsumowanie" in text
    assert response.text.count('<h3 class="slot__time">') == 3  # 9:00, 10:00 on day 1; 15:00


def test_programme_shows_each_session_details_in_polish(client, programme):
    response = client.get("/program/")
    text = page_text(response)
    assert (
        "Rewitalizacja miast średnich Godzina 10:00\N{EN DASH}11:30 Rodzaj Panel dyskusyjny "
        "Panel tematyczny Rewitalizacja Sala Sala Główna Prelegenci Anna Nowak "
        "Moderatorzy Jan Kowalski"
    ) in text
    assert (
        "Otwarcie kongresu Godzina 09:00\N{EN DASH}09:45 Rodzaj Sesja plenarna Sala Sala Główna"
        in text
    )
    session = programme["sessions"][1]
    assert f'<a href="{session.get_absolute_url()}">Rewitalizacja miast średnich</a>' in (
        response.text
    )
    assert '<a href="/prelegenci/anna-nowak/">Anna Nowak</a>' in response.text
    assert '<time datetime="2027-10-07T10:00:00+0200">10:00</time>' in response.text


def test_programme_in_english(client, programme):
    response = client.get("/en/programme/")
    text = page_text(response)
    assert "Thursday, 7 October 2027 09:00 Opening of the congress" in text
    assert (
        "Regenerating medium-sized towns Time 10:00\N{EN DASH}11:30 Kind Panel "
        "Thematic panel Regeneration Room Main Hall Speakers Anna Nowak Moderators Jan Kowalski"
    ) in text
    assert '<a href="/en/programme/regenerating' not in response.text  # slugs stay Polish
    assert f'<a href="/en/programme/{programme["sessions"][1].slug}/">' in response.text


def test_programme_filter_form_works_without_javascript(client, programme):
    response = client.get("/en/programme/")
    html = response.text
    assert '<form class="filters" method="get" action="/en/programme/">' in html
    assert '<label for="filter-day">Day</label>' in html
    assert '<select id="filter-day" name="day">' in html
    assert '<option value="2027-10-07">Thursday, 7 October</option>' in html
    assert '<option value="rewi">Regeneration</option>' in html
    assert '<option value="glowna">Main Hall</option>' in html
    assert '<button class="button" type="submit">Show</button>' in html
    assert "Showing only:" not in page_text(response)


def test_programme_filter_by_day(client, programme):
    response = client.get("/program/", {"day": "2027-10-08"})
    text = page_text(response)
    assert "Podsumowanie" in text
    assert "Otwarcie kongresu" not in text
    assert "Pokazano tylko: dzień: Piątek, 8 października Pokaż wszystko" in text
    assert '<a href="/program/">Pokaż wszystko</a>' in response.text
    assert '<option value="2027-10-08" selected>' in response.text


def test_programme_filter_by_track(client, programme):
    response = client.get("/en/programme/", {"track": "rewi"})
    text = page_text(response)
    assert "Regenerating medium-sized towns" in text
    assert "Wrap-up" in text
    assert "Smart cities" not in text
    assert "Opening of the congress" not in text
    assert "Showing only: thematic panel: Regeneration Show all" in text
    assert '<option value="rewi" selected>' in response.text


def test_programme_filter_by_room(client, programme):
    response = client.get("/en/programme/", {"room": "b"})
    text = page_text(response)
    assert "Smart cities" in text
    assert "Wrap-up" in text
    assert "Regenerating medium-sized towns" not in text
    assert "Showing only: room: Room B Show all" in text


def test_programme_filters_combine(client, programme):
    response = client.get("/en/programme/", {"day": "2027-10-07", "track": "rewi", "room": "b"})
    text = page_text(response)
    assert "No sessions match the chosen filters." in text
    assert (
        "Showing only: day: Thursday, 7 October thematic panel: Regeneration room: Room B" in text
    )


@pytest.mark.parametrize(
    "query",
    [
        {"day": "2027-13-45"},
        {"day": "not-a-date"},
        {"day": "2030-01-01"},
        {"track": "nope"},
        {"room": "nope"},
        {"track": ""},
        {"day": "2027-10-07T10:00", "track": "<script>", "room": "%00"},
    ],
)
def test_programme_ignores_unknown_filter_values(client, programme, query):
    response = client.get("/en/programme/", query)
    text = page_text(response)
    assert response.status_code == 200
    assert "Showing only:" not in text
    for title in ["Opening of the congress", "Smart cities", "Wrap-up"]:
        assert title in text


def test_programme_an_unknown_value_does_not_cancel_a_known_one(client, programme):
    text = page_text(client.get("/en/programme/", {"track": "smart", "room": "nope"}))
    assert "Showing only: thematic panel: Smart City Show all" in text
    assert "Smart cities" in text
    assert "Wrap-up" not in text


def test_programme_falls_back_to_polish_marked_as_such(client, programme):
    session = programme["sessions"][0]
    session.title_en = ""
    session.save()
    response = client.get("/en/programme/")
    assert (
        f'<a href="{session.get_absolute_url().replace("/program/", "/en/programme/")}">'
        '<span lang="pl">Otwarcie kongresu</span></a>'
    ) in response.text


def test_programme_times_are_in_the_edition_time_zone(client, programme, settings):
    settings.TIME_ZONE = "UTC"
    response = client.get("/program/")
    assert "Czwartek, 7 października 2027 09:00 Otwarcie kongresu" in page_text(response)


def test_programme_without_edition_is_a_friendly_page(client, db):
    response = client.get("/en/programme/")
    assert response.status_code == 200
    assert "The programme will be published here." in page_text(response)


def test_programme_empty_edition_says_it_will_be_published(client, edition):
    response = client.get("/program/")
    assert "Program zostanie opublikowany na tej stronie." in page_text(response)


def test_programme_url_is_translated(db):
    assert reverse("events:programme") == "/program/"


@pytest.mark.parametrize("count", [1, 3])
def test_programme_queries_do_not_grow_with_sessions(
    client, edition, django_assert_num_queries, count
):
    for n in range(count):
        session = SessionFactory(edition=edition, title_pl=f"Sesja numer {n}")
        session.speakers.add(SpeakerFactory(), SpeakerFactory())
        session.moderators.add(SpeakerFactory())
    # edition, days, tracks, rooms, sessions, speakers, moderators
    with django_assert_num_queries(7):
        response = client.get("/program/", {"day": edition.start_date.isoformat()})
    text = page_text(response)
    assert all(f"Sesja numer {n}" in text for n in range(count))
