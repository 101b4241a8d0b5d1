"""Seats that become free and who gets them: the seat pools brought in line with the
capacities, free seats offered to the waiting list (first come, first served, skipping those
whose days are full), holds and offers that expire, and the capacities changed by organisers."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from typing import NamedTuple

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import connection, transaction
from django.db.models import Case, CharField, DateTimeField, Exists, OuterRef, Q, Value, When
from django.db.models.functions import Cast, Concat
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kongres.core.cache import content_changed
from kongres.events.models import Day, Edition
from kongres.mail.models import OutboxMessage
from kongres.registration import mails, rules, seats, selectors
from kongres.registration.exceptions import RegistrationError
from kongres.registration.models import (
    SEAT_STATUSES,
    Registration,
    SeatPool,
)
from kongres.registration.selectors import seats_closed
from kongres.registration.services._common import (
    ATTEMPTS,
    Status,
    _atomic,
    _audit,
    _cas,
    _day_ids,
    _seat_confirmed_status,
    _webhook,
)
from kongres.registration.services.sessions import session_offers_expire_due
from kongres.webhooks.models import WebhookEvent

logger = logging.getLogger(__name__)

# The mail that announces each deadline: the statuses it concerns, the deadline's field and its
# length. A deadline does not run out while its mail waits to be delivered (the mail server is
# down, a queue is long), and it lasts its whole length from the delivery
# (``deadlines_after_mail``): a mail that arrives late costs nobody the place.
DEADLINE_MAILS = {
    "registration.verify": (
        (Status.HELD, Status.WAITING_UNVERIFIED),
        "hold_expires_at",
        lambda edition: dt.timedelta(minutes=edition.hold_minutes),
    ),
    "registration.offer": (
        (Status.OFFERED,),
        "offer_expires_at",
        lambda edition: dt.timedelta(hours=edition.offer_hours),
    ),
}


def _mail_undelivered(kind: str) -> Exists:
    """Whether the registration (the outer row) has a mail of ``kind`` not yet delivered."""
    return Exists(
        OutboxMessage.objects.filter(
            related=Concat(Value("registration:"), Cast(OuterRef("pk"), CharField())),
            kind=kind,
            status__in=[OutboxMessage.Status.QUEUED, OutboxMessage.Status.SENDING],
        )
    )


def deadlines_after_mail(*, messages: Sequence[OutboxMessage], **kwargs) -> None:
    """Receiver of ``mail.signals.messages_sent`` (a batch of delivered messages): when the
    mail announcing a hold or an offer is delivered, its deadline becomes at least the
    delivery plus the deadline's full length, for a registration still in the statuses the
    mail announced. One read of the editions' lengths and one update for each kind of mail."""
    delivered: dict[str, dict[int, dt.datetime]] = {}  # kind → {registration: delivered at}
    for message in messages:
        prefix, _sep, pk = message.related.partition(":")
        if message.kind in DEADLINE_MAILS and prefix == "registration" and pk.isdigit():
            by_registration = delivered.setdefault(message.kind, {})
            by_registration[int(pk)] = max(
                message.sent_at, by_registration.get(int(pk), message.sent_at)
            )
    for kind, sent_at in delivered.items():
        statuses, field, length = DEADLINE_MAILS[kind]
        with transaction.atomic():  # a savepoint inside the delivery's transaction
            registrations = (
                Registration.objects.filter(pk__in=sent_at, status__in=statuses)
                .select_related("edition")
                .only("pk", "edition__hold_minutes", "edition__offer_hours")
            )
            deadlines = {
                registration.pk: sent_at[registration.pk] + length(registration.edition)
                for registration in registrations
            }
            if not deadlines:
                continue
            deadline = Case(
                *(When(pk=pk, then=Value(value)) for pk, value in deadlines.items()),
                output_field=DateTimeField(),
            )
            Registration.objects.filter(
                pk__in=deadlines, status__in=statuses, **{f"{field}__lt": deadline}
            ).update(**{field: deadline, "updated_at": timezone.now()})


