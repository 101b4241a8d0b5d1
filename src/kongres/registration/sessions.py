"""Reads about places in sessions (issue 18) for the public pages and the personal page: the
places left in each session, a participant's sign-ups, their agenda, the participant cookie
and the secret calendar feed's key. The changes are ``services.sessions``.

The participant is known by a signed cookie (``PARTICIPANT_COOKIE``) holding their personal
link's token, set when they open their personal page (no account): a replaced link ends it.
A request that carries it is never served from, nor stored in, the public page cache.

Places on the cached public pages: the counts are read with the page (one query for all the
sessions), and a page showing them is cached for ``places_seconds()`` (5 s by default) instead
of the pages' usual minute, so a session that has filled shows "full" within that time.
"""

from __future__ import annotations

import datetime as dt
import hmac
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.crypto import salted_hmac

from kongres.core.cache import PARTICIPANT_COOKIE, memoized
from kongres.events.models import Edition, Session
from kongres.registration import selectors
from kongres.registration.models import (
    SIGNUP_ACTIVE_STATUSES,
    Registration,
    RegistrationToken,
    SessionPlaces,
    SessionSignup,
)

PARTICIPANT_COOKIE_MAX_AGE = 60 * 24 * 3600
DEFAULT_PLACES_SECONDS = 5
FEED_SALT = "kongres.registration.agenda-feed"


def places_seconds() -> int:
    """How long a public page showing places in sessions is cached (the N of "full within N
    seconds")."""
    return int(getattr(settings, "KONGRES_PLACES_SECONDS", DEFAULT_PLACES_SECONDS))


@dataclass(frozen=True)
class Places:
    """What a session card shows: ``left`` None means no limit."""

    capacity: int | None
    taken: int

    @property
    def left(self) -> int | None:
        return None if self.capacity is None else max(self.capacity - self.taken, 0)

    @property
    def is_full(self) -> bool:
        return self.left == 0


def session_places(*, sessions: list[Session]) -> dict[int, Places]:
    """The places of the sessions that take sign-ups, in one query (none when none does)."""
    wanted = [session for session in sessions if session.takes_signups]
    if not wanted:
        return {}
    taken = dict(
        SessionPlaces.objects.filter(session_id__in=[s.pk for s in wanted]).values_list(
            "session_id", "taken"
        )
    )
    return {s.pk: Places(capacity=s.places_capacity, taken=taken.get(s.pk, 0)) for s in wanted}


def session_places_taken(*, session_ids: list[int]) -> dict[int, int]:
    """``{session id: places taken}`` of these sessions, in one query (the JSON API adds the
    places left to its cached programme with it)."""
    if not session_ids:
        return {}
    return dict(
        SessionPlaces.objects.filter(session_id__in=session_ids).values_list("session_id", "taken")
    )


def participant_signups(*, registration: Registration | None) -> dict[int, SessionSignup]:
    """``{session id: active sign-up}`` of the participant (empty without one)."""
    if registration is None:
        return {}
    return {
        signup.session_id: signup
        for signup in SessionSignup.objects.filter(
            registration_id=registration.pk, status__in=SIGNUP_ACTIVE_STATUSES
        )
    }


def agenda(*, registration: Registration) -> list[SessionSignup]:
    """The participant's active sign-ups with their sessions, in time order."""
    return list(
        SessionSignup.objects.filter(
            registration_id=registration.pk, status__in=SIGNUP_ACTIVE_STATUSES
        )
        .select_related("session__room", "session__edition__venue", "session__track")
        .order_by("session__starts_at", "session__pk")
    )


def agenda_sessions(*, registration: Registration) -> list[Session]:
    """The sessions the participant holds a place in (signed up or offered), for the feed."""
    return [
        signup.session
        for signup in agenda(registration=registration)
        if signup.status == SessionSignup.Status.SIGNED_UP
    ]


