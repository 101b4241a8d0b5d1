"""Whole-page caching of the public pages for anonymous visitors (``@public_page``).

Views marked ``@public_page`` are cached by ``PublicPageCacheMiddleware`` under a key made of
the full address (scheme, host, path and query string; the language is part of the path), with
the content *generation* it was rendered under, for ``PUBLIC_CACHE_SECONDS`` (60 s). The page
and the current generation are read in one round trip to the cache (``get_many``); a page of
an older generation is not served.

Why it stays correct:

* **Edits show at once.** Saving or deleting any model of the apps the public pages show
  (``events``, ``content``, ``materials``; ``PUBLIC_CACHE_APPS``) bumps the generation, so
  every page cached before is never served again (it is replaced, or expires on its own). The
  bump happens at once (the same process reads its own writes, tests included) and again after
  the transaction commits, so a page rendered by another process from the data of before the
  commit cannot outlive it.
* **Every process sees the bump.** The generation is a counter in Django's cache
  (``cache.incr``), which every process shares: Redis (``cache_url``) or the database cache
  (``settings.CACHES``; never a process's memory, since gunicorn or granian run several
  processes, plus ``kongres worker``).
* **Time.** Some pages change with the clock alone: a news post whose ``published_at`` comes,
  registration opening or closing on the home page ("opens on …" vs the form), an edition
  becoming past. No edit bumps anything then, so the short lifetime bounds how late such a change
  shows: at most ``PUBLIC_CACHE_SECONDS``. (A time bucket in the key would give the same bound.)
* **Nothing personal is cached or served from the cache.** A request with a session or
  messages cookie (anyone logged in: organisers see live pages) neither reads nor fills the
  cache. A response is stored only if it is a 200, sets no cookie, does not vary on the cookie,
  and its rendering touched neither the session nor the CSRF token (a page with a form that
  needs a token is therefore never cached; the public pages have none). The response is stored
  whole, with the headers every middleware added (they are the same for every anonymous visitor:
  the CSP has no nonce, and one with a nonce is not stored).
* **Query strings.** Only the parameters a page understands (``params``) are cached, so random
  query strings cannot fill the cache; any other parameter is served uncached.

Registration counts (places left, full) are not shown on the public pages, so a registration
does not bump the generation. Places in sessions are (issue 18): a page that shows them asks
for a shorter life (``request.public_page_seconds``, set by the view), which bounds how late
"full" shows. A participant known by their cookie (``PARTICIPANT_COOKIE``, set by their personal
page) sees their own sign-ups: such a request neither reads nor fills the cache.

The same generation keeps ``memoized`` values correct: what every request reads and only an
edit changes (the current edition, its days, panels and questions, the privacy notice's
fingerprint) is kept in the same cache with the generation, for at most
``PUBLIC_CACHE_SECONDS`` (which bounds how late a change made by ``QuerySet.update``, which
sends no signal, shows). A registration in a rush then spends no query on them, and one round
trip to the cache for each. A request reads the generation at most once more, for the keys of
its cached fragments (``request_generation``: the page cache's read, when it made one).
"""

from __future__ import annotations

import functools
import hashlib
import time
from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.cache import has_vary_header

GENERATION_KEY = "kongres:public-gen"
PAGE_KEY_PREFIX = "kongres:page"
DEFAULT_SECONDS = 60
DEFAULT_APPS = ("events", "content", "materials")
# Models outside those apps whose edits must show at once (memoized by the registration form
# and the check-in).
DEFAULT_MODELS = (
    "registration.question",
    "checkin.gate",
    # the home page shows the draw's commitment until the draw is done
    "registration.allocation",
    "registration.draw",
    # a registration writes webhook events only when the edition has a subscription
    "webhooks.webhooksubscription",
)
# The signed cookie that names a participant (``kongres.registration.sessions``): their pages
# are personal.
PARTICIPANT_COOKIE = "kongres_participant"


def cache_seconds() -> int:
    """How long a public page, a memoized value or a cached fragment is kept."""
    return getattr(settings, "PUBLIC_CACHE_SECONDS", DEFAULT_SECONDS)


