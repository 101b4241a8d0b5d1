"""Messages to participants through the API (scope ``messages``): the back office's campaigns
service (recipients, consent, languages, outbox), the audit log, the per-token limit, the
Idempotency-Key, and the refusals (scope, another edition, nobody matching, unknown filters)."""

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from kongres.accounts.services import api_token_create
from kongres.audit.models import AuditLogEntry
from kongres.campaigns.models import Campaign
from kongres.mail.models import OutboxMessage
from kongres.registration.choices import Sector
from tests.factories import EditionFactory
from tests.factories.registration import RegistrationDataFactory, RegistrationFactory

pytestmark = pytest.mark.django_db

MESSAGE = {
    "subject_pl": "Zmiana sali, {first_name}",
    "body_pl": "Dzień dobry, {first_name}! Obrady w sali B.",
    "subject_en": "Room change, {first_name}",
    "body_en": "Hello {first_name}! The sessions are in room B.",
}


@pytest.fixture
def world(db):
    edition = EditionFactory(slug="iv", capacity=10)

    def person(first_name, email, **data):
        return RegistrationFactory(
            edition=edition,
            verified=True,
            data=RegistrationDataFactory(first_name=first_name, email=email, **data),
        )

    person("Łucja", "lucja@example.org", newsletter_consent=True)
    person("John", "john@example.org", newsletter_consent=True, language="en")
    person("Ewa", "ewa@example.org", newsletter_consent=False)
    person("Piotr", "piotr@example.org", newsletter_consent=True, sector=Sector.NGO)
    RegistrationFactory(  # not confirmed: never written to
        edition=edition, data=RegistrationDataFactory(email="nie@example.org")
    )
    admin = get_user_model().objects.create_user("admin", "admin@example.org", "x-hasło-123")
    token, secret = api_token_create(
        edition=edition, name="Newsletter", scopes=["messages"], actor=admin
    )
    return {"edition": edition, "token": token, "secret": secret, "admin": admin}


def send(client, secret, body, edition="iv", **headers):
    return client.post(
        f"/api/v1/editions/{edition}/messages",
        body,
        content_type="application/json",
        headers={"Authorization": f"Bearer {secret}", **headers},
    )


def campaign_mails():
    return sorted(
        OutboxMessage.objects.filter(kind="campaign").values_list("to", "language", "subject")
    )


def test_message_goes_to_the_segment_in_each_language_through_the_outbox(client, world):
    segment = {"sector": "local_government"}
    response = send(client, world["secret"], {**MESSAGE, "segment": segment})
    assert response.status_code == 201, response.content
    campaign = Campaign.objects.get()
    body = response.json()
    assert body["id"] == campaign.pk
    assert (body["status"], body["recipient_count"], body["segment"]) == ("queued", 2, segment)
    assert body["deliveries"] == {"total": 2, "queued": 2, "sending": 0, "sent": 0, "failed": 0}
    # the newsletter consent counts (not transactional); Piotr is of another sector
    assert campaign_mails() == [
        ("john@example.org", "en", "Room change, John"),
        ("lucja@example.org", "pl", "Zmiana sali, Łucja"),
    ]
    assert (campaign.created_by, campaign.queued_by) == (world["admin"], world["admin"])
    entries = AuditLogEntry.objects.filter(
        action__startswith="campaign.", object_id=str(campaign.pk)
    )
    assert sorted(entries.values_list("action", flat=True)) == [
        "campaign.create",
        "campaign.queue",
        "campaign.send",
    ]
    assert entries.get(action="campaign.send").note == (
        f"API token Newsletter ({world['token'].prefix}…)"
    )
    assert AuditLogEntry.objects.filter(
        action="api.request", note="POST /api/v1/editions/iv/messages"
    ).exists()


def test_transactional_message_reaches_those_without_newsletter_consent(client, world):
    response = send(client, world["secret"], {**MESSAGE, "transactional": True})
    assert response.status_code == 201
    assert [to for to, _lang, _subject in campaign_mails()] == [
        "ewa@example.org",
        "john@example.org",
        "lucja@example.org",
        "piotr@example.org",
    ]