class PoolsRead(NamedTuple):
    """The seat pools, and what a new registration needs with them (one read, ``seats.POOLS_SQL``):
    whether the edition is in draw mode before its draw, whether it has webhook subscribers."""

    pools: seats.Pools
    seats_closed: bool
    subscribed: bool


def _pools_ready(
    edition: Edition, now: dt.datetime, *, day_ids: list[int] | None = None
) -> seats.Pools:
    """The seat pools of the edition and its days as ``{day id or None: (capacity, taken)}``,
    created or brought in line with ``Edition.capacity``/``Day.capacity`` first when needed
    (normally this is one read, outside any transaction). ``day_ids``: the edition's days, when
    the caller has just read them."""
    return _pools_read(edition, now, day_ids=day_ids).pools


def _pools_read(
    edition: Edition, now: dt.datetime, *, day_ids: list[int] | None = None
) -> PoolsRead:
    """``_pools_ready``, with the two flags of ``PoolsRead``."""
    closed = subscribed = False
    for attempt in range(ATTEMPTS):
        with connection.cursor() as cursor:
            cursor.execute(seats.POOLS_SQL, [edition.pk])
            rows = cursor.fetchall()
        pools, in_line = {}, True
        for day_id, capacity, taken, edition_capacity, day_capacity, *flags in rows:
            pools[day_id] = (capacity, taken)
            closed, subscribed = flags
            in_line &= capacity == (edition_capacity if day_id is None else day_capacity)
        if day_ids is not None and attempt == 0:
            days = set(day_ids)
        else:
            days = set(Day.objects.filter(edition=edition).values_list("pk", flat=True))
        if pools.keys() != {None, *days}:
            seats.pools_create(edition.pk)
        elif in_line:
            break
        else:
            _pools_sync(edition.pk, now)
    return PoolsRead(pools, bool(closed), bool(subscribed))


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
    waiting = (
        Registration.objects.filter(status=Status.WAITING)
        # (draw mode before the draw: the free seats wait for the draw)
        .exclude(edition__allocation__mode="draw", edition__draw__isnull=True)
        .values("edition_id")
    )
    free_while_waiting = SeatPool.objects.filter(
        seats.free_q(), day__isnull=True, edition_id__in=waiting
    ).values_list("edition_id", flat=True)
    return sorted(stale | set(free_while_waiting))


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
    confirmed; after a draw, those drawn first, in drawn order) first served, skipping those
    whose days are full. Call with the edition's pool locked. The registration ``present``
    (someone confirming their address right now) gets the seat at once instead of an offer.
    Returns the ids of the registrations given a seat."""
    if rules.is_past(edition, now) or seats_closed(edition.pk):
        return []  # (draw mode: nobody gets a seat before the draw)
    pools = {pool.day_id: pool for pool in SeatPool.objects.filter(edition_id=edition.pk)}
    edition_pool = pools[None]
    if edition_pool.free == 0:
        return []
    queue = (
        Registration.objects.filter(edition_id=edition.pk, status=Status.WAITING)
        .order_by(*selectors.QUEUE_ORDER)
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
            _webhook(candidate, WebhookEvent.SEAT_OFFERED)
            mails.mail(candidate, "offer")
        if edition_pool.free == 0:
            break
    if given:
        logger.info("%s: seat(s) given to %s from the waiting list", edition.slug, given)
    return given


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


def registration_expire_due(*, now: dt.datetime | None = None) -> int:
    """The periodic job: end the holds and offers whose time has passed (freeing their seats
    for the waiting list) and unconfirmed waiting-list registrations; bring the seat pools in
    line with capacities changed without ``edition_capacity_change``. Returns how many
    registrations expired. Safe to run twice at once (every change is a compare-and-set)."""
    now = now or timezone.now()
    due = (
        Registration.objects.filter(
            Q(
                ~_mail_undelivered("registration.verify"),
                status__in=[Status.HELD, Status.WAITING_UNVERIFIED],
                hold_expires_at__lte=now,
            )
            | Q(
                ~_mail_undelivered("registration.offer"),
                status=Status.OFFERED,
                offer_expires_at__lte=now,
            )
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
    session_offers_expire_due(now=now)  # the sessions' offers (issue 18)
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
