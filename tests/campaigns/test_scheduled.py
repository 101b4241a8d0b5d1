"""Scheduled mails: their time relative to the edition, sent once by the worker through the
outbox to the confirmed participants of their audience (everyone, those who came, those who
did not) in their language, editable until sent; two workers at once (threads with their own
connections; PostgreSQL with ``KONGRES_DATABASE_URL``) send each copy once."""

import datetime as dt
import threading
from collections import Counter

import pytest
from django.db import connection, transaction
from django.utils import timezone

from kongres.campaigns.models import ScheduledMail
from kongres.campaigns.services import (
    CampaignError,
    scheduled_mail_create,
    scheduled_mail_due,
    scheduled_mail_preview,
    scheduled_mail_send,
    scheduled_mail_update,
)
from kongres.checkin.models import CheckIn, Gate
from kongres.checkin.services import checkin_perform
from kongres.events.ics import edition_zone
from kongres.events.models import Edition
from kongres.mail.models import OutboxMessage
from kongres.registration.services import registration_cancel
from kongres.registration.tickets import ticket_for_registration
from tests.factories import DayFactory, EditionFactory
from tests.factories.registration import RegistrationFactory
from tests.registration.test_concurrency import run_threads


def values(**changes):
    return {
        "name": "Tydzień przed",
        "anchor": "start",
        "offset_days": -7,
        "send_time": dt.time(9),
        "subject_pl": "Za tydzień, {first_name}",
        "body_pl": "Twoja rejestracja: {personal_link}\n\nBilet: {ticket}",
        "subject_en": "In a week, {first_name}",
        "body_en": "Your registration: {personal_link}\n\nTicket: {ticket}",
    } | changes


@pytest.fixture
def edition(db):
    return EditionFactory(
        capacity=3,
        start_date=timezone.localdate() + dt.timedelta(days=30),
        time_zone="Europe/Warsaw",
    )


@pytest.fixture
def people(edition):
    anna = RegistrationFactory(edition=edition, verified=True, data__first_name="Anna")
    john = RegistrationFactory(
        edition=edition, verified=True, data__first_name="John", data__language="en"
    )
    return anna, john


def test_the_time_is_relative_to_the_edition_in_its_time_zone(edition):
    mail = scheduled_mail_create(edition=edition, values=values(), actor=None)
    expected = dt.datetime.combine(
        edition.start_date - dt.timedelta(days=7), dt.time(9), edition_zone(edition=edition)
    )
    assert mail.send_at == expected
    after = scheduled_mail_create(
        edition=edition, values=values(anchor="end", offset_days=1, name="Po"), actor=None
    )
    assert after.send_at.date() == edition.end_date + dt.timedelta(days=1)


def test_nothing_goes_before_its_time(edition, people):
    mail = scheduled_mail_create(edition=edition, values=values(), actor=None)
    assert scheduled_mail_due(now=mail.send_at - dt.timedelta(seconds=1)) == 0
    assert not OutboxMessage.objects.filter(kind="scheduled").exists()


def test_sent_once_to_the_confirmed_in_their_language(edition, people):
    anna, john = people
    waiting_edition_full = RegistrationFactory(edition=edition, verified=False)  # not confirmed
    leaving = RegistrationFactory(edition=edition, verified=True)
    registration_cancel(registration=leaving)
    mail = scheduled_mail_create(edition=edition, values=values(), actor=None)

    assert scheduled_mail_due(now=mail.send_at) == 2
    assert scheduled_mail_due(now=mail.send_at + dt.timedelta(hours=1)) == 0

    sent = {m.to: m for m in OutboxMessage.objects.filter(related=f"scheduled:{mail.pk}")}
    assert set(sent) == {anna.email, john.email}
    assert waiting_edition_full.email not in sent
    assert sent[anna.email].subject == "Za tydzień, Anna"
    assert sent[john.email].subject == "In a week, John"
    assert anna.token in sent[anna.email].body_text  # the personal link
    assert f"/rejestracja/moja/{anna.token}/bilet.pdf" in sent[anna.email].body_text
    assert f"/en/registration/manage/{john.token}/ticket.pdf" in sent[john.email].body_text
    mail.refresh_from_db()
    assert (mail.status, mail.recipient_count) == ("sent", 2)


