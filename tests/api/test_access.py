"""The API's access matrix: every operation of the OpenAPI document (so a new route without a
row fails), with no token, with each scope, another edition's token, a revoked and an expired
token, and a staff session (cookies authenticate nothing here)."""

from __future__ import annotations

import datetime as dt
import functools

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from kongres.accounts.models import ApiToken, EditionRole
from kongres.accounts.services import api_token_create, api_token_revoke
from kongres.api.main import api
from kongres.campaigns.services import campaign_send
from kongres.registration.services import registration_verify
from kongres.registration.tickets import ticket_issue
from tests.factories import DayFactory, EditionFactory, SessionFactory
from tests.factories.registration import RegistrationFactory

Scope = ApiToken.Scope
PUBLIC = None
# operationId (without the module prefix) → the scope it needs (None: public), the status
# a token with that scope gets, and the JSON body it sends.
RULES: dict[str, tuple] = {
    "public_edition_list": (PUBLIC, 200, None),
    "public_edition_detail": (PUBLIC, 200, None),
    "public_day_list": (PUBLIC, 200, None),
    "public_room_list": (PUBLIC, 200, None),
    "public_track_list": (PUBLIC, 200, None),
    "public_session_list": (PUBLIC, 200, None),
    "public_session_detail": (PUBLIC, 200, None),
    "public_speaker_list": (PUBLIC, 200, None),
    "public_news_list": (PUBLIC, 200, None),
    "registrations_registration_list": (Scope.READ_REGISTRATIONS, 200, None),
    "registrations_registration_detail": (Scope.READ_REGISTRATIONS, 200, None),
    "registrations_registration_add": (Scope.WRITE_REGISTRATIONS, 201, "new"),
    "registrations_registration_cancel_view": (Scope.WRITE_REGISTRATIONS, 200, None),
    "registrations_registration_approve_view": (Scope.WRITE_REGISTRATIONS, 409, None),
    "registrations_registration_reject_view": (Scope.WRITE_REGISTRATIONS, 409, None),
    "checkin_scan": (Scope.CHECKIN, 200, "scan"),
    "checkin_counts": (Scope.CHECKIN, 200, None),
    "checkin_tickets": (Scope.CHECKIN, 200, None),
    "messages_message_send": (Scope.MESSAGES, 201, "message"),
    "messages_message_detail": (Scope.MESSAGES, 200, None),
}
PREFIX = "kongres_api_"


@functools.cache
def operations() -> dict[str, tuple[str, str]]:
    document = api.get_openapi_schema()
    return {
        operation["operationId"].removeprefix(PREFIX): (method, path)
        for path, methods in document["paths"].items()
        for method, operation in methods.items()
    }


def test_every_api_operation_has_a_rule():
    assert sorted(operations()) == sorted(RULES)


@pytest.fixture
def world(db):
    edition = EditionFactory(slug="iv", capacity=10)
    other = EditionFactory(slug="v")
    day = DayFactory(edition=edition, date=timezone.localdate())
    session = SessionFactory(edition=edition, slug="otwarcie")
    registration = RegistrationFactory(edition=edition, data__day_ids=[day.pk])
    registration = registration_verify(token=registration.token)
    ticket = ticket_issue(registration=registration)
    tokens = {
        scope: api_token_create(edition=edition, name=scope, scopes=[scope], actor=None)[1]
        for scope in Scope.values
    }
    tokens["other-edition"] = api_token_create(
        edition=other, name="x", scopes=Scope.values, actor=None
    )[1]
    revoked, tokens["revoked"] = api_token_create(
        edition=edition, name="r", scopes=Scope.values, actor=None
    )
    api_token_revoke(token=revoked, actor=None)
    expired, tokens["expired"] = api_token_create(
        edition=edition, name="e", scopes=Scope.values, actor=None
    )
    ApiToken.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - dt.timedelta(1))
    admin = get_user_model().objects.create_user("admin", "admin@example.org", "x-hasło-123")
    EditionRole.objects.create(edition=edition, user=admin, role=EditionRole.Role.ADMIN)
    values = {
        "slug": "iv",
        "edition": "iv",
        "session": session.slug,
        "registration_id": registration.pk,
        "message_id": campaign_send(
            edition=edition,
            segment={},
            subject_pl="Temat",
            body_pl="Treść",
            transactional=True,
            actor=None,
        ).pk,
    }
    return {"values": values, "tokens": tokens, "admin": admin, "ticket": ticket, "day": day}


def _call(client, name, world, secret=None, counter=[0]):  # noqa: B006 -- a fresh e-mail each call
    method, path = operations()[name]
    url = path.format(**world["values"])
    body = RULES[name][2]
    counter[0] += 1
    data = {}
    if body == "new":
        data = {
            "first_name": "Jan",
            "last_name": "Nowak",
            "email": f"nowy{counter[0]}@example.org",
            "privacy_consent": True,
            "days": [world["day"].pk],
        }
    elif body == "message":
        data = {"subject_pl": "Sala B", "body_pl": "Obrady w sali B.", "transactional": True}
    elif body == "scan":
        data = {"code": world["ticket"].code, "nonce": f"n-{counter[0]}"}
    headers = {"Authorization": f"Bearer {secret}"} if secret else {}
    if method == "get":
        return client.get(url, headers=headers)
    return client.post(url, data, content_type="application/json", headers=headers)


@pytest.mark.parametrize("name", sorted(RULES))
def test_api_access(client, world, name):
    scope, allowed_status, _body = RULES[name]
    tokens = world["tokens"]
    if scope is PUBLIC:
        assert _call(client, name, world).status_code == 200
        for secret in tokens.values():
            assert _call(client, name, world, secret).status_code == 200
        return
    anonymous = _call(client, name, world)
    assert anonymous.status_code == 401
    assert anonymous.json()["code"] == "unauthorized"
    for who in ("revoked", "expired"):
        assert _call(client, name, world, tokens[who]).status_code == 401, who
    assert _call(client, name, world, "kgr_not-a-token").status_code == 401
    other = _call(client, name, world, tokens["other-edition"])
    assert (other.status_code, other.json()["code"]) == (403, "forbidden")
    client.force_login(world["admin"])  # a staff session is no API credential
    assert _call(client, name, world).status_code == 401
    client.logout()
    answers = {s: _call(client, name, world, tokens[s]).status_code for s in Scope.values}
    expected = {s: (allowed_status if s == scope else 403) for s in Scope.values}
    assert answers == expected
