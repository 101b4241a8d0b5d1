"""Messages to participants (scope ``messages``): a message in Polish (and English) to a
segment of the edition's participants, written and queued at once through the campaigns
service the back office uses (``campaign_send``: the same recipients, consent rules, mails and
audit log), and its delivery counts. Sending is limited per token
(``KONGRES_RATELIMIT_API_MESSAGES``, besides the token's request limit) and idempotent with an
``Idempotency-Key`` header."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from ninja import Field, Header, Router, Schema
from pydantic import field_validator

from kongres.accounts.models import ApiToken
from kongres.api.auth import RateLimitedError, TokenAuth, token_access
from kongres.api.errors import TOKEN, Error, Id, Text, no_nul, not_found
from kongres.api.idempotency import idempotent
from kongres.campaigns.models import Campaign
from kongres.campaigns.selectors import campaign_delivery_counts
from kongres.campaigns.services import campaign_send
from kongres.core.ratelimit import RateLimited, ratelimit_hit
from kongres.registration.segments import ANSWER_PREFIX

router = Router(tags=["messages"], auth=TokenAuth())
SCOPE = ApiToken.Scope.MESSAGES

# The participant list's filters (``registration.segments.registration_filter``).
SEGMENT_KEYS = frozenset(
    {
        "q",
        "status",
        "sector",
        "voivodeship",
        "municipality_size",
        "need",
        "day",
        "track",
        "checked_in",
    }
)
SEGMENT_DESCRIPTION = (
    "The participant list's filters, as in the back office: `q` (words of the name, e-mail, "
    "institution, town), `status`, `sector`, `voivodeship`, `municipality_size`, `need`, `day` "
    "(a day's id), `track` (a track's id), `checked_in` (yes/no), `answer_<question>`; a list "
    "means any of its values. Empty: everybody. Only confirmed, active participants get the "
    "message, and only those who agreed to the newsletter unless `transactional`."
)


class MessageIn(Schema):
    segment: dict[str, str | list[str]] = Field(
        default_factory=dict, description=SEGMENT_DESCRIPTION, max_length=20
    )
    subject_pl: Text = Field(min_length=1, max_length=200)
    body_pl: Text = Field(
        min_length=1,
        max_length=20000,
        description="Markdown; {first_name}, {personal_link} and {ticket} are filled in.",
    )
    subject_en: Text = Field("", max_length=200)
    body_en: Text = Field("", max_length=20000)
    transactional: bool = Field(
        False,
        description="About the registration itself: it goes also to those who did not agree "
        "to the newsletter.",
    )

    @field_validator("segment")
    @classmethod
    def known_filters(cls, segment: dict) -> dict:
        for key, value in segment.items():
            if key not in SEGMENT_KEYS and not key.startswith(ANSWER_PREFIX):
                raise ValueError(f"unknown filter {key!r}")
            values = value if isinstance(value, list) else [value]
            if len(values) > 50 or any(len(text) > 200 for text in values):
                raise ValueError(f"too many or too long values of {key!r}")
            for text in values:
                no_nul(text)
        return segment


class Deliveries(Schema):
    total: int
    queued: int
    sending: int
    sent: int
    failed: int


class MessageOut(Schema):
    id: int
    status: str
    subject_pl: str
    subject_en: str
    segment: dict
    transactional: bool
    recipient_count: int
    created_at: dt.datetime
    queued_at: dt.datetime | None
    deliveries: Deliveries


def message_out(campaign: Campaign) -> dict:
    return {
        "id": campaign.pk,
        "status": campaign.status,
        "subject_pl": campaign.subject_pl,
        "subject_en": campaign.subject_en,
        "segment": campaign.segment,
        "transactional": campaign.transactional,
        "recipient_count": campaign.recipient_count,
        "created_at": campaign.created_at,
        "queued_at": campaign.queued_at,
        "deliveries": campaign_delivery_counts(campaign=campaign),
    }


SENT_LINKS = {
    "responses": {
        201: {
            "links": {
                "GetMessage": {
                    "operationId": "kongres_api_messages_message_detail",
                    "parameters": {
                        "edition": "$request.path.edition",
                        "message_id": "$response.body#/id",
                    },
                }
            }
        }
    }
}


@router.post(
    "/editions/{edition}/messages",
    response={201: MessageOut, 409: Error, 503: Error, **TOKEN},
    openapi_extra=SENT_LINKS,
)
def message_send(
    request: HttpRequest,
    edition: str,
    body: MessageIn,
    idempotency_key: str | None = Header(None, alias="Idempotency-Key", max_length=255),
):
    """Send a message to the participants of ``segment`` now: one mail per recipient goes to
    the outbox, in their language (English when written, else Polish). Nobody matching is 422
    ``empty``. With an ``Idempotency-Key`` header the same request sent again gets the first
    answer and sends nothing."""
    token, found = token_access(request, edition=edition, scope=SCOPE)

    def send() -> tuple[int, dict]:
        try:
            ratelimit_hit(scope="api-messages", value=str(token.pk))
        except RateLimited as error:
            raise RateLimitedError(error.retry_after) from error
        campaign = campaign_send(
            edition=found,
            segment=dict(body.segment),
            subject_pl=body.subject_pl,
            body_pl=body.body_pl,
            subject_en=body.subject_en,
            body_en=body.body_en,
            transactional=body.transactional,
            actor=token.created_by,
            note=f"API token {token.name} ({token.prefix}…)",
        )
        return 201, message_out(campaign)

    return idempotent(token=token, key=idempotency_key, body=body, answer=send)


@router.get("/editions/{edition}/messages/{message_id}", response={200: MessageOut, **TOKEN})
def message_detail(request: HttpRequest, edition: str, message_id: Id):
    """A message of the edition (sent through the API or from the back office) and how many
    of its mails are queued, sent, failed."""
    _token, found = token_access(request, edition=edition, scope=SCOPE)
    campaign = Campaign.objects.filter(edition=found, pk=message_id).first()
    if campaign is None:
        raise not_found()
    return message_out(campaign)
