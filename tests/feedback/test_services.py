"""The survey's services through PostgreSQL or SQLite and the outbox: invitations (once each,
only those who came, at the worker's time), one response per link, the questions' rules."""

import datetime as dt
import hashlib

import pytest
from django.utils import timezone

from kongres.audit.models import AuditLogEntry
from kongres.feedback.models import Answer, Invitation, Response
from kongres.feedback.services import (
    FeedbackError,
    QuestionData,
    question_delete,
    question_save,
    survey_invite,
    survey_invite_due,
    survey_response_submit,
    survey_save,
    survey_status_change,
)
from kongres.mail.models import OutboxMessage
from kongres.mail.redaction import secret_hashes
from tests.feedback.conftest import invite_tokens, participant, questions


def test_invitations_go_once_to_those_who_came(edition, survey):
    came = participant(edition, email="byla@example.org")
    participant(edition, came=False, email="nieobecna@example.org")
    english = participant(edition, language="en", email="english@example.org")
    tokens = invite_tokens(survey)
    assert set(tokens) == {"byla@example.org", "english@example.org"}
    mails = {mail.to: mail for mail in OutboxMessage.objects.filter(kind="feedback.invitation")}
    assert mails["byla@example.org"].subject == "Jak było? Jak oceniasz kongres?"
    assert mails["english@example.org"].subject == "How was it? How was the congress?"
    assert f"/en/survey/{tokens['english@example.org']}/" in mails["english@example.org"].body_text
    assert mails["byla@example.org"].related == f"registration:{came.pk}"
    # the token is stored hashed only; the mail forgets it once sent
    stored = set(Invitation.objects.values_list("token_hash", flat=True))
    assert stored == {hashlib.sha256(token.encode()).hexdigest() for token in tokens.values()}
    assert mails["english@example.org"].redact == secret_hashes([tokens["english@example.org"]])
    assert Invitation.objects.get(registration=english).used is False

    # again (the worker and the button): nobody twice
    assert survey_invite(survey=survey) == 0
    assert OutboxMessage.objects.filter(kind="feedback.invitation").count() == 2
    participant(edition, email="pozniej@example.org")  # checked in later
    assert survey_invite(survey=survey) == 1
    assert Invitation.objects.count() == 3
    assert list(
        AuditLogEntry.objects.filter(action="feedback.invite").values_list("after", flat=True)
    ) == [{"invited": 1}, {"invited": 2}]


def test_everyone_confirmed_when_the_survey_says_so(edition, survey):
    participant(edition, came=False, email="nieobecna@example.org")
    survey_save(edition=edition, title_pl=survey.title_pl, only_attended=False, actor=None)
    assert set(invite_tokens(survey)) == {"nieobecna@example.org"}


def test_no_invitation_before_the_survey_is_open(edition, survey):
    participant(edition)
    survey_status_change(survey=survey, status="closed", actor=None)
    with pytest.raises(FeedbackError) as error:
        survey_invite(survey=survey)
    assert error.value.code == "not_open"
    assert not Invitation.objects.exists()


def test_the_worker_invites_from_the_day_after_the_congress(edition, survey):
    participant(edition)
    last_day = dt.datetime.combine(edition.end_date, dt.time(20, 0), tzinfo=dt.UTC)
    assert survey_invite_due(now=last_day) == 0
    assert survey_invite_due(now=last_day + dt.timedelta(days=1)) == 1
    assert survey_invite_due(now=last_day + dt.timedelta(days=2)) == 0
    survey_save(
        edition=edition,
        title_pl=survey.title_pl,
        invite_after=timezone.now() - dt.timedelta(minutes=1),
        actor=None,
    )
    participant(edition)
    assert survey_invite_due() == 1


def answers_for(survey, **overrides):
    found = questions(survey)
    values = {
        found["Ocena ogólna"].pk: 4,
        found["Skąd wiesz o kongresie?"].pk: "2",
        found["Co było dobre?"].pk: ["1", "3"],
        found["Uwagi"].pk: "Więcej przerw",
        found["Ocena sesji"].pk: None,
    }
    values.update({found[text].pk: value for text, value in overrides.items()})
    return values


