"""Reads of the congress data, each with the joins its page needs (a constant number of queries)."""

from __future__ import annotations

from datetime import date

from django.db.models import Prefetch, Q, QuerySet

from kongres.core.cache import memoized
from kongres.events.models import (
    Day,
    Edition,
    EditionOrganisation,
    Room,
    Session,
    Speaker,
    Track,
)


def edition_public_list() -> QuerySet[Edition]:
    return (
        Edition.objects.exclude(status=Edition.Status.DRAFT)
        .select_related("series", "venue")
        .order_by("-start_date", "-pk")
    )


def edition_current() -> Edition | None:
    """The edition the public site is about: the latest that is not a draft."""
    return edition_public_list().first()


def edition_get(*, slug: str) -> Edition | None:
    return edition_public_list().filter(slug=slug).first()


def edition_memo_key(edition_id: int) -> str:
    """The ``memoized`` key of an edition read by its id (``edition_memoized``)."""
    return f"events:edition:{edition_id}"


def edition_memoized(*, edition_id: int) -> Edition:
    """The edition with this id, kept in the cache while the content is unchanged
    (``memoized``: editing an edition bumps the content generation, as for the public site's
    current edition)."""
    return memoized(edition_memo_key(edition_id), lambda: Edition.objects.get(pk=edition_id))


def edition_roles(*, edition: Edition) -> list[EditionOrganisation]:
    return list(edition.roles.select_related("organisation"))


def edition_roles_grouped(
    *, edition: Edition
) -> list[tuple[EditionOrganisation.Role, list[EditionOrganisation]]]:
    """The edition's organisations grouped by role, in the order of ``Role`` (organisers first);
    roles nobody has are left out. One query."""
    by_role: dict[str, list[EditionOrganisation]] = {}
    for entry in edition_roles(edition=edition):
        by_role.setdefault(entry.role, []).append(entry)
    return [
        (role, by_role[role.value]) for role in EditionOrganisation.Role if role.value in by_role
    ]


def edition_days(*, edition: Edition) -> list[Day]:
    return list(edition.days.all())


def edition_tracks(*, edition: Edition) -> list[Track]:
    return list(edition.tracks.all())


def edition_rooms(*, edition: Edition) -> list[Room]:
    if edition.venue_id is None:
        return []
    return list(Room.objects.filter(venue_id=edition.venue_id))


def session_list(
    *,
    edition: Edition,
    day: date | None = None,
    track: Track | None = None,
    room: Room | None = None,
) -> QuerySet[Session]:
    """The edition's sessions in time order. ``day`` is a date in the active time zone."""
    sessions = (
        Session.objects.filter(edition=edition)
        .select_related("track", "room")
        .prefetch_related(
            Prefetch("speakers", queryset=Speaker.objects.order_by("name")),
            Prefetch("moderators", queryset=Speaker.objects.order_by("name")),
        )
    )
    if day is not None:
        sessions = sessions.filter(starts_at__date=day)
    if track is not None:
        sessions = sessions.filter(track=track)
    if room is not None:
        sessions = sessions.filter(room=room)
    return sessions


def session_get(*, edition: Edition, slug: str) -> Session | None:
    return session_list(edition=edition).select_related("edition__venue").filter(slug=slug).first()


def speaker_list(*, edition: Edition) -> QuerySet[Speaker]:
    """Speakers and moderators of the edition's sessions, each with the edition's sessions they
    speak at (``edition_sessions``) and moderate (``edition_moderated_sessions``)."""
    in_edition = Session.objects.filter(edition=edition).select_related("room")
    return (
        Speaker.objects.filter(
            Q(sessions__edition=edition) | Q(moderated_sessions__edition=edition)
        )
        .distinct()
        .order_by("name")
        .prefetch_related(
            Prefetch("sessions", queryset=in_edition, to_attr="edition_sessions"),
            Prefetch(
                "moderated_sessions", queryset=in_edition, to_attr="edition_moderated_sessions"
            ),
        )
    )


def speaker_get(*, edition: Edition, slug: str) -> Speaker | None:
    return speaker_list(edition=edition).filter(slug=slug).first()
