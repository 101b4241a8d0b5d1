import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone, translation
from icalendar import Calendar

from kongres.events.ics import edition_calendar, session_calendar
from kongres.events.models import Edition
from tests.factories import EditionFactory, RoomFactory, SessionFactory, SpeakerFactory

WARSAW = ZoneInfo("Europe/Warsaw")


def only_event(body: bytes):
    calendar = Calendar.from_ical(body)
    events = calendar.walk("VEVENT")
    assert len(events) == 1
    return calendar, events[0]


@pytest.fixture
def session(edition):
    room = RoomFactory(venue=edition.venue, name_pl="Sala A", name_en="Hall A")
    session = SessionFactory(
        edition=edition,
        title_pl="Smart City w praktyce",
        title_en="Smart City in practice",
        slug="smart-city",
        description_pl="Rozmowa o **danych**.",
        room=room,
        starts_at=dt.datetime(2027, 10, 7, 10, 0, tzinfo=WARSAW),
        ends_at=dt.datetime(2027, 10, 7, 11, 30, tzinfo=WARSAW),
    )
    session.speakers.add(SpeakerFactory(name="Anna Nowak"))
    return session


def test_session_ics_download(client, session):
    response = client.get("/program/smart-city.ics")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="smart-city.ics"'
    calendar, event = only_event(response.content)
    assert str(event["SUMMARY"]) == "Smart City w praktyce"
    assert event.start == dt.datetime(2027, 10, 7, 10, 0, tzinfo=WARSAW)
    assert event.end == dt.datetime(2027, 10, 7, 11, 30, tzinfo=WARSAW)
    assert event["DTSTART"].params["TZID"] == "Europe/Warsaw"
    assert [str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")] == ["Europe/Warsaw"]
    assert str(event["LOCATION"]) == (
        "Sala A, Centrum Konferencyjne Fabryczna 13, ul. Testowa 1, 00-001 Kraków"
    )
    assert str(event["UID"]) == f"session-{session.pk}@kongres"
    assert event.decoded("DTSTAMP").tzinfo is not None
    assert str(event["URL"]) == "http://127.0.0.1:8000/program/smart-city/"
    assert "Prelegenci: Anna Nowak" in str(event["DESCRIPTION"])
    assert "Rozmowa o danych." in str(event["DESCRIPTION"])  # Markdown as plain text


def test_session_ics_in_english(client, session):
    response = client.get("/en/programme/smart-city.ics")
    _calendar, event = only_event(response.content)
    assert str(event["SUMMARY"]) == "Smart City in practice"
    assert str(event["LOCATION"]).startswith("Hall A, Centrum Konferencyjne Fabryczna 13")
    assert str(event["URL"]) == "http://127.0.0.1:8000/en/programme/smart-city/"
    assert "Speakers: Anna Nowak" in str(event["DESCRIPTION"])


def test_session_uid_is_stable(session):
    first = only_event(session_calendar(session=session))[1]
    second = only_event(session_calendar(session=session))[1]
    assert first["UID"] == second["UID"]


def test_session_ics_times_do_not_depend_on_the_server_time_zone(client, session, settings):
    settings.TIME_ZONE = "UTC"
    _calendar, event = only_event(client.get("/program/smart-city.ics").content)
    assert event.start == dt.datetime(2027, 10, 7, 10, 0, tzinfo=WARSAW)
    assert event["DTSTART"].params["TZID"] == "Europe/Warsaw"


def test_edition_ics_download(client, edition):
    response = client.get(f"/edycje/{edition.slug}.ics")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="{edition.slug}.ics"'
    _calendar, event = only_event(response.content)
    assert str(event["SUMMARY"]) == "IV Kongres Polityki Miejskiej"
    assert event.decoded("DTSTART") == dt.date(2027, 10, 7)
    assert event.decoded("DTEND") == dt.date(2027, 10, 9)  # exclusive: the day after the last
    assert str(event["LOCATION"]) == (
        "Centrum Konferencyjne Fabryczna 13, ul. Testowa 1, 00-001 Kraków"
    )
    assert str(event["UID"]) == f"edition-{edition.pk}@kongres"
    assert str(event["URL"]) == f"http://127.0.0.1:8000/edycje/{edition.slug}/"


def test_edition_calendar_in_the_active_language(edition):
    """What the registration mail attaches: the recipient's language is activated first."""
    with translation.override("en"):
        body = edition_calendar(edition=edition)
    _calendar, event = only_event(body)
    assert str(event["SUMMARY"]) == "4th Urban Policy Congress"
    assert str(event["LOCATION"]).endswith("00-001 Krakow")
    assert str(event["URL"]).endswith(f"/en/editions/{edition.slug}/")


def test_edition_calendar_without_venue(db):
    edition = EditionFactory(venue=None, title_pl="Kongres online")
    _calendar, event = only_event(edition_calendar(edition=edition))
    assert str(event["SUMMARY"]) == "Kongres online"
    assert "LOCATION" not in event


def test_edition_ics_of_a_past_edition_is_available(client, edition):
    old = EditionFactory(
        status=Edition.Status.ARCHIVED,
        start_date=dt.date(2024, 10, 7),
        end_date=dt.date(2024, 10, 8),
        title_pl="III Kongres",
    )
    _calendar, event = only_event(client.get(f"/edycje/{old.slug}.ics").content)
    assert str(event["SUMMARY"]) == "III Kongres"


def test_edition_ics_of_a_draft_or_unknown_edition_is_404(client, edition):
    draft = EditionFactory(status=Edition.Status.DRAFT)
    assert client.get(f"/edycje/{draft.slug}.ics").status_code == 404
    assert client.get("/edycje/nie-ma.ics").status_code == 404


def test_session_ics_with_edition_time_zone_set(client, session):
    session.edition.time_zone = "Europe/Lisbon"
    session.edition.save()
    _calendar, event = only_event(client.get("/program/smart-city.ics").content)
    assert event["DTSTART"].params["TZID"] == "Europe/Lisbon"
    assert event.start == timezone.make_aware(dt.datetime(2027, 10, 7, 10, 0))  # same instant
