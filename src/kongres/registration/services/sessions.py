"""Places in sessions (issue 18): sign-ups, the per-session waiting list and its offers.

=============  ==============================================  =========  ===========
from           event (service)                                 to         place
=============  ==============================================  =========  ===========
(new)          sign up, a place free (``session_signup``)       signed_up  taken
(new)          sign up, the session full                       waiting    —
waiting        a place frees, first in the queue               offered    taken
offered        claimed in time (``session_offer_claim``)       signed_up  kept
offered        offer time passes (``session_offers_expire``)    expired    freed [1]
any active     ``session_leave``                               left       freed [1]
any active     the registration (or the session's day) is      released   freed [1]
               cancelled (``session_signups_release``)
=============  ==============================================  =========  ===========

[1] A freed place is offered at once, in the same transaction, to the first person waiting
(a mail with a time-limited claim link, like the edition's offers).

Only a confirmed participant of the session's day signs up. Two sessions that overlap in time
cannot both hold a place of the same person: signing up answers "overlap" with the sessions
in the way, and ``switch=True`` leaves them in the same transaction.

Places and locks
================
``SessionPlaces`` is the session's counter (``services.session_places``), taken with one
conditional ``UPDATE … SET taken = taken + 1 WHERE … taken < capacity`` (``CheckConstraint``
``sessionplaces_taken_within_capacity`` is the second guard, recognised by name). Lock order:
the registration row (``FOR NO KEY UPDATE``, so that a cancellation cannot slip between the
check "confirmed" and the sign-up), then the places rows in session order, then sign-up rows
(compare-and-set). A sign-up that finds the session full joins the waiting list while holding
the places row with a share lock (``FOR SHARE``): such sign-ups do not wait for one another,
and a place freed at the same moment (an ``UPDATE`` of the row, which waits for their commit)
is offered to them, so it never stays free while someone waits. The registration's
cancellation (edition pool → registration → places) follows the same order.

What a sign-up costs
====================
A sign-up is the hot path of a rush (bench ``sessions``): five statements, six when the
session is full. The participant's cookie names them by their link's token
(``session_signup_by_token``): the registration is found and locked in one narrow read; its
days and active sign-ups follow in one read of plain values (``services.session_participants``
says why apart); the take names the capacity the session has now, so that a counter in order
costs no read (``services.session_places``); then the sign-up and its audit entry. Whole
objects are read only on the rare paths (signed up before, an overlap, a counter to bring in
line).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Sequence

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import CharField, Exists, F, OuterRef, Q, Value
from django.db.models.functions import Cast, Coalesce, Concat
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from kongres.audit.services import audit_log
from kongres.core.constraints import constraint_violated
from kongres.events.ics import edition_zone
from kongres.events.models import Session
from kongres.mail.models import OutboxMessage
from kongres.mail.services import mail_queue
from kongres.registration import seats
from kongres.registration.exceptions import RegistrationError
from kongres.registration.links import link_token
from kongres.registration.mails import mail_kwargs
from kongres.registration.models import (
    SIGNUP_ACTIVE_STATUSES,
    SIGNUP_PLACE_STATUSES,
    Registration,
    SessionPlaces,
    SessionSignup,
)
from kongres.registration.services._common import ATTEMPTS, _atomic
from kongres.registration.services.session_participants import (
    on_day,
    participant_check,
    participant_days_and_signups,
    participant_lock,
    participant_lock_by_token,
    session_check,
    session_day,
    signups_in_the_way,
)
from kongres.registration.services.session_places import (
    PLACES_CONSTRAINT,
    holders,
    lock_places,
    places_held,
    release,
    take,
    take_at,
)

logger = logging.getLogger(__name__)
Signup = SessionSignup.Status
OFFER_MAIL = "registration.session_offer"


class OverlapError(RegistrationError):
    """Signing up would overlap sessions the person holds a place in (``sessions``)."""

    sessions: list[Session]

    def __init__(self, sessions: list[Session]) -> None:
        names = ", ".join(session.title for session in sessions)
        super().__init__(
            _("This session overlaps with one you are signed up for: %(names)s.")
            % {"names": names},
            "overlap",
        )
        self.sessions = sessions


# -- the counter ---------------------------------------------------------------------------------


def places_ready(session: Session, now: dt.datetime | None = None) -> None:
    """Create the session's counter when it is missing (counted from the sign-ups) and bring its
    capacity in line with ``Session.places_capacity`` (a changed capacity or room); places that
    become free are offered. One read when nothing is to do; outside any transaction."""
    now = now or timezone.now()
    capacity = session.places_capacity
    row = SessionPlaces.objects.filter(session_id=session.pk).values_list("capacity").first()
    if row is None:
        SessionPlaces.objects.bulk_create(
            [SessionPlaces(session_id=session.pk, capacity=capacity, taken=0)],
            ignore_conflicts=True,
        )
        row = (capacity,)
        with _atomic():
            lock_places([session.pk])
            taken = holders(session.pk)
            SessionPlaces.objects.filter(session_id=session.pk).update(
                taken=taken,
                overbooked=0 if capacity is None else max(taken - capacity, 0),
            )
    if row[0] != capacity:
        places_sync(session, now)


def places_sync(session: Session, now: dt.datetime) -> int:
    capacity = session.places_capacity
    with _atomic():
        lock_places([session.pk])
        taken = holders(session.pk)
        SessionPlaces.objects.filter(session_id=session.pk).update(
            capacity=capacity,
            taken=taken,
            overbooked=0 if capacity is None else max(taken - capacity, 0),
        )
        return len(_offer_free_places(session, now))


class _PlacesNotReady(Exception):
    """The session's counter is missing or counts another capacity than the session's: the
    sign-up's transaction is rolled back, the counter brought in line, and it signs up again."""


