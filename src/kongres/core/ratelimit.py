"""Rate limits: fixed-window counters in Django's shared cache, for the public registration
pages (``kongres.registration.views``) and every login form (``kongres.accounts.backends``).

Each limit has a scope (``register-ip``, ``register-email``, ...) and a rate ``"<count>/<period>"``
with the period in ``s``, ``m``, ``h`` or ``d`` (``"60/h"``: 60 requests per clock hour).
A counter lives under ``kongres:rl:<scope>:<hash of the client>:<window number>``; it is created
with ``cache.add`` and, when it exists, counted with ``cache.incr``, both atomic in Redis and
memcached, so several app servers sharing one cache count together. A soft limit and the hard
limit of the same requests in windows of the same length (``register-ip-soft`` and
``register-ip``) read one counter (``ratelimit_hit_soft``).

Settings (all optional; read on each request, never at import time):

``KONGRES_RATELIMIT_ENABLED``        on by default
``KONGRES_RATELIMIT_REGISTER_IP``    registration forms sent from one network, ``"1000/h"``: the
                                     hard limit, against floods
``KONGRES_RATELIMIT_REGISTER_IP_SOFT`` past this (``"20/h"``) the form asks for a proof of work
                                     (``kongres.registration.antibot``); nobody is refused.
                                     Counted twice: the forms sent from one network (the
                                     hard limit's counter) and the forms opened from it
                                     (``register-form-ip``, a counter of its own)
``KONGRES_RATELIMIT_REGISTER_EMAIL`` registration forms sent for one e-mail address, ``"10/h"``
``KONGRES_RATELIMIT_LINK_IP``        "send me my link" requests from one network, ``"30/h"``
``KONGRES_RATELIMIT_LINK_EMAIL``     "send me my link" requests for one address, ``"5/h"``
``KONGRES_RATELIMIT_TOKEN_IP``       pages opened by a secret link from one network, ``"300/h"``
``KONGRES_RATELIMIT_API_TOKEN``      requests of one API token (``kongres.api``), ``"600/m"``
``KONGRES_RATELIMIT_API_MESSAGES``   messages to participants sent by one API token, ``"20/h"``
``KONGRES_RATELIMIT_LOGIN_ACCOUNT``  failed logins (and password confirmations) of one account,
                                     ``"10/15m"``
``KONGRES_RATELIMIT_LOGIN_IP``       failed logins from one network, ``"30/15m"``

The client's address is ``kongres.core.proxy.client_ip``: the peer's, or behind the trusted
reverse proxies of the configuration (``trusted_proxies``) the one they forwarded.

The hard limits are far above what one person (or a whole office behind one address) ever
needs; a shared address past the soft limit costs each person a second of the browser's work.
Without Redis the counters live in the database cache, where Django increments by a read and a
write: under concurrency a few hits may be missed, never added; and that write gives the row
the cache's default timeout (5 minutes), so a counter left alone for 5 minutes starts again.
IPv6 clients are counted per /64 network, since one machine may use many addresses of its /64.
"""

from __future__ import annotations

import contextlib
import hashlib
import ipaddress
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest

from kongres.core.cachebackend import add_many
from kongres.core.proxy import client_ip

DEFAULT_RATES: dict[str, str] = {
    "register-ip": "1000/h",
    "register-ip-soft": "20/h",
    "register-email": "10/h",
    "link-ip": "30/h",
    "link-email": "5/h",
    "token-ip": "300/h",
    "api-token": "600/m",
    "api-messages": "20/h",
    "login-account": "10/15m",
    "login-ip": "30/15m",
}
PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


@dataclass(frozen=True)
class Rate:
    count: int
    seconds: int


class RateLimited(Exception):
    """Too many requests in this window; ``retry_after`` seconds until the window ends."""

    def __init__(self, *, scope: str, retry_after: int) -> None:
        super().__init__(f"rate limit {scope} exceeded")
        self.scope = scope
        self.retry_after = retry_after


