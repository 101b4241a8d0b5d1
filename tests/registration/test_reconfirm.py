"""The reconfirmation round: questions, reminders and warnings each mailed once, the answers by
the one-click links (no change on GET), and the deadline releasing or flagging."""

import datetime as dt
import re
from urllib.parse import urlsplit

import pytest
from django.urls import reverse
from django.utils import translation

from kongres.mail.delivery import mail_deliver
from kongres.mail.models import OutboxMessage
from kongres.registration.exceptions import RegistrationError
from kongres.registration.models import (
    Reconfirmation,
    ReconfirmationRound,
    Registration,
    SeatPool,
)
from kongres.registration.selectors import edition_seat_audit
from kongres.registration.services import registration_cancel
from kongres.registration.services.reconfirm import (
    reconfirmation_answer,
    reconfirmation_configure,
    reconfirmation_due,
)
from tests.factories import EditionFactory
from tests.factories.registration import RegistrationFactory
from tests.mail.outbox import outbox_delivered

Status = Registration.Status


@pytest.fixture
def edition(db, now):
    return EditionFactory(capacity=3, start_date=(now + dt.timedelta(days=30)).date())


def configure(edition, on_no_answer="flag", **kwargs):
    values = {
        "enabled": True,
        "days_before": 7,
        "reminder_after_days": 2,
        "deadline_days_before": 2,
        "warning_hours": 24,
        "on_no_answer": on_no_answer,
    } | kwargs
    return reconfirmation_configure(edition=edition, **values)


@pytest.fixture
def people(edition, now):
    return [RegistrationFactory(edition=edition, now=now, verified=True) for _ in range(3)]


def mails(kind):
    return list(
        OutboxMessage.objects.filter(kind=f"registration.{kind}")
        .order_by("to")
        .values_list("to", flat=True)
    )


def fresh(registration):
    return Registration.objects.get(pk=registration.pk)


def test_nothing_before_the_question(edition, people):
    round_ = configure(edition)
    assert reconfirmation_due(now=round_.asks_at - dt.timedelta(minutes=1)) == 0
    assert Reconfirmation.objects.count() == 0


def test_a_disabled_round_asks_nobody(edition, people):
    round_ = configure(edition, enabled=False)
    assert reconfirmation_due(now=round_.asks_at) == 0
    assert mails("reconfirm") == []


def test_each_confirmed_participant_is_asked_once(edition, people):
    round_ = configure(edition)
    assert reconfirmation_due(now=round_.asks_at) == 3
    assert reconfirmation_due(now=round_.asks_at + dt.timedelta(minutes=5)) == 0
    assert mails("reconfirm") == sorted(p.email for p in people)
    body = OutboxMessage.objects.filter(kind="registration.reconfirm").first().body_text
    assert reverse("registration:reconfirm-coming", kwargs={"token": "X"}).split("X")[0] in body


def test_someone_confirmed_after_the_question_is_not_asked(edition, people, now):
    round_ = configure(edition)
    reconfirmation_due(now=round_.asks_at)
    late = RegistrationFactory(
        edition=edition, now=round_.asks_at + dt.timedelta(hours=1), verified=True
    )
    reconfirmation_due(now=round_.asks_at + dt.timedelta(hours=2))
    assert late.email not in mails("reconfirm")


def test_the_reminder_goes_after_its_days_to_those_who_did_not_answer(edition, people):
    round_ = configure(edition)
    reconfirmation_due(now=round_.asks_at)
    reconfirmation_answer(token=people[0].token, answer="coming", now=round_.asks_at)
    reconfirmation_due(now=round_.reminds_at - dt.timedelta(minutes=1))
    assert mails("reconfirm_reminder") == []
    reconfirmation_due(now=round_.reminds_at)
    reconfirmation_due(now=round_.reminds_at + dt.timedelta(hours=1))
    assert mails("reconfirm_reminder") == sorted(p.email for p in people[1:])


