"""Whole-page caching of the public pages for anonymous visitors (``@public_page``).

Views marked ``@public_page`` are cached by ``PublicPageCacheMiddleware`` under a key made of
the content *generation* and the full address (scheme, host, path and query string; the
language is part of the path), for ``PUBLIC_CACHE_SECONDS`` (60 s).

Why it stays correct:

* **Edits show at once.** Saving or deleting any model of the apps the public pages show
  (``events``, ``content``; ``PUBLIC_CACHE_APPS``) bumps the generation, so every page cached
  before is never looked up again (it expires on its own). The bump happens at once (the same
  process reads its own writes, tests included) and again after the transaction commits, so a
  page rendered by another process from the data of before the commit cannot outlive it.
* **Every process sees the bump.** With a shared cache (Redis, ``cache_url``) the generation
  is a counter in that cache (``cache.incr``). The local-memory cache is per process (granian
  runs several, plus ``kongres worker``), so there the generation is the modification time of a
  stamp file in the data directory (one ``stat`` per request, no query). Several machines need
  a shared cache.
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
does not bump the generation.

The same generation keeps ``memoized`` values correct: what every request reads and only an
edit changes (the current edition, its days, panels and questions, the privacy notice's
fingerprint) is kept in the same cache under the generation, for at most
``PUBLIC_CACHE_SECONDS`` (which bounds how late a change made by ``QuerySet.update``, which
sends no signal, shows). A registration in a rush then spends no query on them.
"""

from __future__ import annotations

import functools
import hashlib
import os
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from django.conf import settings
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.cache import cache, caches
from django.core.cache.backends.locmem import LocMemCache
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.http import HttpRequest, HttpResponse
from django.utils.cache import has_vary_header

GENERATION_KEY = "kongres:public-gen"
PAGE_KEY_PREFIX = "kongres:page"
DEFAULT_SECONDS = 60
DEFAULT_APPS = ("events", "content")
# Models outside those apps whose edits must show at once (memoized by the registration form
# and the check-in).
DEFAULT_MODELS = ("registration.question", "checkin.gate")


def cache_seconds() -> int:
    """How long a public page, a memoized value or a cached fragment is kept."""
    return getattr(settings, "PUBLIC_CACHE_SECONDS", DEFAULT_SECONDS)


def _stamp() -> Path:
    # Read several times a request: the settings' own Path (which keeps its text) when it is one.
    stamp = settings.PUBLIC_CACHE_STAMP
    return stamp if isinstance(stamp, Path) else Path(stamp)


def _shared() -> bool:
    """Whether every process sees the same cache (not the per-process local memory)."""
    return not isinstance(caches["default"], LocMemCache)


def generation() -> int:
    """The current content generation."""
    if _shared():
        value = cache.get(GENERATION_KEY)
        if value is None:
            # A fresh value (not 1): if the key was evicted, old pages must not match again.
            cache.add(GENERATION_KEY, time.time_ns(), timeout=None)
            value = cache.get(GENERATION_KEY)
        return value
    try:
        return os.stat(_stamp()).st_mtime_ns
    except FileNotFoundError:
        bump()
        return os.stat(_stamp()).st_mtime_ns


def bump() -> None:
    """Make every page cached so far stale."""
    if _shared():
        try:
            cache.incr(GENERATION_KEY)
        except ValueError:  # not there (evicted or never set)
            cache.set(GENERATION_KEY, time.time_ns(), timeout=None)
        return
    stamp = _stamp()
    try:
        before = os.stat(stamp).st_mtime_ns
    except FileNotFoundError:
        stamp.parent.mkdir(parents=True, exist_ok=True)
        stamp.touch()
        before = 0
    now = max(time.time_ns(), before + 1)  # set exactly: file times can be coarse
    os.utime(stamp, ns=(now, now))


def _content_changed(sender, **kwargs) -> None:
    if sender._meta.app_label not in getattr(
        settings, "PUBLIC_CACHE_APPS", DEFAULT_APPS
    ) and sender._meta.label_lower not in getattr(settings, "PUBLIC_CACHE_MODELS", DEFAULT_MODELS):
        return
    content_changed(using=kwargs.get("using"))


def content_changed(using: str | None = None) -> None:
    """Bump the generation now (this process reads its own writes) and again when the
    transaction commits, if there is one. Saves and deletes do it through their signals; a
    ``QuerySet.update`` of what the public pages or ``memoized`` show must call it."""
    bump()
    if transaction.get_connection(using or "default").in_atomic_block:
        transaction.on_commit(bump, using=using)


def connect_signals() -> None:
    """Called once from ``CoreConfig.ready``."""
    for signal in (post_save, post_delete, m2m_changed):
        signal.connect(_content_changed, dispatch_uid=f"kongres-public-cache-{id(signal)}")


MEMO_KEY_PREFIX = "kongres:memo"
_MISSING = object()


def _memo_key(key: str) -> str:
    return f"{MEMO_KEY_PREFIX}:{generation()}:{key}"


def memoized[T](key: str, load: Callable[[], T], *, seconds: float | None = None) -> T:
    """``load()``, kept in Django's cache under ``key`` and the content generation, for at most
    ``seconds`` (default ``PUBLIC_CACHE_SECONDS``; never with 0). For reads that only an edit
    of the public content changes, or that may be ``seconds`` late. Every call gets its own
    copy of the value (the cache stores it pickled), so what a request does with it stays in
    that request; with a shared cache (Redis) every process reads the same value."""
    timeout = cache_seconds() if seconds is None else seconds
    if not timeout:
        return load()
    cache_key = _memo_key(key)
    value = cache.get(cache_key, _MISSING)
    if value is _MISSING:
        value = load()
        cache.set(cache_key, value, timeout)
    return value  # type: ignore[return-value]


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
    # The language comes from the address alone (i18n_patterns; no prefix: Polish), so the
    # address is enough; the scheme and host are part of it (absolute links in the pages).
    address = hashlib.sha256(request.build_absolute_uri().encode()).hexdigest()
    return f"{PAGE_KEY_PREFIX}:{generation()}:{address}"


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
        key = _key(request)  # the generation before rendering: a bump meanwhile wins
        cached = cache.get(key)
        if cached is not None:
            return cached
        response = self.get_response(request)
        if _cacheable_response(request, response):
            cache.set(key, response, cache_seconds())
        return response


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
            request._public_page = set(request.GET) <= allowed
            return view_func(request, *args, **kwargs)

        return wrapper

    return decorator(view) if view is not None else decorator
