"""Seats under real concurrency and under a long random mix of every transition.

The threaded tests use real threads, each with its own database connection (closed at the end of
the thread), on whichever database the run uses: SQLite (a file database in WAL mode, see
``django_db_modify_db_settings`` in tests/conftest.py — the shared-cache in-memory database would
fail with "table is locked" instead of waiting) or PostgreSQL (``KONGRES_DATABASE_URL``). The
figures (threads, seats, outcome, seconds) are printed and kept in the test report's
``user_properties``.
"""

import datetime as dt
import random
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection, transaction
from django.utils import timezone

from kongres.mail.models import OutboxMessage
from kongres.registration.models import SEAT_STATUSES, Registration, SeatPool
from kongres.registration.selectors import edition_seat_audit
from kongres.registration.services import (
    RegistrationData,
    RegistrationError,
    day_capacity_change,
    edition_capacity_change,
    registration_approve,
    registration_cancel,
    registration_create,
    registration_expire_due,
    registration_offer_claim,
    registration_reject,
    registration_update,
    registration_verify,
)
from tests.factories import DayFactory, EditionFactory
from tests.mail.outbox import outbox_delivered

Status = Registration.Status


def person(number: int, **data) -> RegistrationData:
    return RegistrationData(
        first_name="Anna",
        last_name=f"Nowak {number}",
        email=f"osoba{number}@example.org",
        privacy_consent=True,
        **data,
    )


def run_threads(count: int, work) -> tuple[list, float]:
    """Run ``work(i)`` in ``count`` threads released at once; return what each returned (or
    raised) and the seconds from the release to the last one done."""
    barrier = threading.Barrier(count + 1)

    def thread(i):
        try:
            barrier.wait()
            return work(i)
        except Exception as error:  # reported to the test, which checks for none
            return error
        finally:
            connection.close()  # this thread's connection

    with ThreadPoolExecutor(max_workers=count) as pool:
        futures = [pool.submit(thread, i) for i in range(count)]
        barrier.wait()
        started = time.perf_counter()
        results = [future.result() for future in futures]
    return results, time.perf_counter() - started


@pytest.fixture
def figures(request):
    """Record a test's figures in its report and print them."""

    def record(**values):
        for key, value in values.items():
            request.node.user_properties.append((key, value))
        line = ", ".join(f"{key}={value}" for key, value in values.items())
        print(f"\n[{connection.vendor}] {request.node.name}: {line}")

    return record


def seat_holders(edition, day=None) -> int:
    registrations = Registration.objects.filter(edition=edition, status__in=SEAT_STATUSES)
    if day is not None:
        registrations = registrations.filter(days=day)
    return registrations.count()


def by_status(edition) -> Counter:
    return Counter(Registration.objects.filter(edition=edition).values_list("status", flat=True))


# --- the rush ------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_rush_of_64_for_20_seats_gives_exactly_20(figures):
    edition = EditionFactory(capacity=20)
    threads = 64
    people = [person(i) for i in range(threads)]

    results, seconds = run_threads(
        threads, lambda i: registration_create(edition=edition, data=people[i])
    )

    errors = [r for r in results if isinstance(r, Exception)]
    statuses = by_status(edition)
    figures(
        threads=threads,
        seats=20,
        result=dict(statuses),
        errors=len(errors),
        seconds=round(seconds, 2),
    )
    assert errors == []
    assert statuses == {Status.HELD: 20, Status.WAITING_UNVERIFIED: 44}
    assert SeatPool.objects.get(edition=edition, day=None).taken == 20
    emails = list(Registration.objects.values_list("email", flat=True))
    assert len(emails) == len(set(emails)) == threads
    assert OutboxMessage.objects.filter(kind="registration.verify").count() == threads
    assert edition_seat_audit(edition=edition) == []


