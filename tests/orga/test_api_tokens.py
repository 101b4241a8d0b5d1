"""The back office's API tokens: created by an administrator (the key shown once, only its hash
kept), revoked; the API takes the key until then."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from kongres.accounts.models import ApiToken, EditionRole
from kongres.accounts.services import api_token_hash
from kongres.audit.models import AuditLogEntry
from tests.factories import EditionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    edition = EditionFactory(slug="iv")
    user = get_user_model().objects.create_user("a", "a@example.org", "x-hasło-123")
    EditionRole.objects.create(edition=edition, user=user, role=EditionRole.Role.ADMIN)
    client.force_login(user)
    client.edition = edition
    return client


def _url(name, edition, **kwargs):
    return reverse(f"orga:{name}", kwargs={"edition": edition.slug, **kwargs})


def test_create_shows_the_key_once_and_keeps_only_its_hash(admin_client):
    edition = admin_client.edition
    response = admin_client.post(
        _url("api-tokens", edition), {"name": "CRM ministerstwa", "scopes": ["read_registrations"]}
    )
    assert response.status_code == 200
    secret = response.context["secret"]
    assert secret.startswith("kgr_") and secret in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    token = ApiToken.objects.get()
    assert (token.name, token.scopes, token.edition) == (
        "CRM ministerstwa",
        ["read_registrations"],
        edition,
    )
    assert token.secret_hash == api_token_hash(secret) and secret not in str(vars(token))
    assert secret not in admin_client.get(_url("api-tokens", edition)).content.decode()
    assert AuditLogEntry.objects.filter(action="api_token.create").count() == 1
    api = admin_client.get(
        f"/api/v1/editions/{edition.slug}/registrations",
        headers={"Authorization": f"Bearer {secret}"},
    )
    assert api.status_code == 200


def test_bad_input_keeps_what_was_typed(admin_client):
    edition = admin_client.edition
    response = admin_client.post(
        _url("api-tokens", edition),
        {"name": "Bramka", "scopes": ["nie-ma-takiego"], "expires_on": "2020-01-01"},
    )
    assert response.status_code == 200
    assert response.context["form"]["name"].value() == "Bramka"
    assert response.context["form"].errors["scopes"]
    assert not ApiToken.objects.exists()
    past = admin_client.post(
        _url("api-tokens", edition),
        {"name": "Bramka", "scopes": ["checkin"], "expires_on": "2020-01-01"},
    )
    assert past.context["form"].errors["expires_on"]
    assert past.context["form"]["expires_on"].value() == "2020-01-01"
    assert past.context["secret"] is None
    assert not ApiToken.objects.exists()


def test_revoke_stops_the_key(admin_client):
    edition = admin_client.edition
    secret = admin_client.post(
        _url("api-tokens", edition), {"name": "Bramka", "scopes": ["checkin"]}
    ).context["secret"]
    token = ApiToken.objects.get()
    response = admin_client.post(_url("api-token-revoke", edition, pk=token.pk))
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    api = admin_client.get(
        f"/api/v1/editions/{edition.slug}/checkin/counts",
        headers={"Authorization": f"Bearer {secret}"},
    )
    assert api.status_code == 401


def test_another_editions_token_is_404(admin_client):
    other = EditionFactory()
    token = ApiToken.objects.create(edition=other, name="x", scopes=["checkin"], secret_hash="0")
    url = _url("api-token-revoke", admin_client.edition, pk=token.pk)
    assert admin_client.post(url).status_code == 404


def test_the_page_names_a_token_not_a_person(admin_client):
    """In Polish a token has a "Nazwa" (a name of a thing), not the "Imię i nazwisko" of a
    person, and the page's title and menu entry start with a capital like the others."""
    edition = admin_client.edition
    ApiToken.objects.create(
        edition=edition, name="CRM", scopes=["read_registrations"], secret_hash="x" * 64
    )
    page = admin_client.get(_url("api-tokens", edition), headers={"Accept-Language": "pl"})
    text = page.content.decode()
    assert page.status_code == 200
    assert '<th scope="col">Nazwa</th>' in text
    assert "Imię i nazwisko" not in text
    assert ">Nazwa</label>" in text
    assert "<h1>Tokeny API</h1>" in text and ">Tokeny API</a>" in text
