"""Signals of the mail app, for the apps above it (which it does not know)."""

from django.dispatch import Signal

# Sent by the worker once messages were handed to the mail server (``messages``: a list of
# OutboxMessage, each with ``sent_at``, ``kind`` and ``related``), in the transaction that
# marks them "sent": a receiver's writes commit with that mark, and until it the messages
# count as undelivered (status "sending"). One signal for a batch of up to
# ``delivery.SENT_BATCH`` messages, so that a receiver can make one query for all of them.
# Sent again for messages whose worker died before their batch was marked (``mail_retry_due``):
# a receiver must be safe to run twice. A receiver that raises is logged; the deliveries stand.
messages_sent = Signal()
