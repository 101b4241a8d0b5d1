"""Delivery through the real django-tasks-db worker to a real local SMTP server (aiosmtpd)."""

import datetime as dt
import threading

from django.core.management import call_command
from django.db import connections, transaction
from django.utils import timezone
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult, get_date_max

from kongres.mail.delivery import GIVE_UP_AFTER, MAX_ATTEMPTS, mail_retry_due
from kongres.mail.models import OutboxMessage
from kongres.mail.services import mail_queue
from kongres.mail.tasks import mail_send

ICS = "BEGIN:VCALENDAR\r\nSUMMARY:Kongres, Kraków\r\nEND:VCALENDAR\r\n".encode()


def queue(**overrides) -> OutboxMessage:
    arguments = {
        "to": "lucja@example.org",
        "template": "mailtest/greeting",
        "context": {"name": "Łucja Żółć", "link": "/potwierdz/abc/"},
        "language": "pl",
        "attachments": [("kongres.ics", ICS, "text/calendar")],
        "reply_to": "biuro@example.org",
    } | overrides
    with transaction.atomic():
        return mail_queue(**arguments)


def run_worker() -> None:
    """The real worker, once: periodic jobs, then every ready task."""
    call_command("worker", "--batch", verbosity=0)


def time_passes(delta: dt.timedelta) -> None:
    """Move every pending due time back by ``delta``, as if that much time had passed."""
    for message in OutboxMessage.objects.all():
        message.next_attempt_at -= delta
        if message.claimed_until:
            message.claimed_until -= delta
        message.save(update_fields=["next_attempt_at", "claimed_until"])
    for task in DBTaskResult.objects.filter(status="READY").exclude(run_after=get_date_max()):
        task.run_after -= delta
        task.save(update_fields=["run_after"])


def test_worker_delivers_a_queued_message_once_with_text_html_and_attachment(
    transactional_db, smtp_server, settings
):
    settings.DEFAULT_FROM_EMAIL = "Kongres <kongres@example.org>"
    message = queue()

    run_worker()
    run_worker()

    assert len(smtp_server.messages) == 1
    received = smtp_server.messages[0]
    assert received["Subject"] == "Zażółć gęślą jaźń, Łucja Żółć"
    assert received["To"] == "lucja@example.org"
    assert received["From"] == "Kongres <kongres@example.org>"
    assert received["Reply-To"] == "biuro@example.org"
    assert received["Message-ID"] == message.message_id
    raw = smtp_server.inbox.raw[0]
    assert b"Potwierd\xc5\xba zg\xc5\x82oszenie: http://127.0.0.1:8000/potwierdz/abc/" in raw
    text = received.get_body(preferencelist=("plain",)).get_content()
    assert text.startswith("Dzień dobry, Łucja Żółć! Potwierdź zgłoszenie:")
    assert received.get_body(preferencelist=("plain",))["Content-Transfer-Encoding"] == "8bit"
    html = received.get_body(preferencelist=("html",)).get_content()
    assert "<p>Dzień dobry, Łucja Żółć!</p>" in html
    [attachment] = received.iter_attachments()
    assert attachment.get_filename() == "kongres.ics"
    assert attachment.get_content_type() == "text/calendar"
    assert attachment.get_content().encode() == ICS
    assert smtp_server.inbox.envelopes == [("kongres@example.org", ["lucja@example.org"])]

    message.refresh_from_db()
    assert (message.status, message.attempts, message.last_error) == ("sent", 1, "")
    assert message.sent_at is not None
    task = DBTaskResult.objects.get()
    assert (task.status, task.return_value) == ("SUCCESSFUL", "sent")


def test_smtp_server_down_then_up_the_retry_delivers_exactly_once(transactional_db, smtp_server):
    smtp_server.stop()
    message = queue()
    before = timezone.now()

    run_worker()

    message.refresh_from_db()
    assert (message.status, message.attempts) == ("queued", 1)
    assert "ConnectionRefusedError" in message.last_error
    assert (
        before + dt.timedelta(seconds=30)
        <= message.next_attempt_at
        <= timezone.now() + dt.timedelta(seconds=30)
    )
    retry_task = DBTaskResult.objects.get(status="READY")
    assert str(retry_task.id) == message.task_id
    assert retry_task.run_after == message.next_attempt_at

    run_worker()  # not due yet: nothing happens
    message.refresh_from_db()
    assert message.attempts == 1

    smtp_server.start()
    time_passes(dt.timedelta(seconds=31))
    run_worker()
    run_worker()

    assert len(smtp_server.messages) == 1
    assert smtp_server.messages[0]["Message-ID"] == message.message_id
    message.refresh_from_db()
    assert (message.status, message.attempts, message.last_error) == ("sent", 2, "")


def test_second_failure_waits_longer(transactional_db, smtp_server):
    smtp_server.stop()
    message = queue()
    run_worker()
    time_passes(dt.timedelta(seconds=31))
    before = timezone.now()

    run_worker()

    message.refresh_from_db()
    assert (message.status, message.attempts) == ("queued", 2)
    # a transactional message: 30 s, then 1 min, 2 min, then every 5 min at most
    assert message.next_attempt_at >= before + dt.timedelta(minutes=1)
    assert message.next_attempt_at < before + dt.timedelta(minutes=2)


