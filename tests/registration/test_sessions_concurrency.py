"""Places in sessions under real concurrency (issue 18): real threads, each with its own
connection, on the database of the run (PostgreSQL with ``KONGRES_DATABASE_URL``; SQLite
serialises the writers). Figures are printed and kept in the report (``figures``)."""

import datetime as dt
from collections import Counter

import pytest
from django.utils import timezone

from kongres.events.models import Session
from kongres.registration.models import SIGNUP_PLACE_STATUSES, SessionPlaces, SessionSignup
from kongres.registration.services import registration_cancel, registration_expire_due
from kongres.registration.services.sessions import (
    places_ready,
    session_leave,
    session_signup,
)
from tests.factories import EditionFactory, SessionFactory
from tests.factories.registration import RegistrationFactory
from tests.mail.outbox import outbox_delivered
from tests.registration.test_concurrency import figures, run_threads  # noqa: F401 (fixture)

Signup = SessionSignup.Status


def statuses(session) -> Counter:
    return Counter(SessionSignup.objects.filter(session=session).values_list("status", flat=True))


def holders(session) -> int:
    return SessionSignup.objects.filter(session=session, status__in=SIGNUP_PLACE_STATUSES).count()


@pytest.mark.django_db(transaction=True)
def test_64_sign_ups_for_20_places_give_exactly_20(figures):  # noqa: F811
    edition = EditionFactory(capacity=100)
    session = SessionFactory(edition=edition, signup_mode=Session.SignupMode.SIGNUP, capacity=20)
    people = [RegistrationFactory(edition=edition, verified=True) for _ in range(64)]
    places_ready(session)

    results, seconds = run_threads(
        64, lambda i: session_signup(registration=people[i], session=session)
    )

    errors = [r for r in results if isinstance(r, Exception)]
    counts = statuses(session)
    figures(
        threads=64, places=20, result=dict(counts), errors=len(errors), seconds=round(seconds, 2)
    )
    assert errors == []
    assert counts == {Signup.SIGNED_UP: 20, Signup.WAITING: 44}
    assert SessionPlaces.objects.get(session=session).taken == 20


@pytest.mark.django_db(transaction=True)
def test_signup_racing_a_cancellation_and_an_expiring_offer(figures):  # noqa: F811
    """Two places: A signed up, B offered (its offer due), C, D waiting. At once: E signs up,
    A cancels the registration, the offer job runs. Nothing lost, nothing doubled: the places
    held equal the counter, never above 2, and every place freed went to someone waiting."""
    rounds = 6
    for round_ in range(rounds):
        seconds = _race_round(round_)
    figures(rounds=rounds, seconds_last=round(seconds, 3))


def _race_round(round_: int) -> float:
    edition = EditionFactory(capacity=100)
    session = SessionFactory(edition=edition, signup_mode="signup", capacity=2)
    a, b, c, d, e, x = (RegistrationFactory(edition=edition, verified=True) for _ in range(6))
    session_signup(registration=a, session=session)
    session_signup(registration=x, session=session)
    for person in (b, c, d):
        session_signup(registration=person, session=session)
    session_leave(registration=x, session=session)  # B gets an offer
    assert SessionSignup.objects.get(registration=b).status == Signup.OFFERED
    outbox_delivered()
    later = timezone.now() + dt.timedelta(hours=edition.offer_hours, minutes=1)

    def work(i: int):
        if i == 0:
            return session_signup(registration=e, session=session, now=later)
        if i == 1:
            return registration_cancel(registration=a, now=later)
        return registration_expire_due(now=later)

    results, seconds = run_threads(3, work)
    errors = [r for r in results if isinstance(r, Exception)]
    assert errors == [], errors
    places = SessionPlaces.objects.get(session=session)
    counts = statuses(session)
    assert places.taken == holders(session) == 2, (round_, counts)
    # A released, B's offer expired; C and D got the two places (offers), E waits
    assert counts[Signup.RELEASED] == 1
    assert counts[Signup.EXPIRED] == 1
    assert counts[Signup.OFFERED] == 2
    assert counts[Signup.WAITING] == 1
    offered = set(
        SessionSignup.objects.filter(session=session, status=Signup.OFFERED).values_list(
            "registration_id", flat=True
        )
    )
    assert offered == {c.pk, d.pk}
    # one active sign-up per person
    active = SessionSignup.objects.filter(
        session=session, status__in=[Signup.SIGNED_UP, Signup.OFFERED, Signup.WAITING]
    ).values_list("registration_id", flat=True)
    assert len(active) == len(set(active))
    return seconds


