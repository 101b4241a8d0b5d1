"""Every transition after registering, and the forbidden ones: verify, expire, offer, claim,
cancel, leave the waiting list, approve, reject, organiser's offer, link resend, export."""

import datetime as dt
import json
import re

import pytest
from django.conf import settings
from django.urls import Resolver404, resolve
from django.utils import timezone, translation

from kongres.mail.models import OutboxMessage
from kongres.registration.models import Registration, SeatPool
from kongres.registration.selectors import (
    edition_seat_audit,
    edition_seats,
    registration_data_export,
    registration_get_by_token,
    registration_waiting_position,
)
from kongres.registration.services import (
    RegistrationError,
    registration_approve,
    registration_cancel,
    registration_expire_due,
    registration_link_resend,
    registration_mail_resend,
    registration_offer,
    registration_offer_claim,
    registration_reject,
    registration_verify,
)
from tests.factories import DayFactory, EditionFactory
from tests.factories.registration import RegistrationFactory
from tests.mail.outbox import outbox_delivered

Status = Registration.Status
HOLD = dt.timedelta(minutes=120)
OFFER = dt.timedelta(hours=48)


@pytest.fixture
def edition(db):
    return EditionFactory(capacity=2, title_pl="Kongres Testowy", title_en="Test Congress")


@pytest.fixture
def organiser(django_user_model):
    return django_user_model.objects.create_user("organiser")


def register(edition, now, *, verified=False, **data):
    return RegistrationFactory(
        edition=edition,
        now=now,
        verified=verified,
        data__language="en",
        **{f"data__{key}": value for key, value in data.items()},
    )


def ticket_files(edition) -> list[str]:
    """What a mail of a confirmed registration carries besides the calendar: the ticket's QR
    (inline) and its PDFs, A4 and phone (tests/checkin/test_ticket_mail.py reads them)."""
    return ["ticket-qr.png", f"ticket-{edition.slug}.pdf", f"ticket-{edition.slug}-phone.pdf"]


def status_of(registration) -> str:
    return Registration.objects.values_list("status", flat=True).get(pk=registration.pk)


def mails(kind: str, to: str | None = None) -> list[OutboxMessage]:
    """The mails of ``kind`` queued so far."""
    found = OutboxMessage.objects.filter(kind=f"registration.{kind}").order_by("pk")
    return list(found.filter(to=to) if to else found)


def full_edition(edition, now):
    """Both seats confirmed, then two people on the waiting list: ``first`` registered first,
    but ``second`` confirmed the address first, so ``second`` is ahead in the queue."""
    seated = [register(edition, now, verified=True) for _ in range(2)]
    first, second = register(edition, now), register(edition, now)
    registration_verify(token=second.token, now=now + dt.timedelta(minutes=1))
    registration_verify(token=first.token, now=now + dt.timedelta(minutes=2))
    return seated, (first, second)


def links(mail: OutboxMessage) -> dict[str, str]:
    """The secret links in a mail's text, by URL name: ``{"manage": token, ...}``."""
    found = {}
    with translation.override(mail.language):
        for url in re.findall(r"https?://\S+", mail.body_text):
            try:
                match = resolve(url.removeprefix(settings.SITE_URL))
            except Resolver404:
                continue
            if "token" in match.kwargs:
                found[match.url_name] = match.kwargs["token"]
    return found


def assert_seats_consistent(edition):
    assert edition_seat_audit(edition=edition) == []
    seats = edition_seats(edition=edition)
    assert seats.capacity is None or seats.taken <= seats.capacity


# --- verify ------------------------------------------------------------------------------------


