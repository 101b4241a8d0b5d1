"""Every change of a registration: the state machine of the registration app.

State machine
=============

==================  ===========================================  =====================  ===========
from                event (service)                              to                     seat
==================  ===========================================  =====================  ===========
(new)               register; a seat free on the edition and on  held (until now +      taken
                    each day chosen (``registration_create``)    edition.hold_minutes)
(new)               register; the edition or a day chosen full   waiting_unverified     —
(new)               an organiser adds someone (``actor``)        confirmed, or waiting  taken
                                                                 when full (unless
                                                                 ``over_capacity``)
held                address confirmed in time                    confirmed (or          kept
                    (``registration_verify``)                    pending_approval when
                                                                 approval is required)
held                hold time passes (``registration_expire_due`` expired               freed [1]
                    or a late ``registration_verify``)
waiting_unverified  address confirmed (``registration_verify``)  waiting (queued by     —
                                                                 verified_at); at once
                                                                 confirmed when a seat
                                                                 is free for them       taken
waiting_unverified  confirmation time passes                     expired                —
waiting             a seat frees, first in the queue it fits     offered (until now +   taken
                                                                 edition.offer_hours)
waiting             an organiser offers (``registration_offer``) offered                taken
offered             claimed in time                              confirmed (or          kept
                    (``registration_offer_claim``)               pending_approval)
offered             offer time passes (job or a late claim)      expired (leaves list)  freed [1]
pending_approval    ``registration_approve``                     confirmed              kept
pending_approval    ``registration_reject``                      rejected               freed [1]
any active          ``registration_cancel`` (participant or      cancelled              freed [1]
                    organiser; also leaving the waiting list)
any active          ``registration_update`` (until the edit      unchanged              per day [2]
                    deadline)
—                   ``edition_capacity_change``,                 —                      raised:
                    ``day_capacity_change``                                             offered [1]
==================  ===========================================  =====================  ===========

[1] A freed seat is offered at once, in the same transaction, to the first person on the
waiting list whose days all have a free seat. [2] A registration with a seat needs a seat on
each day it adds (else "full" and nothing changes); the seats of days it drops are freed [1].

"Active" is held, waiting_unverified, waiting, offered, pending_approval, confirmed; expired,
cancelled and rejected are final. A forbidden transition raises ``RegistrationError`` with a code.

Seats and locks
===============
Seats are counted in ``SeatPool`` rows: one for the edition, one per day. Taking a seat is one
conditional ``UPDATE seat pool SET taken = taken + 1 WHERE … AND taken < capacity`` per pool
(``CheckConstraint(taken <= capacity + overbooked)`` is the second guard; the partial
``UniqueConstraint(edition, lower(email))`` over active registrations guards "duplicate").
The edition's pool row stands for the edition: the ``Edition`` row itself is never locked, so
editing the edition or showing it never waits for a registration rush.

Every transaction that moves seats takes its locks in this order:

1. the edition's seat pool row (the conditional UPDATE, or ``SELECT … FOR UPDATE``);
2. the day pool rows of the days concerned (only ever locked while holding 1, so they cannot
   deadlock among themselves; one UPDATE takes all of them, the days in date order);
3. registration rows, each changed by a compare-and-set ``UPDATE … WHERE pk = … AND status = …``.

Transitions that move no seat (confirming a held seat, claiming an offer, approving, leaving
the waiting list) take only 3. On SQLite the settings use ``"transaction_mode": "IMMEDIATE"``:
the write lock is taken at BEGIN, so the transactions are simply serialised.

Every transaction here is ``_atomic()`` (``kongres.core.locks.atomic_bounded``): on PostgreSQL
it starts with ``SET LOCAL lock_timeout`` (``KONGRES_LOCK_TIMEOUT_MS``), on SQLite the busy
timeout bounds the wait for the write lock. A wait that runs out rolls the transaction back and
raises ``RegistrationError`` "busy" (the form is shown again with what was typed).

The locked section is short: ``registration_create`` validates and reads the seat pools
before its transaction (uncached: they only decide whether to try for a seat), then inserts
the registration, its days and panels, its link, the audit entry and its mail (rendered, with
its sending task enqueued through ``django.tasks``) first (nobody else can see those rows yet),
and takes the seat last with the conditional UPDATEs, so the pool row is held only for those
UPDATEs and the COMMIT. The same ORM statements run on SQLite and PostgreSQL. When the seat
it expected is gone, the transaction is rolled back and done once more as a waiting-list
registration. Freed seats are offered (``_offer_free_seats``) in the same transaction that
frees them, while the edition's pool is still locked.

Mail is queued in the same transaction (``mails.mail``); each mail carries
a secret link (a new one when the service has none at hand; earlier links keep working until
the participant asks for a new one with ``registration_link_resend``).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from kongres.core.cache import content_changed, memoized
from kongres.core.constraints import constraint_violated
from kongres.core.exceptions import KongresError
from kongres.core.locks import atomic_bounded
from kongres.events.models import Day, Edition, Track
from kongres.registration import mails, seats, selectors
from kongres.registration.choices import (
    AccessibilityNeed,
    MunicipalitySize,
    QuestionKind,
    Sector,
    Voivodeship,
)
from kongres.registration.models import (
    ACTIVE_STATUSES,
    SEAT_STATUSES,
    Question,
    Registration,
    RegistrationToken,
    SeatPool,
)
from kongres.registration.tokens import token_new

logger = logging.getLogger(__name__)

Status = Registration.Status
# A compare-and-set that lost a race is retried with the registration read again.
ATTEMPTS = 3


class RegistrationError(KongresError):
    """Codes: not_open, closed, duplicate, invalid, invalid_link, expired, offer_expired,
    no_offer, not_active, deadline, full, wrong_status, conflict, busy."""

    code = "registration"


def _busy() -> RegistrationError:
    return RegistrationError(
        _("Too many people are registering right now. Please try again in a moment."), "busy"
    )


def _atomic():
    """The transaction of a change here: its waits for locks are bounded (``atomic_bounded``:
    PostgreSQL's ``lock_timeout``, SQLite's busy timeout), after which it is rolled back and
    raises "busy"."""
    return atomic_bounded(_busy)


@dataclass
class RegistrationData:
    first_name: str
    last_name: str
    email: str
    institution: str = ""
    position: str = ""
    sector: str = ""
    town: str = ""
    voivodeship: str = ""
    municipality_size: str = ""
    day_ids: list[int] = field(default_factory=list)
    track_ids: list[int] = field(default_factory=list)
    accessibility_needs: list[str] = field(default_factory=list)
    accessibility_other: str = ""
    dietary_needs: str = ""
    privacy_consent: bool = False
    photo_consent: bool = False
    newsletter_consent: bool = False
    answers: dict[str, object] = field(default_factory=dict)
    language: str = "pl"


@dataclass(frozen=True)
class EditionParts:
    """The days, panels and questions of an edition as the caller has just read them (the
    registration form view does): ``registration_create`` checks the answers against these
    instead of reading them again."""

    days: Sequence[Day]
    tracks: Sequence[Track]
    questions: Sequence[Question]


# ---------------------------------------------------------------------------------------------
# Public services
# ---------------------------------------------------------------------------------------------


def registration_create(
    *,
    edition: Edition,
    data: RegistrationData,
    now: dt.datetime | None = None,
    actor: AbstractBaseUser | None = None,
    over_capacity: bool = False,
    parts: EditionParts | None = None,
) -> tuple[Registration, str]:
    """Register someone; return the registration and the secret token of its link.

    A participant gets a held seat (to confirm by the mailed link within the edition's hold
    time) or, when the edition or one of their days is full, a place that joins the waiting
    list once the address is confirmed. An organiser (``actor``) may add people outside the
    registration window; their registration is confirmed at once (no address check), over
    the capacity when ``over_capacity``, else on the waiting list when there is no seat.
    ``parts``: the edition's days, panels and questions when the caller has them at hand.
    """
    now = now or timezone.now()
    if actor is None:
        _check_window(edition, now)
    clean = _clean(edition, data, participant=actor is None, parts=parts)
    version = _privacy_notice_version(now) if clean.privacy_consent else ""
    day_ids = [day.pk for day in parts.days] if parts else None
    pools = _pools_ready(edition, now, day_ids=day_ids)
    expect_seat = over_capacity or seats.seems_free(pools, clean.day_ids)
    token, hashed = token_new()
    # Usually one attempt; a second one when the seat that looked free was taken meanwhile.
    for with_seat in (True, False) if expect_seat else (False,):
        try:
            return _create(
                edition, clean, version, token, hashed, now, actor, with_seat, over_capacity
            )
        except _NoSeat:
            continue
        except IntegrityError as error:
            if constraint_violated(error, "registration_active_email_unique"):
                raise RegistrationError(
                    _("This e-mail address is already registered for this edition."), "duplicate"
                ) from error
            raise
    raise AssertionError("unreachable")  # the last attempt never raises _NoSeat


def registration_verify(*, token: str, now: dt.datetime | None = None) -> Registration:
    """Confirm the e-mail address by the mailed link. A held seat becomes confirmed (or awaits
    approval); a registration without a seat joins the waiting list (and gets a seat at once
    when one is free for them). Clicking the link again changes nothing."""
    now = now or timezone.now()
    for _attempt in range(ATTEMPTS):
        registration = _by_token(token)
        status = registration.status
        if status in {Status.HELD, Status.WAITING_UNVERIFIED}:
            if registration.hold_expires_at <= now:
                _expire(registration, now)
                raise RegistrationError(
                    _("The time to confirm this registration has passed. Please register again."),
                    "expired",
                )
            done = (
                _verify_held(registration, token, now)
                if status == Status.HELD
                else _verify_waiting(registration, token, now)
            )
            if done:
                return registration
            continue  # changed meanwhile: read it again
        if status in {Status.WAITING, Status.OFFERED, Status.PENDING_APPROVAL, Status.CONFIRMED}:
            return registration  # confirmed before
        if status == Status.EXPIRED:
            raise RegistrationError(
                _("The time to confirm this registration has passed. Please register again."),
                "expired",
            )
        raise _not_active()
    raise _conflict()


def registration_offer_claim(*, token: str, now: dt.datetime | None = None) -> Registration:
    """Take the seat offered from the waiting list, before the offer ends."""
    now = now or timezone.now()
    for _attempt in range(ATTEMPTS):
        registration = _by_token(token)
        status = registration.status
        if status == Status.OFFERED:
            if registration.offer_expires_at <= now:
                _expire(registration, now)
                raise _offer_expired()
            new = _seat_confirmed_status(registration.edition)
            with _atomic():
                if not _cas(
                    registration,
                    {Status.OFFERED},
                    now,
                    status=new,
                    offer_expires_at__gt=now,
                    confirmed_at=now if new == Status.CONFIRMED else None,
                ):
                    continue
                _audit(registration, "claim", actor=None, before=Status.OFFERED)
                mails.mail_seat(registration, token=token)
            return registration
        if status in {Status.CONFIRMED, Status.PENDING_APPROVAL} and registration.offered_at:
            return registration  # claimed before
        if status == Status.EXPIRED and registration.offered_at:
            raise _offer_expired()
        if status in ACTIVE_STATUSES:
            raise RegistrationError(_("No seat is offered to this registration."), "no_offer")
        raise _not_active()
    raise _conflict()


def registration_cancel(
    *,
    registration: Registration,
    actor: AbstractBaseUser | None = None,
    now: dt.datetime | None = None,
) -> Registration:
    """Cancel a registration, or leave the waiting list; a seat it held is freed and offered
    to the waiting list at once. Participants cannot cancel once the edition is over."""
    now = now or timezone.now()
    for _attempt in range(ATTEMPTS):
        registration = _fresh(registration)
        if registration.status not in ACTIVE_STATUSES:
            raise _not_active()
        if actor is None and _is_past(registration.edition, now):
            raise RegistrationError(_("This edition is over."), "closed")
        status = registration.status
        with _atomic():
            if status in SEAT_STATUSES:
                seats.lock_edition_pool(registration.edition_id)
            if not _cas(
                registration,
                {status},
                now,
                status=Status.CANCELLED,
                ended_at=now,
                cancelled_by=actor,
            ):
                continue
            _audit(registration, "cancel", actor=actor, before=status)
            if status in SEAT_STATUSES:
                seats.release_seat(registration.edition_id, _day_ids(registration))
                _offer_free_seats(registration.edition, now)
            mails.mail(
                registration,
                "cancelled",
                by_organiser=actor is not None,
                was_waiting=status in {Status.WAITING, Status.WAITING_UNVERIFIED},
            )
        return registration
    raise _conflict()


def registration_update(
    *,
    registration: Registration,
    data: RegistrationData,
    now: dt.datetime | None = None,
    actor: AbstractBaseUser | None = None,
) -> Registration:
    """Change the answers until the edit deadline (``edition.edit_deadline``, or the first day of
    the edition when none is set). The e-mail address cannot be changed here (``data.email`` is
    ignored). When the days change, a registration with a seat needs a seat on each added day
    (else "full" and nothing changes); the seats of removed days are freed and offered."""
    now = now or timezone.now()
    registration = _fresh(registration)
    edition = registration.edition
    if registration.status not in ACTIVE_STATUSES:
        raise _not_active()
    if now >= _edit_deadline(edition):
        raise RegistrationError(_("Answers can no longer be changed."), "deadline")
    clean = _clean(edition, data, participant=False)
    version = _privacy_notice_version(now) if clean.privacy_consent else ""
    _pools_ready(edition, now)
    new_days = set(clean.day_ids)
    with _atomic():
        old_days = set(_day_ids(registration))
        moves_seats = new_days != old_days and registration.status in (
            SEAT_STATUSES | {Status.WAITING}
        )
        if moves_seats:
            seats.lock_edition_pool(edition.pk)
            # Under the edition's lock the seat-holding state cannot change any more.
            registration = Registration.objects.select_for_update().get(pk=registration.pk)
            registration.edition = edition
            if registration.status not in ACTIVE_STATUSES:
                raise _not_active()
            old_days = set(_day_ids(registration))
        added, removed = sorted(new_days - old_days), sorted(old_days - new_days)
        if moves_seats and registration.status in SEAT_STATUSES:
            if added and not seats.take_days(added):
                raise RegistrationError(
                    _("There are no free places left on one of the days you added."), "full"
                )
            if removed:
                seats.release_days(removed)
        changes = {name: getattr(clean, name) for name in _UPDATABLE_FIELDS}
        old_tracks = sorted(registration.tracks.values_list("pk", flat=True))
        old_values = {name: getattr(registration, name) for name in changes}
        if clean.privacy_consent and (
            version != registration.privacy_notice_version or not registration.privacy_consent_at
        ):
            changes.update(privacy_consent_at=now, privacy_notice_version=version)
        if not _cas(registration, ACTIVE_STATUSES, now, **changes):
            raise _not_active()  # cancelled or expired meanwhile; nothing is changed
        through = Registration.days.through
        if removed:
            through.objects.filter(registration_id=registration.pk, day_id__in=removed).delete()
        if added:
            through.objects.bulk_create(
                through(registration_id=registration.pk, day_id=day_id) for day_id in added
            )
        registration.tracks.set(clean.track_ids)
        _audit(
            registration,
            "update",
            actor=actor,
            before=None,
            changes=(
                {**old_values, "days": sorted(old_days), "tracks": old_tracks},
                {
                    **{name: changes[name] for name in old_values},
                    "days": sorted(new_days),
                    "tracks": sorted(clean.track_ids),
                },
            ),
        )
        if moves_seats:
            _offer_free_seats(edition, now)
    return _fresh(registration)


def registration_link_resend(*, edition: Edition, email: str, language: str) -> None:
    """Mail a new secret link to a registered address (earlier links stop working). Says and
    does nothing visible otherwise, so that nobody learns whether an address is registered."""
    registration = selectors.registration_get_active(edition=edition, email=email)
    if registration is None:
        logger.info("Link asked for an address not registered for %s", edition.slug)
        return
    _resend(registration)


def registration_mail_resend(
    *, registration: Registration, actor: AbstractBaseUser | None = None
) -> Registration:
    """The organiser sends the participant a new link (and the state of their registration)."""
    registration = _fresh(registration)
    if registration.status not in ACTIVE_STATUSES:
        raise _not_active()
    with _atomic():
        _resend(registration)
        _audit(registration, "resend", actor=actor, before=registration.status)
    return registration


def registration_approve(
    *, registration: Registration, actor: AbstractBaseUser | None, now: dt.datetime | None = None
) -> Registration:
    now = now or timezone.now()
    for _attempt in range(ATTEMPTS):
        registration = _fresh(registration)
        if registration.status != Status.PENDING_APPROVAL:
            raise _wrong_status()
        with _atomic():
            if not _cas(
                registration,
                {Status.PENDING_APPROVAL},
                now,
                status=Status.CONFIRMED,
                confirmed_at=now,
                decided_at=now,
                decided_by=actor,
            ):
                continue
            _audit(registration, "approve", actor=actor, before=Status.PENDING_APPROVAL)
            mails.mail(registration, "approved", attach_calendar=True)
        return registration
    raise _conflict()


def registration_reject(
    *, registration: Registration, actor: AbstractBaseUser | None, now: dt.datetime | None = None
) -> Registration:
    now = now or timezone.now()
    for _attempt in range(ATTEMPTS):
        registration = _fresh(registration)
        if registration.status != Status.PENDING_APPROVAL:
            raise _wrong_status()
        with _atomic():
            seats.lock_edition_pool(registration.edition_id)
            if not _cas(
                registration,
                {Status.PENDING_APPROVAL},
                now,
                status=Status.REJECTED,
                decided_at=now,
                decided_by=actor,
                ended_at=now,
            ):
                continue
            _audit(registration, "reject", actor=actor, before=Status.PENDING_APPROVAL)
            seats.release_seat(registration.edition_id, _day_ids(registration))
            _offer_free_seats(registration.edition, now)
            mails.mail(registration, "rejected")
        return registration
    raise _conflict()


def registration_offer(
    *,
    registration: Registration,
    actor: AbstractBaseUser | None,
    over_capacity: bool = False,
    now: dt.datetime | None = None,
) -> Registration:
    """The organiser moves someone from the waiting list: offer them a seat now, out of turn
    (over the capacity when ``over_capacity``; else "full" when there is no seat for them)."""
    now = now or timezone.now()
    for _attempt in range(ATTEMPTS):
        registration = _fresh(registration)
        status = registration.status
        if status not in {Status.WAITING, Status.WAITING_UNVERIFIED}:
            raise _wrong_status()
        _pools_ready(registration.edition, now)
        with _atomic():
            seats.lock_edition_pool(registration.edition_id)
            day_ids = _day_ids(registration)
            if not seats.take_seat(registration.edition_id, day_ids, force=over_capacity):
                raise RegistrationError(_("There is no free seat for this person."), "full")
            if not _cas(registration, {status}, now, **_offer_changes(registration, now)):
                transaction.set_rollback(True)
                continue
            _audit(registration, "offer", actor=actor, before=status, over_capacity=over_capacity)
            mails.mail(registration, "offer")
        return registration
    raise _conflict()


def registration_restore(
    *,
    registration: Registration,
    actor: AbstractBaseUser | None,
    over_capacity: bool = False,
    now: dt.datetime | None = None,
) -> Registration:
    """The organiser brings back a cancelled, expired or rejected registration: confirmed when
    a seat is free on the edition and its days (or over the capacity when ``over_capacity``),
    else at the end of the waiting list. Code "duplicate" when the address has another live
    registration in the edition."""
    now = now or timezone.now()
    for _attempt in range(ATTEMPTS):
        registration = _fresh(registration)
        status = registration.status
        if status not in {Status.CANCELLED, Status.EXPIRED, Status.REJECTED}:
            raise _wrong_status()
        _pools_ready(registration.edition, now)
        try:
            with _atomic():
                seats.lock_edition_pool(registration.edition_id)
                day_ids = _day_ids(registration)
                with_seat = seats.take_seat(registration.edition_id, day_ids, force=over_capacity)
                changes = {
                    "status": Status.CONFIRMED if with_seat else Status.WAITING,
                    "ended_at": None,
                    "cancelled_by": None,
                    "hold_expires_at": None,
                    "offer_expires_at": None,
                    "confirmed_at": now if with_seat else None,
                    # the waiting list is ordered by this: a restored person joins at its end
                    "verified_at": (registration.verified_at or now) if with_seat else now,
                }
                if not _cas(registration, {status}, now, **changes):
                    transaction.set_rollback(True)
                    continue
                _audit(
                    registration, "restore", actor=actor, before=status, over_capacity=over_capacity
                )
                if with_seat:
                    mails.mail_seat(registration)
                else:
                    mails.mail(registration, "waiting")
        except IntegrityError as error:
            if constraint_violated(error, "registration_active_email_unique"):
                raise RegistrationError(
                    _("This e-mail address has another active registration in this edition."),
                    "duplicate",
                ) from error
            raise
        return registration
    raise _conflict()


def registration_expire_due(*, now: dt.datetime | None = None) -> int:
    """The periodic job: end the holds and offers whose time has passed (freeing their seats
    for the waiting list) and unconfirmed waiting-list registrations; bring the seat pools in
    line with capacities changed without ``edition_capacity_change``. Returns how many
    registrations expired. Safe to run twice at once (every change is a compare-and-set)."""
    now = now or timezone.now()
    due = (
        Registration.objects.filter(
            Q(status__in=[Status.HELD, Status.WAITING_UNVERIFIED], hold_expires_at__lte=now)
            | Q(status=Status.OFFERED, offer_expires_at__lte=now)
        )
        .select_related("edition")
        .order_by("hold_expires_at", "offer_expires_at", "pk")
    )
    expired = 0
    while batch := list(due[:200]):
        expired += sum(_expire(registration, now) for registration in batch)
        if len(batch) < 200:
            break
    for edition_id in _editions_needing_sync():
        _pools_sync(edition_id, now)
    return expired


def edition_capacity_change(
    *,
    edition: Edition,
    capacity: int | None,
    actor: AbstractBaseUser | None = None,
    now: dt.datetime | None = None,
) -> int:
    """Set the edition's number of places (None: no limit). Seats already given stay given even
    when the new number is lower; seats that become free are offered to the waiting list at
    once. Returns how many offers were made. The Edition admin must save capacity through this."""
    if capacity is not None and capacity < 0:
        raise RegistrationError(_("The number of places cannot be negative."), "invalid")
    now = now or timezone.now()
    with _atomic():
        Edition.objects.filter(pk=edition.pk).update(capacity=capacity, updated_at=now)
        content_changed()  # the memoized edition (kongres.core.cache) is read again
        offers = _pools_sync(edition.pk, now)
    edition.capacity = capacity
    logger.info(
        "Capacity of %s set to %s by %s: %s offer(s)", edition.slug, capacity, actor, offers
    )
    return offers


def day_capacity_change(
    *,
    day: Day,
    capacity: int | None,
    actor: AbstractBaseUser | None = None,
    now: dt.datetime | None = None,
) -> int:
    """Set one day's number of places (None: only the edition's limit); like
    ``edition_capacity_change``."""
    if capacity is not None and capacity < 0:
        raise RegistrationError(_("The number of places cannot be negative."), "invalid")
    now = now or timezone.now()
    with _atomic():
        Day.objects.filter(pk=day.pk).update(capacity=capacity)
        content_changed()
        offers = _pools_sync(day.edition_id, now)
    day.capacity = capacity
    logger.info("Capacity of %s set to %s by %s: %s offer(s)", day, capacity, actor, offers)
    return offers


# ---------------------------------------------------------------------------------------------
# Creating
# ---------------------------------------------------------------------------------------------


class _NoSeat(Exception):
    """The seat that looked free was taken meanwhile: roll back and register as waiting."""


_UPDATABLE_FIELDS = (
    "first_name",
    "last_name",
    "institution",
    "position",
    "sector",
    "town",
    "voivodeship",
    "municipality_size",
    "accessibility_needs",
    "accessibility_other",
    "dietary_needs",
    "photo_consent",
    "newsletter_consent",
    "answers",
    "language",
)


def _create(
    edition: Edition,
    clean: RegistrationData,
    privacy_notice_version: str,
    token: str,
    hashed: str,
    now: dt.datetime,
    actor: AbstractBaseUser | None,
    with_seat: bool,
    over_capacity: bool,
) -> tuple[Registration, str]:
    registration = _new(edition, clean, privacy_notice_version, now, actor, with_seat)
    with _atomic():
        registration.save(force_insert=True)
        Registration.days.through.objects.bulk_create(
            Registration.days.through(registration_id=registration.pk, day_id=day_id)
            for day_id in clean.day_ids
        )
        if clean.track_ids:
            Registration.tracks.through.objects.bulk_create(
                Registration.tracks.through(registration_id=registration.pk, track_id=track_id)
                for track_id in clean.track_ids
            )
        RegistrationToken.objects.create(registration=registration, token_hash=hashed)
        _audit(registration, "create", actor=actor, before=None, over_capacity=over_capacity)
        # The mail is rendered and queued before the seat is taken: the seat's lock is held
        # only from the UPDATE below to the COMMIT.
        if actor is None:
            mails.mail(registration, "verify", token=token)
        elif with_seat:
            mails.mail_seat(registration, token=token)
        else:
            mails.mail(registration, "waiting", token=token)
        if with_seat and not seats.take_seat(edition.pk, clean.day_ids, force=over_capacity):
            raise _NoSeat
    return registration, token


def _new(
    edition: Edition,
    clean: RegistrationData,
    privacy_notice_version: str,
    now: dt.datetime,
    actor: AbstractBaseUser | None,
    with_seat: bool,
) -> Registration:
    registration = Registration(
        edition=edition,
        email=clean.email,
        created_by=actor,
        language=clean.language,
        **{name: getattr(clean, name) for name in _UPDATABLE_FIELDS if name != "language"},
    )
    if clean.privacy_consent:
        registration.privacy_consent_at = now
        registration.privacy_notice_version = privacy_notice_version
    if actor is None:
        registration.status = Status.HELD if with_seat else Status.WAITING_UNVERIFIED
        registration.hold_expires_at = now + dt.timedelta(minutes=edition.hold_minutes)
    else:  # an organiser vouches for the address
        registration.status = Status.CONFIRMED if with_seat else Status.WAITING
        registration.verified_at = now
        registration.confirmed_at = now if with_seat else None
    return registration


def _privacy_notice_version(now: dt.datetime) -> str:
    """The fingerprint of the privacy notice now shown ("" without one), its text kept as a
    ``PrivacyNoticeVersion`` the first time a consent refers to it. Stored before the consent's
    own transaction (a text kept that nobody consented to in the end does no harm) and kept in
    the cache while the content is unchanged (``memoized``: editing the page bumps the content
    generation), so a registration spends no query on it."""
    return memoized("registration:privacy-notice", lambda: _privacy_notice_store(now))


def _privacy_notice_store(now: dt.datetime) -> str:
    from kongres.content.models import PrivacyNoticeVersion

    texts = selectors.privacy_notice_texts()
    version = selectors.privacy_fingerprint(texts)
    if version:
        PrivacyNoticeVersion.objects.bulk_create(
            [PrivacyNoticeVersion(fingerprint=version, first_seen_at=now, **texts)],
            ignore_conflicts=True,
        )
    return version


def _check_window(edition: Edition, now: dt.datetime) -> None:
    if edition.status == Edition.Status.DRAFT:
        raise RegistrationError(_("Registration is not open yet."), "not_open")
    if edition.status == Edition.Status.ARCHIVED or _is_past(edition, now):
        raise RegistrationError(_("This edition is over."), "closed")
    if edition.registration_opens_at and now < edition.registration_opens_at:
        when = formats.date_format(
            timezone.localtime(edition.registration_opens_at, _zone(edition)), "DATETIME_FORMAT"
        )
        raise RegistrationError(_("Registration opens on %(when)s.") % {"when": when}, "not_open")
    if edition.registration_closes_at and now >= edition.registration_closes_at:
        raise RegistrationError(_("Registration is closed."), "closed")


def _is_past(edition: Edition, now: dt.datetime) -> bool:
    return edition.is_past(timezone.localtime(now, _zone(edition)).date())


def _edit_deadline(edition: Edition) -> dt.datetime:
    if edition.edit_deadline:
        return edition.edit_deadline
    return dt.datetime.combine(edition.start_date, dt.time.min, tzinfo=_zone(edition))


def _zone(edition: Edition):
    from kongres.events.ics import edition_zone

    return edition_zone(edition=edition)


def _clean(
    edition: Edition,
    data: RegistrationData,
    *,
    participant: bool,
    parts: EditionParts | None = None,
) -> RegistrationData:
    """Check what the form sent (the form checks it too; this is the last word) and return it
    normalised. Raises "invalid" with a message naming the problem. The days, panels and
    questions are ``parts`` when given, else read."""

    def invalid(message) -> RegistrationError:
        return RegistrationError(message, "invalid")

    first_name, last_name = data.first_name.strip(), data.last_name.strip()
    if not first_name or not last_name:
        raise invalid(_("Enter your first and last name."))
    email = data.email.strip()
    try:
        validate_email(email)
    except ValidationError as error:
        raise invalid(_("Enter a valid e-mail address.")) from error
    local, _at, domain = email.rpartition("@")
    email = f"{local}@{domain.lower()}"
    for value, choices, label in (
        (data.sector, Sector, _("sector")),
        (data.voivodeship, Voivodeship, _("voivodeship")),
        (data.municipality_size, MunicipalitySize, _("size of the municipality")),
    ):
        if value and value not in choices.values:
            raise invalid(_("Choose a %(field)s from the list.") % {"field": label})
    if not set(data.accessibility_needs) <= set(AccessibilityNeed.values):
        raise invalid(_("Choose accessibility needs from the list."))
    languages = {code for code, _name in settings.LANGUAGES}
    language = data.language if data.language in languages else settings.LANGUAGE_CODE
    if participant and not data.privacy_consent:
        raise invalid(_("Please accept the privacy notice."))

    try:
        day_ids = sorted(set(map(int, data.day_ids)))
        track_ids = sorted(set(map(int, data.track_ids)))
    except (TypeError, ValueError) as error:
        raise invalid(_("Choose days and panels from the list.")) from error
    if parts is not None:
        edition_days = {day.pk: day.date for day in parts.days}
    else:
        edition_days = dict(Day.objects.filter(edition=edition).values_list("pk", "date"))
    if not set(day_ids) <= set(edition_days):
        raise invalid(_("Choose days of this edition."))
    if edition_days and not day_ids:
        raise invalid(_("Choose at least one day."))
    day_ids.sort(key=edition_days.__getitem__)  # date order, the lock order of the day pools
    if parts is not None:
        tracks_ok = set(track_ids) <= {track.pk for track in parts.tracks}
    else:
        tracks_ok = not track_ids or Track.objects.filter(
            edition=edition, pk__in=track_ids
        ).count() == len(track_ids)
    if not tracks_ok:
        raise invalid(_("Choose panels of this edition."))

    return RegistrationData(
        first_name=first_name[:100],
        last_name=last_name[:100],
        email=email,
        institution=data.institution.strip()[:200],
        position=data.position.strip()[:150],
        sector=data.sector,
        town=data.town.strip()[:100],
        voivodeship=data.voivodeship,
        municipality_size=data.municipality_size,
        day_ids=day_ids,
        track_ids=track_ids,
        accessibility_needs=sorted(set(data.accessibility_needs)),
        accessibility_other=data.accessibility_other.strip(),
        dietary_needs=data.dietary_needs.strip(),
        privacy_consent=bool(data.privacy_consent),
        photo_consent=bool(data.photo_consent),
        newsletter_consent=bool(data.newsletter_consent),
        answers=_clean_answers(
            edition,
            data.answers,
            participant=participant,
            questions=parts.questions if parts is not None else None,
        ),
        language=language,
    )


def _clean_answers(
    edition: Edition,
    answers: dict,
    *,
    participant: bool,
    questions: Sequence[Question] | None = None,
) -> dict:
    """Keep the answers to the questions asked (in the form the kind says); a required
    question asked must be answered (organisers adding someone may leave it open)."""
    if questions is None:
        questions = selectors.question_list(edition=edition)
    clean: dict[str, object] = {}
    for question in questions:  # in order, so that a dependency is checked before its dependant
        if question.depends_on_id is not None and not question.is_asked(clean):
            continue
        value = _clean_answer(question, answers.get(question.slug))
        if value in (None, "", []):
            if question.required and participant:
                raise RegistrationError(
                    _("Please answer: %(question)s") % {"question": question.label}, "invalid"
                )
            continue
        clean[question.slug] = value
    return clean


def _clean_answer(question: Question, value: object) -> object:
    def invalid() -> RegistrationError:
        return RegistrationError(
            _("The answer to “%(question)s” is not one of the choices.")
            % {"question": question.label},
            "invalid",
        )

    if value is None:
        return None
    if question.kind == QuestionKind.YESNO:
        if isinstance(value, bool):
            return value
        if value in ("yes", "no"):
            return value == "yes"
        raise invalid()
    if question.kind == QuestionKind.MULTIPLE:
        values = [str(item) for item in (value if isinstance(value, list | tuple) else [value])]
        if not set(values) <= set(question.choice_values):
            raise invalid()
        return [item for item in question.choice_values if item in values]  # the choices' order
    value = str(value).strip()
    if question.kind == QuestionKind.SINGLE and value and value not in question.choice_values:
        raise invalid()
    return value[:2000]


# ---------------------------------------------------------------------------------------------
# Confirming, expiring, offering
# ---------------------------------------------------------------------------------------------


def _verify_held(registration: Registration, token: str, now: dt.datetime) -> bool:
    new = _seat_confirmed_status(registration.edition)
    with _atomic():
        if not _cas(
            registration,
            {Status.HELD},
            now,
            status=new,
            hold_expires_at__gt=now,
            verified_at=now,
            confirmed_at=now if new == Status.CONFIRMED else None,
            hold_expires_at=None,
        ):
            return False
        _audit(registration, "verify", actor=None, before=Status.HELD)
        mails.mail_seat(registration, token=token)
    return True


def _verify_waiting(registration: Registration, token: str, now: dt.datetime) -> bool:
    with _atomic():
        seats.lock_edition_pool(registration.edition_id)
        if not _cas(
            registration,
            {Status.WAITING_UNVERIFIED},
            now,
            status=Status.WAITING,
            hold_expires_at__gt=now,
            verified_at=now,
            hold_expires_at=None,
        ):
            return False
        _audit(registration, "verify", actor=None, before=Status.WAITING_UNVERIFIED)
        got_seat = registration.pk in _offer_free_seats(
            registration.edition, now, present=registration.pk
        )
        if got_seat:
            registration.refresh_from_db()
            mails.mail_seat(registration, token=token)
        else:
            mails.mail(registration, "waiting", token=token)
    return True


def _expire(registration: Registration, now: dt.datetime) -> bool:
    """End a hold, an unconfirmed waiting-list place or an offer whose time has passed; free its
    seat for the waiting list. False when it changed meanwhile (confirmed, cancelled, …)."""
    status = registration.status
    deadline = {
        Status.HELD: "hold_expires_at",
        Status.WAITING_UNVERIFIED: "hold_expires_at",
        Status.OFFERED: "offer_expires_at",
    }[status]
    with _atomic():
        if status in SEAT_STATUSES:
            seats.lock_edition_pool(registration.edition_id)
        if not _cas(
            registration,
            {status},
            now,
            status=Status.EXPIRED,
            ended_at=now,
            **{f"{deadline}__lte": now},
        ):
            return False
        _audit(registration, "expire", actor=None, before=status)
        if status in SEAT_STATUSES:
            seats.release_seat(registration.edition_id, _day_ids(registration))
            _offer_free_seats(registration.edition, now)
        mail = {
            Status.HELD: "hold_expired",
            Status.WAITING_UNVERIFIED: "hold_expired",
            Status.OFFERED: "offer_expired",
        }[status]
        mails.mail(registration, mail, had_seat=status in SEAT_STATUSES)
    return True


def _offer_changes(registration: Registration, now: dt.datetime) -> dict:
    return {
        "status": Status.OFFERED,
        "offered_at": now,
        "offer_expires_at": now + dt.timedelta(hours=registration.edition.offer_hours),
        "verified_at": registration.verified_at or now,
        "hold_expires_at": None,
    }


def _offer_free_seats(
    edition: Edition, now: dt.datetime, *, present: int | None = None
) -> list[int]:
    """Offer free seats to the waiting list, first come (by the time the address was
    confirmed) first served, skipping those whose days are full. Call with the edition's pool
    locked. The registration ``present`` (someone confirming their address right now) gets the
    seat at once instead of an offer. Returns the ids of the registrations given a seat."""
    if _is_past(edition, now):
        return []
    pools = {pool.day_id: pool for pool in SeatPool.objects.filter(edition_id=edition.pk)}
    edition_pool = pools[None]
    if edition_pool.free == 0:
        return []
    queue = (
        Registration.objects.filter(edition_id=edition.pk, status=Status.WAITING)
        .order_by("verified_at", "pk")
        .prefetch_related("days")
    )
    given: list[int] = []
    for candidate in queue.iterator(chunk_size=100):
        candidate.edition = edition
        day_ids = [day.pk for day in candidate.days.all()]  # date order (Day.Meta.ordering)
        if any(day_id not in pools or pools[day_id].free == 0 for day_id in day_ids):
            continue
        if not seats.take_seat(edition.pk, day_ids):  # cannot fail under the lock; the guard
            break
        if candidate.pk == present:
            new = _seat_confirmed_status(edition)
            changes = {"status": new, "confirmed_at": now if new == Status.CONFIRMED else None}
        else:
            changes = _offer_changes(candidate, now)
        if not _cas(candidate, {Status.WAITING}, now, **changes):  # left the list meanwhile
            seats.release_seat(edition.pk, day_ids)
            continue
        for pool in [edition_pool, *(pools[day_id] for day_id in day_ids)]:
            pool.taken += 1
        given.append(candidate.pk)
        _audit(candidate, "waiting_list", actor=None, before=Status.WAITING)
        if candidate.pk != present:
            mails.mail(candidate, "offer")
        if edition_pool.free == 0:
            break
    if given:
        logger.info("%s: seat(s) given to %s from the waiting list", edition.slug, given)
    return given


def _seat_confirmed_status(edition: Edition) -> str:
    return Status.PENDING_APPROVAL if edition.requires_approval else Status.CONFIRMED


# ---------------------------------------------------------------------------------------------
# Seat pools (the statements: seats.py)
# ---------------------------------------------------------------------------------------------


def _pools_ready(
    edition: Edition, now: dt.datetime, *, day_ids: list[int] | None = None
) -> seats.Pools:
    """The seat pools of the edition and its days as ``{day id or None: (capacity, taken)}``,
    created or brought in line with ``Edition.capacity``/``Day.capacity`` first when needed
    (normally this is one read, outside any transaction). ``day_ids``: the edition's days, when
    the caller has just read them."""
    for attempt in range(ATTEMPTS):
        with connection.cursor() as cursor:
            cursor.execute(seats.POOLS_SQL, [edition.pk])
            rows = cursor.fetchall()
        pools, in_line = {}, True
        for day_id, capacity, taken, edition_capacity, day_capacity in rows:
            pools[day_id] = (capacity, taken)
            in_line &= capacity == (edition_capacity if day_id is None else day_capacity)
        if day_ids is not None and attempt == 0:
            days = set(day_ids)
        else:
            days = set(Day.objects.filter(edition=edition).values_list("pk", flat=True))
        if pools.keys() != {None, *days}:
            seats.pools_create(edition.pk)
        elif in_line:
            return pools
        else:
            _pools_sync(edition.pk, now)
    return pools


def _pools_sync(edition_id: int, now: dt.datetime) -> int:
    """Create missing pools, recount them from the registrations, set their capacities from the
    edition and its days, and offer the seats that became free. Returns the offers made."""
    seats.pools_create(edition_id)
    with _atomic():
        seats.lock_edition_pool(edition_id)
        edition = Edition.objects.get(pk=edition_id)
        counts = selectors.edition_seats(edition=edition)
        by_day = {each.day.pk: each for each in selectors.edition_day_seats(edition=edition)}
        pools = list(SeatPool.objects.filter(edition_id=edition_id))
        for pool in pools:
            if pool.day_id is None:
                pool.capacity, pool.taken = edition.capacity, counts.taken
            else:
                day_seats = by_day[pool.day_id]
                pool.capacity, pool.taken = day_seats.capacity, day_seats.taken
            pool.overbooked = 0 if pool.capacity is None else max(pool.taken - pool.capacity, 0)
        SeatPool.objects.bulk_update(pools, ["capacity", "taken", "overbooked"])
        return len(_offer_free_seats(edition, now))


def _editions_needing_sync() -> list[int]:
    """Editions whose pools disagree with the capacities (changed without
    ``edition_capacity_change``), or with a free seat while someone waits (a safety net; the
    services keep that from happening)."""
    rows = SeatPool.objects.values_list(
        "edition_id", "day_id", "capacity", "edition__capacity", "day__capacity"
    )
    stale = {
        edition_id
        for edition_id, day_id, capacity, edition_capacity, day_capacity in rows
        if capacity != (edition_capacity if day_id is None else day_capacity)
    }
    waiting = Registration.objects.filter(status=Status.WAITING).values("edition_id")
    free_while_waiting = SeatPool.objects.filter(
        seats.free_q(), day__isnull=True, edition_id__in=waiting
    ).values_list("edition_id", flat=True)
    return sorted(stale | set(free_while_waiting))


# ---------------------------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------------------------


def _cas(registration: Registration, from_statuses: set, now: dt.datetime, **changes) -> bool:
    """Compare-and-set: apply ``changes`` only while the registration is still in one of
    ``from_statuses`` (and matches any ``field__lookup`` condition given); update the object.
    """
    conditions = {key: value for key, value in changes.items() if "__" in key}
    values = {key: value for key, value in changes.items() if "__" not in key}
    updated = Registration.objects.filter(
        pk=registration.pk, status__in=from_statuses, **conditions
    ).update(**values, updated_at=now)
    if updated:
        for key, value in values.items():
            setattr(registration, key, value)
        registration.updated_at = now
    return bool(updated)


def _audit(
    registration: Registration,
    action: str,
    *,
    actor: AbstractBaseUser | None,
    before: str | None,
    changes: tuple[dict, dict] | None = None,
    **after,
) -> None:
    """Record a transition in the audit log, in its transaction: who (None: the participant
    or the system), the status before and after (and other values changed)."""
    from kongres.orga.services import audit_log

    before_values = {"status": str(before)} if before else {}
    after_values = {"status": str(registration.status), **after}
    if changes is not None:
        before_values.update(changes[0])
        after_values.update(changes[1])
    audit_log(
        actor=actor,
        action=f"registration.{action}",
        obj=registration,
        before=before_values,
        after=after_values,
    )


def _fresh(registration: Registration) -> Registration:
    return Registration.objects.select_related("edition").get(pk=registration.pk)


def _day_ids(registration: Registration) -> list[int]:
    return list(
        Registration.days.through.objects.filter(registration_id=registration.pk)
        .order_by("day__date")
        .values_list("day_id", flat=True)
    )


def _by_token(token: str) -> Registration:
    registration = selectors.registration_get_by_token(token=token)
    if registration is None:
        raise RegistrationError(
            _("This link is not valid. Ask for a new one on the registration page."),
            "invalid_link",
        )
    return registration


def _not_active() -> RegistrationError:
    return RegistrationError(_("This registration is no longer active."), "not_active")


def _wrong_status() -> RegistrationError:
    return RegistrationError(
        _("This cannot be done with a registration in this state."), "wrong_status"
    )


def _offer_expired() -> RegistrationError:
    return RegistrationError(
        _("This offer has ended and the seat went to the next person on the list."),
        "offer_expired",
    )


def _conflict() -> RegistrationError:
    return RegistrationError(
        _("The registration was changed at the same time. Please try again."), "conflict"
    )


# ---------------------------------------------------------------------------------------------
# Mail
# ---------------------------------------------------------------------------------------------


def _resend(registration: Registration) -> None:
    """Replace every link of the registration with a new one and mail it."""
    token, hashed = token_new()
    with _atomic():
        RegistrationToken.objects.filter(registration=registration).delete()
        RegistrationToken.objects.create(registration=registration, token_hash=hashed)
        mails.mail(registration, "link", token=token)