def generation(key: str = GENERATION_KEY) -> int:
    """The current content generation (or the generation kept under another ``key``)."""
    value = cache.get(key)
    if value is None:
        # A fresh value (not 1): if the key was evicted, old pages must not match again.
        cache.add(key, time.time_ns(), timeout=None)
        value = cache.get(key)
    return value


def bump(key: str = GENERATION_KEY) -> None:
    """Make every page cached so far stale (or what was kept under another generation's
    ``key``)."""
    try:
        cache.incr(key)
    except ValueError:  # not there (evicted or never set)
        cache.set(key, time.time_ns(), timeout=None)


def _content_changed(sender, **kwargs) -> None:
    if sender._meta.app_label not in getattr(
        settings, "PUBLIC_CACHE_APPS", DEFAULT_APPS
    ) and sender._meta.label_lower not in getattr(settings, "PUBLIC_CACHE_MODELS", DEFAULT_MODELS):
        return
    content_changed(using=kwargs.get("using"))


def content_changed(using: str | None = None, *, key: str = GENERATION_KEY) -> None:
    """Bump the generation now (this process reads its own writes) and again when the
    transaction commits, if there is one. Saves and deletes do it through their signals; a
    ``QuerySet.update`` of what the public pages or ``memoized`` show must call it. ``key``:
    another generation's (``accounts.roles.ACCESS_GENERATION_KEY``)."""
    bump(key)
    if transaction.get_connection(using or "default").in_atomic_block:
        transaction.on_commit(functools.partial(bump, key), using=using)


def connect_signals() -> None:
    """Called once from ``CoreConfig.ready``."""
    for signal in (post_save, post_delete, m2m_changed):
        signal.connect(_content_changed, dispatch_uid=f"kongres-public-cache-{id(signal)}")


MEMO_KEY_PREFIX = "kongres:memo"
_MISSING = object()


def _memo_key(key: str) -> str:
    return f"{MEMO_KEY_PREFIX}:{key}"


def generation_and(key: str, generation_key: str = GENERATION_KEY) -> tuple[int, object]:
    """The current generation and the value under ``key`` (``_MISSING`` when absent), in one
    round trip to the cache (``get_many``): a cached value is stored with the generation it was
    made under, and it is current only when that is the generation read with it.
    ``generation_key``: another generation's (``accounts.roles.ACCESS_GENERATION_KEY``)."""
    found = cache.get_many([generation_key, key])
    current = found.get(generation_key)
    if current is None:  # never set, or evicted
        current = generation(generation_key)
    return current, found.get(key, _MISSING)


def memoized[T](
    key: str,
    load: Callable[[], T],
    *,
    seconds: float | None = None,
    generation_key: str = GENERATION_KEY,
) -> T:
    """``load()``, kept in Django's cache under ``key`` with the content generation it was
    read under, for at most ``seconds`` (default ``PUBLIC_CACHE_SECONDS``; never with 0): a
    value of an older generation is read again. For reads that only an edit of the public
    content changes, or that may be ``seconds`` late. The generation and the value come in one
    round trip to the cache; the generation is read before ``load()``, so a value read before
    a change is never stored under the generation after it. Every call gets its own copy of
    the value (the cache stores it pickled), so what a request does with it stays in that
    request; with a shared cache (Redis) every process reads the same value.
    ``generation_key``: another generation than the content's, for values that other edits
    change (``accounts.roles.access_of``)."""
    timeout = cache_seconds() if seconds is None else seconds
    if not timeout:
        return load()
    cache_key = _memo_key(key)
    current, stored = generation_and(cache_key, generation_key)
    if isinstance(stored, tuple) and len(stored) == 2 and stored[0] == current:
        return stored[1]  # type: ignore[return-value]
    value = load()
    cache.set(cache_key, (current, value), timeout)
    return value


def memoized_many(loads: dict[str, Callable[[], Any]], *, seconds: float | None = None) -> list:
    """``memoized`` for several keys at once: their values, in the order of ``loads``, the
    current ones read with the generation in one round trip to the cache (``get_many``), the
    others loaded and stored together (``set_many``)."""
    timeout = cache_seconds() if seconds is None else seconds
    if not timeout:
        return [load() for load in loads.values()]
    keys = {key: _memo_key(key) for key in loads}
    found = cache.get_many([GENERATION_KEY, *keys.values()])
    current = found.get(GENERATION_KEY)
    if current is None:  # never set, or evicted
        current = generation()
    values, missing = [], {}
    for key, load in loads.items():
        stored = found.get(keys[key])
        if isinstance(stored, tuple) and len(stored) == 2 and stored[0] == current:
            values.append(stored[1])
        else:
            values.append(load())
            missing[keys[key]] = (current, values[-1])
    if missing:
        cache.set_many(missing, timeout)
    return values


