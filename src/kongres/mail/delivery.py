"""Delivering the outbox, in the worker: ``mail_deliver`` (and the tasks' ``mail_deliver_due``,
``mail_deliver_many``) claims a message, hands it to the mailer outside any transaction, then
records the result; on failure another attempt is scheduled with a growing delay
(``backoff_delay``). ``mail_retry_due`` (a periodic job) picks up messages whose task was lost,
for instance because a worker died half-way. Queuing is ``kongres.mail.services``.

A task that drains the queue claims ``SENT_BATCH`` messages at once and records their
deliveries in two steps. Right after the mail server took a message, its row gets ``sent_at``
(and its secrets are blanked, ``redaction``) while it stays "sending": it is never claimed
again, so a worker killed after that sends no duplicate. With the last message of the batch
(in the same transaction as its ``sent_at``), the batch is set "sent" and
``signals.messages_sent`` is sent with it: its receivers (a hold's deadline restarting at the
delivery) commit with that mark, so nothing waiting for the delivery runs out in between. A
message sent alone is recorded in one transaction. A worker killed in the middle leaves its
batch "sending": ``mail_retry_due`` marks the delivered ones sent (with the signal) and hands
the others to new tasks once their claim runs out.
"""

import contextlib
import datetime as dt
import logging
import smtplib
import time
from collections.abc import Iterable, Sequence

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, mailers
from django.core.mail.backends.smtp import EmailBackend as SMTPBackend
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone

from kongres.core.locks import atomic_bounded
from kongres.core.requeue import lost_tasks_requeue, tasks_discard
from kongres.mail.mime import outbox_email
from kongres.mail.models import OutboxAttachment, OutboxMessage
from kongres.mail.redaction import redacted
from kongres.mail.services import (
    AttachmentUnavailable,
    busy_error,
    mail_due_task_started,
    mail_due_task_wake,
    mail_task_enqueue,
)
from kongres.mail.signals import messages_sent

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 10
# Seconds to wait after the n-th failed attempt; the last value repeats. A transactional
# message (a verification, an offer: somebody waits for it, and a hold runs) is tried at least
# every 5 minutes, so that it goes out soon after the mail server is back; a message to many
# backs off further.
BACKOFF_SECONDS = (30, 120, 600, 1800, 7200, 21600)
TRANSACTIONAL_BACKOFF_SECONDS = (30, 60, 120, 300)
# A message is given up (failed) after MAX_ATTEMPTS attempts and this long since it was queued.
GIVE_UP_AFTER = dt.timedelta(hours=24)
# How long a worker may hold a claimed message before another may take it over.
CLAIM_TIMEOUT = dt.timedelta(minutes=10)
# A queued message this long past its due time is taken to have lost its task.
LOST_AFTER = dt.timedelta(minutes=5)
# The backoffs, CLAIM_TIMEOUT and LOST_AFTER are multiplied by settings.KONGRES_MAIL_TIME_SCALE
# (1 unless set): the faults bench (bench/faults.py) compresses a 10-minute outage into 1.
MAX_ERROR_LENGTH = 2000
RETRY_DUE_BATCH = 1000  # messages looked at per run of mail_retry_due
# A task that sends a transactional message sends the other due ones too, for at most this
# long (a stop of the worker waits for the task; the rest have tasks of their own).
DRAIN_SECONDS = 10
# One SMTP connection carries at most this many messages, and is not used past this age.
CONNECTION_MESSAGES = 200
CONNECTION_SECONDS = 30
# A draining task claims this many due transactional messages at once (one query; a worker
# killed in the middle leaves the rest of them to ``mail_retry_due`` once the claim runs out),
# and marks them "sent" at once, with one ``messages_sent``.
SENT_BATCH = 20


def backoff_delay(attempts: int, *, transactional: bool = False) -> dt.timedelta:
    """The wait after ``attempts`` failed attempts (1 → 30 s, 2 → 2 min, … capped; for a
    transactional message 30 s, 1 min, 2 min, then every 5 min)."""
    schedule = TRANSACTIONAL_BACKOFF_SECONDS if transactional else BACKOFF_SECONDS
    index = min(max(attempts, 1), len(schedule)) - 1
    return dt.timedelta(seconds=schedule[index] * _time_scale())


