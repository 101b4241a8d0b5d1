"""What an API registration create costs (issue 21): its statements, its cache round trips, its
audit entry written with the registration, and a token checked on every request."""

import os

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kongres.accounts.models import ApiToken
from kongres.accounts.services import api_token_revoke
from kongres.audit.models import AuditLogEntry
from kongres.registration.models import Registration
from tests.api.test_registrations import _body

pytestmark = pytest.mark.django_db


def _url(edition):
    return f"/api/v1/editions/{edition.slug}/registrations"


def _statements(queries) -> list[str]:
    """The statements sent, without the savepoints of the test's own transaction."""
    return [
        query["sql"]
        for query in queries.captured_queries
        if not query["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))
    ]


def test_create_is_one_read_and_one_transaction(edition, make_token, api_client):
    api = api_client(make_token(edition)[1])
    assert api.post(_url(edition), _body(edition, "first@example.org")).status_code == 201
    body = _body(edition, "second@example.org")
    with CaptureQueriesContext(connection) as queries:
        response = api.post(_url(edition), body)
    assert response.status_code == 201
    statements = _statements(queries)
    # the token (read every time), then the registration's statements
    assert statements[0].startswith('SELECT "accounts_apitoken"')
    if connection.vendor == "postgresql":
        # one statement: the seat, the registration, its days, its link, the request's audit
        # entry and the registration's, the mail (whose task the worker enqueues)
        assert len(statements) == 2, statements
        assert statements[1].startswith("SELECT new_id, seated FROM kongres_registration_create(")
    else:  # the seat pools read, then the registration's transaction
        assert statements[1].startswith("SELECT pool.day_id")
        assert not any("INSERT" in sql for sql in statements[:2])
    assert sum('INSERT INTO "orga_auditlogentry"' in sql for sql in statements) == (
        0 if connection.vendor == "postgresql" else 2
    )


def test_create_writes_its_request_entry_with_the_registration(edition, make_token, api_client):
    token, secret = make_token(edition)
    response = api_client(secret).post(_url(edition), _body(edition, "jan@example.org"))
    assert response.status_code == 201
    request_entry, create_entry = AuditLogEntry.objects.filter(
        action__in=["api.request", "registration.create"]
    ).order_by("pk")
    assert (request_entry.action, request_entry.object_id, request_entry.edition_id) == (
        "api.request",
        str(token.pk),
        edition.pk,
    )
    assert request_entry.note == f"POST {_url(edition)}"
    assert request_entry.object_label == str(token)
    assert (create_entry.action, create_entry.object_id) == (
        "registration.create",
        str(response.json()["id"]),
    )


@pytest.mark.parametrize(
    ("scopes", "body", "status"),
    [
        (["write_registrations"], {"email": "jan@example.org"}, 409),  # the address is taken
        (["write_registrations"], {"email": "not an address"}, 422),
        (["write_registrations"], {"privacy_consent": "nonsense"}, 422),
        (["read_registrations"], {}, 403),
    ],
)
def test_a_refused_create_is_audited_once(edition, make_token, api_client, scopes, body, status):
    api = api_client(make_token(edition, ["write_registrations"])[1])
    assert api.post(_url(edition), _body(edition, "jan@example.org")).status_code == 201
    token, secret = make_token(edition, scopes)
    refused = api_client(secret).post(_url(edition), {**_body(edition, "x@example.org"), **body})
    assert refused.status_code == status
    assert list(
        AuditLogEntry.objects.filter(action="api.request", object_id=str(token.pk)).values_list(
            "note", flat=True
        )
    ) == [f"POST {_url(edition)}"]
    assert Registration.objects.filter(edition=edition).count() == 1


def test_a_revoked_token_is_refused_on_the_next_request(edition, make_token, api_client):
    token, secret = make_token(edition)
    api = api_client(secret)
    assert api.post(_url(edition), _body(edition, "a@example.org")).status_code == 201
    api_token_revoke(token=token, actor=None)
    assert api.post(_url(edition), _body(edition, "b@example.org")).status_code == 401
    assert api.get(_url(edition)).status_code == 401


def test_a_token_revoked_or_expired_by_another_process_is_refused_at_once(
    edition, make_token, api_client
):
    """Another process changes only the database (this process's cache is not told)."""
    token, secret = make_token(edition)
    api = api_client(secret)
    assert api.post(_url(edition), _body(edition, "a@example.org")).status_code == 201
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now())
    assert api.post(_url(edition), _body(edition, "b@example.org")).status_code == 401
    ApiToken.objects.filter(pk=token.pk).update(expires_at=None)
    assert api.post(_url(edition), _body(edition, "b@example.org")).status_code == 201
    ApiToken.objects.filter(pk=token.pk).update(revoked_at=timezone.now())
    assert api.post(_url(edition), _body(edition, "c@example.org")).status_code == 401
    assert not Registration.objects.filter(email="c@example.org").exists()


@pytest.fixture
def redis_cache(settings):
    """The production cache (Redis, the database behind it) on the test Redis server, with its
    commands counted; skipped without ``KONGRES_TEST_REDIS_URL`` (CI sets it)."""
    url = os.environ.get("KONGRES_TEST_REDIS_URL", "")
    if not url:
        pytest.skip("KONGRES_TEST_REDIS_URL is not set (CI sets it): no Redis server to test")
    import redis
    from django.core.cache import cache

    settings.CACHES = {
        **settings.CACHES,
        "default": {
            "BACKEND": "kongres.core.cachebackend.RedisWithDatabaseFallback",
            "LOCATION": url,
            "KEY_PREFIX": f"test-api-cost-{os.getpid()}",
        },
    }
    cache.clear()
    commands: list[str] = []
    execute = redis.Redis.execute_command

    def counted(self, *args, **kwargs):
        commands.append(str(args[0]).upper())
        return execute(self, *args, **kwargs)

    redis.Redis.execute_command = counted
    try:
        yield commands
    finally:
        redis.Redis.execute_command = execute
        cache.clear()


def test_create_cache_round_trips(edition, make_token, api_client, redis_cache):
    api = api_client(make_token(edition)[1])
    assert api.post(_url(edition), _body(edition, "first@example.org")).status_code == 201
    redis_cache.clear()
    assert api.post(_url(edition), _body(edition, "second@example.org")).status_code == 201
    # the token's rate limit (counted: Django's incr checks the key first), then the edition
    # with its days, panels and questions, the privacy notice's version and, on PostgreSQL, the
    # verification mail's stencils (for the registration function; the ORM path renders the
    # mail) in one get_many
    assert sorted(redis_cache) == ["EXISTS", "INCRBY", "MGET"]


def test_revoked_token_is_refused_by_a_process_with_a_shared_cache(
    edition, make_token, api_client, redis_cache
):
    """The cache every process shares holds nothing of the token: cleared or not, the next
    request after the revocation is refused."""
    from django.core.cache import cache

    token, secret = make_token(edition)
    api = api_client(secret)
    assert api.post(_url(edition), _body(edition, "a@example.org")).status_code == 201
    api_token_revoke(token=token, actor=None)
    assert api.post(_url(edition), _body(edition, "b@example.org")).status_code == 401
    cache.clear()
    assert api.post(_url(edition), _body(edition, "b@example.org")).status_code == 401