def test_message_detail_reads_the_delivery_counts(client, world):
    created = send(client, world["secret"], MESSAGE).json()
    OutboxMessage.objects.filter(to="john@example.org").update(
        status=OutboxMessage.Status.SENT, sent_at=timezone.now()
    )
    response = client.get(
        f"/api/v1/editions/iv/messages/{created['id']}",
        headers={"Authorization": f"Bearer {world['secret']}"},
    )
    assert response.status_code == 200
    assert response.json()["deliveries"] == {
        "total": 3,
        "queued": 2,
        "sending": 0,
        "sent": 1,
        "failed": 0,
    }


def test_a_token_without_the_messages_scope_is_refused_and_nothing_is_sent(client, world):
    _token, secret = api_token_create(
        edition=world["edition"],
        name="CRM",
        scopes=["read_registrations", "write_registrations", "checkin"],
        actor=None,
    )
    response = send(client, secret, MESSAGE)
    assert (response.status_code, response.json()["code"]) == (403, "forbidden")
    assert not Campaign.objects.exists()
    assert campaign_mails() == []


def test_another_editions_token_is_refused(client, world):
    other = EditionFactory(slug="v")
    _token, secret = api_token_create(edition=other, name="x", scopes=["messages"], actor=None)
    response = send(client, secret, MESSAGE)
    assert (response.status_code, response.json()["code"]) == (403, "forbidden")
    campaign = send(client, world["secret"], MESSAGE).json()
    detail = client.get(
        f"/api/v1/editions/v/messages/{campaign['id']}",
        headers={"Authorization": f"Bearer {secret}"},
    )
    assert (detail.status_code, detail.json()["code"]) == (404, "not_found")


def test_nobody_matching_is_422_and_leaves_no_draft(client, world):
    response = send(client, world["secret"], {**MESSAGE, "segment": {"q": "nikt taki"}})
    assert response.status_code == 422
    assert response.json() == {"code": "empty", "message": "Nikt nie spełnia tych warunków."}
    assert not Campaign.objects.exists()


def test_unknown_filters_and_missing_polish_text_are_422(client, world):
    unknown = send(client, world["secret"], {**MESSAGE, "segment": {"password": "x"}})
    assert (unknown.status_code, unknown.json()["code"]) == (422, "invalid")
    english_only = send(client, world["secret"], {**MESSAGE, "body_pl": "", "subject_pl": ""})
    assert (english_only.status_code, english_only.json()["code"]) == (422, "invalid")
    half = send(client, world["secret"], {**MESSAGE, "body_en": ""})
    assert (half.status_code, half.json()["code"]) == (422, "invalid")
    assert not Campaign.objects.exists()


def test_sending_is_rate_limited_per_token(client, world, settings):
    settings.KONGRES_RATELIMIT_API_MESSAGES = "2/h"
    answers = [send(client, world["secret"], MESSAGE).status_code for _ in range(3)]
    assert answers == [201, 201, 429]
    refused = send(client, world["secret"], MESSAGE, **{"Accept-Language": "en"})
    assert refused.json()["code"] == "rate_limited"
    assert int(refused["Retry-After"]) >= 1
    assert Campaign.objects.count() == 2
    _token, calm = api_token_create(
        edition=world["edition"], name="other", scopes=["messages"], actor=None
    )
    assert send(client, calm, MESSAGE).status_code == 201  # another token counts on its own


def test_the_same_idempotency_key_sends_once(client, world):
    first = send(client, world["secret"], MESSAGE, **{"Idempotency-Key": "m-1"})
    again = send(client, world["secret"], MESSAGE, **{"Idempotency-Key": "m-1"})
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert Campaign.objects.count() == 1
    assert len(campaign_mails()) == 3
    other = send(
        client, world["secret"], {**MESSAGE, "subject_pl": "Inny"}, **{"Idempotency-Key": "m-1"}
    )
    assert (other.status_code, other.json()["code"]) == (422, "idempotency_mismatch")


def test_a_null_character_is_422_not_a_server_error(client, world):
    """PostgreSQL's text fields cannot hold NUL (schemathesis found the 500)."""
    for body in (
        {**MESSAGE, "subject_pl": "Temat\x00"},
        {**MESSAGE, "body_en": "Body\x00"},
        {**MESSAGE, "segment": {"status": "confirmed\x00"}},
    ):
        response = send(client, world["secret"], body)
        assert (response.status_code, response.json()["code"]) == (422, "invalid"), body
    assert not Campaign.objects.exists()
