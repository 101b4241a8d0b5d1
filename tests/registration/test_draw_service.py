"""Allocation by draw through the services (``registration.services.draw``): applications hold
no seat, the draw gives them in one transaction, mails in each person's language, re-running
and a killed draw, the waiting list in drawn order afterwards, ``draw verify``."""

import datetime as dt
from collections import Counter
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kongres.audit.models import AuditLogEntry
from kongres.mail.models import OutboxMessage
from kongres.registration import lottery, mails
from kongres.registration.models import (
    AllocationQuota,
    Draw,
    DrawEntry,
    PriorityGroup,
    Registration,
    SeatPool,
)
from kongres.registration.services import (
    RegistrationError,
    registration_cancel,
)
from kongres.registration.services.draw import (
    allocation_configure,
    draw_due,
    draw_run,
    draw_verify,
)
from tests.factories import DayFactory, EditionFactory
from tests.factories.registration import RegistrationFactory

Status = Registration.Status
SECTORS = ["ngo", "business", "science", "local_government"]


@pytest.fixture
def edition(db):
    return EditionFactory(capacity=5)


@pytest.fixture
def allocation(edition, now):
    return allocation_configure(
        edition=edition,
        mode="draw",
        window_opens_at=now - dt.timedelta(days=1),
        window_closes_at=now + dt.timedelta(hours=1),
        draw_at=now + dt.timedelta(hours=2),
    )


def apply(edition, now, count, **data):
    people = []
    for i in range(count):
        fields = {"sector": SECTORS[i % 4], "language": "en" if i % 2 else "pl", **data}
        people.append(
            RegistrationFactory(
                edition=edition,
                now=now,
                verified=True,
                **{f"data__{key}": value for key, value in fields.items()},
            )
        )
    return people


def after_window(now):
    return now + dt.timedelta(hours=2)


def pool(edition):
    return SeatPool.objects.get(edition=edition, day__isnull=True)


def kinds():
    return Counter(OutboxMessage.objects.values_list("kind", flat=True))


def test_applications_hold_no_seat_before_the_draw(edition, allocation, now):
    people = apply(edition, now, 3)
    assert {p.status for p in people} == {Status.WAITING}
    assert pool(edition).taken == 0
    assert len(allocation.commitment) == 64 and allocation.commitment != allocation.seed
    # a cancellation frees nothing and offers nothing
    registration_cancel(registration=people[0], now=now)
    assert Registration.objects.filter(status=Status.OFFERED).count() == 0


def test_the_draw_gives_the_places_ranks_the_rest_and_mails_everybody(edition, allocation, now):
    people = apply(edition, now, 12)
    OutboxMessage.objects.all().delete()
    draw = draw_run(edition=edition, now=after_window(now))
    statuses = Counter(Registration.objects.values_list("status", flat=True))
    assert statuses == {Status.CONFIRMED: 5, Status.WAITING: 7}
    assert pool(edition).taken == 5
    assert draw.entries.count() == 12 and draw.places == 5
    assert kinds() == {"registration.draw_place": 5, "registration.draw_waiting": 7}
    # each in the person's language
    for person in people:
        message = OutboxMessage.objects.get(related__endswith=f":{person.pk}")
        assert message.language == person.language
    first_waiting = draw.entries.filter(outcome="waiting").order_by("rank").first()
    message = OutboxMessage.objects.get(related__endswith=f":{first_waiting.registration_id}")
    assert "1" in message.subject or "1" in message.body_text


def test_freed_seat_goes_to_the_first_in_drawn_order(edition, allocation, now):
    apply(edition, now, 8)
    draw = draw_run(edition=edition, now=after_window(now))
    winner = draw.entries.filter(outcome="place").first().registration
    waiting = list(draw.entries.filter(outcome="waiting").order_by("rank"))
    # the queue is the drawn order, not the order of confirmation
    later = now + dt.timedelta(hours=3)
    registration_cancel(registration=winner, now=later)
    offered = Registration.objects.get(status=Status.OFFERED)
    assert offered.pk == waiting[0].registration_id


