"""The counter of a session's places (``SessionPlaces``, issue 18): take a place, free one, lock
the rows, count the holders. The sign-ups, their waiting list and offers that use it are
``services.sessions``.

A place is taken with one conditional ``UPDATE … SET taken = taken + 1 WHERE … taken <
capacity`` (``CheckConstraint`` ``sessionplaces_taken_within_capacity`` is the second guard,
recognised by name). A sign-up's take also names the capacity the session has now
(``take_at``): a counter that is missing or counts another capacity (a changed capacity or
room) takes nothing, and ``places_held`` then tells the sign-up so, so that it brings the
counter in line first; a sign-up that finds everything in order spends no read on it.
"""

from __future__ import annotations

from django.db import connection

from kongres.registration import seats
from kongres.registration.models import SIGNUP_PLACE_STATUSES, SessionPlaces, SessionSignup

PLACES_CONSTRAINT = "sessionplaces_taken_within_capacity"

TAKE_SQL = (
    "UPDATE registration_sessionplaces SET taken = taken + 1 "
    "WHERE session_id = %s AND (capacity IS NULL OR taken < capacity)"
)
PLACES_SQL = "SELECT capacity, taken FROM registration_sessionplaces WHERE session_id = %s"
TAKE_AT_SQL = (
    "UPDATE registration_sessionplaces SET taken = taken + 1 "
    "WHERE session_id = %s AND capacity = %s AND taken < capacity"
)
TAKE_UNLIMITED_SQL = (
    "UPDATE registration_sessionplaces SET taken = taken + 1 "
    "WHERE session_id = %s AND capacity IS NULL"
)


def holders(session_id: int) -> int:
    """The sign-ups holding a place (what the counter must say)."""
    return SessionSignup.objects.filter(
        session_id=session_id, status__in=SIGNUP_PLACE_STATUSES
    ).count()


def lock_places(session_ids: list[int]) -> None:
    """Lock the counters, in session order (the lock order of the module docstring of
    ``services.sessions``)."""
    list(
        SessionPlaces.objects.select_for_update()
        .filter(session_id__in=session_ids)
        .order_by("session_id")
        .values_list("pk", flat=True)
    )


def places_held(session_id: int) -> tuple[int | None, int] | None:
    """The counter's ``(capacity, taken)``, its row held with a share lock (``FOR SHARE``; on
    SQLite the transaction holds the database's write lock already); None when there is none.

    This is how a sign-up that finds the session full joins its waiting list: the share locks
    of such sign-ups do not wait for one another, while a place can only be freed or taken by
    an ``UPDATE`` of the row, which waits until they have committed (so the offer of a freed
    place sees them). In SQL like the take: it is on the path of every sign-up that finds the
    session full."""
    locking = " FOR SHARE" if connection.vendor == "postgresql" else ""
    with connection.cursor() as cursor:
        cursor.execute(PLACES_SQL + locking, [session_id])
        row = cursor.fetchone()
    return (row[0], row[1]) if row is not None else None


def take(session_id: int) -> bool:
    """Take a place if one is free, whatever the counter's capacity."""
    with connection.cursor() as cursor:
        cursor.execute(TAKE_SQL, [session_id])
        return cursor.rowcount == 1


def take_at(session_id: int, capacity: int | None) -> bool:
    """Take a place if one is free and the counter counts ``capacity`` places (the session's
    now). False too when the counter is missing or counts another number."""
    with connection.cursor() as cursor:
        if capacity is None:
            cursor.execute(TAKE_UNLIMITED_SQL, [session_id])
        else:
            cursor.execute(TAKE_AT_SQL, [session_id, capacity])
        return cursor.rowcount == 1


def release(session_id: int) -> None:
    SessionPlaces.objects.filter(session_id=session_id).update(**seats.RELEASE)
