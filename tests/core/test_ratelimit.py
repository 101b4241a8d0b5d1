"""A soft limit and the hard limit of the same requests (kongres.core.ratelimit)."""

import time

import pytest

from kongres.core.ratelimit import RateLimited, ratelimit_hit_soft, ratelimit_peek


@pytest.fixture(autouse=True)
def empty_cache(db):
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


def hits(count: int, value: str) -> list[bool]:
    return [
        ratelimit_hit_soft(scope="register-ip", soft="register-ip-soft", value=value)
        for _ in range(count)
    ]


def test_limits_of_the_same_period_share_one_counter(settings):
    settings.KONGRES_RATELIMIT_REGISTER_IP = "4/h"
    settings.KONGRES_RATELIMIT_REGISTER_IP_SOFT = "2/h"
    assert hits(4, "192.0.2.1") == [False, False, True, True]
    assert ratelimit_peek(scope="register-ip", value="192.0.2.1") == 4
    assert ratelimit_peek(scope="register-ip-soft", value="192.0.2.1") == 0
    with pytest.raises(RateLimited):
        hits(1, "192.0.2.1")
    assert hits(1, "192.0.2.2") == [False]


def test_limits_of_different_periods_count_apart(settings):
    settings.KONGRES_RATELIMIT_REGISTER_IP = "4/h"
    settings.KONGRES_RATELIMIT_REGISTER_IP_SOFT = "2/m"
    assert hits(3, "192.0.2.3") == [False, False, True]
    assert ratelimit_peek(scope="register-ip", value="192.0.2.3") == 3
    assert ratelimit_peek(scope="register-ip-soft", value="192.0.2.3") == 3


def test_switched_off_counts_nothing(settings):
    settings.KONGRES_RATELIMIT_ENABLED = False
    assert hits(3, "192.0.2.4") == [False, False, False]
    assert ratelimit_peek(scope="register-ip", value="192.0.2.4") == 0


def test_a_busy_counter_counts_the_same_as_a_new_one(settings):
    """``busy`` (an API token's counter) only changes the order of the cache's calls."""
    from kongres.core.ratelimit import ratelimit_count, ratelimit_hit

    settings.KONGRES_RATELIMIT_API_TOKEN = "3/m"
    now = 1_000_020.0  # in the middle of a minute
    busy = [ratelimit_count(scope="api-token", value="7", now=now, busy=True) for _ in range(3)]
    plain = [ratelimit_count(scope="api-token", value="8", now=now) for _ in range(3)]
    assert busy == plain == [1, 2, 3]
    assert ratelimit_count(scope="api-token", value="7", now=now + 60, busy=True) == 1
    with pytest.raises(RateLimited):
        ratelimit_hit(scope="api-token", value="7", now=now, busy=True)


def test_several_counters_and_the_callers_adds_together():
    from kongres.core.ratelimit import ratelimit_count_with

    now = time.time()
    hits = [("register-ip", "192.0.2.8"), ("register-email", "anna@example.org")]
    token = ("kongres:test:token-once", 1, 60)
    assert ratelimit_count_with(hits, adds=[token], now=now) == ([1, 1], [True])
    assert ratelimit_count_with(hits, adds=[token], now=now) == ([2, 2], [False])
    assert ratelimit_peek(scope="register-ip", value="192.0.2.8", now=now) == 2
    assert ratelimit_peek(scope="register-email", value="anna@example.org", now=now) == 2
