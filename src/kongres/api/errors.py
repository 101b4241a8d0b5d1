"""The API's errors: ``{"code": ..., "message": ...}``, the message in the request's language
(``Accept-Language``), the status codes of the house style."""

from __future__ import annotations

from typing import Annotated

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from ninja import Field, Schema
from pydantic import AfterValidator

from kongres.core.exceptions import KongresError

# Domain error codes that mean "the state does not allow it" (409); "busy" is 503, every
# other domain error is input the API cannot take (422).
CONFLICT_CODES = frozenset(
    {
        "full",
        "already_checked_in",
        "duplicate",
        "wrong_status",
        "conflict",
        "not_active",
        "not_open",
        "closed",
        "deadline",
        "idempotency_in_progress",
    }
)


# A row's id as the databases take it (a larger number would overflow SQLite's and
# PostgreSQL's bigint: an error, not "not found").
Id = Annotated[int, Field(ge=1, le=2**63 - 1)]


class Error(Schema):
    code: str
    message: str


class ApiError(KongresError):
    """An error the API answers with ``status``."""

    code = "error"

    def __init__(self, status: int, message: str | Promise, code: str) -> None:
        super().__init__(message, code)
        self.status = status


def status_of(error: KongresError) -> int:
    if isinstance(error, ApiError):
        return error.status
    if error.code == "busy":
        return 503
    if error.code in CONFLICT_CODES:
        return 409
    return 422


def not_found() -> ApiError:
    return ApiError(404, _("Not found."), "not_found")


def forbidden() -> ApiError:
    return ApiError(403, _("This token may not do this."), "forbidden")


# Every operation may answer these (documented in the OpenAPI document).
COMMON = {404: Error, 422: Error}
TOKEN = {401: Error, 403: Error, 404: Error, 422: Error, 429: Error}


def no_nul(text: str) -> str:
    """Refuse a NUL character (422): no database text field can hold one (PostgreSQL refuses
    it), as Django's form fields refuse it on the pages."""
    if "\x00" in text:
        raise ValueError("null characters are not allowed")
    return text


# A string of the request's body that is stored: without NUL characters.
Text = Annotated[str, AfterValidator(no_nul)]
