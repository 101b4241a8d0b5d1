"""Public reads, no token: the same data as the public pages, through the same selectors, cached
the same way as the pages: the whole answer by ``PublicPageCacheMiddleware`` (per address and
``Accept-Language`` language; ``public_page_mark``), the data under the content generation
(``core.cache.memoized``) for requests the page cache does not serve; an edit shows at once,
the clock within ``PUBLIC_CACHE_SECONDS``. Titles and texts come in the
``Accept-Language`` language (Polish by default)."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import get_language
from ninja import Field, Router, Schema

from kongres.api.errors import COMMON, not_found
from kongres.content.selectors import news_published
from kongres.core.cache import memoized, public_page_mark
from kongres.events import selectors
from kongres.events.ics import edition_zone
from kongres.events.models import Edition
from kongres.registration.sessions import places_seconds, session_places_taken

router = Router(tags=["public"])

NEWS_LIMIT = 50


class EditionOut(Schema):
    slug: str
    ordinal: int
    title: str
    motto: str
    lead: str
    start_date: dt.date
    end_date: dt.date
    time_zone: str
    status: str
    host_city: str
    venue: str | None
    registration_opens_at: dt.datetime | None
    registration_closes_at: dt.datetime | None
    url: str


class DayOut(Schema):
    id: int
    date: dt.date
    name: str


class RoomOut(Schema):
    id: int
    slug: str
    name: str
    capacity: int | None
    accessibility: str


class TrackOut(Schema):
    id: int
    slug: str
    name: str
    description: str


class PersonOut(Schema):
    slug: str
    name: str
    affiliation: str


class SessionOut(Schema):
    slug: str
    title: str
    description: str
    kind: str
    language: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    track: str | None
    room: str | None
    capacity: int | None
    signup: str = Field(description="open (no sign-up), signup or required")
    places: int | None = Field(
        description="places left where the session takes sign-ups and has a limit, else null; "
        "at most a few seconds old"
    )
    speakers: list[PersonOut]
    moderators: list[PersonOut]


class SpeakerOut(Schema):
    slug: str
    name: str
    affiliation: str
    bio: str
    sessions: list[str]
    moderated_sessions: list[str]


class NewsOut(Schema):
    slug: str
    title: str
    lead: str
    body: str
    published_at: dt.datetime
    edition: str | None


def _cached[T](name: str, load: Callable[[], T], *arguments: object) -> T:
    """``load()`` kept under the content generation, per language and the operation's parsed
    arguments (never the raw query string: parameters nobody reads cannot fill the cache)."""
    digest = hashlib.sha256(repr(arguments).encode()).hexdigest()[:32]
    return memoized(f"api:{get_language()}:{name}:{digest}", load)


def _edition(slug: str) -> Edition:
    edition = selectors.edition_get(slug=slug)
    if edition is None:
        raise not_found()
    return edition


def _edition_out(edition: Edition) -> dict:
    return {
        "slug": edition.slug,
        "ordinal": edition.ordinal,
        "title": edition.title,
        "motto": edition.motto,
        "lead": edition.lead,
        "start_date": edition.start_date,
        "end_date": edition.end_date,
        "time_zone": edition.time_zone,
        "status": edition.status,
        "host_city": edition.host_city,
        "venue": edition.venue.name if edition.venue else None,
        "registration_opens_at": edition.registration_opens_at,
        "registration_closes_at": edition.registration_closes_at,
        "url": edition.get_absolute_url(),
    }


def _person(speaker) -> dict:
    return {"slug": speaker.slug, "name": speaker.name, "affiliation": speaker.affiliation}


@router.get("/editions", response={200: list[EditionOut], **COMMON})
def edition_list(request: HttpRequest):
    """Every edition that is not a draft, newest first."""
    public_page_mark(request)
    return _cached(
        "editions", lambda: [_edition_out(edition) for edition in selectors.edition_public_list()]
    )


@router.get("/editions/{slug}", response={200: EditionOut, **COMMON})
def edition_detail(request: HttpRequest, slug: str):
    public_page_mark(request)
    return _cached("edition", lambda: _edition_out(_edition(slug)), slug)


@router.get("/editions/{slug}/days", response={200: list[DayOut], **COMMON})
def day_list(request: HttpRequest, slug: str):
    public_page_mark(request)

    def load():
        edition = _edition(slug)
        return [
            {"id": day.pk, "date": day.date, "name": day.name}
            for day in selectors.edition_days(edition=edition)
        ]

    return _cached("days", load, slug)


@router.get("/editions/{slug}/rooms", response={200: list[RoomOut], **COMMON})
def room_list(request: HttpRequest, slug: str):
    public_page_mark(request)

    def load():
        edition = _edition(slug)
        return [
            {
                "id": room.pk,
                "slug": room.slug,
                "name": room.name,
                "capacity": room.capacity,
                "accessibility": room.accessibility,
            }
            for room in selectors.edition_rooms(edition=edition)
        ]

    return _cached("rooms", load, slug)


@router.get("/editions/{slug}/tracks", response={200: list[TrackOut], **COMMON})
def track_list(request: HttpRequest, slug: str):
    public_page_mark(request)

    def load():
        edition = _edition(slug)
        return [
            {"id": t.pk, "slug": t.slug, "name": t.name, "description": t.description}
            for t in selectors.edition_tracks(edition=edition)
        ]

    return _cached("tracks", load, slug)


def _with_places(request: HttpRequest, rows: list[dict]) -> list[dict]:
    """The cached sessions with their places left now (one query, only when a session takes
    sign-ups with a limit); the answer is then cached as briefly as the programme page that
    shows them (``places_seconds``)."""
    limited = [row["id"] for row in rows if row["places_capacity"] is not None]
    if not limited:
        return rows
    request.public_page_seconds = places_seconds()
    taken = session_places_taken(session_ids=limited)
    return [
        {**row, "places": max(row["places_capacity"] - taken.get(row["id"], 0), 0)}
        if row["places_capacity"] is not None
        else row
        for row in rows
    ]


def _session_out(session) -> dict:
    return {
        "slug": session.slug,
        "title": session.title,
        "description": session.description,
        "kind": session.kind,
        "language": session.language,
        "starts_at": session.starts_at,
        "ends_at": session.ends_at,
        "track": session.track.slug if session.track else None,
        "room": session.room.slug if session.room else None,
        "capacity": session.capacity,
        "signup": session.signup_mode,
        "places_capacity": session.places_capacity if session.takes_signups else None,
        "places": None,
        "id": session.pk,
        "speakers": [_person(s) for s in session.speakers.all()],
        "moderators": [_person(s) for s in session.moderators.all()],
    }


@router.get("/editions/{slug}/sessions", response={200: list[SessionOut], **COMMON})
def session_list(request: HttpRequest, slug: str, day: dt.date | None = None):
    """The programme in time order; ``day`` (a date) keeps one day's sessions."""
    public_page_mark(request, params=("day",))

    def load():
        edition = _edition(slug)
        with timezone.override(edition_zone(edition=edition)):
            return [
                _session_out(session)
                for session in selectors.session_list(edition=edition, day=day)
            ]

    return _with_places(request, _cached("sessions", load, slug, day))


