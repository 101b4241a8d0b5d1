import pytest
from django.core.exceptions import ImproperlyConfigured

from kongres.core.ratelimit import (
    Rate,
    RateLimited,
    network_key,
    parse_rate,
    ratelimit_hit,
)


@pytest.mark.parametrize(
    ("text", "rate"),
    [
        ("10/h", Rate(10, 3600)),
        ("5/15m", Rate(5, 900)),
        (" 1/s ", Rate(1, 1)),
        ("3/2d", Rate(3, 172800)),
    ],
)
def test_parse_rate(text, rate):
    assert parse_rate(text) == rate


@pytest.mark.parametrize("text", ["10", "ten/h", "10/y", "0/h", "10/0h"])
def test_parse_rate_rejects_nonsense(text):
    with pytest.raises(ImproperlyConfigured):
        parse_rate(text)


def test_ratelimit_hit_allows_the_limit_then_refuses_until_the_window_ends(settings):
    settings.KONGRES_RATELIMIT_REGISTER_EMAIL = "3/m"
    start = 60 * 16_667 + 20.0  # 20 s into a minute window
    for _ in range(3):
        ratelimit_hit(scope="register-email", value="Ola@example.org", now=start)
    with pytest.raises(RateLimited) as caught:
        ratelimit_hit(scope="register-email", value="ola@example.org", now=start + 1)
    assert caught.value.scope == "register-email"
    assert caught.value.retry_after == 39
    # another value has its own counter; the next window starts again at zero
    ratelimit_hit(scope="register-email", value="ala@example.org", now=start + 1)
    ratelimit_hit(scope="register-email", value="ola@example.org", now=start + 40)


def test_ratelimit_hit_does_nothing_when_disabled(settings):
    settings.KONGRES_RATELIMIT_ENABLED = False
    settings.KONGRES_RATELIMIT_LINK_EMAIL = "1/h"
    for _ in range(5):
        ratelimit_hit(scope="link-email", value="ola@example.org")


def test_network_key_groups_ipv6_by_64():
    assert network_key("2001:db8:1:2:3:4:5:6") == "2001:db8:1:2::/64"
    assert network_key("2001:db8:1:2:ffff::1") == "2001:db8:1:2::/64"
    assert network_key("::ffff:192.0.2.1") == "192.0.2.1"
    assert network_key("192.0.2.1") == "192.0.2.1"
    assert network_key("") == "unknown"
