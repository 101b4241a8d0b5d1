"""Background tasks of the mail app (django.tasks, run by ``kongres worker``)."""

from django.tasks import task

from kongres.mail.services import mail_deliver


@task()
def mail_send(message_id: int) -> str:
    """Deliver one outbox message; returns its status afterwards ("sent", "queued", …)."""
    return mail_deliver(message_id=message_id)


@task()
def mail_send_many(message_ids: list[int]) -> list[str]:
    """Deliver outbox messages one after the other (a batch of a message to many participants:
    one task for ``BULK_TASK_SIZE`` messages); returns their statuses afterwards. A message that
    fails is retried on its own (``mail_send``), as any other."""
    return [mail_deliver(message_id=message_id) for message_id in message_ids]
