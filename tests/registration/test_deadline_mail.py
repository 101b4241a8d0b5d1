"""A hold or an offer never runs out before the mail announcing it was delivered, and lasts its
whole time from the delivery (a mail server down for hours must not cost anyone the place)."""

import datetime as dt

import pytest

from kongres.mail.delivery import mail_deliver
from kongres.mail.models import OutboxMessage
from kongres.registration.models import Registration
from kongres.registration.services import (
    registration_cancel,
    registration_expire_due,
    registration_verify,
)
from tests.factories import EditionFactory
from tests.factories.registration import RegistrationFactory
from tests.mail.outbox import outbox_delivered

HOLD = dt.timedelta(minutes=120)
OFFER = dt.timedelta(hours=48)
Status = Registration.Status


@pytest.fixture
def edition(db):
    return EditionFactory(capacity=1, hold_minutes=120, offer_hours=48)


def register(edition, now, *, verified=False):
    return RegistrationFactory(edition=edition, now=now, verified=verified)


def the_mail(kind: str, registration) -> OutboxMessage:
    return OutboxMessage.objects.get(
        kind=f"registration.{kind}", related=f"registration:{registration.pk}"
    )


def fresh(registration) -> Registration:
    return Registration.objects.get(pk=registration.pk)


def test_a_hold_waits_for_its_verification_mail_then_lasts_from_the_delivery(edition, now):
    registration = register(edition, now)
    assert fresh(registration).hold_expires_at == now + HOLD

    # the mail server is down: the hold's time passes, the mail is still queued
    assert registration_expire_due(now=now + HOLD + dt.timedelta(hours=3)) == 0
    assert fresh(registration).status == Status.HELD

    # the mail goes out: the hold lasts its whole time from then
    mail = the_mail("verify", registration)
    assert mail_deliver(message_id=mail.pk) == "sent"
    sent_at = OutboxMessage.objects.get(pk=mail.pk).sent_at
    assert fresh(registration).hold_expires_at == sent_at + HOLD

    assert registration_expire_due(now=sent_at + HOLD - dt.timedelta(seconds=1)) == 0
    assert registration_expire_due(now=sent_at + HOLD) == 1
    assert fresh(registration).status == Status.EXPIRED


def test_a_verification_mail_delivered_in_time_leaves_the_hold_as_it_was(edition, now):
    registration = register(edition, now)
    outbox_delivered()  # delivered when queued, by a worker keeping up

    assert registration_expire_due(now=now + HOLD) == 1
    assert fresh(registration).status == Status.EXPIRED


def test_a_verification_mail_given_up_for_good_lets_the_hold_expire(edition, now):
    registration = register(edition, now)
    OutboxMessage.objects.filter(kind="registration.verify").update(
        status=OutboxMessage.Status.FAILED
    )

    assert registration_expire_due(now=now + HOLD) == 1
    assert fresh(registration).status == Status.EXPIRED


def test_an_offer_waits_for_its_mail_then_lasts_from_the_delivery(edition, now):
    seated = register(edition, now, verified=True)
    waiting = register(edition, now)
    registration_verify(token=waiting.token, now=now)
    outbox_delivered()
    registration_cancel(registration=seated, now=now)
    assert fresh(waiting).status == Status.OFFERED

    assert registration_expire_due(now=now + OFFER + dt.timedelta(hours=1)) == 0
    assert fresh(waiting).status == Status.OFFERED

    mail = the_mail("offer", waiting)
    mail_deliver(message_id=mail.pk)
    sent_at = OutboxMessage.objects.get(pk=mail.pk).sent_at
    assert fresh(waiting).offer_expires_at == sent_at + OFFER
    assert registration_expire_due(now=sent_at + OFFER) == 1
    assert fresh(waiting).status == Status.EXPIRED
