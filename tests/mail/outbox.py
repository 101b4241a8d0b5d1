"""The outbox in tests that do not run the worker."""

from django.db.models import F

from kongres.mail.models import OutboxMessage


def outbox_delivered() -> int:
    """Mark every queued message as delivered when it was queued (as a worker keeping up
    would), without the receivers of ``messages_sent``: deadlines stay as they were set."""
    return OutboxMessage.objects.filter(status=OutboxMessage.Status.QUEUED).update(
        status=OutboxMessage.Status.SENT, sent_at=F("created_at")
    )
