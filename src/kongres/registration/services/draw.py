"""Allocation by draw: the edition's mode and seed (``allocation_configure``), the gate that
keeps seats from being given before the draw (``seats_closed``), the draw applied in one
transaction (``draw_run``), the worker's job (``draw_due``) and the check of a published draw
(``draw_verify``). The draw itself is the pure function ``registration.lottery.draw``.

States: in draw mode, a participant's registration is a waiting-list registration from the
start (``waiting_unverified``, then ``waiting`` once the address is confirmed; no new state:
the waiting list already means "no seat, may get one", its expiry, cancellation and mails all
hold) and the waiting list offers nothing until the draw is done. The draw then, in one
transaction: locks the edition's pool (lock 1 of the order in ``services/__init__``), numbers
the applications (``waiting`` with the address confirmed before the window closed, in the
order of confirmation), runs the draw over the free seats of the edition and of each day with
its own number of places, confirms the winners (a seat each on the edition and on the days
given them, ``pending_approval`` when approval is required; the days applied for that were full
are taken off the registration), ranks the waiting list in drawn order (the
queue follows ``DrawEntry.rank``; later registrations queue after) and ends the registrations
beyond ``waiting_list_size`` (``rejected``). The ``Draw`` row is written in that transaction:
a draw killed halfway leaves nothing, and running it again (or twice at once: the second waits
for the lock, then finds the row) changes nothing. Everybody's result mail is then queued in
batches (``draw_mails_send``: once each, whatever is killed when; the worker finishes what a
kill left)."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets
from collections import Counter
from dataclasses import dataclass

from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kongres.audit.services import audit_log
from kongres.events.models import Day, Edition
from kongres.registration import lottery, mails, seats
from kongres.registration.exceptions import RegistrationError
from kongres.registration.models import (
    Allocation,
    AllocationQuota,
    Draw,
    DrawEntry,
    Registration,
    SeatPool,
)
from kongres.registration.services._common import (
    Status,
    _atomic,
    _audit,
    _seat_confirmed_status,
)
from kongres.registration.validators import email_key
from kongres.webhooks.models import WebhookEvent
from kongres.webhooks.services import webhook_queue

logger = logging.getLogger(__name__)


def allocation_configure(
    *,
    edition: Edition,
    mode: str,
    window_opens_at: dt.datetime | None = None,
    window_closes_at: dt.datetime | None = None,
    draw_at: dt.datetime | None = None,
    waiting_list_size: int | None = None,
    actor: AbstractBaseUser | None = None,
) -> Allocation:
    """Set the edition's allocation mode. The seed is made the first time draw mode is set,
    and its commitment published from then on; nothing changes once the draw is done."""
    if Draw.objects.filter(edition=edition).exists():
        raise RegistrationError(_("The draw is done; its settings stay as they were."), "drawn")
    if window_opens_at and window_closes_at and window_closes_at <= window_opens_at:
        raise RegistrationError(_("The window must close after it opens."), "invalid")
    if draw_at and window_closes_at and draw_at < window_closes_at:
        raise RegistrationError(_("The draw cannot be before the window closes."), "invalid")
    with _atomic():
        allocation, _created = Allocation.objects.get_or_create(edition=edition)
        allocation.mode = mode
        allocation.window_opens_at = window_opens_at
        allocation.window_closes_at = window_closes_at
        allocation.draw_at = draw_at
        allocation.waiting_list_size = waiting_list_size
        if mode == Allocation.Mode.DRAW and not allocation.seed:
            allocation.seed = secrets.token_hex(32)
            allocation.commitment = lottery.commitment(bytes.fromhex(allocation.seed))
        allocation.save()
    logger.info("Allocation of %s set to %s by %s", edition.slug, mode, actor)
    return allocation


def allocation_quotas_set(*, allocation: Allocation, quotas: list) -> None:
    """Replace the allocation's quotas with ``quotas`` (unsaved ``AllocationQuota`` rows);
    nothing changes once the draw is done."""
    if Draw.objects.filter(edition_id=allocation.edition_id).exists():
        raise RegistrationError(_("The draw is done; its settings stay as they were."), "drawn")
    for quota in quotas:  # the pure draw's own checks (shares 0-100, min <= max)
        try:
            lottery.Quota(quota.dimension, quota.value, quota.min_percent, quota.max_percent)
        except ValueError as error:
            raise RegistrationError(str(error), "invalid") from error
    with _atomic():
        allocation.quotas.all().delete()
        for quota in quotas:
            quota.allocation = allocation
        AllocationQuota.objects.bulk_create(quotas)


def _priorities(allocation: Allocation) -> dict[str, int]:
    """Normalised address → the highest tier among the groups naming it."""
    tiers: dict[str, int] = {}
    for group in allocation.priority_groups.all():
        for line in group.emails.splitlines():
            if line.strip():
                key = email_key(line.strip())
                tiers[key] = max(tiers.get(key, group.tier), group.tier)
    return tiers


def _quotas(allocation: Allocation) -> list[lottery.Quota]:
    return [
        lottery.Quota(q.dimension, q.value, q.min_percent, q.max_percent)
        for q in allocation.quotas.all()
    ]


def draw_run(
    *,
    edition: Edition,
    actor: AbstractBaseUser | None = None,
    now: dt.datetime | None = None,
    mail: bool = True,
) -> Draw:
    """Run the edition's draw (see the module's docstring), then queue the result mails
    (``draw_mails_send``; ``mail=False`` leaves them to the caller or the worker); return its
    ``Draw``. Again on a drawn edition: the same ``Draw``, only mails not yet queued are."""
    now = now or timezone.now()
    draw = _draw_run(edition, actor, now)
    if mail:
        draw_mails_send(draw=draw)
    return draw


def _draw_run(edition: Edition, actor: AbstractBaseUser | None, now: dt.datetime) -> Draw:
    allocation = Allocation.objects.filter(edition=edition, mode=Allocation.Mode.DRAW).first()
    if allocation is None:
        raise RegistrationError(_("This edition gives its places without a draw."), "no_draw")
    if allocation.window_closes_at and now < allocation.window_closes_at:
        raise RegistrationError(_("The application window is still open."), "window_open")
    with _atomic():
        seats.lock_edition_pool(edition.pk)
        done = Draw.objects.filter(edition=edition).first()
        if done is not None:
            return done
        return _apply(edition, allocation, actor, now)


def _apply(
    edition: Edition, allocation: Allocation, actor: AbstractBaseUser | None, now: dt.datetime
) -> Draw:
    applications = Registration.objects.filter(edition=edition, status=Status.WAITING)
    if allocation.window_closes_at:
        applications = applications.filter(verified_at__lt=allocation.window_closes_at)
    # Locked (PostgreSQL): a participant leaving the list meanwhile waits for the draw, then
    # leaves it (or cancels the place it got) through the usual transitions.
    applications = list(
        applications.order_by("verified_at", "pk").select_for_update().prefetch_related("days")
    )
    tiers = _priorities(allocation)
    applicants, by_number = [], {}
    for number, registration in enumerate(applications, start=1):
        registration.edition = edition
        days = tuple(day.pk for day in registration.days.all())
        by_number[number] = (registration, days)
        applicants.append(
            lottery.Applicant(
                number=number,
                sector=registration.sector,
                voivodeship=registration.voivodeship,
                priority=tiers.get(registration.email_key or email_key(registration.email), 0),
                days=days,
            )
        )
    pools = {pool.day_id: pool for pool in SeatPool.objects.filter(edition_id=edition.pk)}
    places = len(applicants) if pools[None].free is None else pools[None].free
    day_places = {
        day_id: pool.free for day_id, pool in pools.items() if day_id and pool.free is not None
    }
    quotas = _quotas(allocation)
    seed = bytes.fromhex(allocation.seed)
    result = lottery.draw(applicants, places, seed, quotas, day_places, lottery.ALGORITHM)
    draw = Draw.objects.create(
        edition=edition,
        algorithm=lottery.ALGORITHM,
        seed=allocation.seed,
        commitment=allocation.commitment,
        places=places,
        day_places={str(day): left for day, left in day_places.items()},
        quotas=[q.__dict__ for q in quotas],
        done_at=now,
        done_by=actor,
    )
    winners = set(result.winners)
    waiting_left = allocation.waiting_list_size
    entries = []
    for rank, number in enumerate(result.order, start=1):
        registration, days = by_number[number]
        if number in winners:
            outcome = DrawEntry.Outcome.PLACE
        elif waiting_left is None or waiting_left > 0:
            outcome = DrawEntry.Outcome.WAITING
            waiting_left = None if waiting_left is None else waiting_left - 1
        else:
            outcome = DrawEntry.Outcome.NOT_DRAWN
        applicant = applicants[number - 1]
        entries.append(
            DrawEntry(
                draw=draw,
                registration=registration,
                number=number,
                sector=applicant.sector,
                voivodeship=applicant.voivodeship,
                priority=applicant.priority,
                days=list(days),
                days_given=list(result.days.get(number, ())),
                rank=rank,
                outcome=outcome,
            )
        )
    position = 0
    for entry in entries:
        if entry.outcome == DrawEntry.Outcome.WAITING:
            position += 1
            entry.position = position
    DrawEntry.objects.bulk_create(entries, batch_size=500)
    placed = [e for e in entries if e.outcome == DrawEntry.Outcome.PLACE]
    places_given = [by_number[e.number] for e in placed]
    _seats_take(edition, [tuple(e.days_given) for e in placed])
    _days_not_given_remove(placed)
    new = _seat_confirmed_status(edition)
    _statuses_set(
        [registration for registration, _days in places_given],
        actor,
        now,
        status=new,
        confirmed_at=now if new == Status.CONFIRMED else None,
    )
    _statuses_set(
        [by_number[e.number][0] for e in entries if e.outcome == DrawEntry.Outcome.NOT_DRAWN],
        actor,
        now,
        status=Status.REJECTED,
        decided_at=now,
        ended_at=now,
    )
    # The waiting list keeps its status: its entries (rank, position) are its record.
    outcomes = Counter(entry.outcome for entry in entries)
    webhook_queue(
        edition_id=edition.pk,
        event=WebhookEvent.DRAW_COMPLETED,
        data=lambda: {
            "edition": edition.slug,
            "draw": draw.pk,
            "algorithm": lottery.ALGORITHM,
            "commitment": allocation.commitment,
            "seed": allocation.seed,
            "applications": len(applicants),
            "places": outcomes[DrawEntry.Outcome.PLACE],
            "waiting": outcomes[DrawEntry.Outcome.WAITING],
            "not_drawn": outcomes[DrawEntry.Outcome.NOT_DRAWN],
            "done_at": now.isoformat(),
        },
    )
    audit_log(
        actor=actor,
        action="registration.draw_run",
        obj=edition,
        after={
            "algorithm": lottery.ALGORITHM,
            "applications": len(applicants),
            "places": len(places_given),
            "commitment": allocation.commitment,
        },
    )
    logger.info(
        "%s: drawn %s place(s) among %s application(s)",
        edition.slug,
        len(result.winners),
        len(applicants),
    )
    return draw


def _seats_take(edition: Edition, winners_days: list[tuple[int, ...]]) -> None:
    """One seat per winner on the edition and on each of their days: one UPDATE per pool
    (the draw gave no more than the free seats; the pools' check constraint is the guard)."""
    if not winners_days:
        return
    SeatPool.objects.filter(edition_id=edition.pk, day__isnull=True).update(
        taken=F("taken") + len(winners_days)
    )
    for day_id, count in Counter(day for days in winners_days for day in days).items():
        SeatPool.objects.filter(day_id=day_id).update(taken=F("taken") + count)


def _days_not_given_remove(placed: list[DrawEntry]) -> None:
    """Take off the winners' registrations the days applied for that had no place left (they
    hold seats on the days given only): one DELETE per day."""
    missed: dict[int, list[int]] = {}
    for entry in placed:
        for day in set(entry.days) - set(entry.days_given):
            missed.setdefault(day, []).append(entry.registration.pk)
    through = Registration.days.through.objects
    for day, registration_ids in missed.items():
        for first in range(0, len(registration_ids), 500):
            through.filter(
                day_id=day, registration_id__in=registration_ids[first : first + 500]
            ).delete()


def _statuses_set(
    registrations: list[Registration], actor: AbstractBaseUser | None, now: dt.datetime, **changes
) -> None:
    """Move waiting registrations to ``changes`` (a compare-and-set per chunk: under the
    draw's locks none can have moved) and audit each."""
    for first in range(0, len(registrations), 500):
        chunk = registrations[first : first + 500]
        changed = Registration.objects.filter(
            pk__in=[r.pk for r in chunk], status=Status.WAITING
        ).update(**changes, updated_at=now)
        if changed != len(chunk):
            raise RuntimeError("registrations changed during the draw")
    for registration in registrations:
        for key, value in changes.items():
            setattr(registration, key, value)
        entry = registration.draw_entry
        days_changed = None  # a winner's days applied for that were full: taken off
        if entry.outcome == DrawEntry.Outcome.PLACE and entry.days_given != entry.days:
            days_changed = ({"days": entry.days}, {"days": entry.days_given})
        _audit(
            registration,
            "draw",
            actor=actor,
            before=Status.WAITING,
            changes=days_changed,
            number=entry.number,
        )


MAIL_OF_OUTCOME = {
    DrawEntry.Outcome.PLACE: "draw_place",
    DrawEntry.Outcome.WAITING: "draw_waiting",
    DrawEntry.Outcome.NOT_DRAWN: "draw_not_drawn",
}


def draw_mails_send(*, draw: Draw, batch: int = 200) -> int:
    """Queue the result mail of every entry not yet mailed, in the person's language, in
    batches (a transaction each). An entry is marked ``mailed`` by a compare-and-set in the
    transaction that queues its mail: a kill between batches loses nothing and a second
    sender (the worker and the organiser's request at once) queues nothing twice. Returns how
    many mails were queued."""
    queued = 0
    while True:
        pending = list(
            draw.entries.filter(mailed=False)
            .select_related("registration__edition")
            .order_by("rank")[:batch]
        )
        if not pending:
            return queued
        with _atomic():
            for entry in pending:
                if not DrawEntry.objects.filter(pk=entry.pk, mailed=False).update(mailed=True):
                    continue  # another sender has it
                registration = entry.registration
                if registration is None or registration.is_erased:
                    continue
                mails.mail(
                    registration,
                    MAIL_OF_OUTCOME[entry.outcome],
                    number=entry.number,
                    position=entry.position,
                    days_missed=_days_missed(entry),
                )
                queued += 1


def _days_missed(entry: DrawEntry) -> list[Day]:
    """The days a winner applied for that had no place left (in date order)."""
    missed = set(entry.days) - set(entry.days_given)
    if entry.outcome != DrawEntry.Outcome.PLACE or not missed:
        return []
    return list(Day.objects.filter(pk__in=missed).order_by("date"))


def draw_due(*, now: dt.datetime | None = None) -> int:
    """The worker's job: run the draws whose time has come. Returns how many were run."""
    now = now or timezone.now()
    due = Allocation.objects.filter(
        Q(window_closes_at__isnull=True) | Q(window_closes_at__lte=now),
        mode=Allocation.Mode.DRAW,
        draw_at__lte=now,
        edition__draw__isnull=True,
    ).select_related("edition")
    count = 0
    for allocation in due:
        draw_run(edition=allocation.edition, now=now)
        count += 1
    for draw in Draw.objects.filter(entries__mailed=False).distinct():
        draw_mails_send(draw=draw)  # a draw whose mails were cut short
    return count


@dataclass(frozen=True)
class Verification:
    matches: bool
    problems: list[str]


def draw_verify(*, draw: Draw, seed_hex: str) -> Verification:
    """Re-run the draw from its published data with ``seed_hex`` and the draw's own algorithm
    (``lottery.ALGORITHMS``: the versions this program runs): whether the seed is the one
    committed to, and the drawn order, the places and the days given are the ones published."""
    problems = []
    try:
        seed = bytes.fromhex(seed_hex.strip())
    except ValueError:
        return Verification(False, ["the seed is not hexadecimal"])
    if hashlib.sha256(seed).hexdigest() != draw.commitment:
        problems.append("the seed's SHA-256 is not the published commitment")
    if draw.algorithm not in lottery.ALGORITHMS:
        known = ", ".join(lottery.ALGORITHMS)
        problems.append(f"the draw used {draw.algorithm}, this program runs {known}")
        return Verification(False, problems)
    entries = list(draw.entries.order_by("rank"))
    applicants = [
        lottery.Applicant(e.number, e.sector, e.voivodeship, e.priority, tuple(e.days))
        for e in entries
    ]
    quotas = [lottery.Quota(**quota) for quota in draw.quotas]
    day_places = {int(day): left for day, left in draw.day_places.items()}
    result = lottery.draw(applicants, draw.places, seed, quotas, day_places, draw.algorithm)
    if list(result.order) != [e.number for e in entries]:
        problems.append("the drawn order differs from the published one")
    published = [e.number for e in entries if e.outcome == DrawEntry.Outcome.PLACE]
    if list(result.winners) != published:
        problems.append("the places differ from the published ones")
    given = {e.number: tuple(e.days_given) for e in entries if e.days_given}
    if {n: days for n, days in result.days.items() if days} != given:
        problems.append("the days given differ from the published ones")
    return Verification(not problems, problems)