class _PlaceFreed(Exception):
    """A place was freed between the take and the counter's read: the sign-up's transaction
    is rolled back and it signs up again (its take then gets the place). A share lock is
    never raised to a write lock: two sign-ups doing so at once would deadlock."""


def _take_place(session: Session) -> bool:
    """Take a place in ``session``; when none is free, hold its counter's row with a share lock
    (to join the waiting list: a place freed meanwhile waits for our commit, and is offered to
    us). Raises ``_PlacesNotReady`` or ``_PlaceFreed``."""
    capacity = session.places_capacity
    if take_at(session.pk, capacity):
        return True
    found = places_held(session.pk)
    if found is None or found[0] != capacity:
        raise _PlacesNotReady
    if capacity is None or found[1] < capacity:  # freed since the take
        raise _PlaceFreed
    return False


# -- sign-ups ------------------------------------------------------------------------------------


def _audit(signup: SessionSignup, action: str, *, before: str | None, actor=None) -> None:
    audit_log(
        actor=actor,
        action=f"session_signup.{action}",
        obj=signup.registration,
        before={"session": signup.session_id, "status": before} if before else {},
        after={"session": signup.session_id, "status": str(signup.status)},
    )


def _cas(signup: SessionSignup, from_statuses: set, **changes) -> bool:
    conditions = {key: value for key, value in changes.items() if "__" in key}
    values = {key: value for key, value in changes.items() if "__" not in key}
    updated = SessionSignup.objects.filter(
        pk=signup.pk, status__in=from_statuses, **conditions
    ).update(**values)
    if updated:
        for key, value in values.items():
            setattr(signup, key, value)
    return bool(updated)


def session_signup(
    *,
    registration: Registration,
    session: Session,
    switch: bool = False,
    now: dt.datetime | None = None,
) -> SessionSignup:
    """Sign ``registration`` up for ``session``: a place when one is free, else the waiting
    list. Signing up again returns the sign-up there is. Raises ``OverlapError`` when the
    person holds a place in an overlapping session, unless ``switch`` (then those are left)."""
    now = now or timezone.now()
    participant_check(registration, session, now)

    def lock(_session: Session) -> Registration:
        participant_lock(registration)
        return registration

    return _signup_attempts(lock, session, switch=switch, now=now)