def test_verify_confirms_a_held_seat_and_mails_the_calendar(edition, now):
    registration = register(edition, now)
    later = now + dt.timedelta(minutes=5)

    verified = registration_verify(token=registration.token, now=later)

    assert verified.status == Status.CONFIRMED
    assert (verified.verified_at, verified.confirmed_at, verified.hold_expires_at) == (
        later,
        later,
        None,
    )
    [mail] = mails("confirmed")
    assert mail.subject == "Your place at Test Congress is confirmed"
    assert "your registration for Test Congress is confirmed" in mail.body_text
    attachment, *ticket = mail.attachments.all()
    assert attachment.mimetype == "text/calendar"
    assert b"BEGIN:VCALENDAR" in bytes(attachment.content)
    assert b"SUMMARY:Test Congress" in bytes(attachment.content)
    assert [a.filename for a in ticket] == ticket_files(edition)


def test_verify_awaits_approval_when_the_edition_requires_it(edition, now):
    edition.requires_approval = True
    edition.save()
    registration = register(edition, now)

    verified = registration_verify(token=registration.token, now=now)

    assert verified.status == Status.PENDING_APPROVAL
    assert verified.confirmed_at is None
    [mail] = mails("pending_approval")
    assert mail.subject == "Your registration for Test Congress awaits approval"
    assert edition_seats(edition=edition).pending_approval == 1


def test_verify_twice_changes_nothing(edition, now):
    registration = register(edition, now)
    registration_verify(token=registration.token, now=now)
    again = registration_verify(token=registration.token, now=now + dt.timedelta(hours=5))
    assert again.status == Status.CONFIRMED
    assert again.confirmed_at == now
    assert len(mails("confirmed")) == 1


def test_verify_after_the_hold_expired_frees_the_seat_for_the_waiting_list(edition, now):
    late = register(edition, now)
    register(edition, now, verified=True)
    waiting = register(edition, now)
    registration_verify(token=waiting.token, now=now + dt.timedelta(minutes=1))

    with pytest.raises(RegistrationError) as error:
        registration_verify(token=late.token, now=now + HOLD)

    assert error.value.code == "expired"
    assert status_of(late) == Status.EXPIRED
    assert status_of(waiting) == Status.OFFERED
    assert len(mails("hold_expired", late.email)) == 1
    assert len(mails("offer", waiting.email)) == 1
    assert_seats_consistent(edition)


def test_verify_puts_a_waiting_registration_on_the_list_with_its_position(edition, now):
    _seated, (first, second) = full_edition(edition, now)

    assert status_of(first) == status_of(second) == Status.WAITING
    assert registration_waiting_position(registration=Registration.objects.get(pk=second.pk)) == 1
    assert registration_waiting_position(registration=Registration.objects.get(pk=first.pk)) == 2
    mail = mails("waiting", first.email)[0]
    assert mail.subject == "You are on the waiting list for Test Congress"
    assert "so you are on the waiting list, number 2." in mail.body_text
    assert "you will then have 48 hours to take it." in mail.body_text


def test_verify_gives_a_seat_at_once_when_one_is_free_for_them(edition, now):
    seated = [register(edition, now) for _ in range(2)]
    waiting = register(edition, now)
    registration_cancel(registration=seated[0], now=now)  # nobody verified is waiting yet

    verified = registration_verify(token=waiting.token, now=now)

    assert verified.status == Status.CONFIRMED
    assert mails("confirmed", waiting.email) and not mails("offer", waiting.email)
    assert_seats_consistent(edition)


def test_verify_a_waiting_registration_after_its_time_is_expired(edition, now):
    register(edition, now)
    register(edition, now)
    waiting = register(edition, now)
    with pytest.raises(RegistrationError) as error:
        registration_verify(token=waiting.token, now=now + HOLD)
    assert error.value.code == "expired"
    assert status_of(waiting) == Status.EXPIRED


@pytest.mark.parametrize("token", ["", "x" * 43, "no such token", "ż" * 10, "a" * 500])
def test_verify_with_an_unknown_link(edition, token):
    assert registration_get_by_token(token=token) is None
    with pytest.raises(RegistrationError) as error:
        registration_verify(token=token)
    assert error.value.code == "invalid_link"


