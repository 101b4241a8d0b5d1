import datetime as dt

import pytest
from django.db import transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from kongres.mail.delivery import backoff_delay
from kongres.mail.models import OutboxMessage
from kongres.mail.services import BULK_TASK_SIZE, BulkMail, mail_queue, mail_queue_bulk
from kongres.mail.tasks import mail_send, mail_send_many
from tests.mail.test_delivery import run_worker, time_passes


def queue_greeting(**overrides) -> OutboxMessage:
    arguments = {
        "to": "anna@example.org",
        "template": "mailtest/greeting",
        "context": {"name": "Łucja <Żak> & syn", "link": "/potwierdz/abc/"},
        "language": "pl",
        "kind": "greeting",
        "related": "registration:42",
    } | overrides
    with transaction.atomic():
        return mail_queue(**arguments)


def test_mail_queue_renders_polish_text_and_html_and_enqueues_its_task(db, settings):
    settings.SITE_URL = "https://kongres.example.org"
    before = timezone.now()

    message = queue_greeting()

    message.refresh_from_db()
    assert message.subject == "Zażółć gęślą jaźń, Łucja <Żak> & syn"
    assert message.body_text == (
        "Dzień dobry, Łucja <Żak> & syn! Potwierdź zgłoszenie: "
        "https://kongres.example.org/potwierdz/abc/\n\n-- \nhttps://kongres.example.org/\n"
    )
    assert "<p>Dzień dobry, Łucja &lt;Żak&gt; &amp; syn!</p>" in message.body_html
    assert '<html lang="pl" dir="ltr">' in message.body_html
    assert '<a class="button" href="https://kongres.example.org/potwierdz/abc/">' in (
        message.body_html
    )
    assert "<title>Zażółć gęślą jaźń, Łucja &lt;Żak&gt; &amp; syn</title>" in message.body_html
    assert "<img" not in message.body_html
    assert (message.status, message.attempts, message.language) == ("queued", 0, "pl")
    assert (message.kind, message.related) == ("greeting", "registration:42")
    assert before <= message.next_attempt_at <= timezone.now()
    assert message.message_id.endswith("@kongres.example.org>")

    task = DBTaskResult.objects.get()
    assert str(task.id) == message.task_id
    assert task.task_path == "kongres.mail.tasks.mail_send"
    assert task.args_kwargs == {"args": [message.pk], "kwargs": {}}
    assert task.status == "READY"


def test_mail_queue_renders_in_the_recipients_language(db):
    polish = queue_greeting(language="pl", template="mail/test", context={})
    english = queue_greeting(language="en", template="mail/test", context={})

    assert polish.subject == "Wiadomość testowa z systemu kongres"
    assert "Jeśli ją czytasz, mail z systemu kongres do Ciebie dociera" in polish.body_text
    assert '<html lang="pl"' in polish.body_html
    assert english.subject == "Test message from kongres"
    assert "mail from kongres reaches you" in english.body_text
    assert '<html lang="en"' in english.body_html
    assert 'aria-roledescription="e-mail"' in english.body_html


def test_mail_queue_with_unknown_language_falls_back_to_polish(db):
    message = queue_greeting(language="xx")

    assert message.language == "pl"
    assert message.subject.startswith("Zażółć")


def test_mail_queue_accepts_regional_variant_of_a_language(db):
    message = queue_greeting(language="en-gb")

    assert message.language == "en"
    assert message.subject == "Welcome, Łucja <Żak> & syn"


def test_mail_queue_stores_attachments_and_reply_to(db):
    ics = "BEGIN:VCALENDAR\r\nSUMMARY:Kongres w Krakowie, Łódź\r\nEND:VCALENDAR\r\n".encode()

    message = queue_greeting(
        attachments=[("kongres.ics", ics, "text/calendar")], reply_to="biuro@example.org"
    )

    stored = message.attachments.get()
    assert (stored.filename, bytes(stored.content), stored.mimetype) == (
        "kongres.ics",
        ics,
        "text/calendar",
    )
    assert message.reply_to == "biuro@example.org"


def test_mail_queue_rolled_back_with_the_callers_transaction_leaves_nothing(transactional_db):
    class Boom(Exception):
        pass

    with pytest.raises(Boom), transaction.atomic():
        mail_queue(
            to="anna@example.org",
            template="mailtest/greeting",
            context={"name": "Anna"},
            language="pl",
            attachments=[("a.txt", b"a", "text/plain")],
        )
        assert OutboxMessage.objects.count() == 1  # visible inside the transaction
        assert DBTaskResult.objects.count() == 1
        raise Boom

    assert OutboxMessage.objects.count() == 0
    assert DBTaskResult.objects.count() == 0


def test_mail_queue_committed_with_the_callers_transaction_keeps_both_and_is_delivered(
    transactional_db, smtp_server
):
    """The task is enqueued through ``django.tasks`` in the caller's transaction; once that
    commits, the real worker finds it and delivers the message."""
    with transaction.atomic():
        message = mail_queue(
            to="anna@example.org", template="mailtest/greeting", context={}, language="en"
        )

    assert OutboxMessage.objects.get().pk == message.pk
    assert str(DBTaskResult.objects.get().id) == message.task_id
    assert mail_send.get_result(message.task_id).args == [message.pk]
    run_worker()
    assert [received["To"] for received in smtp_server.messages] == ["anna@example.org"]
    message.refresh_from_db()
    assert message.status == OutboxMessage.Status.SENT