def signup_session(*, pk: int) -> Session | None:
    """The session (with its edition and room) a sign-up or a leave is posted to, memoized with
    the public content (``kongres.core.cache.memoized``): a rush of sign-ups reads it from the
    cache. An edit of the session, its room or edition shows at once (they bump the content
    generation); a change made by ``QuerySet.update`` within ``PUBLIC_CACHE_SECONDS``, and a
    number of places that differs from the counter's makes the sign-up read the session again
    (``services.sessions``)."""
    return memoized(
        f"registration:signup-session:{pk}",
        lambda: Session.objects.select_related("edition", "room").filter(pk=pk).first(),
    )


def signup_sessions(*, edition: Edition) -> list[Session]:
    """The edition's sessions that take sign-ups, in time order."""
    return list(
        Session.objects.filter(edition=edition)
        .exclude(signup_mode=Session.SignupMode.OPEN)
        .select_related("room", "track", "edition")
        .order_by("starts_at", "pk")
    )


# -- who is asking -------------------------------------------------------------------------------


def participant_cookie_set(response: HttpResponse, *, token: str) -> None:
    response.set_signed_cookie(
        PARTICIPANT_COOKIE,
        token,
        salt=PARTICIPANT_COOKIE,
        max_age=PARTICIPANT_COOKIE_MAX_AGE,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )


def participant_token(request: HttpRequest) -> str:
    """The personal link's token the request's cookie holds ("" without a valid cookie); the
    database is not asked."""
    if PARTICIPANT_COOKIE not in request.COOKIES:
        return ""
    return request.get_signed_cookie(
        PARTICIPANT_COOKIE, default="", salt=PARTICIPANT_COOKIE, max_age=PARTICIPANT_COOKIE_MAX_AGE
    )


def participant_get(
    request: HttpRequest, *, edition: Edition | None = None
) -> tuple[Registration | None, str]:
    """The participant the request's cookie names (and their token), or (None, ""). With
    ``edition``: only a participant of that edition, read without it (the caller has it)."""
    token = participant_token(request)
    if not token:
        registration = None
    elif edition is not None:
        registration = selectors.registration_get_by_token_in(token=token, edition=edition)
    else:
        registration = selectors.registration_get_by_token(token=token)
    return registration, token if registration is not None else ""


# -- the personal calendar feed ------------------------------------------------------------------


def feed_key(*, registration: Registration) -> str:
    """The secret part of the participant's calendar feed address. It follows the
    registration's live link (the salt it is derived from): when the owner replaces their
    links, the old feed address stops working too."""
    salt = (
        RegistrationToken.objects.filter(registration_id=registration.pk)
        .order_by("-pk")
        .values_list("salt", flat=True)
        .first()
    )
    digest = salted_hmac(
        FEED_SALT, f"{registration.pk}:{salt or ''}", algorithm="sha256"
    ).hexdigest()[:32]
    return f"{registration.pk}-{digest}"


def feed_registration(*, key: str, today: dt.date | None = None) -> Registration | None:
    pk, _sep, _digest = key.partition("-")
    if not pk.isdigit() or len(pk) > 18:
        return None
    registration = Registration.objects.select_related("edition").filter(pk=int(pk)).first()
    if registration is None or not hmac.compare_digest(feed_key(registration=registration), key):
        return None
    if selectors.registration_link_expired(registration=registration, today=today):
        return None
    return registration


def feed_urls(registration: Registration) -> tuple[str, str]:
    """The feed's ``webcal://`` address (the site's address, its scheme replaced) and its
    plain address, for a download."""
    path = reverse("registration:agenda-feed", kwargs={"key": feed_key(registration=registration)})
    return "webcal://" + settings.SITE_URL.split("://", 1)[-1] + path, settings.SITE_URL + path


def session_signup_counts(*, session_ids: list[int]) -> dict[int, dict[str, int]]:
    """``{session id: {status: count}}`` of the active sign-ups."""
    counts: dict[int, dict[str, int]] = {pk: {} for pk in session_ids}
    rows = (
        SessionSignup.objects.filter(session_id__in=session_ids, status__in=SIGNUP_ACTIVE_STATUSES)
        .values_list("session_id", "status")
        .annotate(n=Count("pk"))
    )
    for session_id, status, n in rows:
        counts[session_id][status] = n
    return counts