def _unreachable(error: Exception) -> bool:
    """True when the error says the mail server could not be reached or does not serve now
    (refused, timed out, closed, 421), not that it refused this message."""
    if isinstance(error, smtplib.SMTPResponseException):
        return isinstance(error, smtplib.SMTPConnectError) or error.smtp_code == 421
    if isinstance(error, smtplib.SMTPException):  # an OSError too
        return isinstance(error, smtplib.SMTPServerDisconnected)
    return isinstance(error, OSError)


def _connection_gone(error: Exception) -> bool:
    """True when the error ends the connection, not the message: closed, or 421."""
    if isinstance(error, smtplib.SMTPResponseException):
        return error.smtp_code == 421
    return isinstance(error, smtplib.SMTPServerDisconnected | ConnectionError)


def _is_permanent(error: Exception) -> bool:
    """True when retrying cannot help: the server refused every recipient for good."""
    if isinstance(error, AttachmentUnavailable):
        return True
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _text in error.recipients.values())
    return False


def _time_scale() -> float:
    return float(getattr(settings, "KONGRES_MAIL_TIME_SCALE", 1))


def _claim_timeout() -> dt.timedelta:
    return CLAIM_TIMEOUT * _time_scale()


def _lost_after() -> dt.timedelta:
    return LOST_AFTER * _time_scale()


def _claim_changes(now: dt.datetime) -> dict:
    """What claiming a message writes."""
    return {
        "status": OutboxMessage.Status.SENDING,
        "claimed_until": now + _claim_timeout(),
        "last_attempt_at": now,
        "attempts": F("attempts") + 1,
        "updated_at": now,
    }


def _claim(*, message_id: int, now: dt.datetime) -> bool:
    """Take the message for this worker; False if it is sent, failed, not due or taken."""
    claimable = Q(status=OutboxMessage.Status.QUEUED, next_attempt_at__lte=now) | Q(
        # (one with ``sent_at`` was delivered: it waits to be marked sent, ``_sent_finish``)
        status=OutboxMessage.Status.SENDING,
        claimed_until__lt=now,
        sent_at__isnull=True,
    )
    return bool(
        OutboxMessage.objects.filter(claimable, pk=message_id).update(**_claim_changes(now))
    )


class _Sender:
    """The mail server connection of one task: opened at the first message, used for the next
    ones, closed when the task ends (``with``), after ``CONNECTION_MESSAGES`` messages or
    ``CONNECTION_SECONDS``, and after any error (its state is then unknown). A new SMTP session
    per message cost more than the message itself (connect, greeting, EHLO, QUIT: four round
    trips, and the server's set-up). Only Django's SMTP backend keeps a connection: another
    backend gets a new instance per message, as before (the file-based one writes one file
    per instance, which must stay one file per message).

    This lives only as long as the task that opened it, in the worker, never on a request."""

    def __init__(self) -> None:
        self.mailer = None
        self.keep = False
        self.messages = 0
        self.opened_at = 0.0
        self.down = False  # the last message could not reach the mail server

    def __enter__(self) -> "_Sender":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        if self.mailer is not None and self.keep:
            with contextlib.suppress(smtplib.SMTPException, OSError):
                self.mailer.close()
        self.messages = 0

    def send(self, mail: EmailMultiAlternatives) -> None:
        if self.mailer is None or not self.keep:
            self.mailer = mailers["default"]
            self.keep = isinstance(self.mailer, SMTPBackend)
        if not self.keep:
            self.mailer.send_messages([mail])
            return
        if self.messages and (
            self.messages >= CONNECTION_MESSAGES
            or time.monotonic() - self.opened_at > CONNECTION_SECONDS
        ):
            self.close()
        try:
            if self.mailer.open():
                self.opened_at, self.messages = time.monotonic(), 0
            reused = self.messages > 0
            try:
                self.mailer.send_messages([mail])
            except (smtplib.SMTPException, ConnectionError) as error:
                if not reused or not _connection_gone(error):
                    raise
                # The server closed a connection that had waited (its idle timeout), dropped
                # it, or ends it with 421 (too many messages on it): the message is sent again
                # once, on a new connection. Had the server already taken it, that is one
                # duplicate with the same Message-ID.
                self.close()
                self.mailer.open()
                self.opened_at = time.monotonic()
                self.mailer.send_messages([mail])
        except Exception as error:
            self.close()
            self.down = _unreachable(error)
            raise
        self.messages += 1
        self.down = False


