"""The two pages of a new visitor's registration kept whole in the shared cache, with holes.

The blank registration form and the page after sending it are the same for every new visitor
but for a few values: the form's CSRF token and one-time form token; the e-mail address on the
page after it. Rendering them (the site's frame, the language links, the form's sections) cost
more CPU than the registration's own work besides (issue 16, ``bench/flow.py``). So each is
rendered once with a marker in place of each such value, kept in Django's cache (the shared
one: Redis or the database) under a key of everything else it shows, and served with the
markers replaced by the visitor's values, escaped as the template would have escaped them.

What the key holds (``page_key``): the page's full address (scheme, host, path: the language
links are absolute), the language, the edition, the content generation (an edit of what the
pages show bumps it, ``kongres.core.cache``) and what the view adds (the days full, the status
shown, the minute a seat is held until). A page is kept for ``PUBLIC_CACHE_SECONDS``, like the
public pages. Not from the cache, rendered as ever: a request with a query string (the language
links carry it: random ones must not fill the cache), a visitor with a session or messages
cookie (an organiser), or a site whose cache lifetime is 0.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import TYPE_CHECKING
from urllib.parse import quote

from django.conf import settings
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.utils.html import escape
from django.utils.translation import get_language

from kongres.core.cache import cache_seconds, request_generation
from kongres.registration.forms import RegistrationForm

if TYPE_CHECKING:
    from kongres.events.models import Edition
    from kongres.registration.selectors import FullSeats

KEY_PREFIX = "kongres:registration-page"
# Letters, digits and hyphens only: HTML escaping and URL encoding leave a marker as it is.
_MARKER = "kongres-hole-{}-5c1e0f7a"


def marker(name: str) -> str:
    """What the page is rendered with in place of the value ``name``."""
    return _MARKER.format(name)


def page_cacheable(request: HttpRequest) -> bool:
    return (
        not request.META.get("QUERY_STRING")
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
        and CookieStorage.cookie_name not in request.COOKIES
        and cache_seconds() > 0
    )


def page_key(request: HttpRequest, name: str, *parts: object) -> str:
    address = request.build_absolute_uri()
    text = "|".join(map(str, (address, get_language(), request_generation(request), *parts)))
    return f"{KEY_PREFIX}:{name}:{hashlib.sha256(text.encode()).hexdigest()[:40]}"


def page_with_holes(
    request: HttpRequest,
    *,
    key: str,
    render_page: Callable[[], HttpResponse],
    values: dict[str, str],
) -> HttpResponse:
    """The page of ``key`` (``render_page()`` renders it with ``marker(name)`` for each name of
    ``values`` and is called when the cache has no page under ``key``) with the markers
    replaced by ``values``, which are HTML-escaped here. ``render_page`` must render a 200
    whose content depends on nothing but ``key`` and the markers."""
    stored = cache.get(key)
    if isinstance(stored, tuple) and len(stored) == 2:
        content_type, text = stored
    else:
        rendered = render_page()
        if rendered.status_code != 200 or rendered.streaming:
            return rendered
        content_type = rendered["Content-Type"]
        text = rendered.content.decode(rendered.charset)
        cache.set(key, (content_type, text), cache_seconds())
    for name, value in values.items():
        text = text.replace(marker(name), escape(value))
    return HttpResponse(text, content_type=content_type)


# -- the two pages ---------------------------------------------------------------------------


def form_page(
    request: HttpRequest,
    edition: Edition,
    form: RegistrationForm,
    full: FullSeats,
    started: str,
    *,
    proof_required: bool,
    csrf_token: str | None = None,
) -> HttpResponse:
    """The registration form's page, rendered (``csrf_token``: a marker instead of the token)."""
    context = {
        "edition": edition,
        "form": form,
        "bound": request.method == "POST",
        "started": started,
        "proof_required": proof_required,
        "proof_challenge": RegistrationForm.proof_challenge() if proof_required else "",
        "edition_full": full.edition,
        "closes_at": edition.registration_closes_at,
        # The blank form's fields are the same for everyone (the CSRF token and the signed
        # start time are outside them): the template caches them ({% cache %}) per edition,
        # language, content generation and days full, for the page rendered with its tokens.
        "fragment_seconds": cache_seconds(),
        "generation": request_generation(request),
        "full_days": ",".join(map(str, sorted(full.day_ids))),
    }
    if csrf_token is not None:
        context["csrf_token"] = csrf_token
    return render(request, "registration/register.html", context)


def blank_form_page(
    request: HttpRequest,
    edition: Edition,
    form: RegistrationForm,
    full: FullSeats,
    started: str,
    proof_required: bool,
) -> HttpResponse:
    """The blank form: from the cache with its two tokens put in, unless the page asks for a
    proof of work (its challenge is new each time) or the request is not for the cache."""
    if proof_required or not page_cacheable(request):
        return form_page(request, edition, form, full, started, proof_required=proof_required)
    return page_with_holes(
        request,
        key=page_key(request, "form", edition.pk, full.edition, sorted(full.day_ids)),
        render_page=lambda: form_page(
            request,
            edition,
            form,
            full,
            marker("started"),
            proof_required=False,
            csrf_token=marker("csrf"),
        ),
        values={"started": started, "csrf": get_token(request)},
    )


def submitted_page(request: HttpRequest, shown: dict, edition: Edition) -> HttpResponse:
    """The page after the form (``shown``: what it shows, from its signed cookie): the same
    for everyone of a status (and of a minute a seat is held until) but for the address."""
    email, applying = str(shown["email"]), bool(shown.get("applying", False))

    def page(email_html: str, email_query: str) -> HttpResponse:
        context = {
            "registration": {**shown, "email": email_html},
            "email_query": email_query,  # for the link "send it again" (``urlencode``)
            "edition": edition,
            "applying": applying,
        }
        return render(request, "registration/submitted.html", context)

    if not page_cacheable(request):
        return page(email, quote(email))
    held = shown.get("hold_expires_at")
    minute = held.replace(second=0, microsecond=0).isoformat() if held else ""
    return page_with_holes(
        request,
        key=page_key(request, "submitted", edition.pk, shown["status"], applying, minute),
        render_page=lambda: page(marker("email"), marker("email-query")),
        values={"email": email, "email-query": quote(email)},
    )