def test_editable_until_sent_and_not_after(edition, people):
    mail = scheduled_mail_create(edition=edition, values=values(), actor=None)
    scheduled_mail_update(scheduled=mail, values=values(subject_pl="Nowy temat"), actor=None)
    assert ScheduledMail.objects.get(pk=mail.pk).subject_pl == "Nowy temat"
    scheduled_mail_due(now=mail.send_at)
    with pytest.raises(CampaignError) as error:
        scheduled_mail_update(scheduled=mail, values=values(subject_pl="Za późno"), actor=None)
    assert error.value.code == "already_queued"
    assert OutboxMessage.objects.filter(subject__startswith="Nowy temat").count() == 1  # Polish


def test_a_time_already_past_is_refused(edition):
    with pytest.raises(CampaignError) as error:
        scheduled_mail_create(edition=edition, values=values(offset_days=-60), actor=None)
    assert error.value.code == "past"


def test_english_needs_both_fields(edition):
    with pytest.raises(CampaignError) as error:
        scheduled_mail_create(edition=edition, values=values(body_en=""), actor=None)
    assert error.value.code == "invalid"


def test_the_preview_in_both_languages(edition):
    mail = scheduled_mail_create(edition=edition, values=values(), actor=None)
    assert scheduled_mail_preview(scheduled=mail, language="pl", first_name="Ola").subject == (
        "Za tydzień, Ola"
    )
    english = scheduled_mail_preview(scheduled=mail, language="en")
    assert english.subject.startswith("In a week, ")
    assert "PRZYKLAD" in english.body_text  # an example link, opening nothing


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("attempt", range(3))
def test_two_workers_at_once_mail_nobody_twice(attempt):
    edition = EditionFactory(capacity=40, start_date=timezone.localdate() + dt.timedelta(days=30))
    people = [RegistrationFactory(edition=edition, verified=True) for _ in range(25)]
    first = scheduled_mail_create(edition=edition, values=values(), actor=None)
    second = scheduled_mail_create(
        edition=edition, values=values(name="Dzień przed", offset_days=-1), actor=None
    )
    at = second.send_at  # both due

    results, _seconds = run_threads(4, lambda i: scheduled_mail_due(now=at))

    assert [r for r in results if isinstance(r, Exception)] == []
    assert sum(results) == 2 * len(people)
    copies = Counter(OutboxMessage.objects.filter(kind="scheduled").values_list("related", "to"))
    assert set(copies.values()) == {1}
    assert len(copies) == 2 * len(people)
    assert set(
        ScheduledMail.objects.filter(pk__in=[first.pk, second.pk]).values_list("status", flat=True)
    ) == {"sent"}


@pytest.mark.django_db(transaction=True)
def test_a_mail_goes_while_its_editions_row_is_locked():
    """The worker locks the mail's row only: the edition's row locked by someone else (here as
    an organiser's change of the capacity locks it) does not make it skip the mail. It did
    (``select_related`` locked the joined row too, so a worker sending one mail of an edition
    locked the edition): with two mails of one edition due at once, every worker could skip
    one of them (the two-workers test above failed now and then, 25 copies of 50)."""
    if connection.vendor != "postgresql":
        pytest.skip("the test database is not PostgreSQL")
    edition = EditionFactory(capacity=40, start_date=timezone.localdate() + dt.timedelta(days=30))
    people = [RegistrationFactory(edition=edition, verified=True) for _ in range(2)]
    mail = scheduled_mail_create(edition=edition, values=values(), actor=None)
    locked, release = threading.Event(), threading.Event()

    def hold_the_edition() -> None:
        try:
            with transaction.atomic():
                # as an update of the edition locks it (the foreign keys to it still checkable)
                Edition.objects.select_for_update(no_key=True).get(pk=edition.pk)
                locked.set()
                release.wait(timeout=30)
        finally:
            connection.close()  # this thread's connection

    holder = threading.Thread(target=hold_the_edition)
    holder.start()
    try:
        assert locked.wait(timeout=30)
        assert scheduled_mail_send(scheduled=mail, now=mail.send_at) == len(people)
    finally:
        release.set()
        holder.join(timeout=30)
    mail.refresh_from_db()
    assert (mail.status, mail.recipient_count) == ("sent", len(people))


