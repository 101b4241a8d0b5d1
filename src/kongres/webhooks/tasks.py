"""Background tasks of the webhooks app (django.tasks, run by ``kongres worker``)."""

from django.tasks import task

from kongres.webhooks.services import webhook_deliver


@task()
def webhook_send(delivery_id: int) -> str:
    """Deliver one queued webhook event; returns its status afterwards ("delivered", …)."""
    return webhook_deliver(delivery_id=delivery_id)
