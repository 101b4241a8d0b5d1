"""A Redis cache that falls back to the database cache while Redis cannot be reached.

``cache_url = "redis://…"`` makes this the default cache (``settings.py``). Every operation goes
to Redis; when Redis refuses the connection or does not answer in time, the operation goes to
the database cache (the alias named by ``OPTIONS["FALLBACK"]``, a ``DatabaseCache`` every
process shares) and Redis is tried again after ``OPTIONS["RETRY_SECONDS"]`` (10 s). The site
keeps registering; the rate-limit counters, one-time form tokens, sessions and the content
generation then live in the database. The switch is logged once each way (a warning when
Redis goes, an info line when it is back).

What was kept only in Redis is not seen while it is down (counters restart in the database,
pages are rendered again); what was written to the database meanwhile is not copied back. A
one-time form token used while Redis was down could therefore be accepted once more after it
comes back, within the token's lifetime: the rate limits and the proof of work still apply.

Only Django's public cache API is used: a ``RedisCache`` built with this backend's location and
options, and ``caches[alias]`` for the fallback.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

import redis
import redis.backoff
import redis.exceptions
import redis.retry
from django.core.cache import BaseCache, caches
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache

logger = logging.getLogger("kongres.cache")

UNREACHABLE = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)


class RedisWithDatabaseFallback(BaseCache):
    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(params)
        options = dict(params.get("OPTIONS") or {})
        self._fallback_alias = options.pop("FALLBACK", "database")
        self._retry_seconds = float(options.pop("RETRY_SECONDS", 10))
        # one quick retry (a dropped connection), not redis-py's default backoff: the database
        # takes over instead
        options.setdefault("retry", redis.retry.Retry(redis.backoff.NoBackoff(), 1))
        self._redis = RedisCache(server, {**params, "OPTIONS": options})
        self._options = options
        self._client: redis.Redis | None = None  # for add_many, made at its first use
        self._location = server
        self._lock = threading.Lock()
        self._down_until = 0.0  # shared by the threads of this process

    @property
    def fallback(self) -> BaseCache:
        return caches[self._fallback_alias]

    def _call(self, name: str, *args: Any, **kwargs: Any) -> Any:
        return self._either(
            lambda: getattr(self._redis, name)(*args, **kwargs),
            lambda: getattr(self.fallback, name)(*args, **kwargs),
        )

    def _either(self, on_redis: Callable[[], Any], on_fallback: Callable[[], Any]) -> Any:
        if time.monotonic() >= self._down_until:
            try:
                result = on_redis()
            except UNREACHABLE as error:
                self._went_down(error)
            else:
                if self._down_until:
                    self._came_back()
                return result
        return on_fallback()

    def _went_down(self, error: Exception) -> None:
        with self._lock:
            first = not self._down_until
            self._down_until = time.monotonic() + self._retry_seconds
        if first:
            logger.warning(
                "Redis cache at %s is unreachable (%s): the cache, rate limits, form tokens "
                "and sessions use the database cache until it is back",
                self._location,
                error,
            )

    def _came_back(self) -> None:
        with self._lock:
            was_down, self._down_until = bool(self._down_until), 0.0
        if was_down:
            logger.info("Redis cache at %s is back: the cache uses it again", self._location)

    @property
    def degraded(self) -> bool:
        """Whether the database cache serves now (Redis was unreachable recently)."""
        return time.monotonic() < self._down_until

    # Django's cache API, each call to Redis or, while it is unreachable, to the database.

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("add", key, value, timeout, version)

    def get(self, key, default=None, version=None):
        return self._call("get", key, default, version)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("set", key, value, timeout, version)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("touch", key, timeout, version)

    def delete(self, key, version=None):
        return self._call("delete", key, version)

    def get_many(self, keys, version=None):
        return self._call("get_many", keys, version)

    def has_key(self, key, version=None):
        return self._call("has_key", key, version)

    def incr(self, key, delta=1, version=None):
        return self._call("incr", key, delta, version)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("set_many", data, timeout, version)

    def delete_many(self, keys, version=None):
        return self._call("delete_many", keys, version)

    def clear(self):
        return self._call("clear")

    def get_or_set(self, key, default: Callable | Any, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("get_or_set", key, default, timeout, version)

    def close(self, **kwargs):
        self._redis.close(**kwargs)

    # Beyond Django's API: several adds in one round trip.

    def add_many(self, items: Sequence[tuple[str, int, int]], version=None) -> list[bool]:
        """``add`` each (key, integer value, timeout in seconds) and return whether each was
        added: on Redis one round trip (a pipeline of ``SET … NX EX``, with Django's keys; an
        integer is stored as Django's Redis cache stores it, so that its ``get`` and ``incr``
        read it), on the fallback one ``add`` after the other."""
        for _key, value, timeout in items:
            if type(value) is not int or timeout <= 0:
                raise ValueError("add_many takes integer values and timeouts in seconds")
        return self._either(
            lambda: self._add_many_redis(items, version),
            lambda: [self.fallback.add(k, v, t, version) for k, v, t in items],
        )

    def _add_many_redis(self, items: Sequence[tuple[str, int, int]], version) -> list[bool]:
        if self._client is None:  # in the process that uses it (never across a fork)
            first = self._location.split(",")[0]  # the server Django's cache writes to
            pool = redis.ConnectionPool.from_url(first, **self._options)
            self._client = redis.Redis(connection_pool=pool)
        pipeline = self._client.pipeline(transaction=False)
        for key, value, timeout in items:
            name = self._redis.make_and_validate_key(key, version=version)
            pipeline.set(name, value, nx=True, ex=timeout)
        return [bool(added) for added in pipeline.execute()]


def add_many(backend: BaseCache, items: Sequence[tuple[str, int, int]]) -> list[bool]:
    """``backend.add`` of each (key, integer value, timeout in seconds); whether each was
    added. One round trip on Redis (``RedisWithDatabaseFallback.add_many``); one ``add`` after
    the other on any other cache."""
    many = getattr(backend, "add_many", None)  # also through django.core.cache.cache
    if many is not None:
        return many(items)
    return [backend.add(key, value, timeout) for key, value, timeout in items]