def test_quotas_and_priorities(edition, now):
    allocation = allocation_configure(edition=edition, mode="draw")
    AllocationQuota.objects.create(
        allocation=allocation, dimension="sector", value="ngo", min_percent=60
    )
    AllocationQuota.objects.create(
        allocation=allocation, dimension="sector", value="business", max_percent=0
    )
    people = apply(edition, now, 20)
    vip = people[1]  # business: capped out, however high its priority
    PriorityGroup.objects.create(
        allocation=allocation, name="VIP", tier=5, emails=vip.email.upper()
    )
    science = people[2]
    PriorityGroup.objects.create(
        allocation=allocation, name="Colleagues", tier=3, emails=science.email
    )
    draw = draw_run(edition=edition, now=now)
    placed = Registration.objects.filter(status=Status.CONFIRMED)
    sectors = Counter(placed.values_list("sector", flat=True))
    assert sectors["ngo"] >= 3 and sectors["business"] == 0
    assert draw.entries.get(registration=vip).priority == 5
    assert draw.entries.get(registration=science).outcome == "place"


def test_days_with_their_own_places(edition, now):
    day = DayFactory(edition=edition, capacity=2)
    allocation_configure(edition=edition, mode="draw")
    apply(edition, now, 6, day_ids=[day.pk])
    draw_run(edition=edition, now=now)
    assert SeatPool.objects.get(day=day).taken == 2
    assert Registration.objects.filter(status=Status.CONFIRMED).count() == 2


# --- per-day draws (kongres-draw-2) ------------------------------------------------------------


def two_days(edition, first_places=2, second_places=None):
    first = DayFactory(edition=edition, date=edition.start_date, capacity=first_places)
    second = DayFactory(edition=edition, date=edition.end_date, capacity=second_places)
    return first, second


def test_per_day_a_winner_gets_the_days_that_still_have_places(client, edition, now):
    """Five places in all; the first day has two. Six apply for both days: the first two
    drawn get both days, the next three the second day only, the last waits."""
    first, second = two_days(edition, first_places=2, second_places=10)
    allocation_configure(edition=edition, mode="draw")
    apply(edition, now, 6, day_ids=[first.pk, second.pk], language="en")
    OutboxMessage.objects.all().delete()
    draw = draw_run(edition=edition, now=now)

    assert draw.algorithm == "kongres-draw-2"
    assert draw.day_places == {str(first.pk): 2, str(second.pk): 10}
    entries = list(draw.entries.order_by("rank"))
    assert [e.outcome for e in entries] == ["place"] * 5 + ["waiting"]
    both, second_only = [first.pk, second.pk], [second.pk]
    assert [e.days_given for e in entries] == [both, both] + [second_only] * 3 + [[]]
    assert pool(edition).taken == 5
    assert SeatPool.objects.get(day=first).taken == 2
    assert SeatPool.objects.get(day=second).taken == 5
    # the registrations hold the days given, no more (a cancellation frees those)
    for entry in entries:
        days = sorted(entry.registration.days.values_list("pk", flat=True))
        assert days == (sorted(entry.days_given) if entry.outcome == "place" else both)
    partial = entries[2].registration
    audit = AuditLogEntry.objects.filter(action="registration.draw", object_id=str(partial.pk))
    assert audit.get().after["days"] == second_only
    # the mail says which day they did not get
    message = OutboxMessage.objects.get(
        related__endswith=f":{partial.pk}", kind="registration.draw_place"
    )
    assert "had no place left" in message.body_text
    assert (
        "had no place left"
        not in OutboxMessage.objects.get(
            related__endswith=f":{entries[0].registration_id}", kind="registration.draw_place"
        ).body_text
    )
    # published and verified
    data = client.get("/en/registration/draw.json").json()
    assert [e["days_given"] for e in data["entries"]] == [e.days_given for e in entries]
    assert draw_verify(draw=draw, seed_hex=draw.seed).matches
    DrawEntry.objects.filter(pk=entries[2].pk).update(days_given=both)
    result = draw_verify(draw=draw, seed_hex=draw.seed)
    assert result.problems == ["the days given differ from the published ones"]
    # a partial winner cancels: their one day and the edition's place are freed, nothing else
    registration_cancel(registration=partial, now=now + dt.timedelta(minutes=1))
    assert SeatPool.objects.get(day=first).taken == 2
    assert SeatPool.objects.get(day=second).taken == 4
    # the one waiting wants the first day, still full: nothing to offer
    assert not Registration.objects.filter(status=Status.OFFERED).exists()


