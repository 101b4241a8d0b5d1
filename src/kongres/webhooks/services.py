"""Webhooks: subscribe, queue an event with the change that causes it, deliver it signed.

``webhook_queue`` is called by the registration and check-in services inside their
transaction: a delivery row per subscription to the event and the task that sends it are
written in it, so they commit (or roll back) with the change. ``webhook_deliver`` runs in the
worker: it claims the row, posts the body signed the Standard Webhooks way (``standardwebhooks``:
headers webhook-id, webhook-timestamp, webhook-signature) outside any transaction, and records
the answer; a failure is tried again after a growing delay. A subscription failing for
``KONGRES_WEBHOOKS_DISABLE_AFTER_DAYS`` days is disabled and the edition's administrators get a
mail. ``webhook_retry_due`` (a periodic job) picks up deliveries whose task was lost, for
instance a worker killed in the middle of a delivery (its claim runs out).
"""

from __future__ import annotations

import base64
import datetime as dt
import http.client
import json
import logging
import secrets
import socket
import ssl
import uuid
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.db.models import Exists, F, Q
from django.urls import reverse
from django.utils import timezone
from standardwebhooks import Webhook

from kongres.accounts.models import EditionRole
from kongres.audit.services import audit_log
from kongres.core.cache import content_changed
from kongres.core.requeue import lost_tasks_requeue
from kongres.events.models import Edition
from kongres.mail.services import mail_queue
from kongres.webhooks.models import TEST_EVENT, WebhookDelivery, WebhookSubscription
from kongres.webhooks.validators import WebhookError, webhook_url_addresses, webhook_url_parts

logger = logging.getLogger(__name__)

# Seconds to wait after the n-th failed attempt: 30 s, doubling, at most an hour (so that a
# receiver that is back gets its events within the hour). Multiplied by the mail's time scale
# (settings.KONGRES_MAIL_TIME_SCALE, 1 unless set), as the claim and the lost-task wait are.
BACKOFF_FIRST_SECONDS = 30
BACKOFF_MAX_SECONDS = 3600
# How long a worker may hold a claimed delivery before another may take it over (a request
# times out after REQUEST_TIMEOUT; a worker killed mid-delivery leaves its claim to run out).
CLAIM_TIMEOUT = dt.timedelta(minutes=2)
LOST_AFTER = dt.timedelta(minutes=5)
REQUEST_TIMEOUT = 10  # seconds, to connect and for each read
MAX_ERROR_LENGTH = 1000
RETRY_DUE_BATCH = 1000
USER_AGENT = "kongres-webhooks/1"


def _time_scale() -> float:
    return float(getattr(settings, "KONGRES_MAIL_TIME_SCALE", 1))


def _claim_timeout() -> dt.timedelta:
    return CLAIM_TIMEOUT * _time_scale()


def _lost_after() -> dt.timedelta:
    return LOST_AFTER * _time_scale()


def _disable_after() -> dt.timedelta:
    return dt.timedelta(days=int(getattr(settings, "KONGRES_WEBHOOKS_DISABLE_AFTER_DAYS", 3)))


def backoff_delay(attempts: int) -> dt.timedelta:
    """The wait after ``attempts`` failed attempts: 30 s, 1 min, 2 min, … at most 1 h."""
    seconds = min(BACKOFF_FIRST_SECONDS * 2 ** max(attempts - 1, 0), BACKOFF_MAX_SECONDS)
    return dt.timedelta(seconds=seconds * _time_scale())


