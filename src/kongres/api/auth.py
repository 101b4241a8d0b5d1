"""Token authentication: ``Authorization: Bearer kgr_…``. A token belongs to one edition and
carries scopes; it is read from the database on every request (a revoked or expired token is
refused at once, by every process: nothing about it is cached). Each request with a valid
token is counted against the token's rate limit (``KONGRES_RATELIMIT_API_TOKEN``, shared
cache) and written to the audit log (``api.request``).

The audit entry is made when the token is accepted and written when the answer is ready
(``audited``, around every API view), whatever the answer (a refusal, an error); a view that
makes a change may instead write it in the change's own transaction (``audit_pending``, then
``audit_written``): a registration created through the API is one transaction, and on
PostgreSQL one statement, with its ``api.request`` entry."""

from __future__ import annotations

import functools

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _
from ninja.security import HttpBearer

from kongres.accounts.models import ApiToken
from kongres.accounts.services import api_token_authenticate
from kongres.api.errors import ApiError, forbidden
from kongres.audit.models import AuditLogEntry
from kongres.audit.services import audit_entry
from kongres.core.ratelimit import RateLimited, ratelimit_hit
from kongres.events.models import Edition
from kongres.events.selectors import edition_memoized


class RateLimitedError(ApiError):
    def __init__(self, retry_after: int) -> None:
        super().__init__(
            429, _("Too many requests with this token. Try again later."), "rate_limited"
        )
        self.retry_after = retry_after


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> ApiToken | None:
        found = api_token_authenticate(secret=token)
        if found is None:
            return None
        try:
            # a token sends many requests a minute: its counter usually exists
            ratelimit_hit(scope="api-token", value=str(found.pk), busy=True)
        except RateLimited as error:
            raise RateLimitedError(error.retry_after) from error
        request.api_audit = audit_entry(  # written by ``audited``, or with the change
            actor=None,
            action="api.request",
            obj=found,
            note=f"{request.method} {request.path}"[:500],
        )
        return found


def audit_pending(request: HttpRequest) -> list[AuditLogEntry]:
    """The request's ``api.request`` entry still to be written (none or one), for a service
    that writes it in its own transaction; call ``audit_written`` once that has committed."""
    entry = getattr(request, "api_audit", None)
    return [entry] if entry is not None else []


def audit_written(request: HttpRequest) -> None:
    request.api_audit = None


def audited(view):
    """Write the request's ``api.request`` entry (if the view did not write it with its change)
    once the view has answered, or failed."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        finally:
            entry = getattr(request, "api_audit", None)
            if entry is not None:
                request.api_audit = None
                entry.pk = None
                entry.save(force_insert=True)

    return wrapper


def token_scoped(request: HttpRequest, *, scope: str) -> ApiToken:
    """The request's token, when it has ``scope``; else 403."""
    token: ApiToken = request.auth
    if scope not in token.scopes:
        raise forbidden()
    return token


def edition_check(found: Edition, *, edition: str) -> Edition:
    """``found`` (the token's edition) when it is ``edition`` (a slug); else 403 (a token never
    learns whether another edition exists)."""
    if found.slug != edition:
        raise forbidden()
    return found


def token_access(request: HttpRequest, *, edition: str, scope: str) -> tuple[ApiToken, Edition]:
    """The request's token and its edition, when the token is for ``edition`` (a slug) and has
    ``scope``; else 403. The edition is ``edition_memoized`` (editing an edition bumps the
    content generation); the token itself is read on every request."""
    token = token_scoped(request, scope=scope)
    return token, edition_check(edition_memoized(edition_id=token.edition_id), edition=edition)
