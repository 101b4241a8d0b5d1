"""schemathesis against the live OpenAPI document (``/api/v1/openapi.json``, fetched from the
WSGI application): every operation, with a token of every scope, bounded examples. No server
error, every answer's status, content type and body as the document says."""

import copy
import json

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
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
from tests.factories import EditionFactory, NewsPostFactory, SessionFactory
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
schema = schemathesis.openapi.from_dict(copy.deepcopy(DOCUMENT))  # it may add to it
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
    # No days: a generated registration needs none (so some are created and their links followed)
    edition = EditionFactory(slug="iv", capacity=5)
    SessionFactory(edition=edition, slug="otwarcie")
    NewsPostFactory(edition=edition)
    RegistrationFactory(edition=edition)
    return api_token_create(edition=edition, name="fuzz", scopes=ALL_SCOPES, actor=None)[1]


@schema.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    # the same examples every run (a CI run is a verdict, not a lottery); the stateful run's
    # data depends on the rows earlier steps made, which a random replay cannot reproduce
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_api_answers_as_documented(case, secret):
    case.call_and_validate(headers={"Authorization": f"Bearer {secret}"}, checks=CHECKS)


def test_stateful_links_from_a_new_registration(secret):
    """schemathesis follows the document's links (a created registration → read, cancel,
    approve, reject) in random sequences."""
    headers = {"Authorization": f"Bearer {secret}"}
    created = []

    class Workflow(schema.as_state_machine()):
        def get_call_kwargs(self, case):
            return {"headers": headers}

        def before_call(self, case):
            # the token's own edition (random slugs only meet 403 and 404)
            for name in ("edition", "slug"):
                if case.path_parameters and name in case.path_parameters:
                    case.path_parameters[name] = "iv"

        def setup(self):
            # each sequence starts from the same rows (a replay of it must draw the same data)
            self.savepoint = transaction.savepoint_create()

        def teardown(self):
            transaction.savepoint_rollback(self.savepoint)

        def after_call(self, response, case):
            if response.status_code == 201:
                created.append(response.json()["id"])

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            case.validate_response(response, checks=CHECKS, transport_kwargs=kwargs)

    Workflow.run(
        settings=settings(
            max_examples=30,
            stateful_step_count=6,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
    )
    assert created, "no registration was created: the links were never followed"