def test_message_fails_for_good_after_the_last_attempt(transactional_db, smtp_server):
    smtp_server.stop()
    message = queue()
    OutboxMessage.objects.filter(pk=message.pk).update(
        attempts=MAX_ATTEMPTS - 1, created_at=timezone.now() - GIVE_UP_AFTER
    )

    run_worker()

    message.refresh_from_db()
    assert (message.status, message.attempts) == ("failed", MAX_ATTEMPTS)
    assert "ConnectionRefusedError" in message.last_error
    assert not DBTaskResult.objects.filter(status="READY").exists()


def test_a_transactional_message_is_tried_every_5_minutes_until_a_day_has_passed(
    transactional_db, smtp_server
):
    """A mail server down for hours: a verification keeps being tried at most 5 minutes apart
    (it is not given up after MAX_ATTEMPTS quick attempts), so it goes out soon after the
    server is back."""
    smtp_server.stop()
    message = queue()
    OutboxMessage.objects.filter(pk=message.pk).update(
        attempts=MAX_ATTEMPTS + 5, created_at=timezone.now() - dt.timedelta(hours=6)
    )
    before = timezone.now()

    run_worker()

    message.refresh_from_db()
    assert (message.status, message.attempts) == ("queued", MAX_ATTEMPTS + 6)
    assert message.next_attempt_at <= timezone.now() + dt.timedelta(minutes=5)
    assert message.next_attempt_at >= before + dt.timedelta(minutes=5)


def test_recipient_refused_for_good_fails_at_once(transactional_db, smtp_server):
    smtp_server.inbox.refuse.add("nobody@example.org")
    message = queue(to="nobody@example.org")

    run_worker()

    message.refresh_from_db()
    assert (message.status, message.attempts) == ("failed", 1)
    assert "550" in message.last_error
    assert "No such user here" in message.last_error
    assert smtp_server.messages == []


def test_two_workers_with_a_task_each_for_one_message_send_it_once(transactional_db, smtp_server):
    smtp_server.inbox.delay = 0.5  # the first send is still going on when the second starts
    message = queue()
    mail_send.enqueue(message.pk)  # a second task for the same message

    def work(name: str) -> None:
        try:
            Worker(
                queue_names=["*"],
                interval=0,
                batch=True,
                backend_name="default",
                startup_delay=False,
                max_tasks=1,
                worker_id=name,
                excluded_queue_names=[],
            ).run()
        finally:
            connections.close_all()

    workers = [threading.Thread(target=work, args=(f"worker-{n}",)) for n in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=30)

    assert len(smtp_server.messages) == 1
    results = sorted(DBTaskResult.objects.values_list("status", "return_value"))
    assert results == [("SUCCESSFUL", "sent"), ("SUCCESSFUL", "skipped")]
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("sent", 1)


def test_concurrent_sends_of_one_message_deliver_it_once(transactional_db, smtp_server):
    message = queue()
    start = threading.Barrier(4)
    results = []

    def send() -> None:
        try:
            start.wait(timeout=10)
            results.append(mail_send.call(message.pk))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=send) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(results) == ["sent", "skipped", "skipped", "skipped"]
    assert len(smtp_server.messages) == 1


def test_retry_due_enqueues_a_message_whose_task_was_lost(transactional_db, smtp_server):
    message = queue()
    DBTaskResult.objects.all().delete()  # e.g. pruned, or the task table restored from a backup
    assert mail_retry_due() == 0  # not long enough past its time yet

    time_passes(dt.timedelta(minutes=6))
    assert mail_retry_due() == 1
    run_worker()
    run_worker()

    assert len(smtp_server.messages) == 1
    message.refresh_from_db()
    assert message.status == "sent"


def test_retry_due_leaves_a_message_whose_task_still_waits(transactional_db, smtp_server):
    queue()
    time_passes(dt.timedelta(minutes=6))  # the worker is behind, the task is still there

    assert mail_retry_due() == 0
    assert DBTaskResult.objects.count() == 1


def test_retry_due_takes_over_a_message_whose_worker_died_while_sending(
    transactional_db, smtp_server
):
    message = queue()
    task = DBTaskResult.objects.get()
    # A worker claimed the task and the message, then died.
    task.claim("dead-worker")
    OutboxMessage.objects.filter(pk=message.pk).update(
        status="sending", attempts=1, claimed_until=timezone.now() + dt.timedelta(minutes=10)
    )
    run_worker()  # the periodic job runs, but the claim is still fresh
    assert smtp_server.messages == []

    time_passes(dt.timedelta(minutes=11))
    run_worker()  # the periodic job enqueues it again; the worker delivers it
    run_worker()

    assert len(smtp_server.messages) == 1
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("sent", 2)


def test_a_line_too_long_for_smtp_is_encoded_and_arrives_intact(transactional_db, smtp_server):
    name = "Żółć" * 300  # one line of 1,200 characters
    queue(context={"name": name, "link": "/"}, attachments=())

    run_worker()

    [received] = smtp_server.messages
    text_part = received.get_body(preferencelist=("plain",))
    assert text_part["Content-Transfer-Encoding"] in {"quoted-printable", "base64"}
    assert f"Dzień dobry, {name}!" in text_part.get_content()
    assert max(len(line) for line in smtp_server.inbox.raw[0].splitlines()) <= 998
