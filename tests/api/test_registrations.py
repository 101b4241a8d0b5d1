"""Registrations through the API: the form's service, idempotency, capacity, bad input."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kongres.api.models import IdempotencyKey
from kongres.audit.models import AuditLogEntry
from kongres.registration.models import Registration
from tests.factories.registration import RegistrationFactory

pytestmark = pytest.mark.django_db(transaction=False)


def _body(edition, email="jan@example.org", **extra):
    return {
        "first_name": "Jan",
        "last_name": "Kowalski",
        "email": email,
        "privacy_consent": True,
        "days": [edition.days.get().pk],
        **extra,
    }


def _days(edition):
    return [edition.days.get().pk]


def _url(edition, rest=""):
    return f"/api/v1/editions/{edition.slug}/registrations{rest}"


def test_create_holds_a_seat_then_the_waiting_list_when_full(edition, make_token, api_client):
    _token, secret = make_token(edition)
    api = api_client(secret)
    statuses = [
        api.post(_url(edition), _body(edition, f"p{i}@example.org")).json()["status"]
        for i in range(3)
    ]
    assert statuses == ["held", "held", "waiting_unverified"]  # capacity 2
    assert Registration.objects.filter(edition=edition).count() == 3


def test_duplicate_address_is_409(edition, make_token, api_client):
    api = api_client(make_token(edition)[1])
    assert api.post(_url(edition), _body(edition)).status_code == 201
    again = api.post(_url(edition), _body(edition), headers={"Accept-Language": "en"})
    assert again.status_code == 409
    assert again.json()["code"] == "duplicate"


def test_same_idempotency_key_and_body_gets_the_same_answer_once(edition, make_token, api_client):
    api = api_client(make_token(edition)[1])
    key = {"Idempotency-Key": "abc-1"}
    first = api.post(_url(edition), _body(edition), headers=key)
    second = api.post(_url(edition), _body(edition), headers=key)
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert Registration.objects.filter(edition=edition).count() == 1


def test_same_idempotency_key_with_another_body_is_422(edition, make_token, api_client):
    api = api_client(make_token(edition)[1])
    key = {"Idempotency-Key": "abc-2"}
    assert api.post(_url(edition), _body(edition), headers=key).status_code == 201
    other = api.post(_url(edition), _body(edition, "inny@example.org"), headers=key)
    assert other.status_code == 422
    assert other.json()["code"] == "idempotency_mismatch"
    assert Registration.objects.filter(edition=edition).count() == 1


def test_a_refused_create_frees_its_idempotency_key(edition, make_token, api_client):
    api = api_client(make_token(edition)[1])
    key = {"Idempotency-Key": "abc-3"}
    refused = api.post(_url(edition), _body(edition, privacy_consent=False), headers=key)
    assert refused.status_code == 422
    assert refused.json()["code"] == "invalid"
    assert not IdempotencyKey.objects.exists()
    assert api.post(_url(edition), _body(edition), headers=key).status_code == 201


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"first_name": "Jan"}, "last_name"),
        ({"first_name": "Jan", "last_name": "K", "email": "x", "privacy_consent": "tak"}, ""),
        ({"first_name": 5, "last_name": [], "email": None, "privacy_consent": True}, ""),
    ],
)
def test_bad_input_is_422_with_code_invalid(edition, make_token, api_client, body, field):
    api = api_client(make_token(edition)[1])
    response = api.post(_url(edition), body, headers={"Accept-Language": "en"})
    assert response.status_code == 422
    assert response.json()["code"] == "invalid"
    assert field in response.json()["message"]
    assert not Registration.objects.exists()


@pytest.mark.parametrize(
    "extra",
    [
        {"town": "Kraków\x00"},
        {"first_name": "Jan\x00"},
        {"institution": "\x00"},
        {"dietary_needs": "wegańska\x00"},
        {"answers": {"nights": "6\x00"}},
        {"answers": {"nights\x00": "6"}},
        {"answers": {"nights": ["6", "\x00"]}},
    ],
)
def test_a_null_character_is_422_not_a_server_error(edition, make_token, api_client, extra):
    """No database text field can hold NUL (PostgreSQL refuses it): schemathesis found the 500
    of a town with one, on PostgreSQL, where the registration is one statement."""
    api = api_client(make_token(edition)[1])
    response = api.post(_url(edition), _body(edition, **extra))
    assert (response.status_code, response.json()["code"]) == (422, "invalid")
    assert not Registration.objects.exists()


def test_not_json_is_422(edition, make_token, client):
    secret = make_token(edition)[1]
    response = client.post(
        _url(edition),
        "{nie json",
        content_type="application/json",
        headers={"Authorization": f"Bearer {secret}"},
    )
    assert response.status_code == 422
    assert response.json()["code"] == "invalid"


def test_list_filters_and_cursor(edition, make_token, api_client):
    api = api_client(make_token(edition)[1])
    made = [
        RegistrationFactory(edition=edition, verified=i % 2 == 0, data__day_ids=_days(edition))
        for i in range(5)
    ]
    ids, cursor = [], None
    while True:
        page = api.get(_url(edition), {"limit": 2, **({"cursor": cursor} if cursor else {})})
        assert page.status_code == 200
        ids += [r["id"] for r in page.json()["results"]]
        cursor = page.json()["next_cursor"]
        if cursor is None:
            break
    assert ids == [r.pk for r in made]
    held = api.get(_url(edition), {"state": "held"}).json()["results"]
    assert {r["id"] for r in held} == {r.pk for r in made if r.status == "held"}
    assert api.get(_url(edition), {"cursor": "%%%"}).status_code == 422
    assert api.get(_url(edition), {"state": "nonsense"}).status_code == 422


def test_list_query_count_is_constant(edition, make_token, api_client):
    api = api_client(make_token(edition)[1])
    RegistrationFactory(edition=edition, data__day_ids=_days(edition))
    api.get(_url(edition))  # the token's first use is recorded once (last_used_at)
    with CaptureQueriesContext(connection) as one:
        api.get(_url(edition))
    edition.seat_pools.update(capacity=None)
    for _ in range(19):
        RegistrationFactory(edition=edition, data__day_ids=_days(edition))
    with CaptureQueriesContext(connection) as twenty:
        assert len(api.get(_url(edition)).json()["results"]) == 20
    assert len(twenty.captured_queries) == len(one.captured_queries)


def test_cancel_frees_the_seat_and_another_edition_is_404(edition, make_token, api_client):
    api = api_client(make_token(edition)[1])
    registration = RegistrationFactory(edition=edition, verified=True, data__day_ids=_days(edition))
    other = RegistrationFactory(data__day_ids=[])
    cancelled = api.post(_url(edition, f"/{registration.pk}/cancel"))
    assert cancelled.status_code == 200
    assert cancelled.json()["status"] == "cancelled"
    assert api.post(_url(edition, f"/{registration.pk}/cancel")).status_code == 409
    assert api.get(_url(edition, f"/{other.pk}")).status_code == 404
    assert api.post(_url(edition, f"/{registration.pk}/approve")).json()["code"] == "wrong_status"


def test_each_request_is_in_the_audit_log(edition, make_token, api_client):
    token, secret = make_token(edition)
    api_client(secret).get(_url(edition))
    entry = AuditLogEntry.objects.filter(action="api.request").get()
    assert (entry.edition_id, entry.object_id) == (edition.pk, str(token.pk))
    assert entry.note == f"GET {_url(edition)}"
