import datetime as dt
import re

import pytest
from django.utils import timezone, translation

from kongres.checkin.services import checkin_perform
from kongres.feedback.models import Question
from kongres.feedback.services import (
    QuestionData,
    question_save,
    survey_invite,
    survey_save,
    survey_status_change,
)
from kongres.mail.models import OutboxMessage
from tests.factories import DayFactory, EditionFactory, SessionFactory
from tests.factories.registration import RegistrationFactory

LINK = re.compile(r"/(?:ankieta|en/survey)/([\w-]{20,})/")


@pytest.fixture(autouse=True)
def _polish():
    with translation.override("pl"):
        yield


@pytest.fixture
def edition(db):
    edition = EditionFactory(capacity=50, title_pl="Kongres Ankietowy", title_en="Survey Congress")
    DayFactory(edition=edition)
    SessionFactory(edition=edition, title_pl="Rewitalizacja miast", title_en="Urban renewal")
    return edition


def participant(edition, *, came: bool = True, language: str = "pl", email: str | None = None):
    """A confirmed participant, checked in on the edition's day when ``came``."""
    day = edition.days.order_by("date").first()
    data = {"data__day_ids": [day.pk], "data__language": language}
    if email:
        data["data__email"] = email
    registration = RegistrationFactory(edition=edition, verified=True, **data)
    if came:
        ticket = registration.tickets.get(is_active=True)
        checkin_perform(
            code=ticket.code,
            day=day,
            gate=None,
            staff=None,
            nonce=f"n-{registration.pk}",
        )
    return registration


@pytest.fixture
def survey(edition):
    """An open survey with a rating, a single choice, a multiple choice, a text question (the
    edition's) and a rating about the session."""
    survey = survey_save(
        edition=edition,
        title_pl="Jak oceniasz kongres?",
        title_en="How was the congress?",
        intro_pl="Kilka pytań.",
        actor=None,
    )
    session = edition.sessions.get()
    questions = [
        QuestionData(
            text_pl="Ocena ogólna", text_en="Overall rating", kind="rating", required=True
        ),
        QuestionData(
            text_pl="Skąd wiesz o kongresie?",
            text_en="How did you hear of it?",
            kind="single",
            choices_pl=("Z poczty", "Od znajomych"),
            choices_en=("By mail", "From friends"),
            order=1,
        ),
        QuestionData(
            text_pl="Co było dobre?",
            text_en="What was good?",
            kind="multiple",
            choices_pl=("Panele", "Catering", "Miejsce"),
            order=2,
        ),
        QuestionData(text_pl="Uwagi", text_en="Remarks", kind="text", order=3),
        QuestionData(
            text_pl="Ocena sesji", text_en="Session rating", kind="rating", session_id=session.pk
        ),
    ]
    for data in questions:
        question_save(survey=survey, data=data, actor=None)
    return survey_status_change(survey=survey, status="open", actor=None)


def questions(survey) -> dict[str, Question]:
    return {question.text_pl: question for question in survey.questions.all()}


def invite_tokens(survey) -> dict[str, str]:
    """Invite now; the token of each invited address, read from its mail in the outbox."""
    survey_invite(survey=survey, now=timezone.now() + dt.timedelta(seconds=1))
    return {
        mail.to: LINK.search(mail.body_text).group(1)
        for mail in OutboxMessage.objects.filter(kind="feedback.invitation")
    }