def session_signup_by_token(
    *, token: str, session: Session, switch: bool = False, now: dt.datetime | None = None
) -> SessionSignup:
    """``session_signup`` for the participant whom a personal link's ``token`` names (the
    participant cookie of the sign-up buttons): the registration is found, locked and checked
    in one read inside the transaction (the sign-up's ``registration`` holds only the fields
    it needs). Raises "no_participant" for a token of no registration of the session's edition
    whose links are live."""
    now = now or timezone.now()
    session_check(session, now)
    return _signup_attempts(
        lambda session: participant_lock_by_token(token, session, now),
        session,
        switch=switch,
        now=now,
    )


def _signup_attempts(
    lock: Callable[[Session], Registration],
    session: Session,
    *,
    switch: bool,
    now: dt.datetime,
) -> SessionSignup:
    for _attempt in range(ATTEMPTS):
        try:
            with _atomic():
                return _signup(lock(session), session, switch=switch, now=now)
        except _PlaceFreed:
            continue
        except _PlacesNotReady:
            # the session read again: the counter follows what it says now
            session = Session.objects.select_related("edition", "room").get(pk=session.pk)
            places_ready(session, now)
        except IntegrityError as error:
            if constraint_violated(error, "sessionsignup_one_active"):
                continue  # signed up twice at once: the other one won; read it
            if constraint_violated(error, PLACES_CONSTRAINT):
                raise RegistrationError(_("The session is full."), "full") from error
            raise
    raise RegistrationError(
        _("The registration was changed at the same time. Please try again."), "conflict"
    )


def _signup(
    registration: Registration,
    session: Session,
    *,
    switch: bool,
    now: dt.datetime,
) -> SessionSignup:
    """In the transaction, the registration locked."""
    dates, active = participant_days_and_signups(registration)  # this session's, those in the way
    participant_check(registration, session, now, on_day=on_day(dates, session))
    existing = next((signup for signup in active if signup.session_id == session.pk), None)
    if existing is not None:
        return SessionSignup.objects.select_related("session", "registration").get(pk=existing.pk)
    in_the_way = signups_in_the_way(active, session)
    if in_the_way and not switch:
        raise OverlapError([signup.session for signup in in_the_way])
    if in_the_way:
        lock_places(sorted({session.pk, *(signup.session_id for signup in in_the_way)}))
        for signup in in_the_way:
            _end(signup, Signup.LEFT, now)
    status = Signup.SIGNED_UP if _take_place(session) else Signup.WAITING
    signup = SessionSignup.objects.create(
        session=session, registration=registration, status=status, created_at=now
    )
    _audit(signup, "create", before=None)
    return signup


def _end(signup: SessionSignup, status: str, now: dt.datetime, *, actor=None) -> bool:
    """End an active sign-up (its places row locked by the caller); a place it held is freed
    and offered to the next person waiting."""
    before = signup.status
    if not _cas(signup, set(SIGNUP_ACTIVE_STATUSES), status=status, ended_at=now):
        return False
    if before in SIGNUP_PLACE_STATUSES:
        release(signup.session_id)
        _offer_free_places(signup.session, now)
    _audit(signup, str(status), before=before, actor=actor)
    return True


def session_leave(
    *, registration: Registration, session: Session, now: dt.datetime | None = None
) -> SessionSignup | None:
    """Leave the session (or its waiting list); the place goes to the next person waiting.
    None when the person was not signed up."""
    now = now or timezone.now()
    for _attempt in range(ATTEMPTS):
        signup = (
            SessionSignup.objects.select_related("session__edition", "registration")
            .filter(
                registration_id=registration.pk,
                session_id=session.pk,
                status__in=SIGNUP_ACTIVE_STATUSES,
            )
            .first()
        )
        if signup is None:
            return None
        with _atomic():
            lock_places([session.pk])
            if _end(signup, Signup.LEFT, now):
                return signup
    raise RegistrationError(
        _("The registration was changed at the same time. Please try again."), "conflict"
    )


