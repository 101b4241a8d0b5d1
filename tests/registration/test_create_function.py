"""A participant's registration on PostgreSQL is one call of the registration function
(migrations registration/0012 to 0015), which decides the seat; on SQLite the same rows are
written by ORM statements after a read of the seat pools. Both must write every column as the
service made it, and nothing of a seat when there is none."""

import pytest
from django.core.management import call_command
from django.db import connection
from django_tasks_db.models import DBTaskResult

from kongres.audit.models import AuditLogEntry
from kongres.events.models import Day, Edition
from kongres.mail.models import OutboxMessage
from kongres.mail.redaction import secret_hashes
from kongres.registration import mails, seats
from kongres.registration.choices import AccessibilityNeed
from kongres.registration.models import Registration, RegistrationToken, SeatPool
from kongres.registration.selectors import registration_get_by_token
from kongres.registration.services import registration_create
from tests.factories import DayFactory, EditionFactory, TrackFactory
from tests.factories.registration import QuestionFactory, RegistrationDataFactory

pytestmark = pytest.mark.django_db


def rendered_as(registration, status: str, token: str) -> tuple[str, str, str]:
    """The verification mail of ``registration`` as if it had ``status``."""
    _message, other = mails.prepared_with_other(
        registration, "verify", token=token, other_status=status
    )
    return other


def columns(obj) -> dict:
    return {
        field.attname: getattr(obj, field.attname)
        for field in type(obj)._meta.get_fields()
        if getattr(field, "concrete", False) and not field.many_to_many
    }


@pytest.fixture
def edition():
    edition = EditionFactory(capacity=3)
    DayFactory(edition=edition)
    DayFactory(edition=edition, date=edition.end_date)
    TrackFactory(edition=edition)
    TrackFactory(edition=edition)
    QuestionFactory(edition=edition, slug="skad")
    return edition


def data(edition, **changes):
    return RegistrationDataFactory(
        day_ids=sorted(edition.days.values_list("pk", flat=True)),
        track_ids=sorted(edition.tracks.values_list("pk", flat=True)),
        accessibility_needs=[AccessibilityNeed.values[0]],
        accessibility_other="pętla indukcyjna",
        dietary_needs="wegańska",
        answers={"skad": "Z biuletynu — „cytat”"},
        photo_consent=True,
        **changes,
    )


def test_every_column_is_written_as_the_service_made_it(edition):
    registration, token = registration_create(edition=edition, data=data(edition))

    stored = Registration.objects.get(pk=registration.pk)
    assert columns(stored) == columns(registration)
    assert stored.status == Registration.Status.HELD
    assert stored.answers == {"skad": "Z biuletynu — „cytat”"}
    assert stored.hold_expires_at == registration.hold_expires_at  # to the microsecond
    assert sorted(stored.days.values_list("pk", flat=True)) == data(edition).day_ids
    assert sorted(stored.tracks.values_list("pk", flat=True)) == data(edition).track_ids
    assert registration_get_by_token(token=token) == stored
    assert RegistrationToken.objects.filter(registration=stored).count() == 1

    entry = AuditLogEntry.objects.get(object_id=str(stored.pk))
    assert entry.action == "registration.create"
    assert entry.object_type == "registration.registration"
    assert entry.edition_id == edition.pk
    assert entry.before == {}
    assert entry.after == {"status": "held", "over_capacity": False}
    assert entry.object_label == str(stored)

    message = OutboxMessage.objects.get(to=stored.email)
    assert message.related == f"registration:{stored.pk}"
    assert message.kind == "registration.verify"
    held = rendered_as(registration, Registration.Status.HELD, token)
    assert (message.subject, message.body_text, message.body_html) == held
    assert message.status == OutboxMessage.Status.QUEUED
    assert message.priority == OutboxMessage.Priority.TRANSACTIONAL
    assert message.redact == secret_hashes([token])
    assert token in message.body_text and token in message.body_html
    if connection.vendor == "postgresql":  # its task is enqueued once committed
        assert message.task_id == ""
    else:
        task = DBTaskResult.objects.get(id=message.task_id)
        assert task.task_path == "kongres.mail.tasks.mail_send"

    pools = SeatPool.objects.filter(edition=edition)
    assert {pool.day_id: pool.taken for pool in pools} == {
        None: 1,
        **dict.fromkeys(data(edition).day_ids, 1),
    }