@pytest.mark.django_db(transaction=True)
def test_rush_with_day_capacities_and_mixed_days(figures):
    edition = EditionFactory(capacity=40)
    monday = DayFactory(edition=edition, capacity=10)
    tuesday = DayFactory(edition=edition, date=edition.end_date, capacity=15)
    choices = random.Random(7)
    threads = 72
    people = [
        person(i, day_ids=choices.choice([[monday.pk], [tuesday.pk], [monday.pk, tuesday.pk]]))
        for i in range(threads)
    ]

    results, seconds = run_threads(
        threads, lambda i: registration_create(edition=edition, data=people[i])
    )

    errors = [r for r in results if isinstance(r, Exception)]
    taken = {
        "edition": seat_holders(edition),
        "monday": seat_holders(edition, monday),
        "tuesday": seat_holders(edition, tuesday),
    }
    figures(
        threads=threads,
        seats="40 (Monday 10, Tuesday 15)",
        result=dict(by_status(edition)),
        taken=taken,
        errors=len(errors),
        seconds=round(seconds, 2),
    )
    assert errors == []
    assert taken["edition"] <= 40 and taken["monday"] <= 10 and taken["tuesday"] <= 15
    assert taken == {"edition": taken["edition"], "monday": 10, "tuesday": 15}
    full = {monday.pk: taken["monday"] >= 10, tuesday.pk: taken["tuesday"] >= 15}
    for waiting in Registration.objects.filter(status=Status.WAITING_UNVERIFIED):
        assert any(full[day.pk] for day in waiting.days.all())  # nobody was turned away wrongly
    assert (
        by_status(edition)[Status.HELD] + by_status(edition)[Status.WAITING_UNVERIFIED] == threads
    )
    assert edition_seat_audit(edition=edition) == []


@pytest.mark.django_db(transaction=True)
def test_the_same_address_sent_by_10_threads_makes_one_registration(figures):
    edition = EditionFactory(capacity=20)
    data = person(1)

    results, seconds = run_threads(10, lambda i: registration_create(edition=edition, data=data))

    codes = Counter(
        r.code if isinstance(r, RegistrationError) else type(r).__name__ for r in results
    )
    figures(threads=10, seats=20, result=dict(codes), seconds=round(seconds, 2))
    assert codes == {"tuple": 1, "duplicate": 9}
    assert Registration.objects.count() == 1
    assert SeatPool.objects.get(edition=edition, day=None).taken == 1
    assert OutboxMessage.objects.count() == 1


# --- the random mix ------------------------------------------------------------------------------


