"""The demo's feedback survey — part of ``kongres demo --after`` (the demo switched to "after
the event"): the IV Kongres's survey in Polish and English (an overall rating, how people
heard of it, what was best, free remarks, and a rating of the first sessions), open, with
invitations mailed through the outbox to the participants who came (the generated, visibly
fake check-ins of ``--after``) and answers generated for about two thirds of them through the
same one-time links a participant uses. The rest keep their links, so that a newcomer can
answer once (and see a second try refused) and then see the results in the back office.

``demo_feedback_load`` is idempotent: the survey and its questions are found by their texts,
nobody is invited twice, and answers are generated only while the survey has none.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field

from django.conf import settings
from django.urls import reverse
from django.utils import translation

from kongres.events.models import Edition
from kongres.feedback.models import Question, Survey
from kongres.feedback.services import (
    QuestionData,
    question_save,
    survey_invite,
    survey_response_submit,
    survey_save,
    survey_status_change,
)
from kongres.mail.models import OutboxMessage
from kongres.mail.redaction import PLACEHOLDER

SEED = 20241008
ANSWERED_SHARE = 2 / 3
REMARKS = (
    "Więcej czasu na pytania z sali.",
    "Świetny panel o rewitalizacji, chętnie wrócę za rok.",
    "Przydałyby się dłuższe przerwy kawowe.",
    "Dobra organizacja, jasne oznaczenia sal.",
    "Prosimy o materiały z prezentacji.",
)
QUESTIONS = (
    QuestionData(
        text_pl="Jak oceniasz kongres jako całość?",
        text_en="How would you rate the congress as a whole?",
        kind="rating",
        required=True,
        order=0,
    ),
    QuestionData(
        text_pl="Skąd dowiedziałeś(-aś) się o kongresie?",
        text_en="How did you hear about the congress?",
        kind="single",
        choices_pl=("Z poczty elektronicznej", "Od współpracowników", "Ze strony internetowej"),
        choices_en=("By e-mail", "From colleagues", "From the website"),
        order=1,
    ),
    QuestionData(
        text_pl="Co było najcenniejsze?",
        text_en="What was most valuable?",
        kind="multiple",
        choices_pl=("Panele dyskusyjne", "Rozmowy w przerwach", "Miejsce i organizacja"),
        choices_en=("The panels", "Talks during the breaks", "The venue and organisation"),
        order=2,
    ),
    QuestionData(
        text_pl="Co możemy poprawić?", text_en="What could we do better?", kind="text", order=3
    ),
)
SESSION_QUESTION = ("Jak oceniasz tę sesję?", "How would you rate this session?")
LINK = re.compile(r"/ankieta/([\w-]{20,})/")


@dataclass
class FeedbackDemoResult:
    survey: Survey
    invited: int = 0
    answered: int = 0
    links: list[str] = field(default_factory=list)  # links still unused, for a newcomer


def _questions(survey: Survey, edition: Edition) -> dict[str, Question]:
    existing = {question.text_pl: question for question in survey.questions.all()}
    sessions = list(edition.sessions.exclude(kind="break").order_by("starts_at", "pk")[:2])
    wanted = list(QUESTIONS) + [
        QuestionData(
            text_pl=f"{SESSION_QUESTION[0]} ({session.title_pl})",
            text_en=f"{SESSION_QUESTION[1]} ({session.title_en or session.title_pl})",
            kind="rating",
            session_id=session.pk,
            order=10 + number,
        )
        for number, session in enumerate(sessions)
    ]
    for data in wanted:
        if data.text_pl not in existing:
            existing[data.text_pl] = question_save(survey=survey, data=data, actor=None)
    return existing


def _answers(rng: random.Random, questions: dict[str, Question]) -> dict[int, object]:
    answers: dict[int, object] = {}
    for question in questions.values():
        if question.kind == Question.Kind.RATING:
            answers[question.pk] = rng.choices([2, 3, 4, 5], weights=[1, 3, 6, 5])[0]
        elif question.kind == Question.Kind.SINGLE:
            answers[question.pk] = rng.choice(question.choice_list("pl"))[0]
        elif question.kind == Question.Kind.MULTIPLE:
            values = [value for value, _label in question.choice_list("pl")]
            answers[question.pk] = sorted(rng.sample(values, rng.randint(1, len(values))))
        elif rng.random() < 0.5:
            answers[question.pk] = rng.choice(REMARKS)
    return answers


def demo_feedback_load(*, edition: Edition) -> FeedbackDemoResult:
    """The survey of ``edition`` as ``kongres demo --after`` shows it (see the module)."""
    survey = Survey.objects.filter(edition=edition).first() or survey_save(
        edition=edition,
        title_pl="Ankieta po kongresie",
        title_en="After the congress: your feedback",
        intro_pl="Dziękujemy za udział! Kilka pytań zajmie około trzech minut.",
        intro_en="Thank you for coming! A few questions take about three minutes.",
        only_attended=True,
        actor=None,
    )
    questions = _questions(survey, edition)
    if survey.status != Survey.Status.OPEN:
        survey = survey_status_change(survey=survey, status=Survey.Status.OPEN, actor=None)
    result = FeedbackDemoResult(survey=survey)
    result.invited = survey_invite(survey=survey)
    # the links of the invitations, read from their mails (not sent yet: the token is there)
    keys = [
        f"registration:{pk}"
        for pk in survey.invitations.filter(used=False).values_list("registration_id", flat=True)
    ]
    tokens = sorted(
        match.group(1)
        for body in OutboxMessage.objects.filter(
            kind="feedback.invitation", related__in=keys
        ).values_list("body_text", flat=True)
        if PLACEHOLDER not in body and (match := LINK.search(body))
    )
    rng = random.Random(SEED)  # nosec B311 - made-up answers, not a secret
    if not survey.responses.exists():
        share = int(len(tokens) * ANSWERED_SHARE)
        for token in tokens[:share]:
            survey_response_submit(token=token, answers=_answers(rng, questions))
            result.answered += 1
        tokens = tokens[share:]
    with translation.override("pl"):
        result.links = [
            settings.SITE_URL + reverse("feedback:survey", kwargs={"token": token})
            for token in tokens
        ]
    return result
