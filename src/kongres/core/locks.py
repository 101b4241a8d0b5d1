"""Transactions that wait for a lock wait a bounded time.

``atomic_bounded`` is ``transaction.atomic()`` for a transaction that takes row locks (a
``SELECT … FOR UPDATE``, a conditional ``UPDATE`` of a contended row such as a seat pool). On
PostgreSQL it starts with ``SET LOCAL lock_timeout`` (the setting ``KONGRES_LOCK_TIMEOUT_MS``,
config key ``lock_timeout_ms``; it ends with the transaction): a statement that waits longer
for a lock fails with ``lock_not_available``, the transaction is rolled back, and the caller
gets its app's ``KongresError`` with the code "busy" instead of a request that hangs until a
proxy gives up.

On SQLite there are no row locks: the settings' IMMEDIATE transactions take the database's
write lock at BEGIN, and SQLite's busy timeout (``OPTIONS["timeout"]`` in the settings, 20 s)
bounds the wait for it. When it runs out ("database is locked"), the same "busy" error is
raised.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from django.conf import settings
from django.db import OperationalError, transaction

from kongres.core.exceptions import KongresError

DEFAULT_LOCK_TIMEOUT_MS = 3000
LOCK_NOT_AVAILABLE = "55P03"  # PostgreSQL's SQLSTATE (psycopg.errors.LockNotAvailable)


def lock_timeout_ms() -> int:
    return int(getattr(settings, "KONGRES_LOCK_TIMEOUT_MS", DEFAULT_LOCK_TIMEOUT_MS))


def lock_wait_ended(error: OperationalError) -> bool:
    """Whether ``error`` is a lock wait that ran out of time (PostgreSQL's lock timeout,
    SQLite's busy timeout)."""
    cause = error.__cause__
    return (
        getattr(cause, "sqlstate", None) == LOCK_NOT_AVAILABLE
        or getattr(cause, "sqlite_errorname", None) == "SQLITE_BUSY"
    )


@contextmanager
def atomic_bounded(busy: Callable[[], KongresError], *, using: str | None = None) -> Iterator[None]:
    """``transaction.atomic(using=using)`` whose lock waits end after ``lock_timeout_ms()``:
    then the transaction (or savepoint) is rolled back and ``busy()`` is raised."""
    with lock_wait_ends(busy), transaction.atomic(using=using):
        connection = transaction.get_connection(using)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(f"SET LOCAL lock_timeout = {lock_timeout_ms():d}")
        yield


@contextmanager
def lock_wait_ends(busy: Callable[[], KongresError]) -> Iterator[None]:
    """Raise ``busy()`` for a lock wait that ran out of time inside the block (around a
    transaction that sets ``lock_timeout`` itself: the registration function on PostgreSQL)."""
    try:
        yield
    except OperationalError as error:
        if lock_wait_ended(error):
            raise busy() from error
        raise