def parse_rate(text: str) -> Rate:
    """``"10/h"`` → ``Rate(10, 3600)``; ``"5/15m"`` → ``Rate(5, 900)``."""
    try:
        count_text, period_text = text.strip().split("/")
        count = int(count_text)
        unit = period_text.strip()[-1:]
        multiplier = int(period_text.strip()[:-1] or 1)
        seconds = PERIODS[unit] * multiplier
    except (ValueError, KeyError) as error:
        raise ImproperlyConfigured(
            f"A rate limit must look like '10/h' (count/period, period in s, m, h, d), not {text!r}"
        ) from error
    if count < 1 or seconds < 1:
        raise ImproperlyConfigured(f"A rate limit must allow at least 1 per period: {text!r}")
    return Rate(count=count, seconds=seconds)


def ratelimit_enabled() -> bool:
    return bool(getattr(settings, "KONGRES_RATELIMIT_ENABLED", True))


def ratelimit_rate(scope: str) -> Rate:
    setting = "KONGRES_RATELIMIT_" + scope.upper().replace("-", "_")
    return parse_rate(getattr(settings, setting, DEFAULT_RATES[scope]))


def network_key(address: str) -> str:
    """The unit an address is counted in: the address for IPv4, its /64 for IPv6."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address or "unknown"
    if ip.version == 6:
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def _key(scope: str, value: str, window: int) -> str:
    digest = hashlib.sha256(value.strip().lower().encode()).hexdigest()[:32]
    return f"kongres:rl:{scope}:{digest}:{window}"


def ratelimit_count(
    *,
    scope: str,
    value: str,
    now: float | None = None,
    busy: bool = False,
    rate: Rate | None = None,
) -> int:
    """Count one request of ``value`` in ``scope``; return the count in the current window.
    ``busy``: the counter usually exists already (many requests of one value in a window).
    ``rate``: the windows to count in, when not the scope's own (a counter of its own measured
    against another scope's limit, ``ratelimit_soft_count``)."""
    rate = rate or ratelimit_rate(scope)
    now = time.time() if now is None else now
    key = _key(scope, value, int(now // rate.seconds))
    timeout = rate.seconds + 1
    # A missing counter is created at 1 (``add``), an existing one counted (``incr``; with
    # Redis, Django's ``incr`` checks that the key exists first: two round trips). Most
    # counters are new (a person registers once, from an address and with an e-mail address of
    # their own), so ``add`` comes first: one round trip for those, three for the others. A
    # busy counter (an API token's) is counted first: two round trips, whether it exists or not.
    if busy:
        with contextlib.suppress(ValueError):  # not there yet: made by ``add`` below
            return cache.incr(key)
    return _counted(key, timeout, added=cache.add(key, 1, timeout))


def _counted(key: str, timeout: int, *, added: bool) -> int:
    """The count of the counter ``key`` that this request just tried to create at 1
    (``added``: it did), counting it when it existed."""
    for _attempt in range(3):
        if added:
            return 1
        try:
            return cache.incr(key)
        except ValueError:  # expired or evicted between the two calls
            added = cache.add(key, 1, timeout)
    return cache.get(key) or 1  # created and evicted between our calls three times


def ratelimit_count_with(
    counts: Sequence[tuple[str, str]],
    *,
    adds: Sequence[tuple[str, int, int]] = (),
    now: float | None = None,
) -> tuple[list[int], list[bool]]:
    """Count one request of each (scope, value) of ``counts`` and make the caller's ``adds``
    (key, integer value, timeout in seconds: a one-time token's use) in one round trip to the
    cache (``kongres.core.cachebackend.add_many``); return the counts and whether each of
    ``adds`` was added. Each counter is created at 1 there; one that existed is counted
    afterwards (``incr``, one more round trip for each: a busy address)."""
    now = time.time() if now is None else now
    counters = []
    for scope, value in counts:
        rate = ratelimit_rate(scope)
        counters.append((_key(scope, value, int(now // rate.seconds)), rate.seconds + 1))
    added = add_many(cache, [(key, 1, timeout) for key, timeout in counters] + list(adds))
    found = [
        _counted(key, timeout, added=was_added)
        for (key, timeout), was_added in zip(counters, added, strict=False)
    ]
    return found, added[len(counters) :]


def ratelimit_uncount(*, scope: str, value: str, now: float) -> None:
    """Take back one request of ``value`` counted at ``now`` (by ``ratelimit_count``), e.g. a
    login that turned out to be right: the counter then counts only the failures."""
    key = _key(scope, value, int(now // ratelimit_rate(scope).seconds))
    with contextlib.suppress(ValueError):  # expired meanwhile: nothing to take back
        cache.decr(key)


def ratelimit_retry_after(*, scope: str, now: float) -> int:
    """Seconds until the window of ``scope`` that holds ``now`` ends."""
    seconds = ratelimit_rate(scope).seconds
    return max(1, math.ceil((int(now // seconds) + 1) * seconds - now))


def ratelimit_peek(*, scope: str, value: str, now: float | None = None) -> int:
    """The count of ``value`` in ``scope`` in the current window, without counting."""
    rate = ratelimit_rate(scope)
    now = time.time() if now is None else now
    return int(cache.get(_key(scope, value, int(now // rate.seconds))) or 0)


def ratelimit_hit(*, scope: str, value: str, now: float | None = None, busy: bool = False) -> None:
    """Count one request of ``value`` (an address, an e-mail address) in ``scope``; raise
    ``RateLimited`` when it is over the scope's limit for the current window. ``busy``: see
    ``ratelimit_count``."""
    if not ratelimit_enabled():
        return
    rate = ratelimit_rate(scope)
    now = time.time() if now is None else now
    if ratelimit_count(scope=scope, value=value, now=now, busy=busy) > rate.count:
        raise RateLimited(scope=scope, retry_after=ratelimit_retry_after(scope=scope, now=now))


def ratelimit_soft_count(*, scope: str, counter: str, value: str) -> bool:
    """Count one request of ``value`` in ``counter``, a counter of its own measured against
    the soft limit ``scope`` (its count and its windows); return whether it is past that
    limit. The registration form counts the forms opened from an address so (``counter``
    ``register-form-ip``), apart from the forms sent, which the hard limit counts: the forms
    opened past the soft limit carry the proof of work from the start."""
    if not ratelimit_enabled():
        return False
    rate = ratelimit_rate(scope)
    return ratelimit_count(scope=counter, value=value, rate=rate) > rate.count


def _counter_scope(soft: str, hard: str) -> str:
    """The counter a soft limit reads: the hard limit's, when both count the same requests in
    windows of the same length (one counter, one round trip, for both)."""
    if hard and ratelimit_rate(soft).seconds == ratelimit_rate(hard).seconds:
        return hard
    return soft


def ratelimit_hit_soft(*, scope: str, soft: str, value: str) -> bool:
    """Count one request of ``value`` in ``scope`` (``RateLimited`` past its limit) and in the
    soft limit ``soft``; return whether it is past the soft limit. Limits of the same period
    share one counter (the soft one is then the lower bar on the same count)."""
    if not ratelimit_enabled():
        return False
    past_soft, _added = ratelimit_hit_with([(scope, value)], soft=soft)
    return past_soft


def ratelimit_hit_with(
    hits: Sequence[tuple[str, str]], *, soft: str = "", adds: Sequence[tuple[str, int, int]] = ()
) -> tuple[bool, list[bool]]:
    """``ratelimit_hit`` of each (scope, value) of ``hits``, with the caller's ``adds``, in one
    round trip to the cache (``ratelimit_count_with``). With ``soft``: a soft limit of the
    first hit's requests, as ``ratelimit_hit_soft`` (one counter when their windows are of one
    length). Return whether the first hit is past the soft limit, and whether each of ``adds``
    was added. Raises ``RateLimited`` for the first scope over its limit, after every hit was
    counted and every add made."""
    now = time.time()
    counts = list(hits)
    own_soft = bool(soft) and _counter_scope(soft, hits[0][0]) == soft
    if own_soft:
        counts.append((soft, hits[0][1]))
    found, added = ratelimit_count_with(counts, adds=adds, now=now)
    for (scope, _value), count in zip(hits, found, strict=False):
        if count > ratelimit_rate(scope).count:
            raise RateLimited(scope=scope, retry_after=ratelimit_retry_after(scope=scope, now=now))
    past_soft = bool(soft) and found[-1 if own_soft else 0] > ratelimit_rate(soft).count
    return past_soft, added


def ratelimit_hit_ip(request: HttpRequest, *, scope: str) -> None:
    ratelimit_hit(scope=scope, value=network_key(client_ip(request)))
