"""How the worker records deliveries in batches (issue 16, "Mail keeps up"): each message gets
``sent_at`` right after the mail server took it and is never sent again; a batch of them is
marked "sent" with one ``messages_sent``; a worker that died before marking its batch leaves it
to ``mail_retry_due``. And the e-mail of a simple message (``kongres.mail.mime``), built without
Django's header parsing, as a mail client reads it."""

import datetime as dt
import email.utils

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from kongres.mail.delivery import SENT_BATCH, mail_retry_due
from kongres.mail.models import OutboxMessage
from kongres.mail.signals import messages_sent
from kongres.mail.tasks import mail_send
from tests.mail.test_delivery import queue, run_worker, time_passes
from tests.mail.test_throughput import queue_many


@pytest.fixture
def batches():
    """What each ``messages_sent`` carried: the messages' ids, and their statuses in the
    database as the receivers see them (inside the transaction that marks them)."""
    seen: list[tuple[list[int], set[str]]] = []

    def receiver(*, messages, **kwargs):
        ids = [message.pk for message in messages]
        statuses = set(OutboxMessage.objects.filter(pk__in=ids).values_list("status", flat=True))
        seen.append((ids, statuses))

    messages_sent.connect(receiver, dispatch_uid="tests.mail.batches")
    yield seen
    messages_sent.disconnect(dispatch_uid="tests.mail.batches")


def test_a_backlog_is_marked_sent_in_batches_with_one_signal_each(
    transactional_db, smtp_server, batches
):
    messages = queue_many(2 * SENT_BATCH + 5)

    run_worker()

    # the task's own message on its own, then the others as claimed
    assert [len(ids) for ids, _statuses in batches] == [1, SENT_BATCH, SENT_BATCH, 4]
    assert all(statuses == {"sent"} for _ids, statuses in batches)
    assert sorted(pk for ids, _statuses in batches for pk in ids) == [m.pk for m in messages]
    assert len(smtp_server.messages) == len(messages)
    assert set(OutboxMessage.objects.values_list("status", "attempts")) == {("sent", 1)}
    assert OutboxMessage.objects.filter(sent_at=None).count() == 0


def test_a_delivery_whose_worker_died_before_marking_it_is_marked_later_and_not_sent_again(
    transactional_db, smtp_server, batches
):
    message = queue()
    delivered_at = timezone.now()
    # The worker claimed and sent it, recorded sent_at, and was killed before its batch.
    OutboxMessage.objects.filter(pk=message.pk).update(
        status="sending",
        attempts=1,
        sent_at=delivered_at,
        claimed_until=delivered_at + dt.timedelta(minutes=10),
    )

    assert mail_send.call(message.pk) == "skipped"  # never claimed again
    assert mail_retry_due() == 0  # its claim still runs
    assert OutboxMessage.objects.get(pk=message.pk).status == "sending"
    assert batches == []

    time_passes(dt.timedelta(minutes=11))
    assert mail_send.call(message.pk) == "skipped"  # not even once the claim ran out
    run_worker()  # the periodic job marks it sent, with the signal
    run_worker()

    assert smtp_server.messages == []
    assert batches == [([message.pk], {"sent"})]
    message.refresh_from_db()
    assert (message.status, message.attempts, message.sent_at) == ("sent", 1, delivered_at)
    assert message.claimed_until is None


def test_a_batch_the_mail_server_stops_taking_gives_back_what_it_did_not_try(
    transactional_db, smtp_server
):
    messages = queue_many(6)
    smtp_server.inbox.down_after = 2  # then "421 shutting down", on a new connection too

    assert mail_send.call(messages[0].pk) == "sent"  # and the next one, from the batch

    rows = {m.to: m for m in OutboxMessage.objects.all()}
    assert [(rows[m.to].status, rows[m.to].attempts) for m in messages] == [
        ("sent", 1),
        ("sent", 1),
        ("queued", 1),  # tried: the server was gone; its retry waits out the backoff
        ("queued", 0),  # not tried: given back as they were, due for their own tasks
        ("queued", 0),
        ("queued", 0),
    ]
    assert OutboxMessage.objects.filter(claimed_until__isnull=False).count() == 0
    waiting = set(DBTaskResult.objects.filter(status="READY").values_list("id", flat=True))
    assert {str(task_id) for task_id in waiting} >= {rows[m.to].task_id for m in messages[3:]}
    smtp_server.inbox.down_after = 0
    run_worker()
    assert sorted(m["To"] for m in smtp_server.messages) == sorted(
        m.to for m in messages[:2] + messages[3:]
    )


def test_a_simple_message_reads_as_before(transactional_db, smtp_server, settings):
    settings.DEFAULT_FROM_EMAIL = "Kongres <kongres@example.org>"
    message = queue(attachments=())

    run_worker()

    [received] = smtp_server.messages
    assert received["Subject"] == "Zażółć gęślą jaźń, Łucja Żółć"
    assert received["From"] == "Kongres <kongres@example.org>"
    assert received["To"] == "lucja@example.org"
    assert received["Reply-To"] == "biuro@example.org"
    assert received["Message-ID"] == message.message_id
    date = email.utils.parsedate_to_datetime(received["Date"])
    assert abs(date - timezone.now()) < dt.timedelta(minutes=1)
    assert received.get_content_type() == "multipart/alternative"
    text = received.get_body(preferencelist=("plain",))
    assert text["Content-Transfer-Encoding"] == "8bit"
    assert text.get_content().startswith("Dzień dobry, Łucja Żółć! Potwierdź zgłoszenie:")
    html = received.get_body(preferencelist=("html",))
    assert html["Content-Transfer-Encoding"] == "8bit"
    assert "<p>Dzień dobry, Łucja Żółć!</p>" in html.get_content()
    assert list(received.iter_attachments()) == []
    raw = smtp_server.inbox.raw[0]
    assert b"Potwierd\xc5\xba zg\xc5\x82oszenie: http://127.0.0.1:8000/potwierdz/abc/" in raw
    assert max(len(line) for line in raw.splitlines()) <= 998
    assert smtp_server.inbox.envelopes == [("kongres@example.org", ["lucja@example.org"])]


def test_a_long_polish_subject_is_folded_and_reads_whole(transactional_db, smtp_server):
    name = "Łucja Żółć-Gęślą " * 8
    queue(attachments=(), context={"name": name, "link": "/"})

    run_worker()

    [received] = smtp_server.messages
    assert received["Subject"] == f"Zażółć gęślą jaźń, {name.strip()}"
    header_lines = smtp_server.inbox.raw[0].split(b"\r\n\r\n")[0].splitlines()
    assert max(len(line) for line in header_lines) <= 78


def test_an_address_with_a_polish_domain_is_sent_in_idna(transactional_db, smtp_server):
    queue(attachments=(), to="anna@żółw.example.org")

    run_worker()

    [received] = smtp_server.messages
    assert received["To"] == "anna@xn--w-uga1v8h.example.org"
    assert smtp_server.inbox.envelopes[0][1] == ["anna@xn--w-uga1v8h.example.org"]
