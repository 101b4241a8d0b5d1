"""The API object: its routers, its error answers and its documents (``/api/v1/openapi.json``,
OpenAPI 3.1, and ``/api/v1/docs``, Swagger UI from django-ninja's own static files: no CDN,
no inline script, inside the site's Content Security Policy)."""

from __future__ import annotations

import functools

from django.http import Http404, HttpRequest, HttpResponse
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext_lazy as _
from ninja import NinjaAPI, Swagger
from ninja.errors import AuthenticationError, HttpError, ValidationError

from kongres.api import checkin, messages, public, registrations
from kongres.api.auth import RateLimitedError, audited
from kongres.api.errors import status_of
from kongres.core.exceptions import KongresError

api = NinjaAPI(
    title="kongres API",
    version="1",
    description=(
        "Public reads need no token. Registrations, check-in and messages need a token of the "
        "edition (`Authorization: Bearer kgr_…`), created by an administrator in the back office."
    ),
    urls_namespace="api",
    docs=Swagger(),
    docs_url="/docs",
    openapi_url="/openapi.json",
)
api.add_router("/", public.router)
api.add_router("/", registrations.router)
api.add_router("/", checkin.router)
api.add_router("/", messages.router)


def _error(request: HttpRequest, status: int, code: str, message) -> HttpResponse:
    return api.create_response(request, {"code": code, "message": str(message)}, status=status)


@api.exception_handler(KongresError)
def domain_error(request: HttpRequest, error: KongresError) -> HttpResponse:

    response = _error(request, status_of(error), error.code, error.message)
    if isinstance(error, RateLimitedError):
        response["Retry-After"] = str(error.retry_after)
    return response


@api.exception_handler(ValidationError)
def invalid(request: HttpRequest, error: ValidationError) -> HttpResponse:
    fields = sorted(
        {".".join(str(part) for part in e.get("loc", ())[1:]) or "body" for e in error.errors}
    )
    message = _("The request is not valid: %(fields)s.") % {"fields": ", ".join(fields)}
    return _error(request, 422, "invalid", message)


@api.exception_handler(AuthenticationError)
def unauthorized(request: HttpRequest, error: AuthenticationError) -> HttpResponse:
    response = _error(
        request, 401, "unauthorized", _("A valid token is needed (Authorization: Bearer …).")
    )
    response["WWW-Authenticate"] = "Bearer"
    return response


@api.exception_handler(Http404)
def not_found(request: HttpRequest, error: Http404) -> HttpResponse:
    return _error(request, 404, "not_found", _("Not found."))


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, error: HttpError) -> HttpResponse:
    code = "invalid" if error.status_code in (400, 422) else "error"
    status = 422 if error.status_code == 400 else error.status_code
    return _error(request, status, code, _("The request is not valid."))


def _in_request_language(view):
    """Answer in the language of ``Accept-Language`` (Polish by default): the API's addresses
    carry no language prefix, so LocaleMiddleware leaves them in the default language. The
    request's ``api.request`` audit entry is written once the view has answered (``audited``)."""
    view = audited(view)

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        with translation.override(translation.get_language_from_request(request)):
            response = view(request, *args, **kwargs)
            response.headers.setdefault("Content-Language", translation.get_language())
            patch_vary_headers(response, ["Accept-Language"])
            return response

    return wrapper


def api_urls():
    """``api.urls`` with every view answering in the request's language."""
    patterns, app_name, namespace = api.urls
    for pattern in patterns:
        pattern.callback = _in_request_language(pattern.callback)
    return patterns, app_name, namespace