def test_per_day_the_winners_mail_in_polish(edition, now):
    first, second = two_days(edition, first_places=0)
    allocation_configure(edition=edition, mode="draw")
    person = apply(edition, now, 1, day_ids=[first.pk, second.pk], language="pl")[0]
    draw_run(edition=edition, now=now)
    message = OutboxMessage.objects.get(
        related__endswith=f":{person.pk}", kind="registration.draw_place"
    )
    assert "nie miały już wolnych miejsc" in message.body_text


def test_a_draw_of_version_1_still_verifies(edition, now, monkeypatch):
    first, second = two_days(edition, first_places=2)
    allocation_configure(edition=edition, mode="draw")
    apply(edition, now, 6, day_ids=[first.pk, second.pk])
    monkeypatch.setattr(lottery, "ALGORITHM", lottery.ALL_DAYS)  # a draw of before
    draw = draw_run(edition=edition, now=now)
    monkeypatch.undo()
    assert draw.algorithm == "kongres-draw-1"
    # all the days or none: two winners, the others wait
    assert draw.entries.filter(outcome="place").count() == 2
    assert SeatPool.objects.get(day=second).taken == 2
    assert draw_verify(draw=draw, seed_hex=draw.seed).matches
    out = StringIO()
    call_command("draw", "verify", edition.slug, "--seed", draw.seed, stdout=out)
    assert "kongres-draw-1" in out.getvalue()
    Draw.objects.filter(pk=draw.pk).update(algorithm="kongres-draw-0")
    draw.refresh_from_db()
    result = draw_verify(draw=draw, seed_hex=draw.seed)
    assert not result.matches and "this program runs" in result.problems[0]


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    edition_places=st.integers(0, 6),
    day_places=st.tuples(st.none() | st.integers(0, 4), st.none() | st.integers(0, 4)),
    choices=st.lists(st.sampled_from([(0,), (1,), (0, 1)]), max_size=9),
    ngo_minimum=st.none() | st.integers(0, 100),
)
def test_per_day_no_pool_over_its_places_property(
    db, now, edition_places, day_places, choices, ngo_minimum
):
    """Random places on the edition and its two days, random choices of days, a quota: no
    seat pool goes over its places, the pools count the registrations' days, the draw
    verifies (the same seed gives the same result)."""
    with transaction.atomic():
        edition = EditionFactory(capacity=edition_places)
        days = two_days(edition, *day_places)
        allocation = allocation_configure(edition=edition, mode="draw")
        if ngo_minimum is not None:
            AllocationQuota.objects.create(
                allocation=allocation, dimension="sector", value="ngo", min_percent=ngo_minimum
            )
        for i, chosen in enumerate(choices):
            apply(edition, now, 1, day_ids=[days[d].pk for d in chosen], sector=SECTORS[i % 4])
        draw = draw_run(edition=edition, now=now, mail=False)

        pools = {p.day_id: p for p in SeatPool.objects.filter(edition=edition)}
        for each in pools.values():
            assert each.capacity is None or each.taken <= each.capacity
        confirmed = Registration.objects.filter(edition=edition, status=Status.CONFIRMED)
        assert (
            pools[None].taken
            == confirmed.count()
            == len([e for e in draw.entries.all() if e.outcome == "place"])
        )
        for day in days:
            assert pools[day.pk].taken == confirmed.filter(days=day).count()
        assert all(e.days_given for e in draw.entries.filter(outcome="place"))
        assert draw_verify(draw=draw, seed_hex=draw.seed).matches
        transaction.set_rollback(True)


def test_waiting_list_size_ends_the_others(edition, now):
    allocation = allocation_configure(edition=edition, mode="draw", waiting_list_size=2)
    apply(edition, now, 9)
    draw_run(edition=edition, now=now)
    statuses = Counter(Registration.objects.values_list("status", flat=True))
    assert statuses == {Status.CONFIRMED: 5, Status.WAITING: 2, Status.REJECTED: 2}
    assert kinds()["registration.draw_not_drawn"] == 2
    assert allocation.waiting_list_size == 2