class _Sent:
    """The messages a task delivered (``sent_at`` recorded) that wait to be marked "sent" with
    ``messages_sent`` (``_sent_finish``): with the last message of a batch (``flush(last=…)``,
    in the same transaction as its ``sent_at``), and what is left when the task ends
    (``with``). Also the waiting tasks of the messages it sent for them, deleted at the same
    time (``tasks_discard``)."""

    def __init__(self) -> None:
        self.messages: list[OutboxMessage] = []
        self.tasks: list[str] = []

    def __enter__(self) -> "_Sent":
        return self

    def __exit__(self, *exc) -> None:
        self.flush()

    def add(self, message: OutboxMessage, *, discard_task: bool = False) -> None:
        self.messages.append(message)
        if discard_task:
            self.tasks.append(message.task_id)

    @property
    def full(self) -> bool:
        return len(self.messages) >= SENT_BATCH

    def flush(self, *, last: tuple[OutboxMessage, dict] | None = None) -> None:
        """Mark the messages sent; ``last``: a message just delivered and what its row gets
        (``sent_at``, the bodies without secrets), written in the same transaction."""
        messages, tasks = self.messages, self.tasks
        self.messages, self.tasks = [], []
        if messages:
            _sent_finish(messages, last=last)
        # the tasks of the messages sent here would find them sent: they are not run (a worker
        # killed before this line leaves them to run, and skip)
        tasks_discard(task_ids=tasks)


def mail_deliver(*, message_id: int) -> str:
    """Send one queued message; return its status afterwards (or "skipped")."""
    with _Sender() as sender, _Sent() as sent:
        return _deliver_claimed(_claimed(message_id=message_id), sender, sent)


def mail_deliver_due(*, message_id: int | None) -> str:
    """The sending task of one message (``mail_send``): send it, and with it, on the same
    connection, every other transactional message that is due (one task empties the queue of
    a rush instead of a task, a connection and a dozen queries per message); return the status
    of ``message_id`` afterwards (or "skipped": another task has sent it). Without
    ``message_id`` (``services.mail_due_task_enqueue``): the transactional messages that are due.

    Transactional mail goes first. A message to many waits until no transactional message is
    due; and when it is a retry (it failed before: the mail server was down) while
    transactional messages wait out a backoff, the first of them is tried before it: after an
    outage the first message to reach the server is one somebody waits for, and the rest of
    them follow (``_transactional_retries_now``) before any other message to many.

    The others are claimed ``SENT_BATCH`` at a time, each recorded as delivered just after
    it is sent (a worker killed in the middle sends at most the message it was sending twice;
    the rest of its batch waits for ``mail_retry_due``), and marked "sent" in batches
    (``_Sent``). The other messages' own tasks are deleted while they still wait
    (``tasks_discard``); one already started finds its message sent and skips it."""
    deadline = time.monotonic() + DRAIN_SECONDS
    with _Sender() as sender, _Sent() as sent:
        if message_id is None:  # the task of messages written by SQL of their own
            mail_due_task_started()  # before reading what is due: see mail_due_task_wake
            _deliver_due_transactional(sender, sent, deadline=deadline)
            return "due sent"
        message = _claimed(message_id=message_id)
        if message is None:
            return "skipped"  # sent by another task, which sends the rest that is due too
        transactional = message.priority >= OutboxMessage.Priority.TRANSACTIONAL
        if transactional:
            status = _deliver_claimed(message, sender, sent)
        elif message.attempts > 1:
            _transactional_probe(now=timezone.now())
        if not sender.down:
            _deliver_due_transactional(sender, sent, deadline=deadline)
        if not transactional:
            status = _deliver_claimed(message, sender, sent)
        return status


