"""The health check of a persistent PostgreSQL connection (kongres.core.postgresql): an idle
connection with nothing to read is usable without a query; one that the server has ended is
found out and replaced before the request uses it. Each test checks what its database does."""

import select
import time

import pytest
from django.db import connection

pytestmark = pytest.mark.django_db(transaction=True)


def other_connection():
    """A connection of its own, to watch and end the one under test."""
    other = connection.get_new_connection(connection.get_connection_params())
    other.autocommit = True
    return other


def backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def request_starts() -> None:
    """What Django does with a persistent connection when a request starts and first uses it."""
    connection.close_if_unusable_or_obsolete()
    connection.health_check_enabled = True
    connection.close_if_health_check_failed()


def test_a_healthy_connection_is_checked_without_a_query():
    if connection.vendor != "postgresql":
        assert connection.settings_dict["ENGINE"] == "django.db.backends.sqlite3"
        return
    assert connection.settings_dict["ENGINE"] == "kongres.core.postgresql"
    pid = backend_pid()
    with connection.cursor() as cursor:
        cursor.execute("SELECT 'before the check'")
    request_starts()
    assert connection.connection is not None
    with other_connection() as other:
        last = other.execute("SELECT query FROM pg_stat_activity WHERE pid = %s", [pid]).fetchone()
    assert last == ("SELECT 'before the check'",)  # no SELECT 1 was sent
    assert backend_pid() == pid  # the same connection goes on


def test_a_connection_the_server_ended_is_replaced():
    if connection.vendor != "postgresql":
        assert connection.settings_dict["ENGINE"] == "django.db.backends.sqlite3"
        return
    pid = backend_pid()
    raw = connection.connection
    with other_connection() as other:
        other.execute("SELECT pg_terminate_backend(%s)", [pid])
    poller = select.poll()
    poller.register(raw.fileno(), select.POLLIN)
    deadline = time.monotonic() + 10
    while not poller.poll(100) and time.monotonic() < deadline:
        pass
    request_starts()
    assert connection.connection is not raw  # closed by the check, not by a failed query
    assert backend_pid() != pid
