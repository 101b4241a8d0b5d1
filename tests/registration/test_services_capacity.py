"""Capacity changes (edition and day) and updating a registration's answers and days."""

import datetime as dt

import pytest
from django.utils import timezone

from kongres.events.models import Edition
from kongres.registration.models import Registration, SeatPool
from kongres.registration.selectors import edition_seat_audit, edition_seats
from kongres.registration.services import (
    RegistrationError,
    day_capacity_change,
    edition_capacity_change,
    registration_cancel,
    registration_expire_due,
    registration_update,
    registration_verify,
)
from tests.factories import DayFactory, EditionFactory, TrackFactory
from tests.factories.registration import RegistrationDataFactory, RegistrationFactory
from tests.mail.outbox import outbox_delivered

Status = Registration.Status


@pytest.fixture
def edition(db):
    return EditionFactory(capacity=2)


def register(edition, now, *, verified=False, **data):
    return RegistrationFactory(
        edition=edition,
        now=now,
        verified=verified,
        **{f"data__{key}": value for key, value in data.items()},
    )


def statuses(*registrations) -> list[str]:
    found = dict(
        Registration.objects.filter(pk__in=[r.pk for r in registrations]).values_list(
            "pk", "status"
        )
    )
    return [found[r.pk] for r in registrations]


def queue(edition, now, count: int) -> list[Registration]:
    """``count`` people on the waiting list, in this order."""
    people = [register(edition, now) for _ in range(count)]
    for minutes, person in enumerate(people, start=1):
        registration_verify(token=person.token, now=now + dt.timedelta(minutes=minutes))
    return people


# --- edition capacity ----------------------------------------------------------------------------


def test_raising_the_capacity_offers_seats_in_queue_order(edition, now):
    register(edition, now, verified=True)
    register(edition, now, verified=True)
    first, second, third = queue(edition, now, 3)

    offers = edition_capacity_change(edition=edition, capacity=4, now=now)

    assert offers == 2
    assert statuses(first, second, third) == [Status.OFFERED, Status.OFFERED, Status.WAITING]
    assert Edition.objects.get(pk=edition.pk).capacity == 4
    assert edition_seats(edition=edition).free == 0
    assert edition_seat_audit(edition=edition) == []


def test_no_limit_offers_everyone_waiting(edition, now):
    register(edition, now, verified=True)
    register(edition, now, verified=True)
    waiting = queue(edition, now, 3)
    assert edition_capacity_change(edition=edition, capacity=None, now=now) == 3
    assert set(statuses(*waiting)) == {Status.OFFERED}
    assert register(edition, now).status == Status.HELD


def test_lowering_the_capacity_keeps_the_seats_given(edition, now):
    seated = [register(edition, now, verified=True) for _ in range(2)]
    (waiting,) = queue(edition, now, 1)

    assert edition_capacity_change(edition=edition, capacity=1, now=now) == 0

    pool = SeatPool.objects.get(edition=edition, day=None)
    assert (pool.capacity, pool.taken, pool.overbooked) == (1, 2, 1)
    assert statuses(*seated) == [Status.CONFIRMED, Status.CONFIRMED]
    # The first seat freed pays back the one over the capacity: nobody is offered it.
    registration_cancel(registration=seated[0], now=now)
    assert statuses(waiting) == [Status.WAITING]
    pool.refresh_from_db()
    assert (pool.taken, pool.overbooked) == (1, 0)
    # The next one is a real free seat.
    registration_cancel(registration=seated[1], now=now)
    assert statuses(waiting) == [Status.OFFERED]
    assert edition_seat_audit(edition=edition) == []


def test_negative_capacity_is_refused(edition):
    with pytest.raises(RegistrationError) as error:
        edition_capacity_change(edition=edition, capacity=-1)
    assert error.value.code == "invalid"


def test_a_capacity_changed_behind_the_services_back_is_caught_up(edition, now):
    """An edition saved without edition_capacity_change: the next registration or the
    periodic job brings the seat pools in line and offers what became free."""
    register(edition, now, verified=True)
    register(edition, now, verified=True)
    (waiting,) = queue(edition, now, 1)
    Edition.objects.filter(pk=edition.pk).update(capacity=3)

    outbox_delivered()
    registration_expire_due(now=now)

    assert statuses(waiting) == [Status.OFFERED]
    assert SeatPool.objects.get(edition=edition, day=None).capacity == 3
    Edition.objects.filter(pk=edition.pk).update(capacity=4)
    assert register(edition, now).status == Status.HELD
    assert edition_seat_audit(edition=Edition.objects.get(pk=edition.pk)) == []


# --- day capacity --------------------------------------------------------------------------------


def test_raising_a_day_capacity_offers_to_those_waiting_for_that_day(db, now):
    edition = EditionFactory(capacity=10)
    monday = DayFactory(edition=edition, capacity=1)
    tuesday = DayFactory(edition=edition, date=edition.end_date)
    register(edition, now, verified=True, day_ids=[monday.pk])
    waiting = register(edition, now, day_ids=[monday.pk, tuesday.pk])
    registration_verify(token=waiting.token, now=now)
    assert statuses(waiting) == [Status.WAITING]

    assert day_capacity_change(day=monday, capacity=2, now=now) == 1

    assert statuses(waiting) == [Status.OFFERED]
    assert SeatPool.objects.get(day=monday).taken == 2
    assert SeatPool.objects.get(day=tuesday).taken == 1
    assert edition_seat_audit(edition=edition) == []