def mail_deliver_many(*, message_ids: Sequence[int]) -> list[str]:
    """The task of a batch of a message to many (``mail_send_many``): the due transactional
    messages first, then these, one after the other on one connection; their statuses."""
    with _Sender() as sender, _Sent() as sent:
        _deliver_due_transactional(sender, sent, deadline=time.monotonic() + DRAIN_SECONDS)
        return [
            _deliver_claimed(
                _claimed(message_id=message_id), sender, sent, last=number == len(message_ids) - 1
            )
            for number, message_id in enumerate(message_ids)
        ]


def _outbox() -> QuerySet[OutboxMessage]:
    """Messages as the worker reads them to send them: with whether they have attachments."""
    return OutboxMessage.objects.annotate(
        has_attachments=Exists(OutboxAttachment.objects.filter(message=OuterRef("pk")))
    )


def _claimed(*, message_id: int) -> OutboxMessage | None:
    """The message, claimed for this worker; None if it is sent, failed, not due or taken."""
    if not _claim(message_id=message_id, now=timezone.now()):
        return None
    return _outbox().get(pk=message_id)


def _claim_due_transactional(*, now: dt.datetime, limit: int) -> list[OutboxMessage]:
    """Up to ``limit`` transactional messages, those due first, claimed for this worker in one
    transaction (rows another worker is claiming are skipped, not waited for)."""
    with transaction.atomic():
        messages = list(
            _outbox()
            .select_for_update(skip_locked=True)
            .filter(
                status=OutboxMessage.Status.QUEUED,
                priority__gte=OutboxMessage.Priority.TRANSACTIONAL,
                next_attempt_at__lte=now,
            )
            .order_by("next_attempt_at", "pk")[:limit]
        )
        if messages:
            OutboxMessage.objects.filter(
                pk__in=[message.pk for message in messages], status=OutboxMessage.Status.QUEUED
            ).update(**_claim_changes(now))
    # what the update wrote (the rows were locked: nobody else changed them)
    for message in messages:
        message.status, message.attempts = OutboxMessage.Status.SENDING, message.attempts + 1
        message.claimed_until, message.last_attempt_at = now + _claim_timeout(), now
    return messages


def _deliver_due_transactional(sender: _Sender, sent: _Sent, *, deadline: float) -> int:
    """Send the due transactional messages until none is left, the mail server cannot be
    reached (the rest stay due, for their own tasks or the failed one's retry) or ``deadline``
    passes (a task is woken for the rest: some have none of their own). Returns how many."""
    count = 0
    while not sender.down:
        if time.monotonic() >= deadline:
            mail_due_task_wake()
            break
        batch = _claim_due_transactional(now=timezone.now(), limit=SENT_BATCH)
        for number, message in enumerate(batch):
            if sender.down:  # the rest are given back, as they were, to their own tasks
                _unclaim(batch[number:])
                break
            last = number == len(batch) - 1
            if _deliver_claimed(message, sender, sent, last=last, discard_task=True) == "sent":
                count += 1
        if not batch:
            break
    return count


def _unclaim(messages: Sequence[OutboxMessage]) -> None:
    """Give back claimed messages that were not tried: due again, their attempt not counted."""
    OutboxMessage.objects.filter(
        pk__in=[message.pk for message in messages], status=OutboxMessage.Status.SENDING
    ).update(
        status=OutboxMessage.Status.QUEUED,
        claimed_until=None,
        attempts=F("attempts") - 1,
        updated_at=timezone.now(),
    )


def _transactional_waiting(*, now: dt.datetime) -> QuerySet[OutboxMessage]:
    """The transactional messages waiting out a backoff (they failed before), locked, skipping
    rows another worker holds: what is brought forward when the mail server is back."""
    return OutboxMessage.objects.select_for_update(skip_locked=True).filter(
        status=OutboxMessage.Status.QUEUED,
        priority__gte=OutboxMessage.Priority.TRANSACTIONAL,
        attempts__gt=0,
        next_attempt_at__gt=now,
    )


