"""The seat pools' counters (``SeatPool``): taking and releasing seats, the pools' read and
their creation. The services (``services.py``) decide who gets a seat and hold the locks in
their order; this module is the statements they run on the pools."""

from __future__ import annotations

from django.db import connection
from django.db.models import Case, Count, F, PositiveIntegerField, Q, When

from kongres.events.models import Day, Edition
from kongres.registration.models import SEAT_STATUSES, SeatPool

Pools = dict[int | None, tuple[int | None, int]]  # day id or None (the edition): capacity, taken


def free_q(pool_field: str = "") -> Q:
    prefix = f"{pool_field}__" if pool_field else ""
    return Q(**{f"{prefix}capacity__isnull": True}) | Q(
        **{f"{prefix}taken__lt": F(f"{prefix}capacity")}
    )


TAKE_OVER = {
    "taken": F("taken") + 1,
    # SET expressions see the row as it was: a seat beyond the capacity is counted as overbooked.
    "overbooked": Case(
        When(capacity__isnull=False, taken__gte=F("capacity"), then=F("overbooked") + 1),
        default=F("overbooked"),
        output_field=PositiveIntegerField(),
    ),
}
RELEASE = {
    "taken": F("taken") - 1,
    # A freed seat first pays back one given over the capacity.
    "overbooked": Case(
        When(overbooked__gt=0, then=F("overbooked") - 1),
        default=0,
        output_field=PositiveIntegerField(),
    ),
}


def take_seat(edition_id: int, day_ids: list[int], *, force: bool = False) -> bool:
    """Take one seat on the edition and on each day, all or nothing. ``force`` takes them
    even beyond the capacity (organisers). The first UPDATE locks the edition's pool."""
    edition_pool = SeatPool.objects.filter(edition_id=edition_id, day__isnull=True)
    if force:
        edition_pool.update(**TAKE_OVER)
        if day_ids:
            SeatPool.objects.filter(day_id__in=day_ids).update(**TAKE_OVER)
        return True
    if not _execute(TAKE_EDITION_SQL, [edition_id]):
        return False
    if day_ids and not take_days(day_ids):
        edition_pool.update(taken=F("taken") - 1)
        return False
    return True


# The statements of a registration's seat, written out: they run in every registration of a
# rush, and the ORM's building of them cost more than running them (about 1 ms and 1.5 ms a
# registration on the bench machine). Plain SQL that PostgreSQL and SQLite both take.
TAKE_EDITION_SQL = (
    "UPDATE registration_seatpool SET taken = taken + 1 "
    "WHERE edition_id = %s AND day_id IS NULL AND (capacity IS NULL OR taken < capacity)"
)
TAKE_DAYS_SQL = (
    "UPDATE registration_seatpool SET taken = taken + 1 WHERE day_id IN ({days}) AND NOT EXISTS ("
    "SELECT 1 FROM registration_seatpool full_pool WHERE full_pool.day_id IN ({days}) "
    "AND full_pool.capacity IS NOT NULL AND full_pool.taken >= full_pool.capacity)"
)
# The pools, with what a new registration also needs to know, in the same round trip: whether
# the edition is in draw mode before its draw (no seat for participants yet:
# ``selectors.seats_closed``) and whether anybody subscribes to its webhooks (if nobody
# does, no event is looked for). The same in every row.
POOLS_SQL = (
    "SELECT pool.day_id, pool.capacity, pool.taken, edition.capacity, day.capacity, "
    "EXISTS (SELECT 1 FROM registration_allocation allocation "
    "WHERE allocation.edition_id = pool.edition_id AND allocation.mode = 'draw' "
    "AND NOT EXISTS (SELECT 1 FROM registration_draw draw WHERE draw.edition_id = pool.edition_id)"
    "), EXISTS (SELECT 1 FROM webhooks_webhooksubscription hook "
    "WHERE hook.edition_id = pool.edition_id AND hook.active) "
    "FROM registration_seatpool pool "
    "INNER JOIN events_edition edition ON edition.id = pool.edition_id "
    "LEFT OUTER JOIN events_day day ON day.id = pool.day_id "
    "WHERE pool.edition_id = %s"
)


def _execute(sql: str, params: list) -> int:
    """Run one of the statements above; the number of rows it changed."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def take_days(day_ids: list[int]) -> bool:
    """One seat on each of the days, all or nothing: one UPDATE that changes no row when any of
    them is full. Only with the edition's pool locked."""
    placeholders = ", ".join(["%s"] * len(day_ids))
    sql = TAKE_DAYS_SQL.format(days=placeholders)  # placeholders only: the ids are parameters
    taken = _execute(sql, [*day_ids, *day_ids])
    if taken not in (0, len(day_ids)):
        raise RuntimeError(f"seat pools missing for some of the days {day_ids}")
    return taken == len(day_ids)


def release_seat(edition_id: int, day_ids: list[int]) -> None:
    SeatPool.objects.filter(edition_id=edition_id, day__isnull=True).update(**RELEASE)
    release_days(day_ids)


def release_days(day_ids: list[int]) -> None:
    if day_ids:
        SeatPool.objects.filter(day_id__in=day_ids).update(**RELEASE)


def lock_edition_pool(edition_id: int) -> None:
    """Lock 1 of the lock order (on SQLite the transaction holds the write lock already)."""
    locked = list(
        SeatPool.objects.select_for_update()
        .filter(edition_id=edition_id, day__isnull=True)
        .values_list("pk", flat=True)
    )
    if not locked:  # registrations made before the pools existed (imported data)
        pools_create(edition_id)
        lock_edition_pool(edition_id)


def seems_free(pools: Pools, day_ids: list[int]) -> bool:
    return all(
        capacity is None or taken < capacity
        for capacity, taken in (pools[key] for key in [None, *day_ids])
    )


def pools_create(edition_id: int) -> None:
    """Create the missing pools, counted from the registrations and with the capacities of
    the edition and its days (an existing pool is left alone: ``INSERT … ON CONFLICT DO
    NOTHING``). Nobody takes a seat from a pool before it exists, so the counts are right."""
    holders = Count("registrations", filter=Q(registrations__status__in=SEAT_STATUSES))
    capacity, taken = (
        Edition.objects.filter(pk=edition_id)
        .annotate(taken=holders)
        .values_list("capacity", "taken")
    ).get()
    pools = [SeatPool(edition_id=edition_id, day=None, capacity=capacity, taken=taken)]
    for day_id, capacity, taken in (
        Day.objects.filter(edition_id=edition_id)
        .annotate(taken=holders)
        .values_list("pk", "capacity", "taken")
    ):
        pools.append(SeatPool(edition_id=edition_id, day_id=day_id, capacity=capacity, taken=taken))
    for pool in pools:
        pool.overbooked = 0 if pool.capacity is None else max(pool.taken - pool.capacity, 0)
    SeatPool.objects.bulk_create(pools, ignore_conflicts=True)
