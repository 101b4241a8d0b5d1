"""How the worker sends many messages: one task sends every transactional message that is due
on one SMTP connection (counted at a real aiosmtpd server), each claimed and marked sent on its
own; a connection the server drops is replaced without losing or doubling a message; after an
outage the transactional mail reaches the server before any message to many."""

import datetime as dt
import threading

from django.db import connections, transaction
from django.utils import timezone
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from kongres.mail.models import OutboxMessage
from kongres.mail.services import mail_queue_bulk
from kongres.mail.tasks import mail_send
from tests.mail.test_delivery import run_worker, time_passes
from tests.mail.test_queue import bulk, queue_greeting


def queue_many(count: int, prefix: str = "osoba") -> list[OutboxMessage]:
    return [queue_greeting(to=f"{prefix}{n}@example.org") for n in range(count)]


def received_ids(smtp_server) -> list[str]:
    return [message["Message-ID"] for message in smtp_server.messages]


def test_one_worker_sends_many_messages_on_few_connections(transactional_db, smtp_server):
    messages = queue_many(30)

    run_worker()

    assert sorted(received_ids(smtp_server)) == sorted(m.message_id for m in messages)
    assert smtp_server.inbox.connections == 1
    assert set(OutboxMessage.objects.values_list("status", "attempts")) == {("sent", 1)}
    # one task sent them all; the others' tasks were deleted before they ran
    assert list(DBTaskResult.objects.values_list("status", "return_value")) == [
        ("SUCCESSFUL", "sent")
    ]


def test_a_task_already_started_for_a_message_sent_by_another_skips_it(
    transactional_db, smtp_server
):
    first, second = queue_many(2)
    task = DBTaskResult.objects.get(pk=second.task_id)
    task.claim("another-worker")  # started: it is not deleted

    assert mail_send.call(first.pk) == "sent"
    assert mail_send.call(second.pk) == "skipped"

    assert sorted(received_ids(smtp_server)) == sorted([first.message_id, second.message_id])
    assert DBTaskResult.objects.filter(pk=second.task_id).exists()


def test_a_message_to_many_is_sent_on_one_connection_per_batch(transactional_db, smtp_server):
    with transaction.atomic():
        mail_queue_bulk(mails=bulk(25))

    run_worker()

    assert len(smtp_server.messages) == 25
    assert smtp_server.inbox.connections == 1


def test_a_connection_dropped_by_the_server_mid_batch_loses_and_doubles_nothing(
    transactional_db, smtp_server
):
    smtp_server.inbox.close_after = 4  # every 4th message, the server hangs up
    messages = queue_many(10)

    run_worker()

    assert sorted(received_ids(smtp_server)) == sorted(m.message_id for m in messages)
    assert smtp_server.inbox.connections == 3
    assert set(OutboxMessage.objects.values_list("status", "attempts", "last_error")) == {
        ("sent", 1, "")
    }


def test_a_connection_the_server_ends_with_421_is_replaced_without_a_failure(
    transactional_db, smtp_server
):
    smtp_server.inbox.busy_after = 3  # the 4th message on a connection: "421 closing"
    messages = queue_many(7)

    run_worker()

    assert sorted(received_ids(smtp_server)) == sorted(m.message_id for m in messages)
    assert smtp_server.inbox.connections == 3
    assert set(OutboxMessage.objects.values_list("status", "attempts", "last_error")) == {
        ("sent", 1, "")
    }


def test_the_server_down_mid_batch_leaves_the_rest_due_for_their_tasks(
    transactional_db, smtp_server
):
    messages = queue_many(3)
    smtp_server.stop()

    mail_send.call(messages[0].pk)  # the first fails; the batch stops there

    statuses = {m.to: m for m in OutboxMessage.objects.all()}
    assert (statuses["osoba0@example.org"].status, statuses["osoba0@example.org"].attempts) == (
        "queued",
        1,
    )
    for to in ("osoba1@example.org", "osoba2@example.org"):  # not tried: due for their tasks
        assert (statuses[to].status, statuses[to].attempts) == ("queued", 0)
    smtp_server.start()
    run_worker()
    assert sorted(m["To"] for m in smtp_server.messages) == [
        "osoba1@example.org",
        "osoba2@example.org",
    ]


def test_two_workers_share_the_queue_and_send_each_message_once(transactional_db, smtp_server):
    smtp_server.inbox.delay = 0.01  # both workers are sending at once
    messages = queue_many(40)
    errors = []

    def work(name: str) -> None:
        try:
            Worker(
                queue_names=["*"],
                interval=0,
                batch=True,
                backend_name="default",
                startup_delay=False,
                max_tasks=None,
                worker_id=name,
                excluded_queue_names=[],
            ).run()
        except Exception as error:  # e.g. its task deleted while it ran: reported below
            errors.append(error)
        finally:
            connections.close_all()

    workers = [threading.Thread(target=work, args=(f"worker-{n}",)) for n in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)

    assert errors == []
    assert sorted(received_ids(smtp_server)) == sorted(m.message_id for m in messages)
    assert set(OutboxMessage.objects.values_list("status", "attempts")) == {("sent", 1)}
    assert set(DBTaskResult.objects.values_list("status", flat=True)) == {"SUCCESSFUL"}


def test_the_file_backend_still_writes_one_file_per_message(transactional_db, settings, tmp_path):
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "OPTIONS": {"file_path": str(tmp_path)},
        }
    }
    queue_many(3)

    run_worker()

    assert len(list(tmp_path.iterdir())) == 3
    assert set(OutboxMessage.objects.values_list("status", flat=True)) == {"sent"}


def test_after_an_outage_every_verification_reaches_the_server_before_a_message_to_many(
    transactional_db, smtp_server
):
    """A message to many failed first, so its retries fall due first; verifications queued
    during the outage wait out their backoff. When the server is back, the first retry of the
    message to many tries a verification first, and the others follow before the rest."""
    smtp_server.stop()
    with transaction.atomic():
        campaign = mail_queue_bulk(mails=bulk(5))
    run_worker()
    verifications = queue_many(3, prefix="weryfikacja")
    run_worker()
    assert OutboxMessage.objects.filter(status="queued", attempts=1).count() == 8
    for message in OutboxMessage.objects.filter(pk__in=[m.pk for m in campaign]):
        message.next_attempt_at = timezone.now() - dt.timedelta(seconds=1)
        message.save(update_fields=["next_attempt_at"])
        DBTaskResult.objects.filter(pk=message.task_id).update(run_after=message.next_attempt_at)
    smtp_server.start()

    run_worker()

    order = [received["To"] for received in smtp_server.messages]
    assert sorted(order[:3]) == sorted(v.to for v in verifications)
    assert sorted(order[3:]) == [f"a{n}@example.org" for n in range(5)]
    time_passes(dt.timedelta(minutes=10))
    run_worker()  # the old tasks, due later, find their messages sent
    assert len(smtp_server.messages) == 8