def _transactional_probe(*, now: dt.datetime) -> bool:
    """Make the transactional message waiting out a backoff that is due first due now (its
    old task, due later, finds it sent and skips): a message to many tried again after a
    failure goes after it."""
    with transaction.atomic():
        waiting = (
            _transactional_waiting(now=now)
            .only("pk", "next_attempt_at")
            .order_by("next_attempt_at", "pk")
            .first()
        )
        if waiting is None:
            return False
        OutboxMessage.objects.filter(pk=waiting.pk).update(next_attempt_at=now)
    return True


def _deliver_claimed(
    message: OutboxMessage | None,
    sender: _Sender,
    sent: _Sent,
    *,
    last: bool = True,
    discard_task: bool = False,
) -> str:
    """Send ``message``, claimed by this worker (None: "skipped"), and record its delivery:
    ``sent_at`` at once; "sent" with its batch (``sent``), in the same transaction when it
    is the ``last`` of the batch (a message sent on its own is marked as it always was); its
    waiting task deleted then when ``discard_task``. Its status afterwards ("sent" once
    delivered)."""
    if message is None:
        return "skipped"
    try:
        sender.send(outbox_email(message))
    except Exception as error:  # the outside world: refused, timed out, broken pipe, …
        return _record_failure(message, error)

    now = timezone.now()
    # The stored copy keeps no secret once the mail server has it (``redaction``).
    bodies = {
        name: redacted(getattr(message, name), message.redact)
        for name in ("subject", "body_text", "body_html")
    }
    record = {"sent_at": now, "last_error": "", "updated_at": now, **bodies}
    message.sent_at = now
    sent.add(message, discard_task=discard_task)
    if last or sent.full:
        sent.flush(last=(message, record))
    else:  # never claimed again from here on (``_claim``); "sent" with its batch
        OutboxMessage.objects.filter(pk=message.pk, status=OutboxMessage.Status.SENDING).update(
            **record
        )
    logger.info("Mail %s sent to %s", message.pk, message.to)
    if message.attempts > 1:  # it had failed before: the mail server is back
        _transactional_retries_now(now=now)
    return OutboxMessage.Status.SENT.value


def _sent_finish(
    messages: Sequence[OutboxMessage], *, last: tuple[OutboxMessage, dict] | None = None
) -> None:
    """Mark delivered messages (``sent_at`` recorded, or being recorded: ``last``, a message
    and its row's changes) "sent" and send ``messages_sent`` with them, in one transaction:
    the receivers' writes (a hold's deadline that starts again at the delivery) commit with
    the mark, each receiver in a savepoint of its own."""
    now = timezone.now()
    with transaction.atomic():
        if last is not None:
            message, record = last
            OutboxMessage.objects.filter(pk=message.pk, status=OutboxMessage.Status.SENDING).update(
                **record
            )
        OutboxMessage.objects.filter(
            pk__in=[message.pk for message in messages],
            status=OutboxMessage.Status.SENDING,
            sent_at__isnull=False,
        ).update(status=OutboxMessage.Status.SENT, claimed_until=None, updated_at=now)
        for message in messages:
            message.status = OutboxMessage.Status.SENT
        for receiver, result in messages_sent.send_robust(
            sender=OutboxMessage, messages=list(messages)
        ):
            if isinstance(result, Exception):
                logger.error(
                    "Mail %s: %s failed: %s",
                    ", ".join(str(message.pk) for message in messages),
                    receiver,
                    result,
                    exc_info=result,
                )


def _transactional_retries_now(*, now: dt.datetime) -> int:
    """Bring forward the transactional messages waiting out a backoff, once a message that had
    failed goes through: after an outage the mails people wait for (verification, offers) go
    first, not whichever failed first (often a message to many). Their old tasks, due later,
    find them sent and skip. Two workers doing it at once take disjoint rows."""
    with transaction.atomic():
        waiting = list(
            _transactional_waiting(now=now)
            .only("pk", "priority", "next_attempt_at", "task_id")
            .order_by("pk")[:RETRY_DUE_BATCH]
        )
        for message in waiting:
            message.next_attempt_at = now
            message.task_id = mail_task_enqueue(message)
            message.save(update_fields=["next_attempt_at", "task_id"])
    if waiting:
        logger.info("Mail server back: %s transactional message(s) brought forward", len(waiting))
    return len(waiting)