@router.get("/editions/{slug}/sessions/{session}", response={200: SessionOut, **COMMON})
def session_detail(request: HttpRequest, slug: str, session: str):
    public_page_mark(request)

    def load():
        found = selectors.session_get(edition=_edition(slug), slug=session)
        if found is None:
            raise not_found()
        return _session_out(found)

    [found] = _with_places(request, [_cached("session", load, slug, session)])
    return found


@router.get("/editions/{slug}/speakers", response={200: list[SpeakerOut], **COMMON})
def speaker_list(request: HttpRequest, slug: str):
    public_page_mark(request)

    def load():
        edition = _edition(slug)
        return [
            {
                **_person(speaker),
                "bio": speaker.bio,
                "sessions": [s.slug for s in speaker.edition_sessions],
                "moderated_sessions": [s.slug for s in speaker.edition_moderated_sessions],
            }
            for speaker in selectors.speaker_list(edition=edition)
        ]

    return _cached("speakers", load, slug)


@router.get("/news", response={200: list[NewsOut], **COMMON})
def news_list(request: HttpRequest):
    """The latest published news posts, newest first."""
    public_page_mark(request)
    return _cached(
        "news",
        lambda: [
            {
                "slug": post.slug,
                "title": post.title,
                "lead": post.lead,
                "body": post.body,
                "published_at": post.published_at,
                "edition": post.edition.slug if post.edition else None,
            }
            for post in news_published()[:NEWS_LIMIT]
        ],
    )