def webhook_secret_new() -> str:
    """A Standard Webhooks signing secret: ``whsec_`` and 32 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


# --- subscriptions -----------------------------------------------------------------------


def webhook_subscription_create(
    *, edition: Edition, url: str, events: Sequence[str], actor: AbstractBaseUser | None
) -> WebhookSubscription:
    """Subscribe ``url`` to ``events`` of ``edition``; its ``secret`` is for the caller to show
    once. ``WebhookError`` when the URL is not an allowed target (``validators``)."""
    url = url.strip()
    webhook_url_addresses(url)
    with transaction.atomic():
        subscription = WebhookSubscription.objects.create(
            edition=edition,
            url=url,
            events=sorted(set(events)),
            secret=webhook_secret_new(),
            created_by=actor if actor is not None and actor.is_authenticated else None,
        )
        audit_log(
            actor=actor,
            action="webhook.create",
            obj=subscription,
            after={"url": url, "events": subscription.events},
        )
    return subscription


def webhook_subscription_disable(
    *, subscription: WebhookSubscription, actor: AbstractBaseUser | None
) -> WebhookSubscription:
    """Stop sending to the subscription; its waiting deliveries are given up."""
    now = timezone.now()
    with transaction.atomic():
        _disable(subscription, now, reason="")
        audit_log(actor=actor, action="webhook.disable", obj=subscription)
    return subscription


def webhook_subscription_enable(
    *, subscription: WebhookSubscription, actor: AbstractBaseUser | None
) -> WebhookSubscription:
    """Send to the subscription again (new events only; given-up deliveries stay so)."""
    webhook_url_addresses(subscription.url)
    with transaction.atomic():
        WebhookSubscription.objects.filter(pk=subscription.pk).update(
            active=True, disabled_at=None, failing_since=None, updated_at=timezone.now()
        )
        content_changed()  # the registration form's parts say whether anybody subscribes
        subscription.refresh_from_db()
        audit_log(actor=actor, action="webhook.enable", obj=subscription)
    return subscription


def webhook_subscription_delete(
    *, subscription: WebhookSubscription, actor: AbstractBaseUser | None
) -> None:
    with transaction.atomic():
        audit_log(
            actor=actor,
            action="webhook.delete",
            obj=subscription,
            before={"url": subscription.url, "events": subscription.events},
        )
        subscription.delete()


# --- queuing -----------------------------------------------------------------------------


def _enqueue_send(delivery: WebhookDelivery, *, run_after: dt.datetime | None = None) -> str:
    from kongres.webhooks.tasks import webhook_send  # noqa: PLC0415 -- tasks.py imports this module

    task = webhook_send.using(run_after=run_after) if run_after is not None else webhook_send
    return task.enqueue(delivery.pk).id


def _insert(
    subscriptions: Sequence[WebhookSubscription], event: str, data: dict[str, Any]
) -> list[WebhookDelivery]:
    now = timezone.now()
    payload = {"type": event, "timestamp": now.isoformat(), "data": data}
    deliveries = WebhookDelivery.objects.bulk_create(
        WebhookDelivery(
            subscription=subscription,
            event=event,
            payload=payload,
            msg_id=f"msg_{uuid.uuid4().hex}",
            next_attempt_at=now,
        )
        for subscription in subscriptions
    )
    for delivery in deliveries:
        delivery.task_id = _enqueue_send(delivery)
        WebhookDelivery.objects.filter(pk=delivery.pk).update(task_id=delivery.task_id)
    return deliveries


def webhook_subscribed(*, edition_id: int) -> Exists:
    """Whether the edition has an active subscription, as an expression to read with the
    change's own query (``annotate``): a change that finds none spares ``webhook_queue``'s read.
    """
    return Exists(WebhookSubscription.objects.filter(edition_id=edition_id, active=True))


def webhook_queue(
    *, edition_id: int, event: str, data: Callable[[], dict[str, Any]]
) -> list[WebhookDelivery]:
    """Queue ``event`` (a ``WebhookEvent``) for every active subscription of the edition to it,
    with what ``data()`` returns (called only when somebody subscribes). Call it inside the
    transaction of the change: the deliveries and their tasks are committed with it or not at
    all. One indexed read when nobody subscribes."""
    subscriptions = [
        subscription
        for subscription in WebhookSubscription.objects.filter(
            edition_id=edition_id, active=True
        ).only("pk", "events")
        if event in subscription.events
    ]
    if not subscriptions:
        return []
    with transaction.atomic(savepoint=False):
        return _insert(subscriptions, event, data())


def webhook_test_send(
    *, subscription: WebhookSubscription, actor: AbstractBaseUser | None
) -> WebhookDelivery:
    """Queue a test event for the subscription (the "send a test event" button)."""
    with transaction.atomic():
        [delivery] = _insert(
            [subscription],
            TEST_EVENT,
            {"edition": subscription.edition.slug, "message": "kongres webhook test"},
        )
        audit_log(actor=actor, action="webhook.test", obj=subscription)
    return delivery


# --- delivery (the worker) ---------------------------------------------------------------


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """An HTTP connection to the address that was checked, not to a second lookup's."""

    def __init__(self, host: str, port: int, *, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self.address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self.address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """HTTPS to the checked address; the certificate is checked for the URL's host name."""

    def __init__(self, host: str, port: int, *, address: str, timeout: float) -> None:
        self.tls = ssl.create_default_context()
        super().__init__(host, port, timeout=timeout, context=self.tls)
        self.address = address

    def connect(self) -> None:
        sock = socket.create_connection((self.address, self.port), self.timeout)
        self.sock = self.tls.wrap_socket(sock, server_hostname=self.host)


def _post(url: str, body: bytes, headers: dict[str, str]) -> int:
    """POST ``body`` to ``url`` (its host resolved and checked now, against DNS rebinding);
    the status code of the answer. Redirects are not followed."""
    scheme, host, port = webhook_url_parts(url)
    address = str(webhook_url_addresses(url)[0])
    parts = urlsplit(url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    kind = _PinnedHTTPSConnection if scheme == "https" else _PinnedHTTPConnection
    connection = kind(host, port, address=address, timeout=REQUEST_TIMEOUT)
    try:
        connection.request("POST", target, body=body, headers=headers)
        response = connection.getresponse()
        response.read(65536)
        return response.status
    finally:
        connection.close()


def _claim(*, delivery_id: int, now: dt.datetime) -> bool:
    claimable = Q(status=WebhookDelivery.Status.PENDING, next_attempt_at__lte=now) | Q(
        status=WebhookDelivery.Status.SENDING, claimed_until__lt=now
    )
    return bool(
        WebhookDelivery.objects.filter(claimable, pk=delivery_id).update(
            status=WebhookDelivery.Status.SENDING,
            claimed_until=now + _claim_timeout(),
            last_attempt_at=now,
            attempts=F("attempts") + 1,
        )
    )


def webhook_signed_request(delivery: WebhookDelivery) -> tuple[bytes, dict[str, str]]:
    """The body and headers of the delivery, signed now with its subscription's secret."""
    body = json.dumps(delivery.payload, ensure_ascii=False, separators=(",", ":")).encode()
    timestamp = timezone.now()
    signature = Webhook(delivery.subscription.secret).sign(delivery.msg_id, timestamp, body)
    return body, {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "webhook-id": delivery.msg_id,
        "webhook-timestamp": str(int(timestamp.timestamp())),
        "webhook-signature": signature,
    }


def webhook_deliver(*, delivery_id: int) -> str:
    """Send one queued delivery; return its status afterwards (or "skipped")."""
    if not _claim(delivery_id=delivery_id, now=timezone.now()):
        return "skipped"
    delivery = WebhookDelivery.objects.select_related("subscription").filter(pk=delivery_id).first()
    if delivery is None:  # deleted with its subscription meanwhile
        return "skipped"
    subscription = delivery.subscription
    if not subscription.active:
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            status=WebhookDelivery.Status.FAILED, claimed_until=None
        )
        return WebhookDelivery.Status.FAILED.value
    body, headers = webhook_signed_request(delivery)
    try:
        status_code = _post(subscription.url, body, headers)
    except (OSError, http.client.HTTPException, WebhookError) as error:
        # the outside world: refused, timed out, reset, a host now private or gone
        message = error.message if isinstance(error, WebhookError) else error
        return _record_failure(delivery, None, f"{type(error).__name__}: {message}")
    if not 200 <= status_code < 300:
        return _record_failure(delivery, status_code, f"HTTP {status_code}")
    now = timezone.now()
    with transaction.atomic():
        WebhookDelivery.objects.filter(
            pk=delivery.pk, status=WebhookDelivery.Status.SENDING
        ).update(
            status=WebhookDelivery.Status.DELIVERED,
            delivered_at=now,
            claimed_until=None,
            last_status_code=status_code,
            last_error="",
        )
        WebhookSubscription.objects.filter(pk=subscription.pk, failing_since__isnull=False).update(
            failing_since=None, updated_at=now
        )
    logger.info("Webhook delivery %s (%s) delivered: %s", delivery.pk, delivery.event, status_code)
    return WebhookDelivery.Status.DELIVERED.value


def _record_failure(delivery: WebhookDelivery, status_code: int | None, error: str) -> str:
    now = timezone.now()
    with transaction.atomic():
        subscription = (
            WebhookSubscription.objects.select_for_update()
            .filter(pk=delivery.subscription_id)
            .first()
        )
        if subscription is None:  # deleted while the request was under way
            return WebhookDelivery.Status.FAILED.value
        if subscription.active and subscription.failing_since is None:
            subscription.failing_since = now
            subscription.save(update_fields=["failing_since", "updated_at"])
        elif subscription.active and now - subscription.failing_since >= _disable_after():
            _disable(subscription, now, reason="failing")
        give_up = not subscription.active
        status = WebhookDelivery.Status.FAILED if give_up else WebhookDelivery.Status.PENDING
        next_attempt_at = (
            delivery.next_attempt_at if give_up else now + backoff_delay(delivery.attempts)
        )
        updated = WebhookDelivery.objects.filter(
            pk=delivery.pk, status=WebhookDelivery.Status.SENDING
        ).update(
            status=status,
            next_attempt_at=next_attempt_at,
            claimed_until=None,
            last_status_code=status_code,
            last_error=error[:MAX_ERROR_LENGTH],
        )
        if updated and not give_up:
            task_id = _enqueue_send(delivery, run_after=next_attempt_at)
            WebhookDelivery.objects.filter(pk=delivery.pk).update(task_id=task_id)
    logger.warning(
        "Webhook delivery %s to %s, attempt %s: %s",
        delivery.pk,
        subscription.url,
        delivery.attempts,
        error,
    )
    return status.value


def _disable(subscription: WebhookSubscription, now: dt.datetime, *, reason: str) -> None:
    """Make the subscription inactive and give up its waiting deliveries, in the caller's
    transaction; when ``reason`` is "failing", mail the edition's administrators."""
    WebhookSubscription.objects.filter(pk=subscription.pk).update(
        active=False, disabled_at=now, updated_at=now
    )
    content_changed()  # the registration form's parts say whether anybody subscribes
    subscription.active, subscription.disabled_at = False, now
    WebhookDelivery.objects.filter(
        subscription=subscription, status=WebhookDelivery.Status.PENDING
    ).update(status=WebhookDelivery.Status.FAILED, claimed_until=None)
    if reason != "failing":
        return
    audit_log(actor=None, action="webhook.disable", obj=subscription, note="failing")
    edition = Edition.objects.get(pk=subscription.edition_id)
    recipients = (
        EditionRole.objects.filter(edition=edition, role=EditionRole.Role.ADMIN)
        .exclude(user__email="")
        .values_list("user__email", flat=True)
        .order_by("user__email")
        .distinct()
    )
    manage_url = settings.SITE_URL + reverse("orga:webhooks", kwargs={"edition": edition.slug})
    for email in recipients:
        mail_queue(
            to=email,
            template="webhooks/mail/disabled",
            context={
                "edition": edition,
                "url": subscription.url,
                "failing_since": subscription.failing_since,
                "days": _disable_after().days,
                "manage_url": manage_url,
            },
            language=settings.LANGUAGE_CODE,
            kind="webhook.disabled",
            related=f"webhook:{subscription.pk}",
        )


def webhook_retry_due(*, now: dt.datetime | None = None) -> int:
    """Enqueue again every delivery whose task was lost; return how many. A periodic job.

    Lost means: still waiting well past its due time while no task for it waits to run, or
    claimed by a worker that did not finish within ``CLAIM_TIMEOUT`` (it died). Running it
    twice at once is harmless: a delivery is claimed before it is sent."""
    now = now or timezone.now()
    lost = lost_tasks_requeue(
        stale=WebhookDelivery.objects.filter(
            Q(status=WebhookDelivery.Status.PENDING, next_attempt_at__lt=now - _lost_after())
            | Q(status=WebhookDelivery.Status.SENDING, claimed_until__lt=now)
        ),
        enqueue=_enqueue_send,
        batch=RETRY_DUE_BATCH,
    )
    if lost:
        logger.warning("Webhooks: enqueued %s delivery(ies) again whose task was lost", len(lost))
    return len(lost)