def bulk(count: int) -> list[BulkMail]:
    return [
        BulkMail(to=f"a{n}@example.org", language="pl", subject="Ż", body_text="ó")
        for n in range(count)
    ]


def test_mail_queue_bulk_rolled_back_with_the_callers_transaction_leaves_nothing(
    transactional_db,
):
    class Boom(Exception):
        pass

    with pytest.raises(Boom), transaction.atomic():
        mail_queue_bulk(mails=bulk(3))
        assert (OutboxMessage.objects.count(), DBTaskResult.objects.count()) == (3, 1)
        raise Boom

    assert (OutboxMessage.objects.count(), DBTaskResult.objects.count()) == (0, 0)


def test_mail_queue_bulk_enqueues_one_task_per_batch(db):
    messages = mail_queue_bulk(mails=bulk(BULK_TASK_SIZE + 1))

    stored = dict(OutboxMessage.objects.values_list("pk", "task_id"))
    assert stored == {message.pk: message.task_id for message in messages}
    batches = sorted(mail_send_many.get_result(task).args[0] for task in set(stored.values()))
    pks = [message.pk for message in messages]
    assert batches == [pks[:BULK_TASK_SIZE], pks[BULK_TASK_SIZE:]]
    assert DBTaskResult.objects.count() == 2


def test_mail_queue_bulk_committed_is_delivered(transactional_db, smtp_server):
    with transaction.atomic():
        mail_queue_bulk(mails=bulk(3))

    assert DBTaskResult.objects.count() == 1
    run_worker()
    assert sorted(received["To"] for received in smtp_server.messages) == [
        "a0@example.org",
        "a1@example.org",
        "a2@example.org",
    ]


def test_backoff_grows_and_is_capped():
    delays = [backoff_delay(attempt) for attempt in range(1, 10)]

    assert delays[:5] == [
        dt.timedelta(seconds=30),
        dt.timedelta(minutes=2),
        dt.timedelta(minutes=10),
        dt.timedelta(minutes=30),
        dt.timedelta(hours=2),
    ]
    assert delays[5:] == [dt.timedelta(hours=6)] * 4


def test_backoff_of_a_transactional_message_is_capped_at_5_minutes():
    delays = [backoff_delay(attempt, transactional=True) for attempt in range(1, 8)]

    assert delays[:4] == [
        dt.timedelta(seconds=30),
        dt.timedelta(minutes=1),
        dt.timedelta(minutes=2),
        dt.timedelta(minutes=5),
    ]
    assert set(delays[4:]) == {dt.timedelta(minutes=5)}


def test_the_mail_clock_can_be_compressed_for_the_faults_bench(settings):
    # bench/settings_faults.py: a 10-minute outage of the mail server played in one minute
    settings.KONGRES_MAIL_TIME_SCALE = 0.1

    assert backoff_delay(1, transactional=True) == dt.timedelta(seconds=3)
    assert backoff_delay(4, transactional=True) == dt.timedelta(seconds=30)
    assert backoff_delay(3) == dt.timedelta(minutes=1)


def test_a_message_to_many_is_queued_behind_transactional_mail(db):
    """The tasks of a message to many participants have a lower priority than a verification's:
    a campaign queued first does not delay the mails people wait for."""
    [campaign] = mail_queue_bulk(mails=bulk(1))
    batch = mail_queue_bulk(mails=bulk(3))
    verification = queue_greeting()

    priorities = {
        message.pk: DBTaskResult.objects.get(pk=message.task_id).priority
        for message in [campaign, *batch, verification]
    }
    assert priorities[verification.pk] == OutboxMessage.Priority.TRANSACTIONAL
    assert {priorities[message.pk] for message in [campaign, *batch]} == {
        OutboxMessage.Priority.BULK
    }


def test_the_worker_sends_transactional_mail_before_a_message_to_many(
    transactional_db, smtp_server
):
    with transaction.atomic():
        mail_queue_bulk(mails=bulk(3))
    queue_greeting(to="first@example.org")

    run_worker()

    assert [received["To"] for received in smtp_server.messages] == [
        "first@example.org",
        "a0@example.org",
        "a1@example.org",
        "a2@example.org",
    ]


def test_after_an_outage_the_waiting_transactional_mail_goes_before_the_rest(
    transactional_db, smtp_server
):
    """The mail server is down: a message to many fails first, so its retries fall due first.
    The first retry tries the verification waiting out its backoff before it: the first
    message the server gets once it is back is the one somebody waits for."""
    smtp_server.stop()
    with transaction.atomic():
        campaign = mail_queue_bulk(mails=bulk(3))
    run_worker()
    verification = queue_greeting(to="first@example.org")
    run_worker()
    assert OutboxMessage.objects.filter(status="queued", attempts=1).count() == 4
    # the campaign's retries fall due, the verification's not yet
    for message in campaign:
        message.refresh_from_db()
        message.next_attempt_at = timezone.now() - dt.timedelta(seconds=1)
        message.save(update_fields=["next_attempt_at"])
        DBTaskResult.objects.filter(pk=message.task_id).update(run_after=message.next_attempt_at)
    smtp_server.start()

    run_worker()

    assert [received["To"] for received in smtp_server.messages] == [
        "first@example.org",
        "a0@example.org",
        "a1@example.org",
        "a2@example.org",
    ]
    verification.refresh_from_db()
    assert (verification.status, verification.attempts) == ("sent", 2)
    time_passes(dt.timedelta(minutes=10))
    run_worker()  # the old tasks, due later, find their messages sent
    assert len(smtp_server.messages) == 4
