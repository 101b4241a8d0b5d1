"""The draw under real concurrency (threads, each with its own connection; SQLite or
PostgreSQL with ``KONGRES_DATABASE_URL``): draws started at once and participants leaving the
list at the same time. One draw, seats counted right, each result mail queued once."""

import datetime as dt
from collections import Counter

import pytest
from django.utils import timezone

from kongres.mail.models import OutboxMessage
from kongres.registration.models import Draw, Registration, SeatPool
from kongres.registration.selectors import edition_seat_audit
from kongres.registration.services import registration_cancel
from kongres.registration.services.draw import allocation_configure, draw_run
from tests.factories import EditionFactory
from tests.factories.registration import RegistrationFactory
from tests.registration.test_concurrency import run_threads

Status = Registration.Status


@pytest.mark.django_db(transaction=True)
def test_draws_at_once_and_people_leaving_meanwhile():
    now = timezone.now().replace(microsecond=0)
    edition = EditionFactory(capacity=10)
    allocation_configure(edition=edition, mode="draw", window_closes_at=now + dt.timedelta(hours=1))
    people = [
        RegistrationFactory(edition=edition, now=now, verified=True, data__sector="ngo")
        for _ in range(30)
    ]
    later = now + dt.timedelta(hours=2)
    leaving = people[:5]

    def work(i):
        if i < 3:
            return draw_run(edition=edition, now=later).pk
        registration_cancel(registration=leaving[i - 3], now=later)
        return "left"

    results, _seconds = run_threads(3 + len(leaving), work)
    errors = [r for r in results if isinstance(r, Exception)]
    assert errors == []
    assert Draw.objects.filter(edition=edition).count() == 1
    assert len({r for r in results if r != "left"}) == 1
    assert edition_seat_audit(edition=edition) == []
    pool = SeatPool.objects.get(edition=edition, day__isnull=True)
    assert (
        pool.taken
        == Registration.objects.filter(
            edition=edition, status__in=[Status.CONFIRMED, Status.OFFERED]
        ).count()
    )
    assert pool.taken <= 10
    draw = Draw.objects.get(edition=edition)
    results_mailed = Counter(
        OutboxMessage.objects.filter(kind__startswith="registration.draw_").values_list(
            "related", flat=True
        )
    )
    assert set(results_mailed.values()) <= {1}
    assert len(results_mailed) == draw.entries.count()
