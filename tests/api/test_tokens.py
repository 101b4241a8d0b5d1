"""Tokens: rate limited per token, errors in the Accept-Language language."""

import pytest

pytestmark = pytest.mark.django_db


def test_rate_limit_per_token_answers_429_with_retry_after(
    edition, make_token, api_client, settings
):
    settings.KONGRES_RATELIMIT_API_TOKEN = "3/m"
    url = f"/api/v1/editions/{edition.slug}/checkin/counts"
    busy, calm = api_client(make_token(edition)[1]), api_client(make_token(edition)[1])
    assert [busy.get(url).status_code for _ in range(3)] == [200, 200, 200]
    refused = busy.get(url, headers={"Accept-Language": "en"})
    assert refused.status_code == 429
    assert refused.json()["code"] == "rate_limited"
    assert int(refused["Retry-After"]) >= 1
    assert calm.get(url).status_code == 200  # another token counts on its own


def test_messages_follow_accept_language(edition, api_client):
    url = f"/api/v1/editions/{edition.slug}/registrations"
    pl = api_client().get(url, headers={"Accept-Language": "pl"})
    en = api_client().get(url, headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert pl.status_code == en.status_code == 401
    assert pl.json()["message"] == "Potrzebny jest ważny token (Authorization: Bearer …)."
    assert en.json()["message"] == "A valid token is needed (Authorization: Bearer …)."
    assert en["Content-Language"] == "en"


def test_scope_refusal_is_403_in_polish_by_default(edition, make_token, api_client):
    api = api_client(make_token(edition, ["checkin"])[1])
    response = api.get(f"/api/v1/editions/{edition.slug}/registrations")
    assert response.status_code == 403
    assert response.json() == {
        "code": "forbidden",
        "message": "Ten token nie ma do tego uprawnień.",
    }


def test_apitoken_command_prints_a_working_key(edition, client):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("apitoken", edition.slug, "Bramka", "--scope", "checkin", stdout=out)
    secret = out.getvalue().strip()
    response = client.get(
        f"/api/v1/editions/{edition.slug}/checkin/counts",
        headers={"Authorization": f"Bearer {secret}"},
    )
    assert response.status_code == 200
