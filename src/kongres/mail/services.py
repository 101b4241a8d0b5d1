"""Outgoing mail: queue a rendered message with the change that causes it, deliver it later.

``mail_queue`` is called inside the caller's transaction: the outbox row and the task that
sends it are written in that transaction, so they commit (or roll back) with the change.
Delivering them is ``kongres.mail.delivery``, in the worker.

Attachments (``Attachment``) are stored with the message, or made when it is sent by a renderer
that an app registers (``attachment_renderer_register``, in its ``AppConfig.ready``): a PDF
then costs the worker its time, not the transaction that queues the mail. An attachment with
a ``content_id`` is an inline part of the HTML body (``<img src="cid:…">``), which mail clients
show in the message (``data:`` images are blocked by many).

Every sending task is enqueued through ``django.tasks`` (``mail_send.enqueue``); the database
task backend writes its row in the current transaction, so the outbox row and its task commit
(or roll back) together.
"""

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from django.conf import settings
from django.core.cache import cache
from django.core.mail import make_msgid
from django.db import transaction
from django.template import Context
from django.template.loader import get_template, render_to_string
from django.utils import timezone, translation
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _

from kongres.core.exceptions import KongresError
from kongres.mail.models import OutboxAttachment, OutboxMessage
from kongres.mail.redaction import secret_hashes

logger = logging.getLogger(__name__)

# Messages sent by one task when many are queued at once (``mail_queue_bulk``).
BULK_TASK_SIZE = 100
# Set in the shared cache while a task that delivers the due transactional messages waits to
# start (``mail_due_task_wake``); it lives this long at most.
DUE_TASK_KEY = "kongres:mail:due-task-waiting"
DUE_TASK_SECONDS = 30


def _render_text(name: str, context: dict) -> str:
    """Render a plain-text template without HTML escaping."""
    template = get_template(name).template  # the Django template behind the backend wrapper
    return template.render(Context(context, autoescape=False))


def _language(language: str) -> str:
    try:
        return translation.get_supported_language_variant(language)
    except LookupError:
        return settings.LANGUAGE_CODE


def _message_id() -> str:
    domain = urlsplit(settings.SITE_URL).hostname or "localhost"
    return make_msgid(domain=domain)


@dataclass(frozen=True)
class Attachment:
    """A file for ``mail_queue``: ``content`` now, or ``renderer`` (a name registered with
    ``attachment_renderer_register``) and its JSON ``params``, to make it when the message is
    sent. ``content_id`` (from ``attachment_content_id``) makes it an inline part of the HTML,
    referred to as ``cid:<content_id>``."""

    filename: str
    mimetype: str
    content: bytes = b""
    content_id: str = ""
    renderer: str = ""
    params: dict = field(default_factory=dict)


class MailError(KongresError):
    """Codes: busy."""

    code = "mail"


def busy_error() -> MailError:
    """The error of an outbox change that waited too long for a lock."""
    return MailError(_("The outbox is busy right now. Please try again in a moment."), "busy")


class AttachmentUnavailable(Exception):
    """A renderer cannot make its file any more (the object is gone): the message fails at
    once instead of being tried again."""


# name → dotted path of a function ``(**params) -> bytes``; imported when first used.
_RENDERERS: dict[str, str] = {}


def attachment_renderer_register(name: str, path: str) -> None:
    """Let attachments name ``name`` to be made at sending time by the function at ``path``."""
    _RENDERERS[name] = path


def attachment_content_id() -> str:
    """A unique Content-ID (without angle brackets) for an inline attachment."""
    return _message_id()[1:-1]


def attachment_content(attachment: OutboxAttachment) -> bytes:
    """The attachment's file: stored, or made now by its renderer."""
    if not attachment.renderer:
        return bytes(attachment.content)
    path = _RENDERERS.get(attachment.renderer)
    if path is None:
        raise AttachmentUnavailable(f"no renderer {attachment.renderer!r}")
    return import_string(path)(**attachment.params)


def mail_task_enqueue(message: OutboxMessage, *, run_after: dt.datetime | None = None) -> str:
    """Enqueue the task that sends ``message``, at the message's priority: the worker runs
    the tasks of transactional messages before those of messages to many."""
    from kongres.mail.tasks import mail_send  # noqa: PLC0415 -- tasks.py imports delivery.py, which imports this module

    options = {"priority": message.priority}
    if run_after is not None:
        options["run_after"] = run_after
    return mail_send.using(**options).enqueue(message.pk).id