def _record_failure(message: OutboxMessage, error: Exception) -> str:
    now = timezone.now()
    text = f"{type(error).__name__}: {error}"[:MAX_ERROR_LENGTH]
    transactional = message.priority >= OutboxMessage.Priority.TRANSACTIONAL
    give_up = _is_permanent(error) or (
        message.attempts >= MAX_ATTEMPTS and now - message.created_at >= GIVE_UP_AFTER
    )
    with transaction.atomic():
        if give_up:
            status, next_attempt_at = OutboxMessage.Status.FAILED, message.next_attempt_at
        else:
            status, next_attempt_at = (
                OutboxMessage.Status.QUEUED,
                now + backoff_delay(message.attempts, transactional=transactional),
            )
        updated = OutboxMessage.objects.filter(
            pk=message.pk, status=OutboxMessage.Status.SENDING
        ).update(
            status=status,
            next_attempt_at=next_attempt_at,
            claimed_until=None,
            last_error=text,
            updated_at=now,
        )
        if updated and not give_up:
            message.task_id = mail_task_enqueue(message, run_after=next_attempt_at)
            message.save(update_fields=["task_id"])
    log = logger.error if give_up else logger.warning
    log("Mail %s to %s, attempt %s: %s", message.pk, message.to, message.attempts, text)
    return status.value


def mail_retry_due(*, now: dt.datetime | None = None) -> int:
    """Enqueue again every message whose task was lost; return how many. A periodic job.

    Lost means: still queued well past its due time while no task for it waits to run,
    or claimed by a worker that did not finish within ``CLAIM_TIMEOUT`` (it died).
    Running it twice at once is harmless: a message is claimed before it is sent.
    """
    now = now or timezone.now()
    _sent_finish_lost(now=now)
    lost = lost_tasks_requeue(
        stale=OutboxMessage.objects.filter(
            Q(status=OutboxMessage.Status.QUEUED, next_attempt_at__lt=now - _lost_after())
            | Q(status=OutboxMessage.Status.SENDING, claimed_until__lt=now, sent_at__isnull=True)
        ),
        enqueue=mail_task_enqueue,
        batch=RETRY_DUE_BATCH,
    )
    if lost:
        logger.warning("Mail: enqueued %s message(s) again whose task was lost", len(lost))
    return len(lost)


def _sent_finish_lost(*, now: dt.datetime) -> int:
    """Mark "sent" the delivered messages of a worker that died before it could (``sent_at``
    recorded, the claim run out), with ``messages_sent``; how many."""
    with transaction.atomic():
        lost = list(
            OutboxMessage.objects.select_for_update(skip_locked=True)
            .filter(status=OutboxMessage.Status.SENDING, claimed_until__lt=now)
            .exclude(sent_at=None)
            .order_by("pk")[:RETRY_DUE_BATCH]
        )
        if lost:
            _sent_finish(lost)
    if lost:
        logger.warning("Mail: marked sent %s delivered message(s) of a worker that died", len(lost))
    return len(lost)


def mail_retry_now(*, messages: Iterable[OutboxMessage]) -> int:
    """Try queued or failed messages again at once (the admin's "retry now"). ``MailError``
    "busy" when a message stays locked (a worker is sending it) longer than the lock timeout."""
    now = timezone.now()
    ids = [message.pk for message in messages]
    with atomic_bounded(busy_error):
        retry = list(
            OutboxMessage.objects.select_for_update()
            .filter(
                pk__in=ids, status__in=[OutboxMessage.Status.QUEUED, OutboxMessage.Status.FAILED]
            )
            .order_by("pk")
        )
        for message in retry:
            if message.status == OutboxMessage.Status.FAILED:
                message.attempts = 0
            message.status = OutboxMessage.Status.QUEUED
            message.next_attempt_at = now
            message.task_id = mail_task_enqueue(message)
            message.save(
                update_fields=["status", "attempts", "next_attempt_at", "task_id", "updated_at"]
            )
    return len(retry)