def session_signups_release(
    *, registration: Registration, now: dt.datetime, day_dates: list[dt.date] | None = None
) -> int:
    """In the caller's transaction (which has changed the registration): end the registration's
    sign-ups (only those of sessions on ``day_dates`` when given) and offer the freed places.
    Called when the registration is cancelled or when days are removed from it."""
    signups = list(
        SessionSignup.objects.filter(
            registration_id=registration.pk, status__in=SIGNUP_ACTIVE_STATUSES
        ).select_related("session__edition", "registration")
    )
    if day_dates is not None:
        wanted = set(day_dates)
        signups = [signup for signup in signups if session_day(signup.session) in wanted]
    if not signups:
        return 0
    lock_places(sorted({signup.session_id for signup in signups}))
    return sum(_end(signup, Signup.RELEASED, now) for signup in signups)


# -- offers --------------------------------------------------------------------------------------


def _offer_hours(session: Session) -> dt.timedelta:
    return dt.timedelta(hours=session.edition.offer_hours)


def _offer_free_places(session: Session, now: dt.datetime) -> list[int]:
    """Offer the session's free places to its waiting list, first come first served; with the
    places row locked. Returns the ids of the sign-ups given an offer."""
    if session.ends_at <= now:
        return []
    places = SessionPlaces.objects.filter(session_id=session.pk).first()
    if places is None or places.free == 0:
        return []
    given: list[int] = []
    queue = (
        SessionSignup.objects.filter(session_id=session.pk, status=Signup.WAITING)
        .select_related("registration__edition")
        .order_by("created_at", "pk")
    )
    for candidate in queue[: places.free if places.free is not None else None]:
        if not take(session.pk):
            break
        if not _cas(
            candidate,
            {Signup.WAITING},
            status=Signup.OFFERED,
            offered_at=now,
            offer_expires_at=now + _offer_hours(session),
        ):
            release(session.pk)
            continue
        candidate.session = session
        given.append(candidate.pk)
        _audit(candidate, "offer", before=Signup.WAITING)
        _mail_offer(candidate)
    if given:
        logger.info("%s: place(s) offered to sign-ups %s", session.slug, given)
    return given


def signup_mail_key(signup: SessionSignup) -> str:
    return f"sessionsignup:{signup.pk}"


def _mail_offer(signup: SessionSignup) -> None:
    registration = signup.registration
    token = link_token(registration=registration)
    language = registration.language
    with translation.override(language):
        claim = settings.SITE_URL + reverse(
            "registration:session-claim", kwargs={"token": token, "pk": signup.session_id}
        )
    kwargs = mail_kwargs(
        registration, "session_offer", token=token, session=signup.session, signup=signup
    )
    kwargs["context"]["session_claim_url"] = claim
    kwargs.update(kind=OFFER_MAIL, related=signup_mail_key(signup))
    with timezone.override(edition_zone(edition=registration.edition)):
        mail_queue(**kwargs)


def session_offer_claim(
    *,
    registration: Registration,
    session: Session,
    switch: bool = False,
    now: dt.datetime | None = None,
) -> SessionSignup:
    """Take the place offered in ``session`` before the offer ends (``switch``: leaving the
    overlapping sessions)."""
    now = now or timezone.now()
    for _attempt in range(ATTEMPTS):
        signup = (
            SessionSignup.objects.select_related("session__edition", "registration")
            .filter(registration_id=registration.pk, session_id=session.pk)
            .order_by("-pk")
            .first()
        )
        if signup is None or signup.status in {Signup.WAITING, Signup.LEFT, Signup.RELEASED}:
            raise RegistrationError(_("No place is offered to you in this session."), "no_offer")
        if signup.status == Signup.SIGNED_UP:
            return signup  # claimed before
        if signup.status == Signup.EXPIRED or signup.offer_expires_at <= now:
            _expire(signup, now)
            raise RegistrationError(
                _("This offer has ended and the place went to the next person on the list."),
                "offer_expired",
            )
        with _atomic():
            participant_lock(registration)
            _dates, active = participant_days_and_signups(registration)
            in_the_way = signups_in_the_way(active, session)
            if in_the_way and not switch:
                raise OverlapError([each.session for each in in_the_way])
            if in_the_way:
                lock_places(sorted({session.pk, *(each.session_id for each in in_the_way)}))
                for each in in_the_way:
                    _end(each, Signup.LEFT, now)
            if not _cas(
                signup, {Signup.OFFERED}, offer_expires_at__gt=now, status=Signup.SIGNED_UP
            ):
                continue
            _audit(signup, "claim", before=Signup.OFFERED)
            return signup
    raise RegistrationError(
        _("The registration was changed at the same time. Please try again."), "conflict"
    )


