"""Anonymity by design (``kongres.feedback.models``): the schema has nothing that joins a
response to an invitation or a person (no foreign key, no column of time, no sequential key),
and on PostgreSQL no transaction id does either."""

from django.db import connection
from django.db import models as django_models

from kongres.feedback.models import Answer, Invitation, Response
from kongres.feedback.services import survey_response_submit
from kongres.registration.models import Registration
from tests.feedback.conftest import invite_tokens, participant, questions

TIME_FIELDS = (django_models.DateField, django_models.TimeField, django_models.DurationField)


def _columns(model) -> dict[str, str]:
    with connection.cursor() as cursor:
        return {
            column.name: column.type_code
            for column in connection.introspection.get_table_description(
                cursor, model._meta.db_table
            )
        }


def _foreign_keys(model) -> dict[str, str]:
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, model._meta.db_table)
    return {
        column: info["foreign_key"][0]
        for info in constraints.values()
        if info["foreign_key"]
        for column in info["columns"]
    }


def test_responses_and_answers_name_nobody_in_the_schema(db):
    # the tables as they are in the database, not only as the models say
    assert set(_columns(Response)) == {"id", "survey_id"}
    assert set(_columns(Answer)) == {"id", "response_id", "question_id", "rating", "values", "text"}
    assert _foreign_keys(Response) == {"survey_id": "feedback_survey"}
    assert _foreign_keys(Answer) == {
        "response_id": "feedback_response",
        "question_id": "feedback_question",
    }
    # keys are random, not a sequence that would give the order of the answers
    assert isinstance(Response._meta.pk, django_models.UUIDField)
    assert isinstance(Answer._meta.pk, django_models.UUIDField)
    for model in (Response, Answer):
        assert not [f for f in model._meta.concrete_fields if isinstance(f, TIME_FIELDS)]
    # the invitation, which names the person, points at no response and keeps no time of use
    assert set(_columns(Invitation)) == {
        "id",
        "survey_id",
        "registration_id",
        "token_hash",
        "used",
        "invited_at",
    }
    assert _foreign_keys(Invitation) == {
        "survey_id": "feedback_survey",
        "registration_id": Registration._meta.db_table,
    }
    related = {
        field.related_model
        for model in (Response, Answer)
        for field in model._meta.get_fields()
        if field.is_relation
    }
    assert Registration not in related and Invitation not in related


def test_used_invitations_share_no_transaction_id_with_their_response(edition, survey):
    """Each submission rewrites every used invitation: on PostgreSQL they all carry the newest
    transaction's id, so an earlier response's ``xmin`` matches no invitation; on any
    database the invitations hold nothing but the flag."""
    first, second, third = (participant(edition) for _n in range(3))
    tokens = invite_tokens(survey)
    rating = questions(survey)["Ocena ogólna"].pk
    for registration in (first, second):
        survey_response_submit(token=tokens[registration.email], answers={rating: 5})
    assert dict(Invitation.objects.values_list("registration_id", "used")) == {
        first.pk: True,
        second.pk: True,
        third.pk: False,
    }
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT xmin::text FROM feedback_invitation WHERE used ORDER BY id")
        used = [row[0] for row in cursor.fetchall()]
        cursor.execute("SELECT xmin::text FROM feedback_response")
        responses = sorted(row[0] for row in cursor.fetchall())
    assert len(set(used)) == 1  # one id for all: which one answered when is not told
    assert len(responses) == 2 and len(set(responses)) == 2
    # only the newest response shares it, and it is shared by every used invitation alike
    assert [xmin in used for xmin in responses].count(True) == 1