def mail_due_task_enqueue(*, priority: int = OutboxMessage.Priority.TRANSACTIONAL) -> str:
    """Enqueue a sending task that names no message: it delivers the transactional messages
    that are due (``delivery.mail_deliver_due``). For a message written by SQL of its own
    (``mail_prepared``), whose id is not known before: the task's id goes in its ``task_id``."""
    from kongres.mail.tasks import mail_send  # noqa: PLC0415 -- tasks.py imports delivery.py, which imports this module

    return mail_send.using(priority=priority).enqueue().id


def mail_due_task_wake() -> None:
    """See that a task will deliver the transactional messages due now (call it once they are
    committed): enqueue one (``mail_due_task_enqueue``) unless one is already waiting to start.
    A task clears the flag as it starts, before it reads what is due (``mail_due_task_started``),
    so a flag found set means a task that will read the messages committed before: the worker's
    job of every second (``mail_due_wake``) enqueues a task for each task the workers
    start during a rush, not one a second (a task row to write, claim and delete each). A
    process killed between setting the flag and enqueuing delays the mails
    ``DUE_TASK_SECONDS`` at most (``delivery.mail_retry_due`` picks up any left)."""
    if cache.add(DUE_TASK_KEY, 1, DUE_TASK_SECONDS):
        mail_due_task_enqueue()


def mail_due_wake(*, now: dt.datetime | None = None) -> bool:
    """A periodic job of every second: when a transactional message with no task of its own
    is due, see that a task will deliver it (``mail_due_task_wake``: one unless one
    waits to start already); whether one was due. The registration function writes its
    verification mail so (on PostgreSQL): this is how it leaves, within a second or two, and a
    rush of registrations makes no round trip to the cache each for it. One indexed read a
    second while nothing is due."""
    now = now or timezone.now()
    due = OutboxMessage.objects.filter(
        status=OutboxMessage.Status.QUEUED,
        next_attempt_at__lte=now,
        priority__gte=OutboxMessage.Priority.TRANSACTIONAL,
        task_id="",
    ).exists()
    if due:
        mail_due_task_wake()
    return due


def mail_due_task_started() -> None:
    """A task of ``mail_due_task_wake`` has started: the next message enqueues another."""
    cache.delete(DUE_TASK_KEY)


def mail_prepared(
    *,
    to: str,
    template: str,
    context: dict,
    language: str,
    kind: str = "",
    related: str = "",
    secrets: Sequence[str] = (),
    rendered: tuple[str, str, str] | None = None,
) -> OutboxMessage:
    """The message ``mail_queue`` would queue (without attachments), rendered and not saved,
    for a caller that writes the row in a statement of its own (the registration function on
    PostgreSQL: ``registration.services.create``), in the transaction of its change; its
    delivery is left to ``mail_due_task_wake`` once committed (no ``task_id``). ``rendered``:
    the subject, text and HTML as ``mail_render`` gives them for ``template`` and ``context``,
    when the caller has them already (``template`` and ``context`` are then not read)."""
    message = _message(
        to=to,
        template=template,
        context=context,
        language=language,
        kind=kind,
        related=related,
        rendered=rendered,
    )
    message.redact = secret_hashes(secrets)
    return message


def mail_queue(
    *,
    to: str,
    template: str,
    context: dict,
    language: str,
    attachments: Sequence[tuple[str, bytes, str] | Attachment] = (),
    reply_to: str = "",
    kind: str = "",
    related: str = "",
    secrets: Sequence[str] = (),
) -> OutboxMessage:
    """Render ``template`` in ``language`` and queue it for ``to``.

    Call it inside the transaction of the change that causes the mail: the message and its
    sending task are committed with that change or not at all. ``template`` names three
    templates: ``<template>_subject.txt``, ``<template>.txt`` and ``<template>.html``.
    ``attachments`` are ``Attachment`` or ``(filename, content, mimetype)``. ``secrets``
    (a link's token) are removed from the stored message once it is sent (``redaction``).
    """
    attachments = [
        item if isinstance(item, Attachment) else Attachment(item[0], item[2], item[1])
        for item in attachments
    ]
    message = _message(
        to=to,
        template=template,
        context=context,
        language=language,
        reply_to=reply_to,
        kind=kind,
        related=related,
    )
    message.redact = secret_hashes(secrets)
    # No savepoint: inside the caller's transaction (as it should be called) this saves two
    # round trips per mail, and an error here rolls the caller's change back anyway.
    with transaction.atomic(savepoint=False):
        [message] = _outbox_insert([message])
        OutboxAttachment.objects.bulk_create(_attachment_row(message, item) for item in attachments)
    return message