@pytest.mark.django_db(transaction=True)
def test_days_changed_while_the_signup_waits_for_the_lock_are_seen(figures):  # noqa: F811
    """A change of the person's days holds the registration's lock while the sign-up waits for
    it: the sign-up reads the days after the lock, in a statement of its own, so it sees the
    day removed and refuses (a row joined to the locking statement would be of before)."""
    import threading

    from django.db import connection, transaction

    from kongres.registration.models import Registration
    from kongres.registration.services import RegistrationError
    from tests.factories import DayFactory

    if connection.vendor != "postgresql":
        pytest.skip("the test database is not PostgreSQL")
    edition = EditionFactory(capacity=100)
    first, second = DayFactory(edition=edition), DayFactory(edition=edition, date=edition.end_date)
    session = SessionFactory(
        edition=edition,
        signup_mode=Session.SignupMode.SIGNUP,
        capacity=5,
        starts_at=timezone.make_aware(dt.datetime.combine(first.date, dt.time(10))),
        ends_at=timezone.make_aware(dt.datetime.combine(first.date, dt.time(11))),
    )
    person = RegistrationFactory(
        edition=edition, verified=True, data__day_ids=[first.pk, second.pk]
    )
    places_ready(session)
    locked, waited = threading.Event(), threading.Event()

    def change_days():
        try:
            with transaction.atomic():
                Registration.objects.select_for_update().get(pk=person.pk)
                locked.set()
                waited.wait(5)  # the sign-up is waiting for the lock
                person.days.set([second])
        finally:
            connection.close()

    changer = threading.Thread(target=change_days)
    changer.start()
    locked.wait(5)
    timer = threading.Timer(0.5, waited.set)
    timer.start()
    with pytest.raises(RegistrationError) as error:
        session_signup(registration=person, session=session)
    changer.join()
    figures(code=error.value.code)
    assert error.value.code == "not_confirmed"
    assert SessionSignup.objects.filter(registration=person).count() == 0


LOCKS = {
    "FOR SHARE": "SELECT taken FROM registration_sessionplaces WHERE session_id = %s FOR SHARE",
    "FOR UPDATE": "SELECT taken FROM registration_sessionplaces WHERE session_id = %s FOR UPDATE",
}


def _counter_held(session, *, lock: str, held, release, then: str = "") -> None:
    """In a thread of its own: hold the session's counter row with ``lock`` (``FOR SHARE``:
    another sign-up joining the waiting list; ``FOR UPDATE``: a leave), signal ``held``, wait
    for ``release``, run ``then`` (SQL on the counter), commit."""
    from django.db import connection, transaction

    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(LOCKS[lock], [session.pk])
            held.set()
            release.wait(5)
            if then:
                cursor.execute(then, [session.pk])
    finally:
        connection.close()


def _full_session(capacity: int):
    edition = EditionFactory(capacity=100)
    session = SessionFactory(
        edition=edition, signup_mode=Session.SignupMode.SIGNUP, capacity=capacity
    )
    places_ready(session)
    for _ in range(capacity):
        person = RegistrationFactory(edition=edition, verified=True)
        assert session_signup(registration=person, session=session).status == Signup.SIGNED_UP
    return edition, session


@pytest.mark.django_db(transaction=True)
def test_joiners_of_a_full_session_do_not_wait_for_one_another(figures, settings):  # noqa: F811
    """A sign-up that finds the session full holds the counter with a share lock: while another
    one holds it so (mid-way through joining the waiting list), a second joins at once. With a
    write lock it would wait for the first, here past the lock timeout ("busy")."""
    import threading
    import time

    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("the test database is not PostgreSQL (SQLite has no row locks)")
    settings.KONGRES_LOCK_TIMEOUT_MS = 500
    edition, session = _full_session(1)
    person = RegistrationFactory(edition=edition, verified=True)
    held, release = threading.Event(), threading.Event()
    other = threading.Thread(
        target=_counter_held,
        kwargs={"session": session, "lock": "FOR SHARE", "held": held, "release": release},
    )
    other.start()
    try:
        assert held.wait(5)
        started = time.monotonic()
        signup = session_signup(registration=person, session=session)
        seconds = time.monotonic() - started
    finally:
        release.set()
        other.join()
    figures(seconds=round(seconds, 3))
    assert signup.status == Signup.WAITING
    assert seconds < 0.5
    assert statuses(session) == Counter({Signup.SIGNED_UP: 1, Signup.WAITING: 1})


@pytest.mark.django_db(transaction=True)
def test_a_place_freed_while_the_signup_waits_for_the_counter_is_taken(figures):  # noqa: F811
    """The session is full and a leave holds its counter: the sign-up's take finds no place and
    waits for the counter. The leave frees the place (nobody waits for it) and commits: the
    sign-up must not join the waiting list beside a free place, it signs up again and takes it."""
    import threading

    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("the test database is not PostgreSQL (SQLite has no row locks)")
    edition, session = _full_session(1)
    person = RegistrationFactory(edition=edition, verified=True)
    held, release = threading.Event(), threading.Event()
    leave = threading.Thread(
        target=_counter_held,
        kwargs={
            "session": session,
            "lock": "FOR UPDATE",
            "held": held,
            "release": release,
            "then": "UPDATE registration_sessionplaces SET taken = taken - 1 WHERE session_id = %s",
        },
    )
    leave.start()
    try:
        assert held.wait(5)
        threading.Timer(0.3, release.set).start()  # while the sign-up waits
        signup = session_signup(registration=person, session=session)
    finally:
        release.set()
        leave.join()
    places = SessionPlaces.objects.get(session=session)
    figures(status=str(signup.status), taken=places.taken)
    assert signup.status == Signup.SIGNED_UP
    assert places.taken == places.capacity == 1  # the leaver's place, now this person's
