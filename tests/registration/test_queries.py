"""How many queries the registration form costs: the page (GET) and a registration (POST),
pinned, so that a change that adds a query per request shows here. Also what the locked part
of a registration is: the seat pools' UPDATEs come last, right before the COMMIT (in a test the
transaction of the view is a savepoint inside the test's own transaction)."""

import re

import pytest
from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext

from kongres.mail.models import OutboxMessage
from kongres.registration.models import Registration, SeatPool
from kongres.registration.seats import POOLS_SQL
from kongres.registration.services import edition_capacity_change
from tests.registration.test_views import (  # noqa: F401 - fixtures
    REGISTER_PL,
    edition,
    form_data,
)

# The seat pools (which days are full); the edition, its days, panels and questions are read
# once per process while the content is unchanged (kongres.core.cache.memoized).
GET_QUERIES = 1
# Before the transaction, one read: the seat pools, with whether the edition is in draw mode
# before its draw (no seat then: registration.selectors.seats_closed) and whether anybody
# subscribes to its webhooks (kongres.webhooks; nobody here, so no event is looked for); in
# it, on SQLite: registration, its days, its tracks, its link, audit log, outbox message, its
# task (enqueued through django.tasks), the message's task id, edition pool, day pools; and the
# savepoint around it (BEGIN and COMMIT in production, which are not captured).
POST_QUERIES = 1 + 10 + 2
# On PostgreSQL: no read; in the transaction one call of the registration function
# (migrations registration/0012 to 0015), which takes the seat if there is one and writes
# what the ten statements write but the task. The worker's job of every second enqueues the
# task that delivers the mail (mail.services.mail_due_wake): the request enqueues nothing.
POST_QUERIES_POSTGRESQL = 1 + 2
ONE_STATEMENT = "SELECT kongres_registration_create"


def post_queries() -> int:
    return POST_QUERIES_POSTGRESQL if connection.vendor == "postgresql" else POST_QUERIES


def tables(queries) -> list[str]:
    out = []
    for query in queries:
        sql = query["sql"]
        if sql.startswith(ONE_STATEMENT):
            out.append(ONE_STATEMENT)
            continue
        if sql.startswith(POOLS_SQL.split(" FROM ")[0]):  # its first FROM is in a subquery
            out.append("SELECT registration_seatpool")
            continue
        match = re.match(r'(SELECT .*? FROM|INSERT INTO|UPDATE) "?(\w+)"?', sql)
        out.append(f"{sql.split()[0]} {match.group(2)}" if match else sql.split()[0])
    return out


def register(client, the_edition, email):
    data = form_data(the_edition, email=email)
    # the callbacks run at the commit, as in production (the view's transaction is a savepoint)
    with (
        CaptureQueriesContext(connection) as queries,
        TestCase.captureOnCommitCallbacks(execute=True),
    ):
        response = client.post(REGISTER_PL, data)
    assert response.status_code == 302, response.content[:2000]
    return list(queries.captured_queries)


@pytest.fixture
def warm(client, edition, settings):  # noqa: F811 - the fixture
    """One registration made first: the seat pools exist, the privacy notice version is kept."""
    register(client, edition, "first@example.org")
    return edition


def test_form_page_queries(client, warm):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(REGISTER_PL)
    assert response.status_code == 200
    assert 'name="started"' in response.text
    names = tables(queries.captured_queries)
    assert len(names) == GET_QUERIES, names
    # the seats come from the pools' counters, not from counting the registrations
    assert "SELECT registration_seatpool" in names
    assert "SELECT registration_registration" not in names
    assert not any("django_session" in name for name in names)


def test_registration_post_queries(client, warm):
    queries = register(client, warm, "anna@example.org")
    names = tables(queries)
    assert len(names) == post_queries(), names
    if connection.vendor == "postgresql":
        assert names == ["SAVEPOINT", ONE_STATEMENT, "RELEASE"]
    else:
        assert [name for name in names if name.startswith("INSERT")] == [
            "INSERT registration_registration",
            "INSERT registration_registration_days",
            "INSERT registration_registration_tracks",
            "INSERT registration_registrationtoken",
            "INSERT orga_auditlogentry",
            "INSERT mail_outboxmessage",
            "INSERT django_tasks_database_dbtaskresult",
        ]
        # the seat is taken last: the lock on the edition's pool row is held for these two
        # UPDATEs and the COMMIT only (the mail is rendered and queued before)
        assert names[-3:-1] == ["UPDATE registration_seatpool", "UPDATE registration_seatpool"]
        assert names[-1] in {"RELEASE", "COMMIT"}
    assert "SELECT registration_registration" not in names  # no counting of registrations
    assert not any("django_session" in name for name in names)  # no session written
    registration = Registration.objects.get(email="anna@example.org")
    assert registration.status == Registration.Status.HELD
    message = OutboxMessage.objects.get(to="anna@example.org")
    assert message.related == f"registration:{registration.pk}"
    pools = SeatPool.objects.filter(edition=warm)
    assert pools.get(day__isnull=True).taken == 2  # the warm-up's seat and this one
    assert all(pool.taken == 2 for pool in pools.filter(day__isnull=False))


