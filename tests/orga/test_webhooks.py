"""The back office's webhooks: subscribed by an administrator (the signing secret shown once),
bad input kept, private targets refused with a clear message, the delivery log with the answer
code, a test event, turned off and on, deleted."""

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from kongres.accounts.models import EditionRole
from kongres.audit.models import AuditLogEntry
from kongres.webhooks.models import WebhookDelivery, WebhookSubscription
from kongres.webhooks.services import webhook_subscription_create, webhook_test_send
from tests.factories import EditionFactory
from tests.webhooks.conftest import Receiver, run_worker


@pytest.fixture
def admin_client(client, db):
    edition = EditionFactory(slug="iv")
    user = get_user_model().objects.create_user("a", "a@example.org", "x-hasło-123")
    EditionRole.objects.create(edition=edition, user=user, role=EditionRole.Role.ADMIN)
    client.force_login(user)
    client.edition = edition
    return client


@pytest.fixture
def receiver(settings):
    settings.KONGRES_WEBHOOKS_ALLOW_PRIVATE = True
    receiver = Receiver()
    receiver.thread.start()
    yield receiver
    receiver.server.shutdown()
    receiver.server.server_close()


def _url(name, edition, **kwargs):
    return reverse(f"orga:{name}", kwargs={"edition": edition.slug, **kwargs})


@pytest.mark.django_db(transaction=True)  # the worker runs its own transactions
def test_create_shows_the_secret_once_then_test_event_and_log(admin_client, receiver):
    edition = admin_client.edition
    response = admin_client.post(
        _url("webhooks", edition),
        {"url": receiver.url, "events": ["registration.created", "checkin.accepted"]},
    )
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    subscription = WebhookSubscription.objects.get()
    assert (subscription.url, subscription.events, subscription.edition) == (
        receiver.url,
        ["checkin.accepted", "registration.created"],
        edition,
    )
    assert subscription.secret.startswith("whsec_")
    assert subscription.secret in response.content.decode()
    assert subscription.secret not in admin_client.get(_url("webhooks", edition)).content.decode()
    assert AuditLogEntry.objects.filter(action="webhook.create").count() == 1

    test = admin_client.post(_url("webhook-test", edition, pk=subscription.pk), follow=True)
    assert "Zdarzenie testowe jest w drodze" in test.content.decode()
    run_worker()
    page = admin_client.get(_url("webhook-detail", edition, pk=subscription.pk))
    [delivery] = page.context["deliveries"]
    assert (delivery.event, delivery.status, delivery.last_status_code) == (
        "webhook.test",
        "delivered",
        200,
    )
    html = page.content.decode()
    assert "<code>webhook.test</code>" in html and "<td>200</td>" in html
    assert subscription.secret not in html
    assert receiver.ids() == [delivery.msg_id]


def test_bad_url_keeps_what_was_typed(admin_client):
    edition = admin_client.edition
    response = admin_client.post(
        _url("webhooks", edition), {"url": "ftp://crm.example.org/", "events": ["nie-ma"]}
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert form["url"].value() == "ftp://crm.example.org/"
    assert form.errors["events"]
    response = admin_client.post(
        _url("webhooks", edition),
        {"url": "ftp://crm.example.org/", "events": ["registration.created"]},
    )
    form = response.context["form"]
    assert form.errors["url"] == [
        "Wpisz adres internetowy zaczynający się od https:// (lub http://), z nazwą serwera."
    ]
    assert form["url"].value() == "ftp://crm.example.org/"
    assert form["events"].value() == ["registration.created"]
    assert not WebhookSubscription.objects.exists()


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("pl", "Ten adres prowadzi do sieci lokalnej lub prywatnej (10.0.0.7)."),
        ("en", "This address leads to a local or private network (10.0.0.7)."),
    ],
)
def test_private_address_refused_with_a_clear_message(admin_client, settings, language, message):
    settings.KONGRES_WEBHOOKS_ALLOW_PRIVATE = False
    edition = admin_client.edition
    with translation.override(language):
        url = _url("webhooks", edition)
    response = admin_client.post(
        url, {"url": "http://10.0.0.7:8080/hooks", "events": ["checkin.accepted"]}
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors["url"][0].startswith(message)
    assert message in response.content.decode()
    assert form["url"].value() == "http://10.0.0.7:8080/hooks"
    assert form["events"].value() == ["checkin.accepted"]
    assert response.context["created"] is None
    assert not WebhookSubscription.objects.exists()


def test_turn_off_on_and_delete(admin_client, receiver):
    edition = admin_client.edition
    admin_client.post(
        _url("webhooks", edition), {"url": receiver.url, "events": ["draw.completed"]}
    )
    subscription = WebhookSubscription.objects.get()
    manage = _url("webhook-manage", edition, pk=subscription.pk)
    assert admin_client.get(manage).status_code == 200

    admin_client.post(manage, {"action": "disable"})
    subscription.refresh_from_db()
    assert not subscription.active and subscription.disabled_at is not None
    refused = admin_client.post(_url("webhook-test", edition, pk=subscription.pk), follow=True)
    assert "Włącz webhook, zanim wyślesz zdarzenie testowe." in refused.content.decode()
    assert not WebhookDelivery.objects.exists()

    admin_client.post(manage, {"action": "enable"})
    subscription.refresh_from_db()
    assert subscription.active and subscription.disabled_at is None

    response = admin_client.post(manage, {"action": "delete"})
    assert response.status_code == 302
    assert not WebhookSubscription.objects.exists()
    assert [
        entry.action
        for entry in AuditLogEntry.objects.filter(action__startswith="webhook.").order_by("pk")
    ] == ["webhook.create", "webhook.disable", "webhook.enable", "webhook.delete"]


def test_another_editions_webhook_is_not_found(admin_client, receiver):
    other = EditionFactory()
    admin_client.post(
        _url("webhooks", admin_client.edition), {"url": receiver.url, "events": ["draw.completed"]}
    )
    subscription = WebhookSubscription.objects.get()
    assert admin_client.get(_url("webhook-detail", other, pk=subscription.pk)).status_code == 403
    response = admin_client.get(
        _url("webhook-detail", admin_client.edition, pk=subscription.pk + 1)
    )
    assert response.status_code == 404


def test_list_and_log_pages_read_a_constant_number_of_queries(admin_client, receiver):
    edition = admin_client.edition
    user = get_user_model().objects.get(username="a")  # named in the list: no query per row
    first = webhook_subscription_create(
        edition=edition, url=receiver.url, events=["draw.completed"], actor=user
    )
    webhook_test_send(subscription=first, actor=None)
    admin_client.get(_url("webhooks", edition))  # the session warmed

    def count(url):
        with CaptureQueriesContext(connection) as captured:
            assert admin_client.get(url).status_code == 200
        return len(captured.captured_queries)

    one = count(_url("webhooks", edition)), count(_url("webhook-detail", edition, pk=first.pk))
    for _n in range(3):
        webhook_subscription_create(
            edition=edition, url=receiver.url, events=["draw.completed"], actor=user
        )
        webhook_test_send(subscription=first, actor=None)
    many = count(_url("webhooks", edition)), count(_url("webhook-detail", edition, pk=first.pk))
    assert many == one