def test_a_seat_lost_meanwhile_leaves_nothing_of_the_first_attempt(edition, monkeypatch):
    """The last seat went to someone else (the pools say so, the capacity does not), after the
    pools looked free when read (on SQLite: the attempt is rolled back whole; on PostgreSQL
    nothing is read before the function, which finds no seat): the person joins the waiting
    list (one registration, one audit entry, one mail, no seat)."""
    registration_create(edition=edition, data=data(edition, email="first@example.org"))
    SeatPool.objects.filter(edition=edition, day__isnull=True).update(taken=3)
    monkeypatch.setattr(seats, "seems_free", lambda pools, day_ids: True)

    registration, token = registration_create(
        edition=edition, data=data(edition, email="second@example.org")
    )

    assert registration.status == Registration.Status.WAITING_UNVERIFIED
    stored = Registration.objects.filter(email="second@example.org").get()
    assert stored == registration and stored.status == registration.status
    [entry] = AuditLogEntry.objects.filter(object_id=str(registration.pk))
    assert entry.after == {"status": "waiting_unverified", "over_capacity": False}
    [message] = OutboxMessage.objects.filter(to="second@example.org")
    assert message.related == f"registration:{registration.pk}"
    # the waiting list's verification mail, not the held seat's
    waiting, held = (
        rendered_as(registration, status, token)
        for status in (Registration.Status.WAITING_UNVERIFIED, Registration.Status.HELD)
    )
    assert waiting != held
    assert (message.subject, message.body_text, message.body_html) == waiting
    if connection.vendor != "postgresql":  # (on PostgreSQL: after the commit, see below)
        assert DBTaskResult.objects.count() == 2  # the first person's mail and this one
        assert DBTaskResult.objects.filter(id=message.task_id).exists()
    pools = SeatPool.objects.filter(edition=edition)
    assert pools.get(day__isnull=True).taken == 3
    assert all(pool.taken == 1 for pool in pools.filter(day__isnull=False))


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_a_seat_lost_leaves_nothing_either(edition, monkeypatch):
    """As above, with no transaction around the service (as in a request): on PostgreSQL the
    function's call is then a transaction of its own, and its NO_SEAT error rolls back what
    the call had written before it found no seat."""
    registration_create(edition=edition, data=data(edition, email="first@example.org"))
    SeatPool.objects.filter(edition=edition, day__isnull=True).update(taken=3)
    monkeypatch.setattr(seats, "seems_free", lambda pools, day_ids: True)
    assert not connection.in_atomic_block

    registration, _token = registration_create(
        edition=edition, data=data(edition, email="second@example.org")
    )

    assert registration.status == Registration.Status.WAITING_UNVERIFIED
    assert list(Registration.objects.filter(email="second@example.org")) == [registration]
    assert RegistrationToken.objects.filter(registration__email="second@example.org").count() == 1
    assert AuditLogEntry.objects.filter(action="registration.create").count() == 2
    assert OutboxMessage.objects.filter(to="second@example.org").count() == 1
    assert Registration.days.through.objects.filter(registration=registration).count() == 2
    pools = SeatPool.objects.filter(edition=edition)
    assert pools.get(day__isnull=True).taken == 3
    assert all(pool.taken == 1 for pool in pools.filter(day__isnull=False))