def test_verify_a_cancelled_registration(edition, now):
    registration = register(edition, now)
    registration_cancel(registration=registration, now=now)
    with pytest.raises(RegistrationError) as error:
        registration_verify(token=registration.token, now=now)
    assert error.value.code == "not_active"


# --- the periodic job --------------------------------------------------------------------------


def test_expire_due_ends_holds_and_unverified_places(edition, now):
    held = register(edition, now)
    confirmed = register(edition, now, verified=True)
    unverified = register(edition, now)

    outbox_delivered()
    assert registration_expire_due(now=now + HOLD - dt.timedelta(seconds=1)) == 0
    assert registration_expire_due(now=now + HOLD) == 2
    assert registration_expire_due(now=now + HOLD) == 0

    assert status_of(held) == status_of(unverified) == Status.EXPIRED
    assert status_of(confirmed) == Status.CONFIRMED
    [mail] = mails("hold_expired", held.email)
    assert "the place held for you has been given up" in mail.body_text
    [mail] = mails("hold_expired", unverified.email)
    assert "you did not join the waiting list" in mail.body_text
    assert edition_seats(edition=edition).free == 1
    assert_seats_consistent(edition)


def test_expire_due_passes_an_expired_offer_to_the_next_person(edition, now):
    seated, (first, second) = full_edition(edition, now)
    registration_cancel(registration=seated[0], now=now)
    assert status_of(second) == Status.OFFERED  # verified first
    assert status_of(first) == Status.WAITING

    outbox_delivered()
    assert registration_expire_due(now=now + OFFER - dt.timedelta(seconds=1)) == 0
    assert registration_expire_due(now=now + OFFER) == 1

    assert status_of(second) == Status.EXPIRED
    assert status_of(first) == Status.OFFERED
    [mail] = mails("offer_expired", second.email)
    assert mail.subject == "The place offered to you at Test Congress has gone to the next person"
    assert len(mails("offer", first.email)) == 1
    assert_seats_consistent(edition)


def test_expire_due_is_the_registered_periodic_job(db, settings):
    from kongres.registration.tasks import expire_due

    assert ("kongres.registration.tasks.expire_due", 30) in settings.KONGRES_PERIODIC_JOBS
    assert expire_due() == 0


# --- offers and claims -------------------------------------------------------------------------


def test_a_freed_seat_goes_to_the_first_verified_on_the_list(edition, now):
    seated, (first, second) = full_edition(edition, now)

    registration_cancel(registration=seated[0], now=now)

    offered = Registration.objects.get(pk=second.pk)
    assert offered.status == Status.OFFERED
    assert offered.offer_expires_at == now + OFFER
    assert status_of(first) == Status.WAITING
    [mail] = mails("offer", second.email)
    assert mail.subject == "A place at Test Congress is free for you"
    assert registration_get_by_token(token=links(mail)["claim"]).pk == second.pk
    assert_seats_consistent(edition)


def test_unverified_people_are_not_offered_seats(edition, now):
    seated = [register(edition, now, verified=True) for _ in range(2)]
    unverified = register(edition, now)
    registration_cancel(registration=seated[0], now=now)
    assert status_of(unverified) == Status.WAITING_UNVERIFIED
    assert edition_seats(edition=edition).free == 1


def test_claim_confirms_the_offered_seat(edition, now):
    seated, (_first, second) = full_edition(edition, now)
    registration_cancel(registration=seated[0], now=now)

    claimed = registration_offer_claim(token=second.token, now=now + dt.timedelta(hours=1))

    assert claimed.status == Status.CONFIRMED
    assert claimed.confirmed_at == now + dt.timedelta(hours=1)
    [mail] = mails("confirmed", second.email)
    assert [a.filename for a in mail.attachments.all()] == [
        f"{edition.slug}.ics",
        *ticket_files(edition),
    ]
    # clicking again changes nothing
    assert registration_offer_claim(token=second.token, now=now + OFFER * 2).status == (
        Status.CONFIRMED
    )
    assert len(mails("confirmed", second.email)) == 1


