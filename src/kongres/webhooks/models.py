"""Webhooks (Standard Webhooks): an edition's subscriptions and the deliveries queued for them.

A delivery row is written in the transaction of the change it reports (``services.webhook_queue``,
called by the registration and check-in services), with the task that sends it; the worker
claims the row, posts it signed, and records the answer.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from kongres.core.models import TimeStampedModel
from kongres.events.models import Edition


class WebhookEvent(models.TextChoices):
    REGISTRATION_CREATED = "registration.created", _("registration created")
    REGISTRATION_CONFIRMED = "registration.confirmed", _("registration confirmed")
    REGISTRATION_CANCELLED = "registration.cancelled", _("registration cancelled")
    SEAT_OFFERED = "registration.seat_offered", _("seat offered from the waiting list")
    CHECKED_IN = "checkin.accepted", _("participant checked in")
    DRAW_COMPLETED = "draw.completed", _("draw completed")


# Sent by the "send a test event" button only; nobody subscribes to it.
TEST_EVENT = "webhook.test"


class WebhookSubscription(TimeStampedModel):
    """A URL of another system that gets the edition's events it subscribed to. ``secret`` is
    the Standard Webhooks signing key (``whsec_…``), shown once when the subscription is made;
    it is kept (not hashed) because every delivery is signed with it."""

    edition = models.ForeignKey(
        Edition, on_delete=models.CASCADE, related_name="webhooks", verbose_name=_("edition")
    )
    url = models.URLField(_("URL"), max_length=500)
    events = models.JSONField(_("events"), default=list)
    secret = models.CharField(_("signing secret"), max_length=100)
    active = models.BooleanField(_("active"), default=True)
    # The first failed delivery since the last successful one; None while deliveries succeed.
    failing_since = models.DateTimeField(_("failing since"), null=True, blank=True)
    disabled_at = models.DateTimeField(_("disabled at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )

    class Meta:
        verbose_name = _("webhook")
        verbose_name_plural = _("webhooks")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["edition", "active"], name="webhook_edition_active_idx")]

    def __str__(self) -> str:
        return self.url

    @property
    def secret_hint(self) -> str:
        return f"{self.secret[:10]}…"


class WebhookDelivery(models.Model):
    """One event for one subscription: its JSON body, signed when it is sent."""

    class Status(models.TextChoices):
        PENDING = "pending", _("waiting")
        SENDING = "sending", _("sending")
        DELIVERED = "delivered", _("delivered")
        FAILED = "failed", _("given up")

    subscription = models.ForeignKey(
        WebhookSubscription,
        on_delete=models.CASCADE,
        related_name="deliveries",
        verbose_name=_("webhook"),
    )
    event = models.CharField(_("event"), max_length=64)
    payload = models.JSONField(_("payload"))
    msg_id = models.CharField(_("message id"), max_length=64, unique=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"))
    claimed_until = models.DateTimeField(_("claimed until"), null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(_("last answer"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    last_attempt_at = models.DateTimeField(_("last attempt at"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    task_id = models.CharField(_("task"), max_length=64, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="webhook_delivery_due_idx"),
            # the retention's purge of the delivery log (privacy.retention.logs_purge)
            models.Index(fields=["created_at"], name="webhook_delivery_created_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status="delivered") | models.Q(delivered_at__isnull=False),
                name="webhook_delivered_has_delivered_at",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event} → {self.subscription_id}"