class Mix:
    """A seeded random walk through every transition with a moving clock, checking the
    invariants after each step."""

    def __init__(self, seed: int, *, edition, days, organiser):
        self.random = random.Random(seed)
        self.edition, self.days, self.organiser = edition, days, organiser
        self.now = timezone.now()
        self.tokens: dict[int, str] = {}
        self.people = 0
        self.steps = Counter()

    def registrations(self, *statuses) -> list[Registration]:
        found = Registration.objects.filter(edition=self.edition)
        if statuses:
            found = found.filter(status__in=statuses)
        return list(found.order_by("pk"))

    def pick(self, *statuses) -> Registration | None:
        found = self.registrations(*statuses)
        return self.random.choice(found) if found else None

    def token_of(self, registration: Registration | None) -> str | None:
        """Its token; None when there is none or (threads) its creator has not noted it yet."""
        return None if registration is None else self.tokens.get(registration.pk)

    def some_days(self) -> list[int]:
        chosen = [day.pk for day in self.days if self.random.random() < 0.6]
        return chosen or [self.random.choice(self.days).pk]

    def step(self) -> None:
        action = self.random.choices(
            ["register", "verify", "claim", "cancel", "clock", "update", "decide", "capacity"],
            weights=[30, 20, 10, 12, 10, 6, 6, 1],
        )[0]
        self.steps[action] += 1
        try:
            getattr(self, f"do_{action}")()
        except RegistrationError as error:  # forbidden transitions are part of the walk
            self.steps[f"refused:{error.code}"] += 1

    def do_register(self):
        self.people += 1
        email_number = self.people if self.random.random() > 0.05 else 1  # some duplicates
        registration, token = registration_create(
            edition=self.edition,
            data=person(email_number, day_ids=self.some_days()),
            now=self.now,
        )
        self.tokens[registration.pk] = token

    def do_verify(self):
        registration = self.pick()
        token = self.token_of(registration)
        if token is not None:
            registration_verify(token=token, now=self.now)

    def do_claim(self):
        registration = self.pick(Status.OFFERED) if self.random.random() < 0.8 else self.pick()
        token = self.token_of(registration)
        if token is not None:
            registration_offer_claim(token=token, now=self.now)

    def do_cancel(self):
        registration = self.pick()
        if registration is not None:
            actor = self.organiser if self.random.random() < 0.3 else None
            registration_cancel(registration=registration, actor=actor, now=self.now)

    def do_clock(self):
        self.now += dt.timedelta(minutes=self.random.choice([1, 30, 119, 121, 60 * 24, 60 * 49]))
        outbox_delivered()
        registration_expire_due(now=self.now)

    def do_update(self):
        registration = self.pick()
        if registration is not None:
            data = person(0, day_ids=self.some_days())
            registration_update(registration=registration, data=data, now=self.now)

    def do_decide(self):
        registration = self.pick(Status.PENDING_APPROVAL)
        if registration is not None:
            decide = registration_approve if self.random.random() < 0.7 else registration_reject
            decide(registration=registration, actor=self.organiser, now=self.now)

    def do_capacity(self):  # raised only: lowering keeps seats above the new number on purpose
        if self.random.random() < 0.5:
            edition_capacity_change(
                edition=self.edition, capacity=self.edition.capacity + 1, now=self.now
            )
        else:
            day = self.random.choice(self.days)
            day.refresh_from_db()
            day_capacity_change(day=day, capacity=day.capacity + 1, now=self.now)

    def check(self) -> None:
        self.edition.refresh_from_db()
        capacity = {day.pk: day.capacity for day in self.days}
        for day in self.days:
            day.refresh_from_db()
            capacity[day.pk] = day.capacity
        taken = seat_holders(self.edition)
        assert taken <= self.edition.capacity, (taken, self.edition.capacity)
        day_taken = {day.pk: seat_holders(self.edition, day) for day in self.days}
        for day_id, count in day_taken.items():
            assert count <= capacity[day_id], (day_id, count, capacity[day_id])
        assert edition_seat_audit(edition=self.edition) == []
        # Every free seat is offered while anyone waits who could take it.
        edition_full = taken >= self.edition.capacity
        for waiting in Registration.objects.filter(edition=self.edition, status=Status.WAITING):
            assert edition_full or any(
                day_taken[day.pk] >= capacity[day.pk] for day in waiting.days.all()
            ), f"{waiting} waits while a seat is free for them"


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_random_mix_never_gives_more_seats_than_exist(db, seed, django_user_model, figures):
    start = timezone.localdate() + dt.timedelta(days=400)  # the clock never reaches it
    edition = EditionFactory(
        capacity=6,
        start_date=start,
        end_date=start + dt.timedelta(days=1),
        requires_approval=seed % 2 == 0,
    )
    days = [
        DayFactory(edition=edition, date=start, capacity=4),
        DayFactory(edition=edition, date=start + dt.timedelta(days=1), capacity=5),
    ]
    organiser = django_user_model.objects.create_user("organiser")
    mix = Mix(seed, edition=edition, days=days, organiser=organiser)

    for _ in range(250):
        mix.step()
        mix.check()

    figures(seed=seed, steps=dict(mix.steps), result=dict(by_status(edition)))
    assert mix.steps["register"] > 50 and by_status(edition)[Status.EXPIRED] > 0


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("seed", [11, 12])
def test_random_mix_in_16_threads_keeps_the_seats_right(seed, django_user_model, figures):
    """The same walk with 16 threads at once (no deadlocks, no errors but refusals), then the
    invariants; on PostgreSQL this is where a wrong lock order would show."""
    start = timezone.localdate() + dt.timedelta(days=400)
    edition = EditionFactory(capacity=8, start_date=start, end_date=start + dt.timedelta(days=1))
    days = [
        DayFactory(edition=edition, date=start, capacity=5),
        DayFactory(edition=edition, date=start + dt.timedelta(days=1), capacity=6),
    ]
    organiser = django_user_model.objects.create_user("organiser")
    shared_tokens: dict[int, str] = {}
    clock = timezone.now()
    threads, steps = 16, 30

    def walk(i):
        mix = Mix(seed * 100 + i, edition=edition, days=days, organiser=organiser)
        mix.tokens = shared_tokens  # dict operations are atomic under the GIL
        mix.people = 1000 * (i + 1)
        mix.now = clock
        for _ in range(steps):
            mix.step()
        return mix.steps

    results, seconds = run_threads(threads, walk)

    errors = [r for r in results if isinstance(r, Exception)]
    total = sum((r for r in results if isinstance(r, Counter)), Counter())
    figures(
        threads=threads,
        seats="8 (days 5, 6)",
        steps=threads * steps,
        result=dict(by_status(edition)),
        errors=[repr(e) for e in errors],
        seconds=round(seconds, 2),
    )
    assert errors == []
    assert total["register"] > 50
    Mix(0, edition=edition, days=days, organiser=organiser).check()