def test_a_full_day_gives_the_edition_seat_back(edition, monkeypatch):
    """The edition has a seat, one of the days has none: no seat anywhere, waiting list."""
    day = edition.days.first()
    registration_create(edition=edition, data=data(edition, email="first@example.org"))
    Day.objects.filter(pk=day.pk).update(capacity=1)  # the pools follow at the next read
    monkeypatch.setattr(seats, "seems_free", lambda pools, day_ids: True)

    registration, _token = registration_create(
        edition=edition, data=data(edition, email="second@example.org")
    )

    assert registration.status == Registration.Status.WAITING_UNVERIFIED
    pools = {pool.day_id: pool.taken for pool in SeatPool.objects.filter(edition=edition)}
    assert pools[None] == 1 and pools[day.pk] == 1


def test_the_function_is_there_on_postgresql_only():
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT count(*) FROM pg_proc WHERE proname = 'kongres_registration_create'"
            )
            assert cursor.fetchone() == (1,)
        else:
            tables = connection.introspection.table_names(cursor)
            assert "registration_registration" in tables  # SQLite: ORM statements, no function


def test_the_verification_mail_reaches_the_mail_server_and_extends_the_hold(
    transactional_db, smtp_server, edition
):
    """Through the real worker and a local SMTP server: the mail written with the registration
    (by the function on PostgreSQL, with a task that names no message) is delivered once,
    with its link, and its delivery extends the hold (``deadline_after_mail`` finds the
    registration by the message's ``related`` key)."""
    registration, token = registration_create(edition=edition, data=data(edition))
    held_until = registration.hold_expires_at

    call_command("worker", "--batch", verbosity=0)
    call_command("worker", "--batch", verbosity=0)

    [received] = smtp_server.messages
    assert received["To"] == registration.email
    assert token in received.get_body(preferencelist=("plain",)).get_content()
    message = OutboxMessage.objects.get(to=registration.email)
    assert message.status == OutboxMessage.Status.SENT
    assert token not in message.body_text  # redacted once sent
    assert Registration.objects.get(pk=registration.pk).hold_expires_at > held_until
    if connection.vendor == "postgresql":
        [task] = DBTaskResult.objects.all()  # enqueued after the commit, naming no message
        assert (task.args_kwargs["args"], task.status) == ([], "SUCCESSFUL")
    else:
        assert DBTaskResult.objects.get(id=message.task_id).status == "SUCCESSFUL"


def test_a_rush_enqueues_a_task_for_each_task_started_not_for_each_registration(
    transactional_db, smtp_server, edition
):
    """On PostgreSQL the registrations' mails have no task of their own: the worker's job of
    every second (``mail_due_wake``) enqueues one that delivers them all, and another only once
    a worker has started that one; every mail is delivered once."""
    from kongres.mail.services import mail_due_wake

    for number in range(3):
        registration_create(edition=edition, data=data(edition, email=f"p{number}@example.org"))
    postgresql = connection.vendor == "postgresql"
    assert DBTaskResult.objects.count() == (0 if postgresql else 3)
    # (on SQLite each mail has a task of its own: none is due without one)
    assert [mail_due_wake(), mail_due_wake()] == [postgresql, postgresql]
    assert DBTaskResult.objects.count() == (1 if postgresql else 3)

    call_command("worker", "--batch", verbosity=0)
    assert sorted(message["To"] for message in smtp_server.messages) == [
        f"p{number}@example.org" for number in range(3)
    ]
    assert not mail_due_wake()  # nothing due
    registration_create(edition=edition, data=data(edition, email="late@example.org"))
    assert mail_due_wake() == postgresql  # (on SQLite the mail has a task of its own)
    assert DBTaskResult.objects.filter(status="READY").count() == 1
    call_command("worker", "--batch", verbosity=0)
    assert len(smtp_server.messages) == 4
    assert set(OutboxMessage.objects.values_list("status", flat=True)) == {"sent"}