def test_not_before_the_window_closes(edition, allocation, now):
    apply(edition, now, 2)
    with pytest.raises(RegistrationError) as error:
        draw_run(edition=edition, now=now)
    assert error.value.code == "window_open"
    assert not Draw.objects.exists()


def test_running_again_changes_nothing(edition, allocation, now):
    apply(edition, now, 8)
    first = draw_run(edition=edition, now=after_window(now))
    mails_before = OutboxMessage.objects.count()
    again = draw_run(edition=edition, now=after_window(now) + dt.timedelta(minutes=5))
    assert again.pk == first.pk
    assert OutboxMessage.objects.count() == mails_before
    assert pool(edition).taken == 5


def dies_on_call(number, real):
    calls = []

    def dying(*args, **kwargs):
        calls.append(args)
        if len(calls) == number:
            raise KeyboardInterrupt("killed")
        return real(*args, **kwargs)

    return dying


def test_a_draw_killed_halfway_leaves_nothing_and_runs_again(edition, allocation, now, monkeypatch):
    from kongres.registration.services import draw as draw_service

    apply(edition, now, 10)
    OutboxMessage.objects.all().delete()
    monkeypatch.setattr(draw_service, "_audit", dies_on_call(4, draw_service._audit))
    with pytest.raises(KeyboardInterrupt):
        draw_run(edition=edition, now=after_window(now))
    assert not Draw.objects.exists() and not DrawEntry.objects.exists()
    assert set(Registration.objects.values_list("status", flat=True)) == {Status.WAITING}
    assert pool(edition).taken == 0 and OutboxMessage.objects.count() == 0
    monkeypatch.undo()
    draw_run(edition=edition, now=after_window(now))
    assert pool(edition).taken == 5 and OutboxMessage.objects.count() == 10


def test_mails_killed_halfway_are_finished_once_each(edition, allocation, now, monkeypatch):
    from kongres.registration.services.draw import draw_mails_send

    apply(edition, now, 10)
    OutboxMessage.objects.all().delete()
    draw = draw_run(edition=edition, now=after_window(now), mail=False)
    assert OutboxMessage.objects.count() == 0
    monkeypatch.setattr(mails, "mail", dies_on_call(4, mails.mail))
    with pytest.raises(KeyboardInterrupt):
        draw_mails_send(draw=draw, batch=2)
    assert OutboxMessage.objects.count() == 2  # the first batch; the second rolled back
    monkeypatch.undo()
    assert draw_due(now=after_window(now)) == 0  # the worker finishes the mails
    related = Counter(OutboxMessage.objects.values_list("related", flat=True))
    assert len(related) == 10 and set(related.values()) == {1}
    assert not draw.entries.filter(mailed=False).exists()


def test_the_worker_runs_it_at_the_configured_time(edition, allocation, now):
    apply(edition, now, 3)
    assert draw_due(now=now + dt.timedelta(hours=1, minutes=30)) == 0
    assert draw_due(now=after_window(now)) == 1
    assert Draw.objects.filter(edition=edition).exists()
    assert draw_due(now=after_window(now)) == 0


def test_first_come_unchanged_without_draw_mode(edition, now):
    allocation_configure(edition=edition, mode="first_come")
    people = apply(edition, now, 6)
    assert Counter(p.status for p in people) == {Status.CONFIRMED: 5, Status.WAITING: 1}


def test_bad_window_refused(edition, now):
    with pytest.raises(RegistrationError):
        allocation_configure(
            edition=edition, mode="draw", window_opens_at=now, window_closes_at=now
        )


# --- verify --------------------------------------------------------------------------------------


@pytest.fixture
def drawn(edition, now):
    allocation = allocation_configure(edition=edition, mode="draw")
    AllocationQuota.objects.create(
        allocation=allocation, dimension="sector", value="ngo", min_percent=40
    )
    apply(edition, now, 15)
    return draw_run(edition=edition, now=now)


