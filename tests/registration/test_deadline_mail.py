"""A hold or an offer never runs out before the mail announcing it was delivered, and lasts its
whole time from the delivery (a mail server down for hours must not cost anyone the place)."""

import datetime as dt

import pytest

from kongres.mail.delivery import mail_deliver, mail_retry_due
from kongres.mail.models import OutboxMessage
from kongres.mail.signals import messages_sent
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


def test_one_batch_extends_the_deadlines_of_its_registrations_in_one_read_and_one_update(
    db, now, django_assert_num_queries
):
    """``messages_sent`` with the verification mails of a batch: each hold still held lasts
    from its own delivery; one cancelled meanwhile and one whose hold already runs longer are
    left as they are; as many queries for five as for one."""
    edition = EditionFactory(capacity=10, hold_minutes=120)
    held = [register(edition, now) for _ in range(3)]
    cancelled, longer = register(edition, now), register(edition, now)
    registration_cancel(registration=cancelled, now=now)
    later = now + dt.timedelta(days=2)
    Registration.objects.filter(pk=longer.pk).update(hold_expires_at=later)
    mails = [the_mail("verify", r) for r in [*held, cancelled, longer]]
    for number, mail in enumerate(mails):  # delivered late, one after the other
        mail.sent_at = now + dt.timedelta(hours=3, seconds=number)
    cancelled_before = fresh(cancelled)

    with django_assert_num_queries(4):  # a savepoint, the read, the update, its release
        messages_sent.send(sender=OutboxMessage, messages=mails)

    assert [fresh(r).hold_expires_at for r in held] == [m.sent_at + HOLD for m in mails[:3]]
    assert fresh(cancelled).hold_expires_at == cancelled_before.hold_expires_at
    assert fresh(cancelled).updated_at == cancelled_before.updated_at
    assert fresh(longer).hold_expires_at == later
    with django_assert_num_queries(4):
        messages_sent.send(sender=OutboxMessage, messages=mails[:1])


def test_a_delivered_mail_whose_batch_a_dead_worker_left_unmarked_keeps_the_hold(
    edition, now, settings
):
    """The worker recorded the delivery (``sent_at``) and died before marking its batch sent:
    the hold does not run out meanwhile, and once ``mail_retry_due`` marks it, it lasts from
    the delivery."""
    registration = register(edition, now)
    mail = the_mail("verify", registration)
    delivered = now + HOLD + dt.timedelta(hours=1)  # the mail server was down for hours
    OutboxMessage.objects.filter(pk=mail.pk).update(
        status="sending", attempts=1, sent_at=delivered, claimed_until=delivered
    )

    assert registration_expire_due(now=delivered + dt.timedelta(minutes=5)) == 0
    assert fresh(registration).status == Status.HELD

    mail_retry_due(now=delivered + dt.timedelta(minutes=5))

    assert OutboxMessage.objects.get(pk=mail.pk).status == "sent"
    assert fresh(registration).hold_expires_at == delivered + HOLD
    assert registration_expire_due(now=delivered + HOLD - dt.timedelta(seconds=1)) == 0
    assert registration_expire_due(now=delivered + HOLD) == 1
