"""Registrations of the token's edition: list (filters, cursor pagination), read one, create
(``registration_create``, the form's service: capacity, waiting list, mails; idempotent with
an ``Idempotency-Key`` header), cancel, approve, reject. Scopes ``read_registrations`` and
``write_registrations``."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from typing import Literal

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import Field, Header, Query, Router, Schema

from kongres.accounts.models import ApiToken
from kongres.api.auth import (
    TokenAuth,
    audit_pending,
    audit_written,
    edition_check,
    token_access,
    token_scoped,
)
from kongres.api.errors import TOKEN, ApiError, Error, Id, Text, not_found
from kongres.api.idempotency import idempotent
from kongres.events.models import Edition
from kongres.registration.choices import AccessibilityNeed, MunicipalitySize, Sector, Voivodeship
from kongres.registration.models import Registration
from kongres.registration.services import (
    RegistrationData,
    registration_approve,
    registration_cancel,
    registration_create,
    registration_create_parts,
    registration_reject,
)

router = Router(tags=["registrations"], auth=TokenAuth())

READ = ApiToken.Scope.READ_REGISTRATIONS
WRITE = ApiToken.Scope.WRITE_REGISTRATIONS
PAGE_MAX = 200


class RegistrationOut(Schema):
    id: int
    status: str
    email: str
    first_name: str
    last_name: str
    institution: str
    position: str
    sector: str
    town: str
    voivodeship: str
    municipality_size: str
    language: str
    days: list[int]
    tracks: list[int]
    accessibility_needs: list[str]
    accessibility_other: str
    dietary_needs: str
    photo_consent: bool
    newsletter_consent: bool
    answers: dict
    created_at: dt.datetime
    updated_at: dt.datetime
    verified_at: dt.datetime | None
    hold_expires_at: dt.datetime | None
    offer_expires_at: dt.datetime | None
    confirmed_at: dt.datetime | None
    ended_at: dt.datetime | None


class RegistrationPage(Schema):
    results: list[RegistrationOut]
    next_cursor: str | None = Field(
        None, description="Pass as `cursor` for the next page; null on the last page."
    )


class RegistrationIn(Schema):
    # Text: the strings that are stored refuse NUL (422), as the form's fields do
    first_name: Text = Field(max_length=100)
    last_name: Text = Field(max_length=100)
    email: Text = Field(max_length=254, json_schema_extra={"format": "email"})
    institution: Text = Field("", max_length=200)
    position: Text = Field("", max_length=150)
    sector: Sector | Literal[""] = ""
    town: Text = Field("", max_length=100)
    voivodeship: Voivodeship | Literal[""] = ""
    municipality_size: MunicipalitySize | Literal[""] = ""
    days: list[Id] = Field(default_factory=list, max_length=50)
    tracks: list[Id] = Field(default_factory=list, max_length=50)
    accessibility_needs: list[AccessibilityNeed] = Field(default_factory=list, max_length=20)
    accessibility_other: Text = Field("", max_length=2000)
    dietary_needs: Text = Field("", max_length=2000)
    privacy_consent: bool = Field(
        description="The person accepted the privacy notice (required, as on the form)."
    )
    photo_consent: bool = False
    newsletter_consent: bool = False
    answers: dict[Text, Text | list[Text] | bool] = Field(default_factory=dict)
    language: Literal["pl", "en"] = "pl"


class ListFilters(Schema):
    state: Registration.Status | None = None
    day: Id | None = None
    updated_since: dt.datetime | None = None
    cursor: str | None = Field(None, max_length=100)
    limit: int = Field(50, ge=1, le=PAGE_MAX)


def registration_out(
    registration: Registration,
    *,
    day_ids: set[int] | None = None,
    track_ids: set[int] | None = None,
) -> dict:
    """The registration as the API shows it; ``day_ids`` and ``track_ids``: its days and panels
    when the caller has them (else read, or taken from a ``prefetch_related``)."""
    if day_ids is None:
        day_ids = {day.pk for day in registration.days.all()}
    if track_ids is None:
        track_ids = {track.pk for track in registration.tracks.all()}
    return {
        "id": registration.pk,
        "status": registration.status,
        "email": registration.email,
        "first_name": registration.first_name,
        "last_name": registration.last_name,
        "institution": registration.institution,
        "position": registration.position,
        "sector": registration.sector,
        "town": registration.town,
        "voivodeship": registration.voivodeship,
        "municipality_size": registration.municipality_size,
        "language": registration.language,
        "days": sorted(day_ids),
        "tracks": sorted(track_ids),
        "accessibility_needs": list(registration.accessibility_needs or []),
        "accessibility_other": registration.accessibility_other,
        "dietary_needs": registration.dietary_needs,
        "photo_consent": registration.photo_consent,
        "newsletter_consent": registration.newsletter_consent,
        "answers": registration.answers or {},
        "created_at": registration.created_at,
        "updated_at": registration.updated_at,
        "verified_at": registration.verified_at,
        "hold_expires_at": registration.hold_expires_at,
        "offer_expires_at": registration.offer_expires_at,
        "confirmed_at": registration.confirmed_at,
        "ended_at": registration.ended_at,
    }


def _registrations(edition: Edition):
    return Registration.objects.filter(edition=edition).prefetch_related("days", "tracks")


def _get(edition: Edition, registration_id: Id) -> Registration:
    registration = _registrations(edition).filter(pk=registration_id).first()
    if registration is None:
        raise not_found()
    return registration


def _cursor_decode(cursor: str) -> int:
    try:
        pk = int(base64.urlsafe_b64decode(cursor.encode() + b"==").decode())
    except (ValueError, binascii.Error, UnicodeDecodeError):
        pk = -1
    if not 0 < pk < 2**63:
        raise ApiError(422, _("The cursor is not valid."), "invalid")
    return pk


def _cursor_encode(pk: int) -> str:
    return base64.urlsafe_b64encode(str(pk).encode()).decode().rstrip("=")


@router.get("/editions/{edition}/registrations", response={200: RegistrationPage, **TOKEN})
def registration_list(request: HttpRequest, edition: str, filters: Query[ListFilters]):
    """The edition's registrations in the order they were made, ``limit`` per page (cursor
    pagination: a registration made meanwhile never shifts a page). Filters: ``state``,
    ``day`` (a day's id), ``updated_since``."""
    _token, found = token_access(request, edition=edition, scope=READ)
    registrations = _registrations(found).order_by("pk")
    if filters.state:
        registrations = registrations.filter(status=filters.state)
    if filters.day is not None:
        registrations = registrations.filter(days__pk=filters.day)
    if filters.updated_since is not None:
        registrations = registrations.filter(updated_at__gte=filters.updated_since)
    if filters.cursor:
        registrations = registrations.filter(pk__gt=_cursor_decode(filters.cursor))
    page = list(registrations[: filters.limit + 1])
    more = len(page) > filters.limit
    page = page[: filters.limit]
    return {
        "results": [registration_out(r) for r in page],
        "next_cursor": _cursor_encode(page[-1].pk) if more else None,
    }


@router.get(
    "/editions/{edition}/registrations/{registration_id}", response={200: RegistrationOut, **TOKEN}
)
def registration_detail(request: HttpRequest, edition: str, registration_id: Id):
    _token, found = token_access(request, edition=edition, scope=READ)
    return registration_out(_get(found, registration_id))


def _link(operation: str) -> dict:
    return {
        "operationId": f"kongres_api_registrations_{operation}",
        "parameters": {
            "edition": "$request.path.edition",
            "registration_id": "$response.body#/id",
        },
    }


# OpenAPI links from a new registration to what may follow (clients, and schemathesis's
# stateful tests, follow them).
CREATED_LINKS = {
    "responses": {
        201: {
            "links": {
                "GetRegistration": _link("registration_detail"),
                "CancelRegistration": _link("registration_cancel_view"),
                "ApproveRegistration": _link("registration_approve_view"),
                "RejectRegistration": _link("registration_reject_view"),
            }
        }
    }
}


@router.post(
    "/editions/{edition}/registrations",
    response={201: RegistrationOut, 409: Error, 503: Error, **TOKEN},
    openapi_extra=CREATED_LINKS,
)
def registration_add(
    request: HttpRequest,
    edition: str,
    body: RegistrationIn,
    idempotency_key: str | None = Header(None, alias="Idempotency-Key", max_length=255),
):
    """Register someone as the public form does: a held seat to confirm by the mailed link (or
    the waiting list when full), within the registration window. With an ``Idempotency-Key``
    header, the same request sent again gets the first answer; the same key with another
    request is refused (422)."""
    token = token_scoped(request, scope=WRITE)
    # the edition, its days, panels and questions, the privacy notice's version and the
    # verification mail's stencils in one round trip to the cache
    found, parts = registration_create_parts(edition_id=token.edition_id, language=body.language)
    edition_check(found, edition=edition)

    def create() -> tuple[int, dict]:
        # the request's audit entry in the registration's own transaction (one statement on
        # PostgreSQL); if the registration is refused, ``audited`` writes it after the answer
        registration, _secret = registration_create(
            edition=found,
            data=_data(body),
            parts=parts,
            audit_entries=audit_pending(request),
        )
        audit_written(request)
        # as stored (the service keeps each day and panel once, checked against the edition)
        return 201, registration_out(
            registration, day_ids=set(body.days), track_ids=set(body.tracks)
        )

    return idempotent(token=token, key=idempotency_key, body=body, answer=create)


def _data(body: RegistrationIn) -> RegistrationData:
    return RegistrationData(
        first_name=body.first_name,
        last_name=body.last_name,
        email=body.email,
        institution=body.institution,
        position=body.position,
        sector=str(body.sector),
        town=body.town,
        voivodeship=str(body.voivodeship),
        municipality_size=str(body.municipality_size),
        day_ids=list(body.days),
        track_ids=list(body.tracks),
        accessibility_needs=[str(need) for need in body.accessibility_needs],
        accessibility_other=body.accessibility_other,
        dietary_needs=body.dietary_needs,
        privacy_consent=body.privacy_consent,
        photo_consent=body.photo_consent,
        newsletter_consent=body.newsletter_consent,
        answers=dict(body.answers),
        language=body.language,
    )


def _act(request: HttpRequest, edition: str, registration_id: Id, service) -> dict:
    token, found = token_access(request, edition=edition, scope=WRITE)
    registration = _get(found, registration_id)
    service(registration=registration, actor=token.created_by)
    return registration_out(_get(found, registration_id))


@router.post(
    "/editions/{edition}/registrations/{registration_id}/cancel",
    response={200: RegistrationOut, 409: Error, 503: Error, **TOKEN},
)
def registration_cancel_view(request: HttpRequest, edition: str, registration_id: Id):
    """Cancel (or take off the waiting list); a freed seat is offered at once."""
    return _act(request, edition, registration_id, registration_cancel)


@router.post(
    "/editions/{edition}/registrations/{registration_id}/approve",
    response={200: RegistrationOut, 409: Error, 503: Error, **TOKEN},
)
def registration_approve_view(request: HttpRequest, edition: str, registration_id: Id):
    return _act(request, edition, registration_id, registration_approve)


@router.post(
    "/editions/{edition}/registrations/{registration_id}/reject",
    response={200: RegistrationOut, 409: Error, 503: Error, **TOKEN},
)
def registration_reject_view(request: HttpRequest, edition: str, registration_id: Id):
    return _act(request, edition, registration_id, registration_reject)
