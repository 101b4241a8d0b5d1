"""Retention of the API's Idempotency-Key answers and the webhook delivery log: deleted after
their configured days by the periodic job; what is recent or still being delivered stays; an
erasure reaches the stored answers."""

import datetime as dt
import json

import pytest
from django.conf import settings as django_settings
from django.utils import timezone

from kongres.accounts.services import api_token_create
from kongres.api.models import IdempotencyKey
from kongres.privacy.retention import logs_purge
from kongres.privacy.tasks import logs_purge_due
from kongres.webhooks.models import WebhookDelivery, WebhookSubscription
from tests.factories import EditionFactory

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 12, 5, 12, 0, tzinfo=dt.UTC)


def days_ago(days: float) -> dt.datetime:
    return NOW - dt.timedelta(days=days)


@pytest.fixture
def edition():
    return EditionFactory(slug="iv")


def key(edition, name, created_at, status=201):
    token, _secret = api_token_create(edition=edition, name=name, scopes=["messages"], actor=None)
    return IdempotencyKey.objects.create(
        token=token,
        key=name,
        request_hash="0" * 64,
        status=status,
        body={"email": "anna@example.org"},
        created_at=created_at,
    )


def delivery(subscription, name, created_at, status):
    row = WebhookDelivery.objects.create(
        subscription=subscription,
        event="registration.created",
        payload={"data": {"email": "anna@example.org"}},
        msg_id=f"msg_{name}",
        status=status,
        next_attempt_at=created_at,
        delivered_at=created_at if status == "delivered" else None,
    )
    WebhookDelivery.objects.filter(pk=row.pk).update(created_at=created_at)  # auto_now_add
    return row


def test_old_idempotency_answers_and_finished_deliveries_are_deleted(edition, settings):
    settings.KONGRES_API_IDEMPOTENCY_KEEP_DAYS = 2
    settings.KONGRES_WEBHOOK_LOG_KEEP_DAYS = 10
    key(edition, "old", days_ago(3))
    key(edition, "stuck", days_ago(3), status=None)  # a request that never finished
    recent = key(edition, "recent", days_ago(1))
    subscription = WebhookSubscription.objects.create(
        edition=edition, url="https://crm.example.org/hook", events=["registration.created"]
    )
    delivery(subscription, "delivered-old", days_ago(11), "delivered")
    delivery(subscription, "failed-old", days_ago(11), "failed")
    waiting = delivery(subscription, "pending-old", days_ago(11), "pending")
    sending = delivery(subscription, "sending-old", days_ago(11), "sending")
    young = delivery(subscription, "delivered-recent", days_ago(9), "delivered")

    assert logs_purge(now=NOW) == {"idempotency_keys": 2, "webhook_deliveries": 2}

    assert list(IdempotencyKey.objects.values_list("pk", flat=True)) == [recent.pk]
    assert sorted(WebhookDelivery.objects.values_list("pk", flat=True)) == sorted(
        [waiting.pk, sending.pk, young.pk]
    )
    assert logs_purge(now=NOW) == {"idempotency_keys": 0, "webhook_deliveries": 0}
    # a day later the recent answer has had its time too
    assert logs_purge(now=NOW + dt.timedelta(days=1, minutes=1))["idempotency_keys"] == 1


def test_a_purge_run_deletes_at_most_a_batch_of_each(edition, settings):
    settings.KONGRES_API_IDEMPOTENCY_KEEP_DAYS = 1
    for n in range(3):
        key(edition, f"k{n}", days_ago(2))
    assert logs_purge(now=NOW, batch=2)["idempotency_keys"] == 2
    assert logs_purge(now=NOW, batch=2)["idempotency_keys"] == 1


def test_the_worker_runs_the_logs_purge(edition, settings):
    paths = [path for path, _seconds in django_settings.KONGRES_PERIODIC_JOBS]
    assert "kongres.privacy.tasks.logs_purge_due" in paths
    assert django_settings.KONGRES_API_IDEMPOTENCY_KEEP_DAYS == 7  # the defaults
    assert django_settings.KONGRES_WEBHOOK_LOG_KEEP_DAYS == 30
    key(edition, "week-old", timezone.now() - dt.timedelta(days=8))
    key(edition, "new", timezone.now())
    assert logs_purge_due() == 1
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["new"]


def test_erasure_reaches_the_stored_answer_and_a_replay_gets_the_erased_one(client):
    from kongres.privacy.services import registration_erase
    from kongres.registration.models import Registration
    from tests.factories import DayFactory

    edition = EditionFactory(slug="iv", capacity=5)
    day = DayFactory(edition=edition)
    _token, secret = api_token_create(
        edition=edition, name="CRM", scopes=["write_registrations"], actor=None
    )

    def register(email, key):
        return client.post(
            "/api/v1/editions/iv/registrations",
            {
                "first_name": "Anna",
                "last_name": "Kowalska",
                "email": email,
                "institution": "Urząd Gminy",
                "privacy_consent": True,
                "days": [day.pk],
            },
            content_type="application/json",
            headers={"Authorization": f"Bearer {secret}", "Idempotency-Key": key},
        )

    first = register("anna@example.org", "k-1").json()
    other = register("ewa@example.org", "k-2").json()
    registration_erase(registration=Registration.objects.get(pk=first["id"]), actor=None)

    replay = register("anna@example.org", "k-1")
    assert replay.status_code == 201
    erased = replay.json()
    assert erased["id"] == first["id"]
    assert erased["email"].endswith("@erased.invalid")
    assert (erased["first_name"], erased["last_name"], erased["institution"]) == ("—", "", "")
    stored = json.dumps(
        list(IdempotencyKey.objects.values_list("body", flat=True)), ensure_ascii=False
    )
    assert "anna@example.org" not in stored
    assert "Urząd Gminy" in stored  # Ewa's answer stays as it was
    assert register("ewa@example.org", "k-2").json() == other
