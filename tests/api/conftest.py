import pytest

from kongres.accounts.models import ApiToken
from kongres.accounts.services import api_token_create
from tests.factories import DayFactory, EditionFactory

ALL_SCOPES = list(ApiToken.Scope.values)


@pytest.fixture
def edition(db):
    edition = EditionFactory(capacity=2)
    DayFactory(edition=edition)
    return edition


@pytest.fixture
def make_token(db):
    def make(edition, scopes=None, **kwargs):
        return api_token_create(
            edition=edition, name="CRM", scopes=scopes or ALL_SCOPES, actor=None, **kwargs
        )

    return make


@pytest.fixture
def api_client(client):
    """``api_client(secret).get(url)``: the test client sending ``Authorization: Bearer``."""

    class Api:
        def __init__(self, secret=None):
            self.headers = {"Authorization": f"Bearer {secret}"} if secret else {}

        def get(self, url, data=None, **kwargs):
            headers = {**self.headers, **kwargs.pop("headers", {})}
            return client.get(url, data, headers=headers, **kwargs)

        def post(self, url, data=None, **kwargs):
            return client.post(
                url,
                data if data is not None else {},
                content_type="application/json",
                headers={**self.headers, **kwargs.pop("headers", {})},
                **kwargs,
            )

    return Api