def test_flag_mode_flags_those_without_an_answer_and_keeps_their_seats(edition, people):
    round_ = configure(edition, on_no_answer="flag")
    reconfirmation_due(now=round_.asks_at)
    reconfirmation_answer(token=people[0].token, answer="coming", now=round_.asks_at)
    reconfirmation_due(now=round_.deadline)
    flagged = Reconfirmation.objects.filter(flagged_at__isnull=False)
    assert sorted(r.registration_id for r in flagged) == sorted(p.pk for p in people[1:])
    assert {fresh(p).status for p in people} == {Status.CONFIRMED}
    assert mails("reconfirm_warning") == []
    assert mails("reconfirm_released") == []


def test_release_mode_warns_then_releases_and_offers_the_seat(edition, people, now):
    waiting = RegistrationFactory(edition=edition, now=now, verified=True)
    assert fresh(waiting).status == Status.WAITING
    round_ = configure(edition, on_no_answer="release")
    reconfirmation_due(now=round_.asks_at)
    reconfirmation_answer(token=people[0].token, answer="coming", now=round_.asks_at)
    reconfirmation_answer(token=people[1].token, answer="coming", now=round_.asks_at)

    reconfirmation_due(now=round_.warns_at)
    assert mails("reconfirm_warning") == [people[2].email]
    outbox_delivered()

    reconfirmation_due(now=round_.deadline)
    assert fresh(people[2]).status == Status.CANCELLED
    assert mails("reconfirm_released") == [people[2].email]
    assert fresh(waiting).status == Status.OFFERED
    assert fresh(people[0]).status == Status.CONFIRMED
    assert edition_seat_audit(edition=edition) == []
    reconfirmation_due(now=round_.deadline + dt.timedelta(hours=1))
    assert mails("reconfirm_released") == [people[2].email]


def test_a_late_warning_gives_its_full_hours_before_the_release(edition, people):
    round_ = configure(edition, on_no_answer="release")
    reconfirmation_due(now=round_.asks_at)
    # the worker was down: it first runs at the deadline
    reconfirmation_due(now=round_.deadline)
    assert len(mails("reconfirm_warning")) == 3
    outbox_delivered()
    reconfirmation_due(now=round_.deadline + dt.timedelta(hours=23))
    assert {fresh(p).status for p in people} == {Status.CONFIRMED}
    reconfirmation_due(now=round_.deadline + dt.timedelta(hours=24))
    assert {fresh(p).status for p in people} == {Status.CANCELLED}


def test_no_release_while_the_warning_is_undelivered(edition, people):
    round_ = configure(edition, on_no_answer="release")
    reconfirmation_due(now=round_.asks_at)
    reconfirmation_due(now=round_.warns_at)
    reconfirmation_due(now=round_.deadline + dt.timedelta(days=1))  # the mail still queued
    assert {fresh(p).status for p in people} == {Status.CONFIRMED}


def test_not_coming_cancels_and_frees_the_seat_at_once(edition, people, now):
    waiting = RegistrationFactory(edition=edition, now=now, verified=True)
    round_ = configure(edition)
    reconfirmation_due(now=round_.asks_at)
    reconfirmation_answer(token=people[0].token, answer="not_coming", now=round_.asks_at)
    assert fresh(people[0]).status == Status.CANCELLED
    assert Reconfirmation.objects.get(registration=people[0]).answer == "not_coming"
    assert fresh(waiting).status == Status.OFFERED
    assert mails("cancelled") == [people[0].email]


def test_an_answer_after_the_release_is_too_late(edition, people):
    round_ = configure(edition, on_no_answer="release")
    reconfirmation_due(now=round_.asks_at)
    reconfirmation_due(now=round_.warns_at)
    outbox_delivered()
    reconfirmation_due(now=round_.deadline)
    with pytest.raises(RegistrationError) as error:
        reconfirmation_answer(token=people[0].token, answer="coming", now=round_.deadline)
    assert error.value.code == "released"


def test_an_answer_without_a_question_is_refused(edition, people):
    configure(edition)
    with pytest.raises(RegistrationError) as error:
        reconfirmation_answer(token=people[0].token, answer="coming")
    assert error.value.code == "not_asked"


