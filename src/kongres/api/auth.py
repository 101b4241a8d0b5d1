"""Token authentication: ``Authorization: Bearer kgr_…``. A token belongs to one edition and
carries scopes; each request with a valid token is counted against the token's rate limit
(``KONGRES_RATELIMIT_API_TOKEN``, shared cache) and written to the audit log."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja.security import HttpBearer

from kongres.accounts.models import ApiToken
from kongres.accounts.services import api_token_authenticate
from kongres.api.errors import ApiError, forbidden
from kongres.audit.services import audit_log
from kongres.core.ratelimit import RateLimited, ratelimit_hit
from kongres.events.models import Edition


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
            ratelimit_hit(scope="api-token", value=str(found.pk))
        except RateLimited as error:
            raise RateLimitedError(error.retry_after) from error
        audit_log(
            actor=None,
            action="api.request",
            obj=found,
            edition=found.edition,
            note=f"{request.method} {request.path}"[:500],
        )
        return found


def token_access(request: HttpRequest, *, edition: str, scope: str) -> tuple[ApiToken, Edition]:
    """The request's token and its edition, when the token is for ``edition`` (a slug) and has
    ``scope``; else 403 (a token never learns whether another edition exists)."""
    token: ApiToken = request.auth
    if token.edition.slug != edition or scope not in token.scopes:
        raise forbidden()
    return token, token.edition
