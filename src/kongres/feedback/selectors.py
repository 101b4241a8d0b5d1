"""Reads of the feedback survey: the survey of an edition, its questions in the order of the
page, the response rate and the results of each question (counts, mean, free texts)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from django.db.models import Count, Q

from kongres.events.models import Edition
from kongres.feedback.models import RATING_MAX, RATING_MIN, Answer, Question, Survey


def survey_of_edition(*, edition: Edition) -> Survey | None:
    return Survey.objects.select_related("edition").filter(edition=edition).first()


def survey_questions(*, survey: Survey) -> list[Question]:
    """The edition's questions first, then each session's (in the programme's order)."""
    questions = list(survey.questions.select_related("session"))
    return sorted(
        questions,
        key=lambda q: (
            q.session is not None,
            q.session.starts_at if q.session else None,
            q.session_id or 0,
            q.order,
            q.pk,
        ),
    )


def question_groups(*, survey: Survey) -> list[tuple[object, list[Question]]]:
    """(session or None, its questions), the edition's questions first."""
    groups: list[tuple[object, list[Question]]] = []
    for question in survey_questions(survey=survey):
        if groups and groups[-1][0] == question.session:
            groups[-1][1].append(question)
        else:
            groups.append((question.session, [question]))
    return groups


@dataclass(frozen=True)
class SurveyCounts:
    invited: int
    answered: int
    responses: int

    @property
    def rate(self) -> int | None:
        """Responses per invitation, in per cent (None before any invitation)."""
        return round(100 * self.answered / self.invited) if self.invited else None


def survey_counts(*, survey: Survey) -> SurveyCounts:
    counts = survey.invitations.aggregate(
        invited=Count("pk"), answered=Count("pk", filter=Q(used=True))
    )
    return SurveyCounts(
        invited=counts["invited"], answered=counts["answered"], responses=survey.responses.count()
    )


@dataclass
class QuestionResult:
    question: Question
    answered: int = 0
    rows: list[tuple[str, int]] = field(default_factory=list)  # (label, count)
    mean: float | None = None
    texts: list[str] = field(default_factory=list)

    @property
    def has_chart(self) -> bool:
        return self.question.kind != Question.Kind.TEXT


def survey_results(*, survey: Survey) -> list[QuestionResult]:
    """Each question's results, in the order of the page: a rating's count of each mark 1 to 5
    and its mean, a choice's count of each choice, a text question's answers (all of them)."""
    questions = survey_questions(survey=survey)
    results = {question.pk: QuestionResult(question=question) for question in questions}
    ratings: dict[int, Counter] = {pk: Counter() for pk in results}
    chosen: dict[int, Counter] = {pk: Counter() for pk in results}
    for question_id, rating, values, text in (
        Answer.objects.filter(question__survey=survey)
        .order_by("question_id", "text")
        .values_list("question_id", "rating", "values", "text")
        .iterator(chunk_size=2000)
    ):
        result = results[question_id]
        result.answered += 1
        if rating is not None:
            ratings[question_id][rating] += 1
        elif text:
            result.texts.append(text)
        else:
            chosen[question_id].update(str(value) for value in values or [])
    for pk, result in results.items():
        question = result.question
        if question.kind == Question.Kind.RATING:
            counter = ratings[pk]
            result.rows = [(str(mark), counter[mark]) for mark in range(RATING_MIN, RATING_MAX + 1)]
            total = sum(counter.values())
            if total:
                result.mean = round(sum(m * n for m, n in counter.items()) / total, 2)
        elif question.has_choices:
            counter = chosen[pk]
            result.rows = [(label, counter[value]) for value, label in question.choice_list()]
    return [results[question.pk] for question in questions]
