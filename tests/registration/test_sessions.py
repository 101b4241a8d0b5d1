"""Places in sessions (issue 18): sign-up modes, the counter, the waiting list and its offers,
overlaps, releases with the registration, the personal calendar feed."""

import datetime as dt

import icalendar
import pytest
from django.urls import reverse
from django.utils import timezone

from kongres.events.models import Session
from kongres.mail.models import OutboxMessage
from kongres.registration.models import SessionPlaces, SessionSignup
from kongres.registration.services import (
    RegistrationError,
    registration_cancel,
    registration_expire_due,
    registration_update,
)
from kongres.registration.services.session_settings import session_settings_change
from kongres.registration.services.sessions import (
    OverlapError,
    session_leave,
    session_offer_claim,
    session_signup,
)
from kongres.registration.sessions import agenda_sessions, feed_key, feed_registration
from tests.factories import DayFactory, EditionFactory, RoomFactory, SessionFactory
from tests.factories.registration import RegistrationFactory
from tests.mail.outbox import outbox_delivered

Signup = SessionSignup.Status


@pytest.fixture
def edition(db):
    return EditionFactory(capacity=50)


@pytest.fixture
def workshop(edition):
    return SessionFactory(
        edition=edition,
        kind=Session.Kind.WORKSHOP,
        signup_mode=Session.SignupMode.SIGNUP,
        capacity=2,
        title_pl="Warsztat",
    )


def participant(edition, **data):
    return RegistrationFactory(
        edition=edition, verified=True, **{f"data__{k}": v for k, v in data.items()}
    )


def taken(session) -> int:
    return SessionPlaces.objects.get(session=session).taken


def test_signup_takes_a_place_and_the_third_waits(edition, workshop):
    first, second, third = (participant(edition) for _ in range(3))
    assert session_signup(registration=first, session=workshop).status == Signup.SIGNED_UP
    assert session_signup(registration=second, session=workshop).status == Signup.SIGNED_UP
    assert session_signup(registration=third, session=workshop).status == Signup.WAITING
    assert taken(workshop) == 2


def test_signup_twice_returns_the_same_signup(edition, workshop):
    person = participant(edition)
    one = session_signup(registration=person, session=workshop)
    again = session_signup(registration=person, session=workshop)
    assert one.pk == again.pk
    assert taken(workshop) == 1


def test_open_session_takes_no_signups(edition):
    session = SessionFactory(edition=edition)
    with pytest.raises(RegistrationError) as error:
        session_signup(registration=participant(edition), session=session)
    assert error.value.code == "no_signup"


def test_unconfirmed_registration_cannot_sign_up(edition, workshop):
    held = RegistrationFactory(edition=edition)  # address not confirmed
    with pytest.raises(RegistrationError) as error:
        session_signup(registration=held, session=workshop)
    assert error.value.code == "not_confirmed"


def test_participant_of_another_day_cannot_sign_up(edition):
    first_day = DayFactory(edition=edition)
    second_day = DayFactory(edition=edition, date=edition.end_date)
    session = SessionFactory(edition=edition, signup_mode=Session.SignupMode.SIGNUP, capacity=5)
    person = participant(edition, day_ids=[second_day.pk])
    with pytest.raises(RegistrationError) as error:
        session_signup(registration=person, session=session)
    assert error.value.code == "not_confirmed"
    other = participant(edition, day_ids=[first_day.pk])
    assert session_signup(registration=other, session=session).status == Signup.SIGNED_UP


def test_capacity_falls_back_to_the_room(edition):
    room = RoomFactory(venue=edition.venue, capacity=1)
    session = SessionFactory(edition=edition, room=room, signup_mode="required", capacity=None)
    assert session_signup(registration=participant(edition), session=session).status == (
        Signup.SIGNED_UP
    )
    assert session_signup(registration=participant(edition), session=session).status == (
        Signup.WAITING
    )


def test_no_capacity_means_no_limit(edition):
    session = SessionFactory(edition=edition, room=None, signup_mode="signup", capacity=None)
    for _ in range(3):
        session_signup(registration=participant(edition), session=session)
    assert taken(session) == 3
    assert SessionPlaces.objects.get(session=session).capacity is None


def test_leave_offers_the_place_to_the_next_by_mail_and_claim_takes_it(edition, workshop):
    first, second, third = (participant(edition, language="en") for _ in range(3))
    for person in (first, second, third):
        session_signup(registration=person, session=workshop)
    session_leave(registration=first, session=workshop)
    offered = SessionSignup.objects.get(registration=third, session=workshop)
    assert offered.status == Signup.OFFERED
    assert offered.offer_expires_at > timezone.now()
    mail = OutboxMessage.objects.get(kind="registration.session_offer")
    assert mail.to == third.email
    assert f"sessionsignup:{offered.pk}" == mail.related
    assert "/sessions/" in mail.body_text and "/claim/" in mail.body_text
    assert taken(workshop) == 2  # the offer holds the place
    claimed = session_offer_claim(registration=third, session=workshop)
    assert claimed.status == Signup.SIGNED_UP
    assert taken(workshop) == 2