def test_claim_awaits_approval_when_required(edition, now):
    seated, (_first, second) = full_edition(edition, now)
    edition.requires_approval = True
    edition.save()
    registration_cancel(registration=seated[0], now=now)
    assert registration_offer_claim(token=second.token, now=now).status == Status.PENDING_APPROVAL


def test_claim_after_the_offer_expired_passes_the_seat_on(edition, now):
    seated, (first, second) = full_edition(edition, now)
    registration_cancel(registration=seated[0], now=now)

    with pytest.raises(RegistrationError) as error:
        registration_offer_claim(token=second.token, now=now + OFFER)

    assert error.value.code == "offer_expired"
    assert status_of(second) == Status.EXPIRED
    assert status_of(first) == Status.OFFERED
    with pytest.raises(RegistrationError) as error:  # and again, later
        registration_offer_claim(token=second.token, now=now + OFFER * 2)
    assert error.value.code == "offer_expired"
    assert_seats_consistent(edition)


def test_claim_without_an_offer(edition, now):
    _seated, (first, _second) = full_edition(edition, now)
    with pytest.raises(RegistrationError) as error:
        registration_offer_claim(token=first.token, now=now)
    assert error.value.code == "no_offer"
    assert status_of(first) == Status.WAITING


def test_offers_skip_people_whose_day_is_still_full(db, now):
    edition = EditionFactory(capacity=10)
    monday = DayFactory(edition=edition, capacity=1)
    tuesday = DayFactory(edition=edition, date=edition.end_date, capacity=1)
    on_monday = register(edition, now, verified=True, day_ids=[monday.pk])
    register(edition, now, verified=True, day_ids=[tuesday.pk])
    both = register(edition, now, day_ids=[monday.pk, tuesday.pk])
    monday_only = register(edition, now, day_ids=[monday.pk])
    registration_verify(token=both.token, now=now)
    registration_verify(token=monday_only.token, now=now + dt.timedelta(minutes=1))

    registration_cancel(registration=on_monday, now=now)

    assert status_of(both) == Status.WAITING  # still no seat on Tuesday
    assert status_of(monday_only) == Status.OFFERED
    assert SeatPool.objects.get(day=monday).taken == 1
    assert_seats_consistent(edition)


def test_organiser_offers_a_seat_out_of_turn_even_over_capacity(edition, now, organiser):
    _seated, (first, _second) = full_edition(edition, now)

    with pytest.raises(RegistrationError) as error:
        registration_offer(registration=first, actor=organiser, now=now)
    assert error.value.code == "full"

    offered = registration_offer(registration=first, actor=organiser, over_capacity=True, now=now)

    assert offered.status == Status.OFFERED
    pool = SeatPool.objects.get(edition=edition, day=None)
    assert (pool.taken, pool.overbooked) == (3, 1)
    assert len(mails("offer", first.email)) == 1
    with pytest.raises(RegistrationError) as error:
        registration_offer(registration=first, actor=organiser, now=now)
    assert error.value.code == "wrong_status"
    assert edition_seat_audit(edition=edition) == []


# --- cancel, leave the waiting list -----------------------------------------------------------


def test_cancel_frees_the_seat(edition, now):
    registration = register(edition, now, verified=True)

    cancelled = registration_cancel(registration=registration, now=now)

    assert cancelled.status == Status.CANCELLED
    assert cancelled.ended_at == now
    assert edition_seats(edition=edition).free == 2
    [mail] = mails("cancelled", registration.email)
    assert mail.subject == "Your registration for Test Congress is cancelled"
    assert "your place is free for someone else" in mail.body_text
    assert_seats_consistent(edition)


def test_cancel_twice_is_refused(edition, now):
    registration = register(edition, now, verified=True)
    registration_cancel(registration=registration, now=now)
    with pytest.raises(RegistrationError) as error:
        registration_cancel(registration=registration, now=now)
    assert error.value.code == "not_active"
    assert edition_seats(edition=edition).free == 2


