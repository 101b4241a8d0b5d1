from django.db import models
from django.utils.translation import gettext_lazy as _

from kongres.core.models import TimeStampedModel


class OutboxMessage(TimeStampedModel):
    """One e-mail, rendered when it was queued, waiting for (or done with) delivery.

    The row is written in the same transaction as the change that causes the mail, together
    with the task that sends it (see ``services.mail_queue``); the task claims the row before
    sending, so a message is handed to the mail server once even if two workers pick it up.
    """

    class Priority(models.IntegerChoices):
        # about one person (a verification, an offer, a ticket): sent before any message to many
        TRANSACTIONAL = 10, _("transactional")
        BULK = -10, _("message to many")

    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        SENDING = "sending", _("sending")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed")

    to = models.EmailField(_("recipient"))
    reply_to = models.EmailField(_("reply to"), blank=True)
    language = models.CharField(_("language"), max_length=16)
    subject = models.TextField(_("subject"))
    body_text = models.TextField(_("plain text"))
    body_html = models.TextField(_("HTML"), blank=True)
    message_id = models.CharField(_("Message-ID header"), max_length=255)
    kind = models.CharField(_("kind"), max_length=64, blank=True)
    related = models.CharField(_("related to"), max_length=128, blank=True)

    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.QUEUED
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"))
    claimed_until = models.DateTimeField(_("claimed until"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    last_attempt_at = models.DateTimeField(_("last attempt at"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    task_id = models.CharField(_("task"), max_length=64, blank=True)
    priority = models.SmallIntegerField(
        _("priority"), choices=Priority.choices, default=Priority.TRANSACTIONAL
    )
    # SHA-256 hashes of the secrets in the message, blanked once it is sent (``redaction``).
    redact = models.JSONField(_("secrets to remove after sending"), default=list, blank=True)

    class Meta:
        verbose_name = _("outgoing message")
        verbose_name_plural = _("outgoing messages")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="mail_outbox_due_idx"),
            # plain indexes: no second one for LIKE (nothing looks these up by their start)
            models.Index(fields=["kind"], name="mail_outbox_kind_idx"),
            models.Index(fields=["related"], name="mail_outbox_related_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status="sent") | models.Q(sent_at__isnull=False),
                name="mail_outbox_sent_has_sent_at",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.to}: {self.subject}"


class OutboxAttachment(models.Model):
    message = models.ForeignKey(
        OutboxMessage,
        on_delete=models.CASCADE,
        related_name="attachments",
        verbose_name=_("message"),
    )
    """A file sent with a message: its ``content`` stored when queued, or made when the message
    is sent by the ``renderer`` registered under that name, called with ``params`` (a PDF is
    made in the worker, not in the transaction that queues the mail). With a ``content_id``
    it is an inline part of the HTML body (``<img src="cid:…">``)."""

    filename = models.CharField(_("file name"), max_length=255)
    content = models.BinaryField(_("content"), blank=True, default=b"")
    mimetype = models.CharField(_("type"), max_length=127)
    content_id = models.CharField(_("Content-ID (inline)"), max_length=255, blank=True)
    renderer = models.CharField(_("made by"), max_length=100, blank=True)
    params = models.JSONField(_("parameters"), default=dict, blank=True)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.filename
