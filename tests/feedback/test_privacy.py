"""Invitations are personal data: the person's export lists them (whether answered, nothing
more), erasure (and so the retention purge) takes the person and the link out of them while
the anonymous answers and the response rate stay."""

import datetime as dt

import pytest

from kongres.feedback.models import Answer, Invitation, Response
from kongres.feedback.selectors import survey_counts
from kongres.feedback.services import FeedbackError, survey_invite, survey_response_submit
from kongres.mail.models import OutboxMessage
from kongres.privacy.retention import purge_run
from kongres.privacy.services import registration_erase, registration_export
from tests.feedback.conftest import invite_tokens, participant, questions


def test_export_and_erasure_of_an_invitation(edition, survey):
    answered = participant(edition, email="odpowiedziala@example.org")
    silent = participant(edition, email="milczaca@example.org")
    tokens = invite_tokens(survey)
    rating = questions(survey)["Ocena ogólna"].pk
    survey_response_submit(token=tokens["odpowiedziala@example.org"], answers={rating: 4})

    export = registration_export(answered)
    [entry] = export["survey_invitations"]
    assert (entry["survey"], entry["answered"]) == ("Jak oceniasz kongres?", True)
    assert any(mail["kind"] == "feedback.invitation" for mail in export["mails"])

    assert registration_erase(registration=silent, actor=None)
    erased = Invitation.objects.get(token_hash__isnull=True)
    assert (erased.registration_id, erased.used) == (None, False)
    # the link works no more; the mail (not sent yet) is gone
    with pytest.raises(FeedbackError) as error:
        survey_response_submit(token=tokens["milczaca@example.org"], answers={rating: 1})
    assert error.value.code == "unknown"
    assert not OutboxMessage.objects.filter(to="milczaca@example.org").exists()
    # nobody is invited again, the results and the rate stay
    assert survey_invite(survey=survey) == 0
    counts = survey_counts(survey=survey)
    assert (counts.invited, counts.answered, counts.responses) == (2, 1, 1)
    assert list(Answer.objects.values_list("rating", flat=True)) == [4]


def test_the_retention_purge_reaches_the_invitations(edition, survey):
    participant(edition)
    invite_tokens(survey)
    later = dt.datetime.combine(edition.end_date, dt.time(12), tzinfo=dt.UTC) + dt.timedelta(
        days=400
    )
    assert purge_run(now=later) == 1
    assert list(Invitation.objects.values_list("registration_id", "token_hash")) == [(None, None)]
    assert Response.objects.count() == 0