def test_offer_expires_and_goes_to_the_next(edition, workshop):
    people = [participant(edition) for _ in range(4)]
    for person in people:
        session_signup(registration=person, session=workshop)
    session_leave(registration=people[0], session=workshop)
    outbox_delivered()
    later = timezone.now() + dt.timedelta(hours=edition.offer_hours, minutes=1)
    registration_expire_due(now=later)
    statuses = dict(
        SessionSignup.objects.filter(session=workshop).values_list("registration_id", "status")
    )
    assert statuses[people[2].pk] == Signup.EXPIRED
    assert statuses[people[3].pk] == Signup.OFFERED
    assert taken(workshop) == 2
    with pytest.raises(RegistrationError) as error:
        session_offer_claim(registration=people[2], session=workshop, now=later)
    assert error.value.code == "no_offer" or error.value.code == "offer_expired"


def test_offer_does_not_expire_while_its_mail_waits(edition, workshop):
    people = [participant(edition) for _ in range(3)]
    for person in people:
        session_signup(registration=person, session=workshop)
    session_leave(registration=people[0], session=workshop)
    later = timezone.now() + dt.timedelta(hours=edition.offer_hours, minutes=1)
    registration_expire_due(now=later)  # the offer's mail is still queued
    assert SessionSignup.objects.get(registration=people[2]).status == Signup.OFFERED


def test_cancelling_the_registration_releases_its_places_at_once(edition, workshop):
    first, second, third = (participant(edition) for _ in range(3))
    for person in (first, second, third):
        session_signup(registration=person, session=workshop)
    registration_cancel(registration=first)
    assert SessionSignup.objects.get(registration=first).status == Signup.RELEASED
    assert SessionSignup.objects.get(registration=third).status == Signup.OFFERED
    assert taken(workshop) == 2


def test_dropping_a_day_releases_that_days_places(edition):
    from tests.factories.registration import RegistrationDataFactory

    first_day = DayFactory(edition=edition)
    second_day = DayFactory(edition=edition, date=edition.end_date)
    monday = SessionFactory(edition=edition, signup_mode="signup", capacity=5)
    tuesday = SessionFactory(
        edition=edition,
        signup_mode="signup",
        capacity=5,
        starts_at=monday.starts_at + dt.timedelta(days=1),
        ends_at=monday.ends_at + dt.timedelta(days=1),
    )
    person = participant(edition, day_ids=[first_day.pk, second_day.pk])
    session_signup(registration=person, session=monday)
    session_signup(registration=person, session=tuesday)
    data = RegistrationDataFactory(email=person.email, day_ids=[first_day.pk])
    registration_update(registration=person, data=data)
    assert SessionSignup.objects.get(session=monday).status == Signup.SIGNED_UP
    assert SessionSignup.objects.get(session=tuesday).status == Signup.RELEASED
    assert taken(tuesday) == 0


def test_overlap_is_refused_and_switch_moves_the_place(edition, workshop):
    other = SessionFactory(
        edition=edition,
        signup_mode="signup",
        capacity=2,
        starts_at=workshop.starts_at + dt.timedelta(minutes=30),
        ends_at=workshop.ends_at + dt.timedelta(minutes=30),
        title_pl="Inny warsztat",
    )
    person = participant(edition)
    session_signup(registration=person, session=workshop)
    with pytest.raises(OverlapError) as error:
        session_signup(registration=person, session=other)
    assert error.value.code == "overlap"
    assert [session.pk for session in error.value.sessions] == [workshop.pk]
    assert "Warsztat" in str(error.value.message)
    switched = session_signup(registration=person, session=other, switch=True)
    assert switched.status == Signup.SIGNED_UP
    assert SessionSignup.objects.get(session=workshop).status == Signup.LEFT
    assert (taken(workshop), taken(other)) == (0, 1)


def test_smaller_room_keeps_the_places_given(edition, workshop):
    people = [participant(edition) for _ in range(2)]
    for person in people:
        session_signup(registration=person, session=workshop)
    session_settings_change(
        session=workshop, signup_mode="signup", capacity=1, room_id=workshop.room_id
    )
    places = SessionPlaces.objects.get(session=workshop)
    assert (places.capacity, places.taken, places.overbooked) == (1, 2, 1)
    assert session_signup(registration=participant(edition), session=workshop).status == (
        Signup.WAITING
    )
    session_leave(registration=people[0], session=workshop)  # pays back the overbooking
    places.refresh_from_db()
    assert (places.taken, places.overbooked) == (1, 0)
    assert SessionSignup.objects.filter(status=Signup.OFFERED).count() == 0


def test_larger_capacity_offers_places_at_once(edition, workshop):
    people = [participant(edition) for _ in range(3)]
    for person in people:
        session_signup(registration=person, session=workshop)
    session_settings_change(
        session=workshop, signup_mode="signup", capacity=3, room_id=workshop.room_id
    )
    assert SessionSignup.objects.get(registration=people[2]).status == Signup.OFFERED