def test_the_mails_task_is_enqueued_by_the_worker_on_postgresql_by_the_request_on_sqlite(
    client, warm
):
    from kongres.mail.services import mail_due_task_started, mail_due_wake

    mail_due_task_started()  # a worker has started the task `warm`'s registration woke
    names = tables(register(client, warm, "anna@example.org"))
    task = "INSERT django_tasks_database_dbtaskresult"
    if connection.vendor == "postgresql":
        assert task not in names
        # the worker's job finds the mail due and enqueues a task, once while it waits
        with CaptureQueriesContext(connection) as queries:
            assert mail_due_wake()
            assert mail_due_wake()
        assert tables(queries.captured_queries).count(task) == 1
    else:  # the ORM path: a task of the message's own, in the transaction, every time
        assert names.index(task) < names.index("RELEASE")
        assert tables(register(client, warm, "bob@example.org")).count(task) == 1


def test_registration_post_queries_when_full(client, warm):
    edition_capacity_change(edition=warm, capacity=1)
    # the edition and the privacy notice read again after the change, by the first to register
    register(client, warm, "first-after-the-change@example.org")
    queries = register(client, warm, "anna@example.org")
    names = tables(queries)
    if connection.vendor == "postgresql":  # the function finds no seat and takes none
        assert len(names) == post_queries(), names
        assert SeatPool.objects.get(edition=warm, day__isnull=True).taken == 1
    else:
        assert len(names) == post_queries() - 2, names  # no UPDATE of the pools
    assert "UPDATE registration_seatpool" not in names
    registration = Registration.objects.get(email="anna@example.org")
    assert registration.status == Registration.Status.WAITING_UNVERIFIED


def test_page_after_registering_comes_from_a_signed_cookie(client, warm):
    response = client.post(REGISTER_PL, form_data(warm, email="anna@example.org"), follow=True)
    assert response.status_code == 200
    assert "anna@example.org" in response.text
    cookie = client.cookies["kongres_submitted"]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    # a forged value is ignored: back to the form
    client.cookies["kongres_submitted"] = "1"
    response = client.get(response.redirect_chain[-1][0])
    assert response.status_code == 302


def test_form_page_read_cold_then_memoized(client, warm):
    from django.core.cache import cache

    cache.clear()  # as when the server starts with an empty cache
    with CaptureQueriesContext(connection) as cold:
        assert client.get(REGISTER_PL).status_code == 200
    memoized = {
        "SELECT events_edition",
        "SELECT events_day",
        "SELECT events_track",
        "SELECT registration_question",
    }
    assert memoized <= set(tables(cold.captured_queries))
    with CaptureQueriesContext(connection) as warm:
        assert client.get(REGISTER_PL).status_code == 200
    assert tables(warm.captured_queries) == ["SELECT registration_seatpool"]


def test_form_shows_an_edit_at_once(client, warm):
    from tests.factories.registration import QuestionFactory

    client.get(REGISTER_PL)  # memoized
    QuestionFactory(edition=warm, label_pl="Skąd pan(i) o nas wie?")
    day = warm.days.order_by("date").first()
    day.name_pl = "Dzień otwarcia"
    day.save()
    warm.title_pl = "V Kongres"
    warm.save()
    page = client.get(REGISTER_PL).text
    assert "Skąd pan(i) o nas wie?" in page
    assert "Dzień otwarcia" in page
    assert "V Kongres" in page


def test_the_seat_statements_name_the_models_tables():
    """The seat pools' hot statements are written out in SQL (registration/seats.py): they
    name the tables, which must be the models' own."""
    from kongres.events.models import Day, Edition
    from kongres.registration import seats
    from kongres.registration.allocation import Allocation, Draw
    from kongres.registration.models import SeatPool
    from kongres.webhooks.models import WebhookSubscription

    sql = " ".join(
        [
            seats.TAKE_EDITION_SQL,
            seats.TAKE_DAYS_SQL,
            seats.POOLS_SQL,
        ]
    )
    tables_named = set(re.findall(r"(?:UPDATE|FROM|JOIN) (\w+)", sql))
    assert tables_named == {
        model._meta.db_table
        for model in (SeatPool, Edition, Day, Allocation, Draw, WebhookSubscription)
    }
    assert f"mode = '{Allocation.Mode.DRAW}'" in seats.POOLS_SQL


