"""Scheduled mails: their time relative to the edition, sent once by the worker through the
outbox to the confirmed participants in their language, editable until sent; two workers at
once (threads with their own connections; PostgreSQL with ``KONGRES_DATABASE_URL``) send each
copy once."""

import datetime as dt
from collections import Counter

import pytest
from django.utils import timezone

from kongres.campaigns.models import ScheduledMail
from kongres.campaigns.services import (
    CampaignError,
    scheduled_mail_create,
    scheduled_mail_due,
    scheduled_mail_preview,
    scheduled_mail_update,
)
from kongres.events.ics import edition_zone
from kongres.mail.models import OutboxMessage
from kongres.registration.services import registration_cancel
from tests.factories import EditionFactory
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
