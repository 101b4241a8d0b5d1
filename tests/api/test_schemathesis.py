"""schemathesis against the live OpenAPI document (``/api/v1/openapi.json``, fetched from the
WSGI application): every operation, with a token of every scope, bounded examples. No server
error, every answer's status, content type and body as the document says."""

import json

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from kongres.accounts.services import api_token_create
from kongres.api.main import api
from kongres.wsgi import application
from tests.api.conftest import ALL_SCOPES
from tests.factories import DayFactory, EditionFactory, NewsPostFactory, SessionFactory
from tests.factories.registration import RegistrationFactory

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


# The document the API serves (test_the_fuzzed_document_is_the_served_one), built without a
# request: collection has no database. Requests go to the WSGI application.
DOCUMENT = json.loads(json.dumps(api.get_openapi_schema()))
schema = schemathesis.openapi.from_dict(DOCUMENT)
schema.app = application


def test_the_fuzzed_document_is_the_served_one(client):
    assert client.get("/api/v1/openapi.json").json() == DOCUMENT


@pytest.fixture
def wsgi_in_test_transaction(db, settings):
    settings.KONGRES_RATELIMIT_ENABLED = False  # many requests on one token, on purpose
    # The WSGI handler closes the connection after each request; the test's transaction must
    # survive it (Django's test client does the same).
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def secret(wsgi_in_test_transaction):
    edition = EditionFactory(slug="iv", capacity=5)
    day = DayFactory(edition=edition)
    SessionFactory(edition=edition, slug="otwarcie")
    NewsPostFactory(edition=edition)
    RegistrationFactory(edition=edition, data__day_ids=[day.pk])
    return api_token_create(edition=edition, name="fuzz", scopes=ALL_SCOPES, actor=None)[1]


@schema.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_api_answers_as_documented(case, secret):
    case.call_and_validate(headers={"Authorization": f"Bearer {secret}"}, checks=CHECKS)
