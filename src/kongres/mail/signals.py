"""Signals of the mail app, for the apps above it (which it does not know)."""

from django.dispatch import Signal

# Sent by the worker after a message was handed to the mail server (``message``: the
# OutboxMessage, with ``sent_at``). A receiver that raises is logged; the delivery stands.
message_sent = Signal()