def _attachment_row(message: OutboxMessage, item: Attachment) -> OutboxAttachment:
    return OutboxAttachment(
        message=message,
        filename=item.filename,
        content=item.content,
        mimetype=item.mimetype,
        content_id=item.content_id,
        renderer=item.renderer,
        params=item.params,
    )


def _message(
    *,
    to: str,
    template: str,
    context: dict,
    language: str,
    reply_to: str = "",
    kind: str = "",
    related: str = "",
    rendered: tuple[str, str, str] | None = None,
) -> OutboxMessage:
    """The message ``mail_queue`` queues (without attachments), rendered and not saved."""
    language = _language(language)
    subject, body_text, body_html = rendered or _render(template, context, language)
    return OutboxMessage(
        to=to,
        reply_to=reply_to,
        language=language,
        subject=subject,
        body_text=body_text,
        body_html=body_html,
        message_id=_message_id(),
        kind=kind,
        related=related,
        next_attempt_at=timezone.now(),
    )


def mail_render(*, template: str, context: dict, language: str) -> tuple[str, str, str]:
    """The subject, plain text and HTML of ``template`` in ``language``, as ``mail_queue``
    renders them: for a ``BulkMail`` made from the same templates."""
    return _render(template, context, _language(language))


def _render(template: str, context: dict, language: str) -> tuple[str, str, str]:
    """The subject, plain text and HTML of ``template`` in ``language``."""
    with translation.override(language):
        data = {**context, "site_url": settings.SITE_URL, "language": language}
        subject = " ".join(_render_text(f"{template}_subject.txt", data).split())
        data["subject"] = subject
        body_text = _render_text(f"{template}.txt", data).strip() + "\n"
        body_html = render_to_string(f"{template}.html", data)
    return subject, body_text, body_html


def _outbox_insert(messages: list[OutboxMessage]) -> list[OutboxMessage]:
    """Insert ``messages`` and enqueue their sending tasks (``django.tasks``), in the caller's
    transaction: with the database task backend the task rows are written in it too, so the
    messages and their tasks are committed, or rolled back, together. One message gets a task
    of its own; many (a message to participants) one task for each ``BULK_TASK_SIZE`` of them,
    so that queuing 10,000 messages is 100 tasks, not 10,000."""
    from kongres.mail.tasks import mail_send_many  # noqa: PLC0415 -- tasks.py imports delivery.py, which imports this module

    messages = OutboxMessage.objects.bulk_create(messages)
    if len(messages) == 1:
        [message] = messages
        message.task_id = mail_task_enqueue(message)
        OutboxMessage.objects.filter(pk=message.pk).update(task_id=message.task_id)
        return messages
    for start in range(0, len(messages), BULK_TASK_SIZE):
        batch = messages[start : start + BULK_TASK_SIZE]
        ids = [message.pk for message in batch]
        task_id = mail_send_many.using(priority=batch[0].priority).enqueue(ids).id
        OutboxMessage.objects.filter(pk__in=ids).update(task_id=task_id)
        for message in batch:
            message.task_id = task_id
    return messages


@dataclass(frozen=True)
class BulkMail:
    """One rendered message for ``mail_queue_bulk``."""

    to: str
    language: str
    subject: str
    body_text: str
    body_html: str = ""
    kind: str = ""
    related: str = ""
    secrets: Sequence[str] = ()  # removed from the stored message once it is sent
    attachments: Sequence[Attachment] = ()


def mail_queue_bulk(*, mails: Sequence[BulkMail]) -> list[OutboxMessage]:
    """Queue many already rendered messages at once: the outbox rows in one bulk insert, their
    attachments in another, a sending task for each ``BULK_TASK_SIZE`` of them (``mail_queue``
    renders and inserts one at a time). Same transaction rules as ``mail_queue``; the same
    worker and retries deliver them."""
    now = timezone.now()
    with transaction.atomic():
        messages = _outbox_insert(
            [
                OutboxMessage(
                    to=mail.to,
                    language=_language(mail.language),
                    subject=mail.subject,
                    body_text=mail.body_text,
                    body_html=mail.body_html,
                    message_id=_message_id(),
                    kind=mail.kind,
                    related=mail.related,
                    next_attempt_at=now,
                    priority=OutboxMessage.Priority.BULK,
                    redact=secret_hashes(mail.secrets),
                )
                for mail in mails
            ]
        )
        OutboxAttachment.objects.bulk_create(
            _attachment_row(message, item)
            for message, mail in zip(messages, mails, strict=True)
            for item in mail.attachments
        )
    return messages
