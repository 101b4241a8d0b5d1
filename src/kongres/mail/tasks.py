"""Background tasks of the mail app (django.tasks, run by ``kongres worker``)."""

from django.tasks import task

from kongres.mail.services import mail_deliver


@task()
def mail_send(message_id: int) -> str:
    """Deliver one outbox message; returns its status afterwards ("sent", "queued", …)."""
    return mail_deliver(message_id=message_id)