def test_setting_a_day_capacity_counts_the_seats_already_taken(db, now):
    edition = EditionFactory(capacity=10)
    monday = DayFactory(edition=edition)
    for _ in range(3):
        register(edition, now, day_ids=[monday.pk])

    day_capacity_change(day=monday, capacity=3, now=now)

    assert SeatPool.objects.get(day=monday).taken == 3
    assert register(edition, now, day_ids=[monday.pk]).status == Status.WAITING_UNVERIFIED


# --- update ---------------------------------------------------------------------------------------


def test_update_changes_the_answers_but_not_the_address(edition, now):
    track = TrackFactory(edition=edition)
    registration = register(edition, now, verified=True, email="anna@example.org")

    updated = registration_update(
        registration=registration,
        data=RegistrationDataFactory(
            email="someone.else@example.org",
            first_name="Anna Maria",
            institution="Instytut",
            track_ids=[track.pk],
            newsletter_consent=True,
            dietary_needs="wegańska",
        ),
        now=now,
    )

    assert updated.email == "anna@example.org"
    assert (updated.first_name, updated.institution, updated.dietary_needs) == (
        "Anna Maria",
        "Instytut",
        "wegańska",
    )
    assert updated.newsletter_consent is True
    assert list(updated.tracks.all()) == [track]
    assert updated.status == Status.CONFIRMED


def test_update_after_the_deadline_is_refused(edition, now):
    registration = register(edition, now, verified=True)
    edition.edit_deadline = now
    edition.save()
    with pytest.raises(RegistrationError) as error:
        registration_update(registration=registration, data=RegistrationDataFactory(), now=now)
    assert error.value.code == "deadline"


def test_update_without_a_deadline_ends_when_the_edition_starts(edition, now):
    registration = register(edition, now, verified=True)
    starts = timezone.make_aware(dt.datetime.combine(edition.start_date, dt.time()))
    with pytest.raises(RegistrationError) as error:
        registration_update(registration=registration, data=RegistrationDataFactory(), now=starts)
    assert error.value.code == "deadline"


def test_update_of_a_cancelled_registration_is_refused(edition, now):
    registration = register(edition, now, verified=True)
    registration_cancel(registration=registration, now=now)
    with pytest.raises(RegistrationError) as error:
        registration_update(registration=registration, data=RegistrationDataFactory(), now=now)
    assert error.value.code == "not_active"


@pytest.fixture
def two_days(db):
    edition = EditionFactory(capacity=10)
    monday = DayFactory(edition=edition, capacity=1)
    tuesday = DayFactory(edition=edition, date=edition.end_date, capacity=1)
    return edition, monday, tuesday


def test_update_adding_a_full_day_is_refused_and_changes_nothing(two_days, now):
    edition, monday, tuesday = two_days
    register(edition, now, verified=True, day_ids=[tuesday.pk])
    registration = register(edition, now, verified=True, day_ids=[monday.pk])

    with pytest.raises(RegistrationError) as error:
        registration_update(
            registration=registration,
            data=RegistrationDataFactory(day_ids=[monday.pk, tuesday.pk], first_name="Ewa"),
            now=now,
        )

    assert error.value.code == "full"
    registration.refresh_from_db()
    assert list(registration.days.all()) == [monday]
    assert registration.first_name == "Anna"
    assert edition_seat_audit(edition=edition) == []


def test_update_moving_to_another_day_frees_the_old_one_for_the_waiting_list(two_days, now):
    edition, monday, tuesday = two_days
    registration = register(edition, now, verified=True, day_ids=[monday.pk])
    waiting = register(edition, now, day_ids=[monday.pk])
    registration_verify(token=waiting.token, now=now)

    registration_update(
        registration=registration, data=RegistrationDataFactory(day_ids=[tuesday.pk]), now=now
    )

    registration.refresh_from_db()
    assert list(registration.days.all()) == [tuesday]
    assert statuses(waiting) == [Status.OFFERED]
    assert SeatPool.objects.get(day=monday).taken == 1
    assert SeatPool.objects.get(day=tuesday).taken == 1
    assert edition_seat_audit(edition=edition) == []


def test_update_of_a_waiting_registration_to_a_free_day_offers_it(two_days, now):
    edition, monday, tuesday = two_days
    register(edition, now, verified=True, day_ids=[monday.pk])
    waiting = register(edition, now, day_ids=[monday.pk])
    registration_verify(token=waiting.token, now=now)

    registration_update(
        registration=waiting, data=RegistrationDataFactory(day_ids=[tuesday.pk]), now=now
    )

    assert statuses(waiting) == [Status.OFFERED]
    assert edition_seat_audit(edition=edition) == []
