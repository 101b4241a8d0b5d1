"""The reconfirmation deadline under real concurrency (threads, each with its own connection;
PostgreSQL with ``KONGRES_DATABASE_URL``, else SQLite): two workers releasing the places of
those who did not answer while participants cancel, answer at the last second, leave the
waiting list, and the organisers raise the capacity (offers). No seat lost or doubled, each
place released once, each mail once."""

import datetime as dt
from collections import Counter

import pytest
from django.utils import timezone

from kongres.mail.models import OutboxMessage
from kongres.registration.exceptions import RegistrationError
from kongres.registration.models import SEAT_STATUSES, Reconfirmation, Registration, SeatPool
from kongres.registration.selectors import edition_seat_audit
from kongres.registration.services import edition_capacity_change, registration_cancel
from kongres.registration.services.reconfirm import (
    reconfirmation_answer,
    reconfirmation_configure,
    reconfirmation_due,
)
from tests.factories import EditionFactory
from tests.factories.registration import RegistrationFactory
from tests.mail.outbox import outbox_delivered
from tests.registration.test_concurrency import run_threads

Status = Registration.Status


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("attempt", range(3))
def test_the_deadline_races_cancellations_answers_and_offers(attempt):
    now = timezone.now().replace(microsecond=0)
    edition = EditionFactory(capacity=12, start_date=(now + dt.timedelta(days=30)).date())
    people = [RegistrationFactory(edition=edition, now=now, verified=True) for _ in range(12)]
    waiting = [RegistrationFactory(edition=edition, now=now, verified=True) for _ in range(8)]
    assert {p.status for p in people} == {Status.CONFIRMED}
    assert {w.status for w in waiting} == {Status.WAITING}
    round_ = reconfirmation_configure(
        edition=edition,
        enabled=True,
        days_before=7,
        reminder_after_days=2,
        deadline_days_before=2,
        warning_hours=24,
        on_no_answer="release",
    )
    reconfirmation_due(now=round_.asks_at)
    reconfirmation_due(now=round_.warns_at)
    outbox_delivered()
    at = round_.deadline

    cancelling, coming, not_coming = people[0:3], people[3:6], people[6:8]
    leaving = waiting[0:2]

    def work(i):
        if i < 2:  # two workers at once
            return ("job", reconfirmation_due(now=at))
        i -= 2
        jobs = [
            *(lambda p=p: registration_cancel(registration=p, now=at) for p in cancelling),
            *(
                lambda p=p: reconfirmation_answer(token=p.token, answer="coming", now=at)
                for p in coming
            ),
            *(
                lambda p=p: reconfirmation_answer(token=p.token, answer="not_coming", now=at)
                for p in not_coming
            ),
            *(lambda p=p: registration_cancel(registration=p, now=at) for p in leaving),
            lambda: edition_capacity_change(edition=edition, capacity=14, now=at),
        ]
        try:
            jobs[i]()
        except RegistrationError as error:  # lost to the release: a clear answer
            return ("lost", error.code)
        return ("done", i)

    results, _seconds = run_threads(2 + 3 + 3 + 2 + 2 + 1, work)
    errors = [r for r in results if isinstance(r, Exception)]
    assert errors == []
    assert {code for kind, code in results if kind == "lost"} <= {"released", "not_active"}

    # the seats: the pool counts exactly the registrations holding one, within the capacity
    assert edition_seat_audit(edition=edition) == []
    pool = SeatPool.objects.get(edition=edition, day__isnull=True)
    holding = Registration.objects.filter(edition=edition, status__in=SEAT_STATUSES).count()
    assert pool.taken == holding <= 14
    # every seat freed went to the waiting list (enough people wait)
    still_waiting = Registration.objects.filter(edition=edition, status=Status.WAITING).count()
    assert holding == 14 or still_waiting == 0

    # each registration ended one way only
    for person in people:
        person.refresh_from_db()
        row = Reconfirmation.objects.get(registration=person)
        if row.released_at is not None:
            assert person.status == Status.CANCELLED
            assert row.answer == ""
        elif row.answer == "coming":
            assert person.status == Status.CONFIRMED
        else:
            assert person.status == Status.CANCELLED
    for person in coming:
        row = Reconfirmation.objects.get(registration=person)
        assert (row.answer == "coming") != (row.released_at is not None)

    # each mail once
    released = Counter(
        OutboxMessage.objects.filter(kind="registration.reconfirm_released").values_list(
            "related", flat=True
        )
    )
    assert set(released.values()) <= {1}
    assert len(released) == Reconfirmation.objects.filter(released_at__isnull=False).count()
    offers = Counter(
        OutboxMessage.objects.filter(kind="registration.offer").values_list("related", flat=True)
    )
    assert set(offers.values()) <= {1}
    offered = Registration.objects.filter(edition=edition, status=Status.OFFERED)
    assert {f"registration:{pk}" for pk in offered.values_list("pk", flat=True)} <= set(offers)
    # (someone leaving the list may have had an offer first)
    assert len(offers) <= offered.count() + len(leaving)
