"""Background tasks of the mail app (django.tasks, run by ``kongres worker``)."""

from django.tasks import task

from kongres.mail.delivery import mail_deliver_due, mail_deliver_many


@task()
def mail_send(message_id: int | None = None) -> str:
    """Deliver one outbox message, and the other transactional messages that are due, on one
    connection (``mail_deliver_due``); returns the status of ``message_id`` afterwards
    ("sent", "queued", "skipped" when another task has sent it, …). Without ``message_id``
    (``services.mail_due_task_enqueue``): the transactional messages that are due."""
    return mail_deliver_due(message_id=message_id)


@task()
def mail_send_many(message_ids: list[int]) -> list[str]:
    """Deliver outbox messages one after the other on one connection (a batch of a message to
    many participants: one task for ``BULK_TASK_SIZE`` messages), after the transactional
    messages that are due; returns their statuses afterwards. A message that fails is retried
    on its own (``mail_send``), as any other."""
    return mail_deliver_many(message_ids=message_ids)
