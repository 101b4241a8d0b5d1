"""Each event is queued by its service, in the transaction of the change."""

from __future__ import annotations

import pytest
from django.db import transaction
from django_tasks_db.models import DBTaskResult

from kongres.checkin.services import checkin_perform
from kongres.privacy.services import registration_erase
from kongres.registration.exceptions import RegistrationError
from kongres.registration.services import (
    registration_cancel,
    registration_offer_claim,
    registration_verify,
)
from kongres.registration.tickets import ticket_issue
from kongres.webhooks.models import WebhookDelivery, WebhookEvent
from kongres.webhooks.services import webhook_subscription_create
from tests.factories import EditionFactory
from tests.webhooks.conftest import register

pytestmark = pytest.mark.django_db


def events() -> list[tuple[str, int, str]]:
    return [
        (d.event, d.payload["data"].get("id") or d.payload["data"]["registration"]["id"], d.status)
        for d in WebhookDelivery.objects.order_by("pk")
    ]


def test_registration_lifecycle_queues_its_events_each_with_a_task(edition, subscription):
    first = register(edition, verified=False)
    assert events() == [("registration.created", first.pk, "pending")]
    registration_verify(token=first.token)
    second = register(edition)
    third = register(edition)  # the edition (2 seats) is full: the waiting list
    assert third.status == "waiting"
    registration_cancel(registration=first)  # its seat is offered to the third
    registration_offer_claim(token=third.token)

    assert [(event, pk) for event, pk, _status in events()] == [
        ("registration.created", first.pk),
        ("registration.confirmed", first.pk),
        ("registration.created", second.pk),
        ("registration.confirmed", second.pk),
        ("registration.created", third.pk),
        ("registration.cancelled", first.pk),
        ("registration.seat_offered", third.pk),
        ("registration.confirmed", third.pk),
    ]
    deliveries = WebhookDelivery.objects.all()
    assert {d.task_id for d in deliveries} == {
        str(pk)
        for pk in DBTaskResult.objects.filter(
            task_path="kongres.webhooks.tasks.webhook_send"
        ).values_list("id", flat=True)
    }
    offered = WebhookDelivery.objects.get(event="registration.seat_offered")
    assert offered.payload["type"] == "registration.seat_offered"
    assert offered.payload["data"]["status"] == "offered"
    assert offered.payload["data"]["email"] == third.email


def test_checkin_queues_checked_in_once_per_accepted_scan(edition, subscription):
    registration = register(edition)
    ticket = ticket_issue(registration=registration)
    day = edition.days.get()
    WebhookDelivery.objects.all().delete()

    checkin_perform(code=ticket.code, day=day, gate=None, staff=None, nonce="n-1")
    checkin_perform(code=ticket.code, day=day, gate=None, staff=None, nonce="n-1")  # repeated
    checkin_perform(code=ticket.code, day=day, gate=None, staff=None, nonce="n-2")  # already in
    checkin_perform(code="NIEMATAKIEGOKODU", day=day, gate=None, staff=None, nonce="n-3")

    [delivery] = WebhookDelivery.objects.all()
    assert delivery.event == "checkin.accepted"
    assert delivery.payload["data"]["registration"]["id"] == registration.pk
    assert delivery.payload["data"]["day"] == day.date.isoformat()


def test_only_the_subscribed_events_of_the_edition_and_only_active_subscriptions(edition, receiver):
    cancelled_only = webhook_subscription_create(
        edition=edition, url=receiver.url, events=[WebhookEvent.REGISTRATION_CANCELLED], actor=None
    )
    off = webhook_subscription_create(
        edition=edition, url=receiver.url, events=WebhookEvent.values, actor=None
    )
    off.active = False
    off.save()
    other_edition = EditionFactory()
    webhook_subscription_create(
        edition=other_edition, url=receiver.url, events=WebhookEvent.values, actor=None
    )

    registration = register(edition)
    registration_cancel(registration=registration)

    assert [(d.subscription_id, d.event) for d in WebhookDelivery.objects.order_by("pk")] == [
        (cancelled_only.pk, "registration.cancelled")
    ]


def test_a_change_rolled_back_leaves_no_delivery(edition, subscription):
    register(edition, email="ala@example.org")
    before = WebhookDelivery.objects.count()
    tasks = DBTaskResult.objects.filter(task_path="kongres.webhooks.tasks.webhook_send")
    assert tasks.count() == before == 2
    with pytest.raises(RegistrationError):
        register(edition, email="ala@example.org")  # a duplicate: rolled back
    with pytest.raises(RuntimeError), transaction.atomic():
        register(edition, email="ola@example.org")
        raise RuntimeError  # the caller's transaction fails after the service
    assert WebhookDelivery.objects.count() == before
    assert tasks.count() == before


def test_erasure_leaves_only_the_id_in_the_deliveries_about_the_person(edition, subscription):
    registration = register(edition, email="ewa.kowalska@example.org", last_name="Kowalska")
    other = register(edition, email="jan@example.org")
    ticket = ticket_issue(registration=registration)
    checkin_perform(code=ticket.code, day=edition.days.get(), gate=None, staff=None, nonce="e-1")

    registration_erase(registration=registration, actor=None)

    about = [
        delivery
        for delivery in WebhookDelivery.objects.order_by("pk")
        if delivery.payload["data"].get("id") != other.pk
    ]
    erased = {"id": registration.pk, "edition": edition.slug, "erased": True}
    assert [(d.event, d.payload["data"]) for d in about] == [
        ("registration.created", erased),
        ("registration.confirmed", erased),
        ("checkin.accepted", {"registration": erased}),
        # the erasure cancels the place (the edition is not over): that event goes out so
        ("registration.cancelled", erased),
    ]
    assert "kowalska" not in str(list(WebhookDelivery.objects.values_list("payload")))
    others = WebhookDelivery.objects.filter(payload__data__id=other.pk)
    assert [d.payload["data"]["email"] for d in others] == ["jan@example.org"] * 2


def test_the_draw_queues_draw_completed_with_its_figures(edition, subscription):
    import datetime as dt

    from django.utils import timezone

    from kongres.registration.services.draw import allocation_configure, draw_run

    now = timezone.now()
    allocation = allocation_configure(
        edition=edition,
        mode="draw",
        window_opens_at=now - dt.timedelta(days=1),
        window_closes_at=now + dt.timedelta(hours=1),
        draw_at=now + dt.timedelta(hours=2),
    )
    for _ in range(3):
        register(edition)  # applications: on the waiting list until the draw (2 places)
    WebhookDelivery.objects.all().delete()

    draw = draw_run(edition=edition, now=now + dt.timedelta(hours=2))

    [delivery] = WebhookDelivery.objects.filter(event="draw.completed")
    data = delivery.payload["data"]
    assert data == {
        "edition": edition.slug,
        "draw": draw.pk,
        "algorithm": draw.algorithm,
        "commitment": allocation.commitment,
        "seed": allocation.seed,
        "applications": 3,
        "places": 2,
        "waiting": 1,
        "not_drawn": 0,
        "done_at": data["done_at"],
    }
    assert delivery.task_id
    draw_run(edition=edition, now=now + dt.timedelta(hours=3))  # again: nothing new
    assert WebhookDelivery.objects.filter(event="draw.completed").count() == 1
