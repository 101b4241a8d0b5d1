"""Deliveries through the real worker to a real HTTP receiver on 127.0.0.1, signed the
Standard Webhooks way and checked with the ``standardwebhooks`` library."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys

import pytest
from django.db import connection
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from standardwebhooks import Webhook

from kongres.accounts.models import EditionRole
from kongres.mail.models import OutboxMessage
from kongres.registration.services import registration_cancel
from kongres.webhooks.models import WebhookDelivery, WebhookSubscription
from kongres.webhooks.services import webhook_retry_due, webhook_test_send
from tests.orga.conftest import make_user
from tests.webhooks.conftest import register, run_worker, time_passes

pytestmark = pytest.mark.django_db(transaction=True)


def test_round_trip_is_signed_and_verifies_with_the_standardwebhooks_library(
    edition, subscription, receiver
):
    registration = register(edition, email="zofia@example.org")

    run_worker()

    assert len(receiver.requests) == 2
    events = []
    for headers, body in receiver.requests:
        payload = Webhook(subscription.secret).verify(body, headers)  # raises if not signed
        events.append(payload["type"])
        assert payload["data"]["id"] == registration.pk
        assert payload["data"]["email"] == "zofia@example.org"
        assert payload["data"]["edition"] == edition.slug
        assert headers["Content-Type"] == "application/json"
        assert headers["webhook-id"].startswith("msg_")
    assert sorted(events) == ["registration.confirmed", "registration.created"]
    assert receiver.requests[0][1] and json.loads(receiver.requests[0][1])
    # another secret does not verify it
    headers, body = receiver.requests[0]
    with pytest.raises(Exception, match="signature"):
        Webhook("whsec_" + "QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUE=").verify(body, headers)
    deliveries = WebhookDelivery.objects.order_by("pk")
    assert [(d.status, d.attempts, d.last_status_code) for d in deliveries] == [
        ("delivered", 1, 200),
        ("delivered", 1, 200),
    ]
    assert sorted(receiver.ids()) == sorted(d.msg_id for d in deliveries)
    run_worker()
    assert len(receiver.requests) == 2  # each once


def test_receiver_down_for_a_while_gets_every_event_once_it_is_back(
    edition, subscription, receiver
):
    receiver.down = True
    registration = register(edition)
    registration_cancel(registration=registration)
    test = webhook_test_send(subscription=subscription, actor=None)

    run_worker()
    assert len(receiver.requests) == 4
    assert set(WebhookDelivery.objects.values_list("status", "attempts", "last_status_code")) == {
        ("pending", 1, 503)
    }
    subscription.refresh_from_db()
    assert subscription.failing_since is not None and subscription.active

    for _hour in range(3):  # down for three hours: every delivery is tried again, and again
        time_passes(dt.timedelta(hours=1))
        run_worker()
    assert {attempts for (attempts,) in WebhookDelivery.objects.values_list("attempts")} == {4}

    receiver.down = False
    receiver.requests.clear()
    time_passes(dt.timedelta(hours=1))
    run_worker()

    deliveries = list(WebhookDelivery.objects.order_by("pk"))
    assert [d.status for d in deliveries] == ["delivered"] * 4
    assert [d.event for d in deliveries] == [
        "registration.created",
        "registration.confirmed",
        "registration.cancelled",
        "webhook.test",
    ]
    assert sorted(receiver.ids()) == sorted(d.msg_id for d in deliveries)
    assert test.msg_id in receiver.ids()
    subscription.refresh_from_db()
    assert subscription.failing_since is None and subscription.active
    run_worker()
    assert len(receiver.requests) == 4


def test_backoff_grows_between_attempts(edition, subscription, receiver):
    receiver.down = True
    webhook_test_send(subscription=subscription, actor=None)
    waits = []
    for _attempt in range(4):
        run_worker()
        delivery = WebhookDelivery.objects.get()
        waits.append(round((delivery.next_attempt_at - delivery.last_attempt_at).total_seconds()))
        time_passes(dt.timedelta(hours=1))
    assert waits == [30, 60, 120, 240]


def test_worker_killed_mid_delivery_loses_nothing(edition, subscription, receiver):
    delivery = webhook_test_send(subscription=subscription, actor=None)
    task = DBTaskResult.objects.get()
    # A worker claimed the task and the delivery, then died before it could record anything.
    task.claim("dead-worker")
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status="sending", attempts=1, claimed_until=timezone.now() + dt.timedelta(minutes=2)
    )
    run_worker()  # the periodic job runs, but the claim is still fresh
    assert receiver.requests == []
    assert webhook_retry_due() == 0

    time_passes(dt.timedelta(minutes=3))  # the claim ran out
    run_worker()

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("delivered", 2, 200)
    assert receiver.ids() == [delivery.msg_id]


def test_retry_due_enqueues_a_delivery_whose_task_was_lost(edition, subscription, receiver):
    delivery = webhook_test_send(subscription=subscription, actor=None)
    DBTaskResult.objects.all().delete()  # pruned, or the task table restored from a backup
    assert webhook_retry_due() == 0  # not long enough past its time yet
    time_passes(dt.timedelta(minutes=6))
    assert webhook_retry_due() == 1
    run_worker()
    delivery.refresh_from_db()
    assert delivery.status == "delivered"
    assert receiver.ids() == [delivery.msg_id]


def test_subscription_failing_for_n_days_is_disabled_and_administrators_mailed(
    edition, subscription, receiver, settings
):
    admin = make_user("admin-webhooks")
    EditionRole.objects.create(edition=edition, user=admin, role=EditionRole.Role.ADMIN)
    other = make_user("manager-webhooks")
    EditionRole.objects.create(
        edition=edition, user=other, role=EditionRole.Role.REGISTRATION_MANAGER
    )
    receiver.status = 500
    webhook_test_send(subscription=subscription, actor=None)
    webhook_test_send(subscription=subscription, actor=None)
    WebhookSubscription.objects.filter(pk=subscription.pk).update(
        failing_since=timezone.now() - dt.timedelta(days=3, minutes=-5)
    )

    run_worker()  # failing for 3 days less 5 minutes: still on
    subscription.refresh_from_db()
    assert subscription.active
    assert not OutboxMessage.objects.filter(kind="webhook.disabled").exists()

    settings.KONGRES_WEBHOOKS_DISABLE_AFTER_DAYS = 4  # the config key webhooks_disable_after_days
    time_passes(dt.timedelta(hours=1))
    WebhookSubscription.objects.filter(pk=subscription.pk).update(
        failing_since=timezone.now() - dt.timedelta(days=3, minutes=5)
    )
    run_worker()
    subscription.refresh_from_db()
    assert subscription.active

    settings.KONGRES_WEBHOOKS_DISABLE_AFTER_DAYS = 3
    time_passes(dt.timedelta(hours=1))
    run_worker()

    subscription.refresh_from_db()
    assert not subscription.active and subscription.disabled_at is not None
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {"failed"}
    [mail] = OutboxMessage.objects.filter(kind="webhook.disabled")
    assert mail.to == admin.email
    assert receiver.url in mail.body_text and "3 dni" in mail.body_text
    assert f"/orga/{edition.slug}/webhooks/" in mail.body_text
    sent = len(receiver.requests)
    register(edition)  # no more events for it
    time_passes(dt.timedelta(hours=1))
    run_worker()
    assert len(receiver.requests) == sent
    assert WebhookDelivery.objects.count() == 2


def test_delivery_refused_at_send_time_when_the_host_turned_private(
    edition, subscription, receiver, settings
):
    """DNS rebinding: the address is checked again when sending (here the setting changes:
    127.0.0.1 is refused the same way as a public name now resolving to it)."""
    delivery = webhook_test_send(subscription=subscription, actor=None)
    settings.KONGRES_WEBHOOKS_ALLOW_PRIVATE = False

    run_worker()

    delivery.refresh_from_db()
    assert receiver.requests == []
    assert (delivery.status, delivery.last_status_code) == ("pending", None)
    assert "WebhookError" in delivery.last_error and "127.0.0.1" in delivery.last_error


def test_a_delivery_of_a_deleted_subscription_is_skipped(edition, subscription, receiver):
    webhook_test_send(subscription=subscription, actor=None)
    subscription.delete()

    run_worker()

    assert receiver.requests == []
    assert list(DBTaskResult.objects.values_list("status", "return_value")) == [
        ("SUCCESSFUL", "skipped")
    ]


def _worker_environment(tmp_path) -> dict:
    """A ``kongres worker`` process on the test database, sending to the local receiver."""
    database = connection.settings_dict
    if connection.vendor == "postgresql":
        url = (
            f"postgres://{database['USER']}@{database['HOST'] or '127.0.0.1'}:"
            f"{database['PORT'] or 5432}/{database['NAME']}"
        )
    else:
        url = f"sqlite:///{database['NAME']}"
    env = {key: value for key, value in os.environ.items() if not key.startswith("KONGRES_")}
    return env | {
        "KONGRES_DATA_DIR": str(tmp_path),
        "KONGRES_DATABASE_URL": url,
        "KONGRES_WEBHOOKS_ALLOW_PRIVATE": "true",
        "PYTHONUNBUFFERED": "1",
    }


def test_worker_process_killed_mid_delivery_loses_nothing(
    edition, subscription, receiver, tmp_path
):
    """A real worker process is killed (SIGKILL) while the receiver has the request and has not
    answered: the delivery stays claimed until its claim runs out, then another worker sends it
    again, with the same webhook-id (the receiver drops the repeat by it)."""
    receiver.hold = True
    delivery = webhook_test_send(subscription=subscription, actor=None)
    process = subprocess.Popen(
        [sys.executable, "-m", "kongres", "worker", "--interval", "0.2"],
        env=_worker_environment(tmp_path),
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert receiver.arrived.wait(timeout=60), "the worker process sent nothing"
        process.kill()  # mid-delivery: no answer read, nothing recorded
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    receiver.hold = False
    receiver.release.set()

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("sending", 1)
    run_worker()  # the claim is still fresh: nothing is sent twice at once
    assert len(receiver.requests) == 1

    time_passes(dt.timedelta(minutes=3))  # the claim ran out
    run_worker()

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("delivered", 2, 200)
    assert receiver.ids() == [delivery.msg_id, delivery.msg_id]
    for headers, body in receiver.requests:
        assert Webhook(subscription.secret).verify(body, headers)["type"] == "webhook.test"