def test_a_seat_taken_by_another_process_is_not_given_twice(client, warm):
    """Others have taken the last seats (the pools say so, the edition's capacity does not):
    the registration joins the waiting list and takes no seat (on SQLite the pools read say so;
    on PostgreSQL the function's UPDATE finds no free seat)."""
    from django.db.models import F

    pool = SeatPool.objects.filter(edition=warm, day__isnull=True)
    pool.update(taken=F("capacity"))
    taken = pool.get().taken
    names = tables(register(client, warm, "anna@example.org"))
    if connection.vendor == "postgresql":
        assert names == ["SAVEPOINT", ONE_STATEMENT, "RELEASE"]
    else:
        assert names[0] == "SELECT registration_seatpool"
        assert "UPDATE registration_seatpool" not in names
    anna = Registration.objects.get(email="anna@example.org")
    assert anna.status == Registration.Status.WAITING_UNVERIFIED
    assert pool.get().taken == taken == warm.capacity
    assert OutboxMessage.objects.filter(to="anna@example.org").count() == 1


@pytest.fixture
def shared_cache(settings):
    """The database cache as the default cache, as on a site without Redis: every round trip to
    the shared cache is a statement that CaptureQueriesContext sees."""
    from django.core.cache import cache

    before = settings.CACHES
    settings.CACHES = {**before, "default": before["database"]}
    cache.clear()
    yield cache
    cache.clear()
    settings.CACHES = before


# A new visitor's form page, with the cache warm: the page cache's look-up (the page and the
# content generation in one read), the current edition with the form's parts (one key), the
# whole page with holes for its two tokens (kongres.registration.pages), whose key takes the
# generation read with the page.
FORM_PAGE_CACHE_READS = 3
# ... and the count of the forms opened from the visitor's address (proof of work past the
# soft limit): an ``add``, one round trip to Redis; on the database cache Django's ``add``
# counts the table's rows, then reads and inserts the key in a savepoint.
FORM_OPENED_COUNTED = [
    "SELECT kongres_cache",
    "SAVEPOINT",
    "SELECT kongres_cache",
    "INSERT kongres_cache",
    "RELEASE",
]
# The page after the form: the page cache's look-up, the edition, the page with a hole for
# the address.
SUBMITTED_PAGE_CACHE_READS = 3


def test_form_page_round_trips_to_the_shared_cache(client, warm, shared_cache):
    from django.test import Client

    Client().get(REGISTER_PL)  # the cache filled
    with CaptureQueriesContext(connection) as queries:
        # a new visitor: no cookie, an address of their own
        response = Client(REMOTE_ADDR="192.0.2.77").get(REGISTER_PL)
    assert response.status_code == 200
    names = tables(queries.captured_queries)
    counted = len(FORM_OPENED_COUNTED)
    start = next(
        (at for at in range(len(names)) if names[at : at + counted] == FORM_OPENED_COUNTED),
        None,
    )
    assert start is not None, names
    names = names[:start] + names[start + counted :]
    cache_reads = [name for name in names if "kongres_cache" in name]
    assert len(cache_reads) == FORM_PAGE_CACHE_READS, names
    assert len(names) == FORM_PAGE_CACHE_READS + GET_QUERIES, names


def test_form_sent_round_trips_to_the_shared_cache(client, warm, shared_cache, settings):
    """The form sent, the cache warm: the current edition, the form's parts, the privacy
    notice's version and (on PostgreSQL) the verification mail's stencils in one read; nothing
    else before the registration's statements (the rate limits and the form token's single use
    off: each is a round trip of its own)."""
    settings.KONGRES_RATELIMIT_ENABLED = False
    settings.KONGRES_REGISTRATION_FORM_TOKEN_ONCE = False
    register(client, warm, "first@example.org")  # the cache filled
    names = tables(register(client, warm, "anna@example.org"))
    first_statement = next(index for index, name in enumerate(names) if "kongres_cache" not in name)
    reads = names[:first_statement]
    assert reads == ["SELECT kongres_cache"], names
    if connection.vendor == "postgresql":  # nothing else: the function, in its savepoint
        assert names[first_statement:] == ["SAVEPOINT", ONE_STATEMENT, "RELEASE"], names


def test_page_after_the_form_round_trips_to_the_shared_cache(client, warm, shared_cache):
    client.post(REGISTER_PL, form_data(warm, email="anna@example.org"), follow=True)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(_submitted_url())
    assert response.status_code == 200
    assert "anna@example.org" in response.text
    names = tables(queries.captured_queries)
    cache_reads = [name for name in names if "kongres_cache" in name]
    assert len(cache_reads) == SUBMITTED_PAGE_CACHE_READS, names
    assert len(names) == SUBMITTED_PAGE_CACHE_READS, names


def _submitted_url() -> str:
    from django.urls import reverse
    from django.utils import translation

    with translation.override("pl"):
        return reverse("registration:submitted")