@pytest.mark.django_db(transaction=True)
def test_migrating_back_restores_the_functions_before():
    def source() -> str:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT prosrc FROM pg_proc WHERE proname = 'kongres_registration_create'"
            )
            [(text,)] = cursor.fetchall()
        return text

    postgresql = connection.vendor == "postgresql"
    try:
        call_command("migrate", "registration", "0014", verbosity=0)
        if postgresql:  # told whether to take a seat, raises KG001 without one
            assert source().count("USING ERRCODE = 'KG001'") == 2 and "KG002" not in source()
        call_command("migrate", "registration", "0013", verbosity=0)
        if postgresql:
            assert "KG001" not in source() and source().count("RETURN NULL;") == 2
    finally:
        call_command("migrate", "registration", verbosity=0)
    if postgresql:  # decides the seat; KG002 for pools missing or out of line
        assert source().count("USING ERRCODE = 'KG002'") == 2 and "KG001" not in source()
        assert "RETURN NULL" not in source()


def test_a_capacity_raised_behind_the_services_back_gives_the_seat(edition):
    """The edition's capacity raised by an UPDATE the services did not make: the pool still
    says full. The next registration brings the pools in line first and gets a seat (on
    PostgreSQL the function finds the pool out of line, raises KG002 and is called again)."""
    for number in range(3):
        registration_create(edition=edition, data=data(edition, email=f"p{number}@example.org"))
    Edition.objects.filter(pk=edition.pk).update(capacity=4)

    registration, _token = registration_create(
        edition=edition, data=data(edition, email="fourth@example.org")
    )

    assert registration.status == Registration.Status.HELD
    assert Registration.objects.get(pk=registration.pk).status == Registration.Status.HELD
    pool = SeatPool.objects.get(edition=edition, day__isnull=True)
    assert (pool.capacity, pool.taken) == (4, 4)
    assert Registration.objects.filter(email="fourth@example.org").count() == 1


def test_pools_missing_are_made_before_the_seat_is_taken(edition):
    registration_create(edition=edition, data=data(edition, email="first@example.org"))
    SeatPool.objects.filter(edition=edition).delete()

    registration, _token = registration_create(
        edition=edition, data=data(edition, email="second@example.org")
    )

    assert registration.status == Registration.Status.HELD
    pools = {pool.day_id: pool.taken for pool in SeatPool.objects.filter(edition=edition)}
    assert pools == {None: 2, **dict.fromkeys(data(edition).day_ids, 2)}


def test_a_day_pool_out_of_line_is_brought_in_line_not_taken_half(edition):
    """One chosen day's capacity changed behind the services' back: nothing of the first call
    stays (neither the edition's seat nor the other day's), the pools are brought in line and
    the seat is taken once."""
    first_day, second_day = sorted(edition.days.all(), key=lambda day: day.date)
    registration_create(edition=edition, data=data(edition, email="first@example.org"))
    Day.objects.filter(pk=second_day.pk).update(capacity=5)

    registration, _token = registration_create(
        edition=edition, data=data(edition, email="second@example.org")
    )

    assert registration.status == Registration.Status.HELD
    pools = {pool.day_id: (pool.capacity, pool.taken) for pool in SeatPool.objects.all()}
    assert pools == {None: (3, 2), first_day.pk: (None, 2), second_day.pk: (5, 2)}


def test_in_draw_mode_nobody_gets_a_seat_before_the_draw(edition):
    from kongres.registration.services.draw import allocation_configure

    allocation_configure(edition=edition, mode="draw")

    registration, _token = registration_create(edition=edition, data=data(edition))

    assert registration.status == Registration.Status.WAITING_UNVERIFIED
    assert Registration.objects.get(pk=registration.pk).status == registration.status
    assert set(SeatPool.objects.filter(edition=edition).values_list("taken", flat=True)) <= {0}
    [message] = OutboxMessage.objects.filter(to=registration.email)
    assert message.related == f"registration:{registration.pk}"