def test_verify_matches(drawn):
    assert draw_verify(draw=drawn, seed_hex=drawn.seed).matches
    out = StringIO()
    call_command("draw", "verify", drawn.edition.slug, "--seed", drawn.seed, stdout=out)
    assert "match" in out.getvalue().lower() and "mismatch" not in out.getvalue().lower()


def test_verify_finds_a_tampered_list(drawn):
    first, second = drawn.entries.order_by("rank")[:2]
    DrawEntry.objects.filter(pk=first.pk).update(rank=10_000)
    DrawEntry.objects.filter(pk=second.pk).update(rank=first.rank)
    DrawEntry.objects.filter(pk=first.pk).update(rank=second.rank)
    assert not draw_verify(draw=drawn, seed_hex=drawn.seed).matches
    with pytest.raises(CommandError, match="MISMATCH"):
        call_command("draw", "verify", drawn.edition.slug, "--seed", drawn.seed, stdout=StringIO())


def test_verify_refuses_another_seed(drawn):
    result = draw_verify(draw=drawn, seed_hex="ab" * 32)
    assert not result.matches
    assert any("commitment" in problem for problem in result.problems)


# --- the public page -----------------------------------------------------------------------------


def test_public_page_shows_the_commitment_then_the_result(client, edition, allocation, now):
    apply(edition, now, 6)
    page = client.get("/en/registration/draw/")
    assert page.status_code == 200
    assert allocation.commitment in page.content.decode()
    assert allocation.seed not in page.content.decode()
    assert "seed" not in client.get("/en/registration/draw.json").json()
    draw = draw_run(edition=edition, now=after_window(now))
    page = client.get("/en/registration/draw/").content.decode()
    assert draw.seed in page and "kongres-draw-2" in page
    assert "Nowak" not in page and "@example.org" not in page  # nobody named
    data = client.get("/en/registration/draw.json").json()
    assert [e["number"] for e in data["entries"]] == [
        e.number for e in draw.entries.order_by("rank")
    ]


def test_public_page_absent_without_draw_mode(client, edition):
    assert client.get("/en/registration/draw/").status_code == 404


def test_mails_and_page_in_polish(client, edition, allocation, now):
    person = apply(edition, now, 1, language="pl")[0]
    draw_run(edition=edition, now=after_window(now))
    message = OutboxMessage.objects.get(
        related__endswith=f":{person.pk}", kind="registration.draw_place"
    )
    assert message.subject.startswith("Masz miejsce") and "numer 1" in message.body_text
    page = client.get("/rejestracja/losowanie/").content.decode()
    assert "Losowanie miejsc" in page and "Numery zgłoszeń w kolejności losowania" in page


def test_the_periodic_job_leaves_a_pending_draw_alone(edition, allocation, now):
    from kongres.registration.services import registration_expire_due
    from kongres.registration.services.waiting_list import _editions_needing_sync

    apply(edition, now, 3)
    assert _editions_needing_sync() == []
    registration_expire_due(now=now + dt.timedelta(minutes=1))
    assert pool(edition).taken == 0
    draw_run(edition=edition, now=after_window(now))
    assert _editions_needing_sync() == []  # the seats are given, nobody waits for a free one


def test_an_application_is_told_about_the_draw_not_a_full_house(client, edition, allocation, now):
    person = apply(edition, now, 1, language="en")[0]
    message = OutboxMessage.objects.get(
        related__endswith=f":{person.pk}", kind="registration.waiting"
    )
    assert "application" in message.subject and "drawn" in message.body_text
    assert "are taken" not in message.body_text
    from django.urls import reverse
    from django.utils import translation

    with translation.override("en"):
        page = client.get(reverse("registration:manage", kwargs={"token": person.token}))
    assert "How the draw works" in page.content.decode()


def test_the_run_command(edition, now):
    allocation_configure(edition=edition, mode="draw")
    apply(edition, now, 7)
    out = StringIO()
    call_command("draw", "run", edition.slug, stdout=out)
    assert "7 applications, 5 places given" in out.getvalue()
    with pytest.raises(CommandError, match="no edition"):
        call_command("draw", "run", "no-such-edition", stdout=StringIO())