def test_someone_who_cancelled_meanwhile_is_not_released(edition, people):
    round_ = configure(edition, on_no_answer="release")
    reconfirmation_due(now=round_.asks_at)
    reconfirmation_due(now=round_.warns_at)
    outbox_delivered()
    registration_cancel(registration=people[0], now=round_.warns_at)
    reconfirmation_due(now=round_.deadline)
    assert mails("reconfirm_released") == sorted(p.email for p in people[1:])
    pool = SeatPool.objects.get(edition=edition, day__isnull=True)
    assert pool.taken == 0
    assert edition_seat_audit(edition=edition) == []


def test_configure_refuses_a_deadline_before_the_question(edition):
    with pytest.raises(RegistrationError) as error:
        configure(edition, days_before=3, deadline_days_before=3)
    assert error.value.code == "invalid"
    assert not ReconfirmationRound.objects.exists()


# --- the pages of the one-click links -----------------------------------------------------------


@pytest.fixture
def asked(edition, people):
    round_ = configure(edition)
    reconfirmation_due(now=round_.asks_at)
    return people[0]


def test_the_link_shows_a_page_and_changes_nothing(client, asked):
    url = reverse("registration:reconfirm-not-coming", kwargs={"token": asked.token})
    response = client.get(url)
    assert response.status_code == 200
    assert "Zrezygnować z miejsca?" in response.content.decode()
    assert fresh(asked).status == Status.CONFIRMED
    assert Reconfirmation.objects.get(registration=asked).answer == ""


def test_coming_by_the_button(client, asked):
    url = reverse("registration:reconfirm-coming", kwargs={"token": asked.token})
    response = client.post(url)
    assert response.status_code == 302
    assert response["Location"] == reverse("registration:manage", kwargs={"token": asked.token})
    assert Reconfirmation.objects.get(registration=asked).answer == "coming"
    assert fresh(asked).status == Status.CONFIRMED


def test_not_coming_by_the_button(client, asked):
    url = reverse("registration:reconfirm-not-coming", kwargs={"token": asked.token})
    client.post(url)
    assert fresh(asked).status == Status.CANCELLED


def test_the_pages_in_english(client, asked):
    with translation.override("en"):
        url = reverse("registration:reconfirm-coming", kwargs={"token": asked.token})
    response = client.get(url)
    assert "Confirm that you are coming" in response.content.decode()


def test_a_wrong_link_is_a_404(client, asked):
    url = reverse("registration:reconfirm-coming", kwargs={"token": "nie-ma-takiego"})
    assert client.get(url).status_code == 404


def test_someone_not_asked_goes_to_their_page(client, edition, now):
    other = RegistrationFactory(edition=edition, now=now, verified=True)
    url = reverse("registration:reconfirm-coming", kwargs={"token": other.token})
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == reverse("registration:manage", kwargs={"token": other.token})


# --- the mail through a real SMTP server --------------------------------------------------------


def _links(text):
    return [urlsplit(url).path for url in re.findall(r"https?://\S+", text)]


@pytest.mark.parametrize(
    ("language", "subject", "coming", "not_coming"),
    [
        ("pl", "Czy nadal wybierasz się", "/przyjde/", "/nie-przyjde/"),
        ("en", "Are you still coming", "/coming/", "/not-coming/"),
    ],
)
def test_the_question_arrives_by_smtp_and_its_links_work(
    client, edition, now, smtp_server, language, subject, coming, not_coming
):
    person = RegistrationFactory(edition=edition, now=now, verified=True, data__language=language)
    round_ = configure(edition)
    reconfirmation_due(now=round_.asks_at)
    [queued] = OutboxMessage.objects.filter(kind="registration.reconfirm")
    assert mail_deliver(message_id=queued.pk) == "sent"

    [message] = smtp_server.messages
    assert message["To"] == person.email
    assert subject in message["Subject"]
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    paths = _links(text)
    [yes] = [p for p in paths if p.endswith(coming) and not p.endswith(not_coming)]
    [no] = [p for p in paths if p.endswith(not_coming)]
    assert person.token in yes
    assert yes in html and no in html

    assert client.get(no).status_code == 200
    assert fresh(person).status == Status.CONFIRMED  # a GET changes nothing
    client.post(yes)
    assert Reconfirmation.objects.get(registration=person).answer == "coming"
    # the stored copy keeps no live link once sent
    queued.refresh_from_db()
    assert person.token not in queued.body_text + queued.body_html