def memo_forget(key: str) -> None:
    """Read ``key`` again the next time."""
    cache.delete(_memo_key(key))


def memo_clear() -> None:
    """Read every memoized value again (the content generation is bumped: cached pages are
    made again too, as after an edit)."""
    bump()


def _cacheable_request(request: HttpRequest) -> bool:
    return (
        request.method in ("GET", "HEAD")
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
        and CookieStorage.cookie_name not in request.COOKIES
        and PARTICIPANT_COOKIE not in request.COOKIES
        and not request.path_info.startswith(settings.STATIC_URL)
        and cache_seconds() > 0
    )


def _cacheable_response(request: HttpRequest, response: HttpResponse) -> bool:
    session = getattr(request, "session", None)
    return (
        getattr(request, "_public_page", False)
        and response.status_code == 200
        and not response.streaming
        and not response.cookies
        and not has_vary_header(response, "Cookie")
        and not (session is not None and session.accessed)
        and not request.META.get("CSRF_COOKIE_NEEDS_UPDATE")
        and "'nonce-" not in response.get("Content-Security-Policy", "")
    )


def _key(request: HttpRequest) -> str:
    # The pages' language comes from the address (i18n_patterns; no prefix: Polish); the JSON
    # API's from Accept-Language (its addresses carry none), so the language the request asks
    # for is part of the key too (one of LANGUAGES: at most one entry per language). The
    # scheme and host are part of the address (absolute links in the pages).
    language = translation.get_language_from_request(request)
    address = hashlib.sha256(f"{request.build_absolute_uri()}|{language}".encode()).hexdigest()
    return f"{PAGE_KEY_PREFIX}:{address}"


def request_generation(request: HttpRequest) -> int:
    """The content generation for this request: the one the page cache read with the page
    (one round trip for both), else read now, once per request."""
    value = getattr(request, "content_generation", None)
    if value is None:
        value = request.content_generation = generation()
    return value


class PublicPageCacheMiddleware:
    """First in ``MIDDLEWARE``: a cached page is returned before any other middleware runs (the
    cheapest possible hit), and what is stored is the final response, headers included, after
    every other middleware had its say (a cookie, ``Vary: Cookie`` or a CSP nonce any of them
    added keeps the response out of the cache). Only views marked ``@public_page`` are stored."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not _cacheable_request(request):
            return self.get_response(request)
        key = _key(request)
        # the generation before rendering (a bump meanwhile wins), read with the page
        current, stored = generation_and(key)
        request.content_generation = current
        if isinstance(stored, tuple) and len(stored) == 2 and stored[0] == current:
            return stored[1]
        response = self.get_response(request)
        if _cacheable_response(request, response):
            seconds = getattr(request, "public_page_seconds", None)
            cache.set(key, (current, response), min(seconds or cache_seconds(), cache_seconds()))
        return response


def public_page_mark(request: HttpRequest, *, params: Iterable[str] = ()) -> None:
    """What ``@public_page`` does, for a view that cannot be wrapped (a django-ninja operation,
    whose signature the framework reads): its answer may be cached as a public page."""
    request._public_page = set(request.GET) <= frozenset(params)


def public_page(
    view: Callable | None = None, *, params: Iterable[str] = ()
) -> Callable[..., HttpResponse]:
    """Let ``PublicPageCacheMiddleware`` cache the view's page for anonymous visitors (see the
    module docstring). ``params``: the query-string parameters the page reads; a request with
    any other parameter is not cached (random query strings cannot fill the cache)."""
    allowed = frozenset(params)

    def decorator(view_func: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @functools.wraps(view_func)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            public_page_mark(request, params=allowed)
            return view_func(request, *args, **kwargs)

        return wrapper

    return decorator(view) if view is not None else decorator