def _expire(signup: SessionSignup, now: dt.datetime) -> bool:
    with _atomic():
        lock_places([signup.session_id])
        if not _cas(
            signup, {Signup.OFFERED}, offer_expires_at__lte=now, status=Signup.EXPIRED, ended_at=now
        ):
            return False
        release(signup.session_id)
        _offer_free_places(signup.session, now)
        _audit(signup, "expire", before=Signup.OFFERED)
    return True


def _offer_mail_undelivered() -> Exists:
    return Exists(
        OutboxMessage.objects.filter(
            related=Concat(Value("sessionsignup:"), Cast(OuterRef("pk"), CharField())),
            kind=OFFER_MAIL,
            status__in=[OutboxMessage.Status.QUEUED, OutboxMessage.Status.SENDING],
        )
    )


def session_offers_expire_due(*, now: dt.datetime | None = None) -> int:
    """The periodic job's part: end the offers whose time has passed (their mail delivered) and
    offer the places to the next people waiting. Safe to run twice at once."""
    now = now or timezone.now()
    due = (
        SessionSignup.objects.filter(
            ~_offer_mail_undelivered(), status=Signup.OFFERED, offer_expires_at__lte=now
        )
        .select_related("session__edition", "registration")
        .order_by("offer_expires_at", "pk")
    )
    expired = sum(_expire(signup, now) for signup in due[:500])
    for session in _sessions_needing_sync():
        places_sync(session, now)
    return expired


def _sessions_needing_sync() -> list[Session]:
    """A safety net, like the edition's: sessions whose counter's capacity differs from the
    session's (a capacity or a room changed in the Django admin), or with a free place while
    someone waits."""
    effective = Coalesce("session__capacity", "session__room__capacity")
    stale = (
        SessionPlaces.objects.annotate(effective=effective)
        .filter(
            ~Q(capacity=F("effective"))
            | Q(capacity__isnull=True, effective__isnull=False)
            | Q(capacity__isnull=False, effective__isnull=True)
        )
        .values_list("session_id", flat=True)
    )
    waiting = SessionSignup.objects.filter(status=Signup.WAITING).values("session_id")
    free = SessionPlaces.objects.filter(seats.free_q(), session_id__in=waiting).values_list(
        "session_id", flat=True
    )
    ids = set(stale) | set(free)
    return list(Session.objects.filter(pk__in=ids).select_related("edition", "room"))


def offer_deadlines_after_mail(*, messages: Sequence[OutboxMessage], **kwargs) -> None:
    """Receiver of ``mail.signals.messages_sent``: an offer lasts its whole time from the
    delivery of its mail."""
    for message in messages:
        if message.kind == OFFER_MAIL:
            _offer_deadline_after_mail(message)


def _offer_deadline_after_mail(message: OutboxMessage) -> None:
    prefix, _sep, pk = message.related.partition(":")
    if prefix != "sessionsignup" or not pk.isdigit():
        return
    with transaction.atomic():
        signup = (
            SessionSignup.objects.select_related("session__edition")
            .filter(pk=int(pk), status=Signup.OFFERED)
            .first()
        )
        if signup is None:
            return
        deadline = message.sent_at + _offer_hours(signup.session)
        SessionSignup.objects.filter(
            pk=signup.pk, status=Signup.OFFERED, offer_expires_at__lt=deadline
        ).update(offer_expires_at=deadline)
