"""Calendar files (iCalendar, RFC 5545) for an edition and for a session.

Texts (summary, location, description) are in the active language, so a caller that renders for
someone else (a confirmation mail) activates their language first. UIDs are stable, so that a
second download updates the entry in the calendar instead of adding another one.
"""

from __future__ import annotations

import datetime as dt
import html
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.utils import timezone
from django.utils.html import strip_tags
from django.utils.translation import gettext
from icalendar import Calendar, Event, Timezone

from kongres.core.markdown import render_markdown
from kongres.events.models import Edition, Room, Session, Venue


def edition_calendar(*, edition: Edition) -> bytes:
    """One all-day event spanning the edition's days, at its venue."""
    event = Event()
    event.add("uid", _uid("edition", edition.pk))
    event.add("dtstamp", timezone.now())
    event.add("dtstart", edition.start_date)
    event.add("dtend", edition.end_date + dt.timedelta(days=1))  # DTEND of a date is exclusive
    event.add("summary", edition.title)
    if edition.venue is not None:
        event.add("location", venue_location(venue=edition.venue))
    url = _absolute(edition.get_absolute_url())
    event.add("description", "\n\n".join(part for part in (edition.lead, url) if part))
    event.add("url", url)
    event.add("transp", "TRANSPARENT")  # an all-day entry should not block the whole day
    calendar = _calendar()
    calendar.add_component(event)
    return calendar.to_ical()


def session_calendar(*, session: Session) -> bytes:
    """One timed event in the edition's time zone (with its VTIMEZONE), in the session's room."""
    return sessions_calendar(edition=session.edition, sessions=[session])


def sessions_calendar(
    *, edition: Edition, sessions: list[Session], name: str = "", feed: bool = False
) -> bytes:
    """Timed events, one per session, in the edition's time zone with its VTIMEZONE (RFC 5545):
    the whole programme, or a participant's agenda (``feed``: a calendar subscribed to, with
    its name and how often to read it again). The sessions' speakers should be prefetched."""
    zone = edition_zone(edition=edition)
    calendar = _calendar()
    if name:
        calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", str(zone))
    if feed:
        calendar.add("refresh-interval", dt.timedelta(hours=1), parameters={"VALUE": "DURATION"})
        calendar.add("x-published-ttl", "PT1H")
    for session in sessions:
        calendar.add_component(_session_event(session, edition, zone))
    year = (sessions[0].starts_at.astimezone(zone) if sessions else timezone.now()).year
    calendar.add_missing_timezones(
        first_date=dt.date(year, 1, 1), last_date=dt.date(year + 1, 1, 1)
    )
    if not sessions:  # no event to find it from: the zone named all the same
        calendar.add_component(
            Timezone.from_tzinfo(
                zone, first_date=dt.date(year, 1, 1), last_date=dt.date(year + 1, 1, 1)
            )
        )
    return calendar.to_ical()


def _session_event(session: Session, edition: Edition, zone: ZoneInfo) -> Event:
    event = Event()
    event.add("uid", _uid("session", session.pk))
    event.add("dtstamp", timezone.now())
    event.add("dtstart", session.starts_at.astimezone(zone))
    event.add("dtend", session.ends_at.astimezone(zone))
    event.add("summary", session.title)
    if edition.venue is not None:
        event.add("location", venue_location(venue=edition.venue, room=session.room))
    url = _absolute(session.get_absolute_url())
    people = ", ".join(speaker.name for speaker in session.speakers.all())
    lines = [
        edition.title,
        gettext("Speakers: %(names)s") % {"names": people} if people else "",
        _plain(session.description),
        url,
    ]
    event.add("description", "\n\n".join(line for line in lines if line))
    event.add("url", url)
    return event


def venue_location(*, venue: Venue, room: Room | None = None) -> str:
    """``Room, Venue, street, postal code city``: what a calendar shows as the place."""
    town = f"{venue.postal_code} {venue.city}".strip()
    parts = [room.name if room is not None else "", venue.name, venue.address, town]
    return ", ".join(part for part in parts if part)


def edition_zone(*, edition: Edition) -> ZoneInfo:
    """The edition's time zone; the site's when the edition names one that does not exist."""
    try:
        return ZoneInfo(edition.time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(settings.TIME_ZONE)


def _plain(markdown: str) -> str:
    """Markdown as the plain text a calendar shows."""
    return html.unescape(strip_tags(render_markdown(markdown))).strip()


def _calendar() -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", "-//kongres//kongres//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    return calendar


def _uid(kind: str, pk: int) -> str:
    return f"{kind}-{pk}@kongres"


def _absolute(path: str) -> str:
    return f"{settings.SITE_URL}{path}"