# --- lock timeout --------------------------------------------------------------------------------


@pytest.fixture
def pool_locked():
    """``lock(edition)``: another connection (a thread) holds the edition's seat pool row
    (``SELECT … FOR UPDATE``) until the test ends. PostgreSQL only: SQLite has no row locks
    (its write lock and busy timeout play that part)."""
    if connection.vendor != "postgresql":
        pytest.skip("the test database is not PostgreSQL")
    release = threading.Event()
    holders = []

    def lock(edition):
        locked = threading.Event()

        def hold():
            try:
                with transaction.atomic():
                    SeatPool.objects.select_for_update().get(edition=edition, day__isnull=True)
                    locked.set()
                    release.wait(30)
            finally:
                connection.close()

        holder = threading.Thread(target=hold)
        holder.start()
        holders.append(holder)
        assert locked.wait(10)

    yield lock
    release.set()
    for holder in holders:
        holder.join()


@pytest.mark.django_db(transaction=True)
def test_a_registration_waits_for_a_locked_pool_at_most_the_lock_timeout(settings, pool_locked):
    settings.KONGRES_LOCK_TIMEOUT_MS = 300
    edition = EditionFactory(capacity=5)
    registration_create(edition=edition, data=person(0))  # the pools exist
    pool_locked(edition)

    started = time.perf_counter()
    with pytest.raises(RegistrationError) as error:
        registration_create(edition=edition, data=person(1))
    waited = time.perf_counter() - started

    assert error.value.code == "busy"
    assert str(error.value.message) == (
        "Zbyt wiele osób rejestruje się w tej chwili. Spróbuj ponownie za moment."
    )
    assert 0.3 <= waited < 3, waited
    # nothing of it was written
    assert not Registration.objects.filter(email=person(1).email).exists()
    assert OutboxMessage.objects.count() == 1
    assert SeatPool.objects.get(edition=edition, day__isnull=True).taken == 1


@pytest.mark.django_db(transaction=True)
def test_a_busy_registration_shows_the_form_again_with_what_was_typed(
    client, settings, pool_locked
):
    from tests.registration.test_views import REGISTER_PL, form_data

    settings.KONGRES_LOCK_TIMEOUT_MS = 300
    edition = EditionFactory(capacity=5, slug="kongres-busy")
    DayFactory(edition=edition, date=edition.start_date)
    registration_create(
        edition=edition, data=person(0, day_ids=list(edition.days.values_list("pk", flat=True)))
    )
    pool_locked(edition)

    response = client.post(REGISTER_PL, form_data(edition, town="Zakopane"))

    assert response.status_code == 200
    assert "Zbyt wiele osób rejestruje się w tej chwili." in response.text
    assert 'value="Zakopane"' in response.text
    assert 'value="lukasz@example.org"' in response.text
    assert not Registration.objects.filter(email="lukasz@example.org").exists()
