"""``kongres demo --after``: the demo edition after the congress, with invented participants
checked in and their certificates issued; the personal page it prints offers the certificate
and the verification page says it is valid. Running it again changes nothing."""

import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from kongres.campaigns.models import ScheduledMail
from kongres.campaigns.services import scheduled_mail_due
from kongres.checkin.models import Certificate, CheckIn
from kongres.demo.after import AFTER_STEPS, PARTICIPANTS
from kongres.events.models import Edition
from kongres.feedback.models import Survey
from kongres.mail.models import OutboxMessage
from kongres.registration.models import Registration

pytestmark = pytest.mark.django_db


def test_demo_after_checks_people_in_and_issues_certificates(client):
    out = StringIO()
    call_command("demo", "--after", stdout=out)
    edition = Edition.objects.get(ordinal=4)
    assert edition.end_date == timezone.localdate() - timezone.timedelta(days=1)
    people = Registration.objects.filter(edition=edition)
    assert people.count() == PARTICIPANTS
    assert all(
        "Demo" in name and "@example.invalid" in email
        for name, email in people.values_list("last_name", "email")
    )
    came = CheckIn.objects.filter(edition=edition, result="ok").values("registration").distinct()
    assert came.count() == PARTICIPANTS - PARTICIPANTS // 10
    certificates = Certificate.objects.filter(edition=edition, status="valid")
    assert certificates.count() == came.count()
    assert OutboxMessage.objects.filter(kind="certificate").count() == came.count()
    assert {c.language for c in certificates} == {"pl", "en"}
    text = out.getvalue()
    assert f"Certificates: {came.count()} issued, 0 re-issued" in text

    manage = re.search(r"personal page: https?://[^/]+(/\S+)", text).group(1)
    verify = re.search(r"verification:  https?://[^/]+(/\S+)", text).group(1)
    page = client.get(manage).content.decode()
    english = manage.startswith("/en/")  # the page in the person's own language
    assert (
        "Your certificate of attendance" if english else "Twoje zaświadczenie o udziale"
    ) in page
    assert client.get(verify).status_code == 200
    assert ("is valid" if verify.startswith("/en/") else "jest ważne") in client.get(
        verify
    ).content.decode()

    # the survey: the people who came invited, some answered, an unused link printed
    survey = Survey.objects.get(edition=edition)
    assert survey.invitations.count() == came.count()
    answered = survey.invitations.filter(used=True).count()
    assert 0 < answered < came.count()
    assert f"Survey: {came.count()} invited, {answered} answered" in text
    link = re.search(r"survey link:   https?://[^/]+(/\S+)", text).group(1)
    assert client.get(link).status_code == 200

    # the planned mails whose time has come went (the reminders to everyone confirmed); the
    # thank-you goes at noon today, only to those who came
    mails = {m.audience: m for m in ScheduledMail.objects.filter(edition=edition)}
    reminders = ScheduledMail.objects.filter(edition=edition, audience="confirmed")
    assert [m.recipient_count for m in reminders] == [PARTICIPANTS, PARTICIPANTS]
    thanks = mails["came"]
    assert thanks.send_at.date() == timezone.localdate()
    sent = "Scheduled mails: 3 sent" if thanks.status == "sent" else "Scheduled mails: 2 sent"
    assert sent in text
    scheduled_mail_due(now=thanks.send_at)  # the worker, at its time
    thanked = set(
        OutboxMessage.objects.filter(related=thanks.mail_key).values_list("to", flat=True)
    )
    assert thanked == set(
        Registration.objects.filter(pk__in=came.values("registration")).values_list(
            "email", flat=True
        )
    )
    assert len(thanked) == PARTICIPANTS - PARTICIPANTS // 10

    again = StringIO()
    call_command("demo", "--after", stdout=again)
    assert "Participants: 0 added, 0 scans recorded" in again.getvalue()
    assert "Certificates: 0 issued, 0 re-issued" in again.getvalue()
    assert Certificate.objects.count() == certificates.count()
    assert "Survey: 0 invited" in again.getvalue()
    assert survey.invitations.filter(used=True).count() == answered
    assert "Scheduled mails: 0 sent (0 copies)" in again.getvalue()
    assert ScheduledMail.objects.filter(edition=edition).count() == 3


def test_after_steps_are_a_list_others_extend():
    assert [step.__name__ for step in AFTER_STEPS] == [
        "participants_step",
        "certificates_step",
        "feedback_step",
        "scheduled_step",
    ]


def test_after_goes_alone():
    with pytest.raises(CommandError):
        call_command("demo", "--after", "--draw", stdout=StringIO())