def test_one_response_per_link(edition, survey):
    participant(edition)
    [token] = invite_tokens(survey).values()
    response = survey_response_submit(token=token, answers=answers_for(survey))
    found = questions(survey)
    assert {
        answer.question_id: (answer.rating, answer.values, answer.text)
        for answer in Answer.objects.filter(response=response)
    } == {
        found["Ocena ogólna"].pk: (4, [], ""),
        found["Skąd wiesz o kongresie?"].pk: (None, ["2"], ""),
        found["Co było dobre?"].pk: (None, ["1", "3"], ""),
        found["Uwagi"].pk: (None, [], "Więcej przerw"),
    }
    assert Invitation.objects.get().used is True
    with pytest.raises(FeedbackError) as error:
        survey_response_submit(token=token, answers=answers_for(survey))
    assert error.value.code == "used"
    assert Response.objects.count() == 1


def test_refused_answers_leave_the_link_unused(edition, survey):
    participant(edition)
    [token] = invite_tokens(survey).values()
    for overrides in ({"Ocena ogólna": None}, {"Skąd wiesz o kongresie?": "9"}):
        with pytest.raises(FeedbackError) as error:
            survey_response_submit(token=token, answers=answers_for(survey, **overrides))
        assert error.value.code == "invalid"
    with pytest.raises(FeedbackError) as error:
        survey_response_submit(token="x" * 43, answers=answers_for(survey))
    assert error.value.code == "unknown"
    assert (Invitation.objects.get().used, Response.objects.count()) == (False, 0)
    survey_status_change(survey=survey, status="closed", actor=None)
    with pytest.raises(FeedbackError) as error:
        survey_response_submit(token=token, answers=answers_for(survey))
    assert error.value.code == "closed"


def test_questions_keep_their_kind_once_answered(edition, survey):
    participant(edition)
    [token] = invite_tokens(survey).values()
    survey_response_submit(token=token, answers=answers_for(survey))
    single = questions(survey)["Skąd wiesz o kongresie?"]
    change = QuestionData(text_pl="Skąd?", kind="text")
    with pytest.raises(FeedbackError) as error:
        question_save(survey=survey, data=change, question=single, actor=None)
    assert error.value.code == "answered"
    fixed = QuestionData(
        text_pl="Skąd wiesz o kongresie (popr.)?",
        kind="single",
        choices_pl=("Z poczty", "Od znajomych"),
        choices_en=("By mail", "From friends"),
    )
    assert question_save(survey=survey, data=fixed, question=single, actor=None).text_pl == (
        "Skąd wiesz o kongresie (popr.)?"
    )
    with pytest.raises(FeedbackError):
        question_delete(question=single, actor=None)
    unanswered = questions(survey)["Ocena sesji"]
    question_delete(question=unanswered, actor=None)
    assert survey.questions.count() == 4


@pytest.mark.parametrize(
    ("data", "field"),
    [
        (QuestionData(text_pl=" ", kind="rating"), "text_pl"),
        (QuestionData(text_pl="Wybór", kind="single", choices_pl=("Jedna",)), "choices_pl"),
        (
            QuestionData(text_pl="Wybór", kind="single", choices_pl=("A", "B"), choices_en=("A",)),
            "choices_en",
        ),
        (QuestionData(text_pl="Sesja", kind="rating", session_id=999999), "session"),
    ],
)
def test_question_refused(survey, data, field):
    with pytest.raises(FeedbackError) as error:
        question_save(survey=survey, data=data, actor=None)
    assert (error.value.code, error.value.field) == ("invalid", field)


def test_a_survey_opens_with_questions_only(edition):
    survey = survey_save(edition=edition, title_pl="Pusta", actor=None)
    with pytest.raises(FeedbackError):
        survey_status_change(survey=survey, status="open", actor=None)
    assert survey.status == "draft"


def test_the_worker_runs_the_invitations(settings, edition, survey):
    from kongres.feedback.tasks import invite_due

    assert ("kongres.feedback.tasks.invite_due", 600) in settings.KONGRES_PERIODIC_JOBS
    participant(edition)
    survey_save(
        edition=edition,
        title_pl=survey.title_pl,
        invite_after=timezone.now() - dt.timedelta(minutes=1),
        actor=None,
    )
    assert (invite_due(), invite_due()) == (1, 0)
