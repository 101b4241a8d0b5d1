"""The person's data in the new features: the export holds their reconfirmation and the
scheduled mails sent to them; erasure empties those mails as it does the others."""

import datetime as dt

import pytest
from django.utils import timezone

from kongres.campaigns.services import scheduled_mail_create, scheduled_mail_due
from kongres.mail.models import OutboxMessage
from kongres.privacy.services import registration_erase, registration_export
from kongres.registration.services.reconfirm import (
    reconfirmation_answer,
    reconfirmation_configure,
    reconfirmation_due,
)
from tests.factories import EditionFactory
from tests.factories.registration import RegistrationFactory


@pytest.fixture
def person(db):
    now = timezone.now()
    edition = EditionFactory(start_date=(now + dt.timedelta(days=20)).date())
    person = RegistrationFactory(edition=edition, now=now, verified=True)
    round_ = reconfirmation_configure(
        edition=edition,
        enabled=True,
        days_before=7,
        reminder_after_days=2,
        deadline_days_before=2,
        warning_hours=24,
        on_no_answer="flag",
    )
    reconfirmation_due(now=round_.asks_at)
    reconfirmation_answer(token=person.token, answer="coming", now=round_.asks_at)
    mail = scheduled_mail_create(
        edition=edition,
        values={
            "name": "Dzień przed",
            "anchor": "start",
            "offset_days": -1,
            "send_time": dt.time(10),
            "subject_pl": "Jutro kongres",
            "body_pl": "Do zobaczenia, {first_name}",
            "subject_en": "",
            "body_en": "",
        },
        actor=None,
    )
    scheduled_mail_due(now=mail.send_at)
    OutboxMessage.objects.update(status="sent", sent_at=timezone.now())
    return person


def test_the_export_holds_the_reconfirmation_and_the_scheduled_mail(person):
    data = registration_export(person)
    assert data["reconfirmation"]["answer"] == "coming"
    assert data["reconfirmation"]["asked"] is not None
    subjects = [mail["subject"] for mail in data["mails"]]
    assert "Jutro kongres" in subjects
    assert any(subject.startswith("Czy nadal") for subject in subjects)


def test_erasure_empties_the_scheduled_mail(person):
    registration_erase(registration=person, actor=None)
    scheduled = OutboxMessage.objects.get(kind="scheduled")
    assert scheduled.to != person.email
    assert scheduled.subject == scheduled.body_text == ""