# -- the audience: everyone confirmed, those who came, those who did not ----------------------


@pytest.fixture
def congress(db):
    """Two days; four confirmed participants; who came is what the door's scans say."""
    edition = EditionFactory(capacity=10, start_date=timezone.localdate() + dt.timedelta(days=30))
    first = DayFactory(edition=edition, date=edition.start_date)
    second = DayFactory(edition=edition, date=edition.end_date)
    gate = Gate.objects.create(edition=edition, name="Wejście")

    def person(name, days, language="pl"):
        return RegistrationFactory(
            edition=edition,
            verified=True,
            data__first_name=name,
            data__language=language,
            data__day_ids=[day.pk for day in days],
        )

    people = {
        "both_days_came_second": person("Anna", [first, second]),
        "first_day_came": person("John", [first], language="en"),
        "never_scanned": person("Ewa", [first, second]),
        "refused_at_the_door": person("Piotr", [first]),  # scanned on a day not theirs
    }
    RegistrationFactory(edition=edition, verified=False, data__day_ids=[first.pk])  # unconfirmed

    def scan(registration, day):
        code = ticket_for_registration(registration=registration).code
        nonce = f"scan-{registration.pk}-{day.pk}"
        return checkin_perform(code=code, day=day, gate=gate, staff=None, nonce=nonce)

    scan(people["both_days_came_second"], second)
    scan(people["first_day_came"], first)
    scan(people["refused_at_the_door"], second)
    assert CheckIn.objects.filter(result="ok").count() == 2
    return edition, people


def recipients(mail):
    return set(OutboxMessage.objects.filter(related=mail.mail_key).values_list("to", flat=True))


def test_a_thank_you_reaches_only_those_who_came(congress):
    edition, people = congress
    after = values(name="Po", anchor="end", offset_days=1, subject_en="Thanks", body_en="Hi")
    thanks = scheduled_mail_create(edition=edition, values=after | {"audience": "came"}, actor=None)
    missed = scheduled_mail_create(
        edition=edition, values=after | {"name": "Brak", "audience": "absent"}, actor=None
    )
    everyone = scheduled_mail_create(
        edition=edition, values=after | {"name": "Wszyscy"}, actor=None
    )
    assert everyone.audience == "confirmed"  # the default

    assert scheduled_mail_due(now=thanks.send_at) == 2 + 2 + 4

    email = {key: registration.email for key, registration in people.items()}
    assert recipients(thanks) == {email["both_days_came_second"], email["first_day_came"]}
    assert recipients(missed) == {email["never_scanned"], email["refused_at_the_door"]}
    assert recipients(everyone) == set(email.values())
    english = OutboxMessage.objects.get(related=thanks.mail_key, to=email["first_day_came"])
    assert (english.language, english.subject) == ("en", "Thanks")
    thanks.refresh_from_db()
    assert (thanks.status, thanks.recipient_count) == ("sent", 2)


def test_who_came_is_counted_when_the_mail_goes(congress):
    edition, people = congress
    thanks = scheduled_mail_create(
        edition=edition, values=values(name="Po", audience="came"), actor=None
    )
    late = people["never_scanned"]
    checkin_perform(
        code=ticket_for_registration(registration=late).code,
        day=late.days.first(),
        gate=None,
        staff=None,
        nonce="late",
    )
    assert scheduled_mail_due(now=thanks.send_at) == 3
    assert late.email in recipients(thanks)


def test_an_unknown_audience_is_refused(edition):
    with pytest.raises(CampaignError) as error:
        scheduled_mail_create(edition=edition, values=values(audience="vip"), actor=None)
    assert error.value.code == "invalid"
    assert not ScheduledMail.objects.exists()


def test_a_change_without_audience_keeps_it(edition):
    mail = scheduled_mail_create(edition=edition, values=values(audience="absent"), actor=None)
    scheduled_mail_update(scheduled=mail, values=values(subject_pl="Inny"), actor=None)
    mail.refresh_from_db()
    assert (mail.audience, mail.subject_pl) == ("absent", "Inny")
    scheduled_mail_update(scheduled=mail, values=values(audience="came"), actor=None)
    mail.refresh_from_db()
    assert mail.audience == "came"
