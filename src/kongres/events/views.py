"""The public pages of the congress: home, programme, sessions, speakers, venue, organisers,
archive, and the calendar (.ics) downloads. Reads go through ``selectors``; times are shown in
the edition's time zone."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_safe

from kongres.content.selectors import news_published, news_published_of, page_get
from kongres.core.cache import public_page
from kongres.events import ics, selectors
from kongres.events.models import Day, Edition, EditionOrganisation, Room, Session, Track
from kongres.materials.selectors import material_published_by_session, material_published_list
from kongres.registration import sessions as places

NEWS_ON_HOME = 3
ROLE_HEADINGS = {
    EditionOrganisation.Role.ORGANISER: _("Organisers"),
    EditionOrganisation.Role.HOST_CITY: _("Host city"),
    EditionOrganisation.Role.PARTNER: _("Partners"),
    EditionOrganisation.Role.MEDIA_PARTNER: _("Media partners"),
}


def _current(request: HttpRequest) -> Edition | None:
    """``request.edition`` is lazy and wraps ``None`` when there is no edition yet."""
    edition = getattr(request, "edition", None)
    return edition if edition else None


def _edition_for(request: HttpRequest, archive: str | None) -> Edition | None:
    """The current edition, or (``archive``: a slug from the address) that public edition of
    the archive; 404 for an unknown or draft one."""
    if archive is None:
        return _current(request)
    edition = selectors.edition_get(slug=archive)
    if edition is None:
        raise Http404("no such edition")
    return edition


def _archive_context(edition: Edition | None, archive: str | None) -> dict:
    """``archive``: the edition when the page is its archive page (the templates then link to
    the archive's addresses: ``templatetags/editions.py``)."""
    return {"archive": edition if archive is not None else None}


def _is_over(edition: Edition) -> bool:
    today = timezone.localdate(timezone=ics.edition_zone(edition=edition))
    return edition.status == Edition.Status.ARCHIVED or edition.is_past(today)


def _registration_state(edition: Edition) -> str:
    """``over`` (the edition is past), ``closed``, ``not_yet`` (opens later) or ``open``."""
    if _is_over(edition):
        return "over"
    now = timezone.now()
    if edition.registration_closes_at is not None and edition.registration_closes_at <= now:
        return "closed"
    if edition.registration_opens_at is not None and edition.registration_opens_at > now:
        return "not_yet"
    return "open"


def _role_groups(edition: Edition) -> list[tuple[str, str, list[EditionOrganisation]]]:
    """``(role, heading, entries)`` for each role someone has, organisers first."""
    return [
        (role.value, ROLE_HEADINGS[role], entries)
        for role, entries in selectors.edition_roles_grouped(edition=edition)
    ]


def _summary(edition: Edition) -> dict:
    """What the home page and an edition's page both show."""
    return {
        "edition": edition,
        "is_over": _is_over(edition),
        "role_groups": _role_groups(edition),
    }


@require_safe
@public_page
def home(request: HttpRequest, archive: str | None = None) -> HttpResponse:
    edition = _edition_for(request, archive)
    if edition is None:
        return render(request, "events/home.html", {"edition": None})
    news = news_published() if archive is None else news_published_of(edition=edition)
    context = (
        _summary(edition)
        | _archive_context(edition, archive)
        | {
            "news": list(news[:NEWS_ON_HOME]),
            "tracks": selectors.edition_tracks(edition=edition),
            "registration": _registration_state(edition),
        }
    )
    with timezone.override(ics.edition_zone(edition=edition)):
        return render(request, "events/home.html", context)


@require_safe
@public_page
def edition_detail(request: HttpRequest, slug: str) -> HttpResponse:
    edition = selectors.edition_get(slug=slug)
    if edition is None:
        raise Http404
    current = _current(request)
    context = _summary(edition) | {"is_current": current is not None and current.pk == edition.pk}
    return render(request, "events/edition.html", context)


@require_safe
@public_page
def archive(request: HttpRequest) -> HttpResponse:
    current = _current(request)
    return render(
        request,
        "events/archive.html",
        {
            "editions": list(selectors.edition_public_list()),
            "current_pk": current.pk if current is not None else None,
        },
    )


@dataclass
class Slot:
    starts_at: dt.datetime
    sessions: list[Session] = field(default_factory=list)


@dataclass
class ProgrammeDay:
    date: dt.date
    name: str = ""
    slots: list[Slot] = field(default_factory=list)


def _group_by_day_and_time(sessions: list[Session], days: list[Day]) -> list[ProgrammeDay]:
    """Sessions (in time order) grouped by their local day, then by their start time."""
    names = {day.date: day.name for day in days}
    grouped: list[ProgrammeDay] = []
    for session in sessions:
        starts_at = timezone.localtime(session.starts_at)
        if not grouped or grouped[-1].date != starts_at.date():
            grouped.append(
                ProgrammeDay(date=starts_at.date(), name=names.get(starts_at.date(), ""))
            )
        slots = grouped[-1].slots
        if not slots or slots[-1].starts_at != starts_at:
            slots.append(Slot(starts_at=starts_at))
        slots[-1].sessions.append(session)
    return grouped


def _day_choices(edition: Edition, days: list[Day]) -> list[ProgrammeDay]:
    """The days one can filter by: the edition's named days, or else every date it spans."""
    if days:
        return [ProgrammeDay(date=day.date, name=day.name) for day in days]
    count = (edition.end_date - edition.start_date).days + 1
    return [ProgrammeDay(date=edition.start_date + dt.timedelta(days=n)) for n in range(count)]


def _chosen_day(value: str, choices: list[ProgrammeDay]) -> ProgrammeDay | None:
    try:
        wanted = dt.date.fromisoformat(value)
    except ValueError:
        return None
    return next((day for day in choices if day.date == wanted), None)


def _chosen[T: (Track, Room)](value: str, options: list[T]) -> T | None:
    return next((option for option in options if option.slug == value), None) if value else None


@require_safe
@public_page(params=("day", "track", "room"))
def programme(request: HttpRequest, archive: str | None = None) -> HttpResponse:
    edition = _edition_for(request, archive)
    if edition is None:
        return render(request, "events/programme.html", {"edition": None})
    with timezone.override(ics.edition_zone(edition=edition)):
        days = selectors.edition_days(edition=edition)
        tracks = selectors.edition_tracks(edition=edition)
        rooms = selectors.edition_rooms(edition=edition)
        day_choices = _day_choices(edition, days)
        day = _chosen_day(request.GET.get("day", ""), day_choices)
        track = _chosen(request.GET.get("track", ""), tracks)
        room = _chosen(request.GET.get("room", ""), rooms)
        sessions = list(
            selectors.session_list(
                edition=edition, day=day.date if day else None, track=track, room=room
            )
        )
        participant = {} if archive else _with_places(request, sessions)
        context = participant | {
            "edition": edition,
            "programme": _group_by_day_and_time(sessions, days),
            "day_choices": day_choices,
            "tracks": tracks,
            "rooms": rooms,
            "chosen_day": day,
            "chosen_track": track,
            "chosen_room": room,
            "is_filtered": bool(day or track or room),
            **_archive_context(edition, archive),
        }
        return render(request, "events/programme.html", context)


def _with_places(request: HttpRequest, sessions: list[Session]) -> dict:
    """Put on each session that takes sign-ups its places (``session.places_info``) and the
        participant's sign-up (``session.my_signup``, when the participant cookie names someone);
        a page with places is cached only ``places.places_seconds()``. Returns the context of the
    participant (and their token, for the claim form)."""
    participant, token = places.participant_get(request)
    counts = places.session_places(sessions=sessions)
    mine = places.participant_signups(registration=participant) if counts else {}
    if counts:
        request.public_page_seconds = places.places_seconds()
    for session in sessions:
        session.places_info = counts.get(session.pk)
        session.my_signup = mine.get(session.pk)
    return {"participant": participant, "participant_token": token}


def _session_or_404(request: HttpRequest, slug: str, archive: str | None = None) -> Session:
    edition = _edition_for(request, archive)
    session = selectors.session_get(edition=edition, slug=slug) if edition else None
    if session is None:
        raise Http404
    return session


@require_safe
@public_page
def session_detail(request: HttpRequest, slug: str, archive: str | None = None) -> HttpResponse:
    session = _session_or_404(request, slug, archive)
    participant = {} if archive else _with_places(request, [session])
    with timezone.override(ics.edition_zone(edition=session.edition)):
        return render(
            request,
            "events/session.html",
            participant
            | {
                "session": session,
                "edition": session.edition,
                "venue": session.edition.venue,
                "materials": material_published_list(session=session),
                **_archive_context(session.edition, archive),
            },
        )


def _calendar_response(body: bytes, *, filename: str) -> HttpResponse:
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@require_safe
@public_page
def session_ics(request: HttpRequest, slug: str) -> HttpResponse:
    session = _session_or_404(request, slug)
    return _calendar_response(ics.session_calendar(session=session), filename=f"{session.slug}.ics")


@require_safe
@public_page
def edition_ics(request: HttpRequest, slug: str) -> HttpResponse:
    edition = selectors.edition_get(slug=slug)
    if edition is None:
        raise Http404
    return _calendar_response(ics.edition_calendar(edition=edition), filename=f"{edition.slug}.ics")


@require_safe
@public_page
def programme_ics(request: HttpRequest) -> HttpResponse:
    """The whole programme as a calendar (every session, the edition's time zone)."""
    edition = _current(request)
    if edition is None:
        raise Http404
    sessions = list(selectors.session_list(edition=edition))
    return _calendar_response(
        ics.sessions_calendar(edition=edition, sessions=sessions),
        filename=f"{edition.slug}-programme.ics",
    )


@require_safe
@public_page
def speaker_list(request: HttpRequest, archive: str | None = None) -> HttpResponse:
    edition = _edition_for(request, archive)
    speakers = list(selectors.speaker_list(edition=edition)) if edition else []
    context = {"edition": edition, "speakers": speakers, **_archive_context(edition, archive)}
    with timezone.override(ics.edition_zone(edition=edition) if edition else None):
        return render(request, "events/speaker_list.html", context)


@require_safe
@public_page
def speaker_detail(request: HttpRequest, slug: str, archive: str | None = None) -> HttpResponse:
    edition = _edition_for(request, archive)
    speaker = selectors.speaker_get(edition=edition, slug=slug) if edition else None
    if speaker is None:
        raise Http404
    context = {"edition": edition, "speaker": speaker, **_archive_context(edition, archive)}
    with timezone.override(ics.edition_zone(edition=edition)):
        return render(request, "events/speaker.html", context)


@require_safe
@public_page
def archive_materials(request: HttpRequest, archive: str) -> HttpResponse:
    """The published materials and recordings of an edition, session by session."""
    edition = _edition_for(request, archive)
    by_session = material_published_by_session(edition=edition)
    with timezone.override(ics.edition_zone(edition=edition)):
        sessions = [
            (session, by_session[session.pk])
            for session in selectors.session_list(edition=edition).order_by("starts_at", "pk")
            if session.pk in by_session
        ]
        return render(
            request,
            "events/archive_materials.html",
            {"edition": edition, "sessions": sessions, **_archive_context(edition, archive)},
        )


@require_safe
@public_page
def venue(request: HttpRequest) -> HttpResponse:
    edition = _current(request)
    place = edition.venue if edition else None
    return render(
        request,
        "events/venue.html",
        {
            "edition": edition,
            "venue": place,
            "rooms": selectors.edition_rooms(edition=edition) if place else [],
            "practical": page_get(kind="practical"),
        },
    )


@require_safe
@public_page
def organisers(request: HttpRequest) -> HttpResponse:
    edition = _current(request)
    groups = _role_groups(edition) if edition else []
    return render(request, "events/organisers.html", {"edition": edition, "role_groups": groups})
