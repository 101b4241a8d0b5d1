"""The opt-in health check of a persistent PostgreSQL connection (kongres.core.postgresql,
``database_health_check = "poll"``): an idle connection with nothing to read is usable without
a query; one that the server has ended is found out and replaced before the request uses it.
The tests run our backend on a connection of its own to the test database (the suite's own
connection uses the configured backend). Skipped only where the test database is not
PostgreSQL."""

import select
import time

import pytest
from django.db import connection as default_connection

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def connection():
    if default_connection.vendor != "postgresql":
        pytest.skip("the test database is not PostgreSQL")
    from kongres.core.postgresql.base import DatabaseWrapper

    wrapper = DatabaseWrapper(
        {**default_connection.settings_dict, "CONN_HEALTH_CHECKS": True}, alias="poll"
    )
    yield wrapper
    wrapper.close()


def other_connection(connection):
    """A connection of its own, to watch and end the one under test."""
    other = connection.get_new_connection(connection.get_connection_params())
    other.autocommit = True
    return other


def backend_pid(connection) -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def request_starts(connection) -> None:
    """What Django does with a persistent connection when a request starts and first uses it."""
    connection.close_if_unusable_or_obsolete()
    connection.health_check_enabled = True
    connection.close_if_health_check_failed()


def test_a_healthy_connection_is_checked_without_a_query(connection):
    pid = backend_pid(connection)
    with connection.cursor() as cursor:
        cursor.execute("SELECT 'before the check'")
    request_starts(connection)
    assert connection.connection is not None
    with other_connection(connection) as other:
        last = other.execute("SELECT query FROM pg_stat_activity WHERE pid = %s", [pid]).fetchone()
    assert last == ("SELECT 'before the check'",)  # no SELECT 1 was sent
    assert backend_pid(connection) == pid  # the same connection goes on


def test_a_connection_the_server_ended_is_replaced(connection):
    pid = backend_pid(connection)
    raw = connection.connection
    with other_connection(connection) as other:
        other.execute("SELECT pg_terminate_backend(%s)", [pid])
    poller = select.poll()
    poller.register(raw.fileno(), select.POLLIN)
    deadline = time.monotonic() + 10
    while not poller.poll(100) and time.monotonic() < deadline:
        pass
    request_starts(connection)
    assert connection.connection is not raw  # closed by the check, not by a failed query
    assert backend_pid(connection) != pid


def test_without_poll_the_backend_asks_as_django_does(connection, monkeypatch):
    """Where ``select.poll`` does not exist (Windows), Django's ``SELECT 1`` decides."""
    pid = backend_pid(connection)
    with connection.cursor() as cursor:
        cursor.execute("SELECT 'before the check'")
    monkeypatch.delattr(select, "poll")
    request_starts(connection)
    with other_connection(connection) as other:
        last = other.execute("SELECT query FROM pg_stat_activity WHERE pid = %s", [pid]).fetchone()
    assert last == ("SELECT 1",)
    assert backend_pid(connection) == pid