def test_leave_the_waiting_list(edition, now):
    _seated, (first, _second) = full_edition(edition, now)

    registration_cancel(registration=first, now=now)

    assert status_of(first) == Status.CANCELLED
    assert "you have left the waiting list" in mails("cancelled", first.email)[0].body_text
    assert edition_seats(edition=edition).held + edition_seats(edition=edition).confirmed == 2
    assert_seats_consistent(edition)


def test_participant_cannot_cancel_after_the_edition_but_an_organiser_can(db, now, organiser):
    edition = EditionFactory()
    registration = register(edition, now, verified=True)
    after = timezone.make_aware(dt.datetime.combine(edition.end_date, dt.time())) + dt.timedelta(
        days=2
    )
    with pytest.raises(RegistrationError) as error:
        registration_cancel(registration=registration, now=after)
    assert error.value.code == "closed"

    registration_cancel(registration=registration, actor=organiser, now=after)

    cancelled = Registration.objects.get(pk=registration.pk)
    assert (cancelled.status, cancelled.cancelled_by) == (Status.CANCELLED, organiser)
    assert "the organisers have cancelled" in mails("cancelled")[0].body_text


def test_an_organiser_cancelling_a_seat_offers_it(edition, now, organiser):
    seated, (_first, second) = full_edition(edition, now)
    registration_cancel(registration=seated[1], actor=organiser, now=now)
    assert status_of(second) == Status.OFFERED


# --- approval ----------------------------------------------------------------------------------


@pytest.fixture
def approval_edition(edition):
    edition.requires_approval = True
    edition.save()
    return edition


def test_approve_confirms_and_mails_the_calendar(approval_edition, now, organiser):
    registration = register(approval_edition, now, verified=True)

    approved = registration_approve(registration=registration, actor=organiser, now=now)

    assert approved.status == Status.CONFIRMED
    assert (approved.decided_by, approved.decided_at, approved.confirmed_at) == (
        organiser,
        now,
        now,
    )
    [mail] = mails("approved", registration.email)
    assert mail.subject == "Your registration for Test Congress is approved"
    assert [a.filename for a in mail.attachments.all()] == [
        f"{approval_edition.slug}.ics",
        *ticket_files(approval_edition),
    ]


def test_approve_only_what_awaits_approval(approval_edition, now, organiser):
    registration = register(approval_edition, now)  # address not confirmed yet
    with pytest.raises(RegistrationError) as error:
        registration_approve(registration=registration, actor=organiser, now=now)
    assert error.value.code == "wrong_status"


def test_reject_frees_the_seat_for_the_waiting_list(approval_edition, now, organiser):
    seated, (_first, second) = full_edition(approval_edition, now)

    rejected = registration_reject(registration=seated[0], actor=organiser, now=now)

    assert rejected.status == Status.REJECTED
    assert status_of(second) == Status.OFFERED
    [mail] = mails("rejected", seated[0].email)
    assert mail.subject == "Your registration for Test Congress was not approved"
    with pytest.raises(RegistrationError) as error:
        registration_reject(registration=seated[0], actor=organiser, now=now)
    assert error.value.code == "wrong_status"
    assert_seats_consistent(approval_edition)


# --- links -------------------------------------------------------------------------------------


def test_link_resend_mails_the_same_link_and_revokes_nothing(edition, now):
    registration = register(edition, now, email="Anna@Example.org")
    registration_verify(token=registration.token, now=now)

    registration_link_resend(edition=edition, email="anna@example.ORG ", language="pl")

    assert registration_get_by_token(token=registration.token).pk == registration.pk
    [mail] = mails("link", registration.email)
    assert mail.subject == "Your link for Test Congress"
    assert "no longer work" not in mail.body_text
    assert links(mail)["manage"] == registration.token


def test_link_resend_for_an_unknown_address_does_nothing_visible(edition, now):
    register(edition, now, email="anna@example.org")
    before = OutboxMessage.objects.count()
    assert registration_link_resend(edition=edition, email="ewa@example.org", language="pl") is None
    assert (
        registration_link_resend(edition=EditionFactory(), email="anna@example.org", language="pl")
        is None
    )
    assert OutboxMessage.objects.count() == before