def test_database_refuses_more_taken_than_capacity(edition, workshop):
    from django.db import IntegrityError, transaction

    from kongres.core.constraints import constraint_violated

    session_signup(registration=participant(edition), session=workshop)
    with pytest.raises(IntegrityError) as error, transaction.atomic():
        SessionPlaces.objects.filter(session=workshop).update(taken=3)
    assert constraint_violated(error.value, "sessionplaces_taken_within_capacity")


def test_personal_feed_holds_exactly_the_persons_sessions(edition, workshop):
    other = SessionFactory(edition=edition, signup_mode="signup", capacity=5, title_pl="Panel B")
    other.starts_at = workshop.ends_at
    other.ends_at = workshop.ends_at + dt.timedelta(hours=1)
    other.save()
    SessionFactory(edition=edition, signup_mode="signup", capacity=5, title_pl="Nie moje")
    person = participant(edition)
    session_signup(registration=person, session=workshop)
    session_signup(registration=person, session=other)
    assert [s.pk for s in agenda_sessions(registration=person)] == [workshop.pk, other.pk]
    key = feed_key(registration=person)
    assert feed_registration(key=key).pk == person.pk
    assert feed_registration(key=key[:-1] + ("0" if key[-1] != "0" else "1")) is None


def test_replacing_the_links_replaces_the_feed_address(client, edition, workshop):
    from kongres.registration.links import link_tokens_replace

    person = participant(edition)
    session_signup(registration=person, session=workshop)
    old = reverse("registration:agenda-feed", args=[feed_key(registration=person)])
    assert client.get(old).status_code == 200

    link_tokens_replace(registration=person)

    new = reverse("registration:agenda-feed", args=[feed_key(registration=person)])
    assert new != old
    assert client.get(old).status_code == 404
    assert client.get(new).status_code == 200


def test_feed_view_is_valid_icalendar_with_warsaw_zone(client, edition, workshop):
    person = participant(edition)
    session_signup(registration=person, session=workshop)
    response = client.get(reverse("registration:agenda-feed", args=[feed_key(registration=person)]))
    assert response.status_code == 200
    calendar = icalendar.Calendar.from_ical(response.content)
    events = calendar.walk("VEVENT")
    assert [str(event["summary"]) for event in events] == ["Warsztat"]
    assert [str(tz["tzid"]) for tz in calendar.walk("VTIMEZONE")] == ["Europe/Warsaw"]
    assert events[0]["dtstart"].params["TZID"] == "Europe/Warsaw"
    assert client.get(reverse("registration:agenda-feed", args=["1-nope"])).status_code == 404


def test_capacity_raised_outside_the_services_is_offered_by_the_job(edition, workshop):
    people = [participant(edition) for _ in range(3)]
    for person in people:
        session_signup(registration=person, session=workshop)
    Session.objects.filter(pk=workshop.pk).update(capacity=3)  # as the Django admin would
    registration_expire_due()
    assert SessionSignup.objects.get(registration=people[2]).status == Signup.OFFERED
    assert SessionPlaces.objects.get(session=workshop).capacity == 3


def test_stale_session_with_another_capacity_reads_it_again(edition, workshop):
    """A sign-up holding a session read before its capacity changed (a cached copy, a change
    made by ``QuerySet.update``): the counter is not taken at the old number nor put back to it;
    the session is read again and the counter follows the database."""
    people = [participant(edition) for _ in range(3)]
    for person in people[:2]:
        session_signup(registration=person, session=workshop)
    Session.objects.filter(pk=workshop.pk).update(capacity=3)
    registration_expire_due()  # the job brings the counter to 3
    stale = Session.objects.select_related("edition", "room").get(pk=workshop.pk)
    stale.capacity = 2  # what the copy says
    signed = session_signup(registration=people[2], session=stale)
    assert signed.status == Signup.SIGNED_UP
    places = SessionPlaces.objects.get(session=workshop)
    assert (places.capacity, places.taken) == (3, 3)


def test_signup_by_token_finds_locks_and_checks_the_participant(edition, workshop):
    from kongres.registration.services.sessions import session_signup_by_token

    person = participant(edition)
    signed = session_signup_by_token(token=person.token, session=workshop)
    assert (signed.registration_id, signed.status) == (person.pk, Signup.SIGNED_UP)
    assert session_signup_by_token(token=person.token, session=workshop).pk == signed.pk
    for token in ("", "not-a-token", participant(EditionFactory()).token):
        with pytest.raises(RegistrationError) as error:
            session_signup_by_token(token=token, session=workshop)
        assert error.value.code == "no_participant"
    held = RegistrationFactory(edition=edition)  # address not confirmed
    with pytest.raises(RegistrationError) as error:
        session_signup_by_token(token=held.token, session=workshop)
    assert error.value.code == "not_confirmed"