def test_link_resend_reminds_to_confirm_the_address(edition, now):
    registration = register(edition, now)
    registration_link_resend(edition=edition, email=registration.email, language="en")
    [mail] = mails("link", registration.email)
    assert "You have not confirmed your e-mail address yet." in mail.body_text
    assert "Confirm my address" in mail.body_text


def test_organiser_resends_the_mail_with_the_same_link(edition, now, organiser):
    registration = register(edition, now, verified=True)
    registration_mail_resend(registration=registration, actor=organiser)
    assert registration_get_by_token(token=registration.token).pk == registration.pk
    [mail] = mails("link", registration.email)
    assert links(mail)["manage"] == registration.token


def test_every_mail_carries_a_working_manage_link(edition, now, organiser):
    """Links made for later mails (offers, cancellations, approvals) lead to the registration,
    and the earlier links keep working."""
    edition.requires_approval = True
    edition.save()
    seated, (first, second) = full_edition(edition, now)
    registration_approve(registration=seated[0], actor=organiser, now=now)
    registration_cancel(registration=seated[1], actor=organiser, now=now)
    outbox_delivered()
    registration_expire_due(now=now + OFFER)

    sent = list(OutboxMessage.objects.all())
    assert {mail.kind.removeprefix("registration.") for mail in sent} == {
        "verify",
        "pending_approval",
        "waiting",
        "approved",
        "cancelled",
        "offer",
        "offer_expired",
    }
    for mail in sent:
        found = registration_get_by_token(token=links(mail)["manage"])
        assert found is not None and found.email == mail.to, mail.kind
    for person in [*seated, first, second]:
        assert registration_get_by_token(token=person.token).pk == person.pk


# --- the participant's data ---------------------------------------------------------------------


def test_data_export_holds_everything_stored_and_is_json(edition, now):
    day = DayFactory(edition=edition, name_pl="Dzień pierwszy")
    registration = register(
        edition, now, verified=True, day_ids=[day.pk], dietary_needs="bez glutenu"
    )

    data = registration_data_export(registration=registration)

    assert json.loads(json.dumps(data)) == data
    assert data["email"] == registration.email
    assert data["status"] == "confirmed"
    assert data["dietary_needs"] == "bez glutenu"
    assert data["days"] == [{"date": day.date.isoformat(), "name": "Dzień pierwszy"}]
    assert data["consents"]["privacy_notice_accepted_at"] == now.isoformat()
    assert [mail["subject"] for mail in data["mails"]] == [
        "Confirm your registration for Test Congress",
        "Your place at Test Congress is confirmed",
    ]
    assert registration.token not in json.dumps(data)


def test_mails_in_polish(edition, now):
    seated = RegistrationFactory(edition=edition, now=now, verified=True)
    RegistrationFactory(edition=edition, now=now, verified=True)
    waiting = RegistrationFactory(edition=edition, now=now)
    registration_verify(token=waiting.token, now=now)
    registration_cancel(registration=seated, now=now)

    confirmed = mails("confirmed", seated.email)[0]
    assert confirmed.subject == "Twoje miejsce na wydarzeniu Kongres Testowy jest potwierdzone"
    assert "Wpis do kalendarza jest w załączniku." in confirmed.body_text
    on_list = mails("waiting", waiting.email)[0]
    assert "jesteś na liście rezerwowej z numerem 1." in on_list.body_text
    assert "będziesz mieć 48 godzin." in on_list.body_text
    offer = mails("offer", waiting.email)[0]
    assert offer.subject == "Wolne miejsce na wydarzeniu Kongres Testowy czeka na ciebie"
    assert "Przyjmuję miejsce" in offer.body_html
    cancelled = mails("cancelled", seated.email)[0]
    assert "Twoja rejestracja (sprawdź, zmień lub anuluj):" in cancelled.body_text
