"""Login throttling on every login form (security review 2026-12, M1): the back office's, the
check-in's and the admin's. Failures are counted per account (the user name, case and spaces
ignored) and per client address in the shared cache; past 10 failures of an account or 30 from
an address in 15 minutes, the form answers 429 before any password is hashed, even to the
right password. The hasher is a real PBKDF2 hasher that counts its work (tests/accounts/
hashers.py): a refused attempt costs no hashing at all."""

import time
from urllib.parse import quote

import pytest
from django.contrib.auth import SESSION_KEY, get_user_model
from django.core.cache import caches
from django.urls import reverse
from django.utils import translation

from kongres.core.ratelimit import ratelimit_peek, ratelimit_rate
from tests.accounts.hashers import CountingPBKDF2PasswordHasher as Hasher
from tests.core.test_shared_cache import BACKEND, redis_url

pytestmark = pytest.mark.django_db
PASSWORD = "hasło-testowe-123"
LOGINS = {"orga": "/orga/logowanie/", "checkin": "/checkin/login/", "admin": "/admin/login/"}
REFUSED = "Zbyt wiele nieudanych prób logowania."


@pytest.fixture(autouse=True)
def _polish():
    with translation.override("pl"):
        yield


@pytest.fixture(autouse=True)
def hashed(settings):
    """The number of passwords hashed since the accounts were made."""
    settings.PASSWORD_HASHERS = ["tests.accounts.hashers.CountingPBKDF2PasswordHasher"]
    User = get_user_model()
    User.objects.create_superuser("olga", "olga@example.org", PASSWORD)
    User.objects.create_superuser("adam", "adam@example.org", PASSWORD)
    Hasher.calls = 0
    return lambda: Hasher.calls


@pytest.fixture(autouse=True)
def _fresh_window():
    """The counters count in fixed windows of 15 minutes: start far from a window's end, so
    that the counts of one test fall into one window."""
    left = 900 - time.time() % 900
    if left < 30:
        time.sleep(left + 0.5)


def attempt(client, form: str, username: str, password: str, address: str):
    return client.post(
        LOGINS[form], {"username": username, "password": password}, REMOTE_ADDR=address
    )


def test_the_limits_are_10_per_account_and_30_per_address_in_15_minutes():
    assert (ratelimit_rate("login-account").count, ratelimit_rate("login-account").seconds) == (
        10,
        900,
    )
    assert (ratelimit_rate("login-ip").count, ratelimit_rate("login-ip").seconds) == (30, 900)


@pytest.mark.parametrize("form", LOGINS)
def test_ten_failures_of_an_account_refuse_even_its_right_password_without_hashing(
    client, hashed, form
):
    for n, name in enumerate(["olga", "OLGA", " Olga "] + ["olga"] * 7):
        response = attempt(client, form, name, "nie-to-hasło", f"198.51.100.{n}")
        assert response.status_code == 200, n
    assert hashed() == 10

    refused = attempt(client, form, "olga", PASSWORD, "198.51.100.99")
    assert refused.status_code == 429
    assert REFUSED in refused.content.decode()
    assert 0 < int(refused["Retry-After"]) <= 900
    assert hashed() == 10  # no password was hashed for it
    assert SESSION_KEY not in client.session

    other = attempt(client, form, "adam", PASSWORD, "198.51.100.1")
    assert other.status_code == 302  # another account from the same addresses


@pytest.mark.parametrize("form", LOGINS)
def test_thirty_failures_from_an_address_refuse_it_without_hashing(client, hashed, form):
    for n in range(30):
        assert attempt(client, form, f"ktos-{n}", "nie-to-hasło", "203.0.113.7").status_code == 200
    before = hashed()
    refused = attempt(client, form, "olga", PASSWORD, "203.0.113.7")
    assert refused.status_code == 429
    assert hashed() == before
    assert attempt(client, form, "olga", PASSWORD, "203.0.113.8").status_code == 302


def test_the_login_form_says_why_and_keeps_the_user_name(client):
    for _ in range(10):
        attempt(client, "orga", "olga", "nie-to-hasło", "198.51.100.1")
    refused = attempt(client, "orga", "olga", PASSWORD, "198.51.100.1")
    text = refused.content.decode()
    assert refused.status_code == 429
    assert REFUSED in text
    assert 'name="username" id="id_username"' in text and 'value="olga"' in text
    with translation.override("en"):
        english = client.post(
            "/en/orga/login/", {"username": "olga", "password": PASSWORD}, REMOTE_ADDR="1.2.3.4"
        )
    assert english.status_code == 429
    assert "Too many failed attempts to log in." in english.content.decode()


def test_a_good_login_does_not_clear_the_failures_of_its_address(client):
    for n in range(29):
        attempt(client, "orga", f"ktos-{n}", "nie-to-hasło", "203.0.113.7")
    assert attempt(client, "orga", "olga", PASSWORD, "203.0.113.7").status_code == 302
    client.logout()
    assert attempt(client, "orga", "ktos", "nie-to-hasło", "203.0.113.7").status_code == 200
    assert attempt(client, "orga", "adam", PASSWORD, "203.0.113.7").status_code == 429


def test_behind_the_trusted_proxy_each_visitor_is_counted_apart(client, settings):
    settings.KONGRES_TRUSTED_PROXIES = ["127.0.0.1"]
    for n in range(30):
        client.post(
            LOGINS["orga"],
            {"username": f"ktos-{n}", "password": "x"},
            HTTP_X_FORWARDED_FOR="203.0.113.7",
        )
    assert (
        client.post(
            LOGINS["orga"],
            {"username": "olga", "password": PASSWORD},
            HTTP_X_FORWARDED_FOR="203.0.113.7",
        ).status_code
        == 429
    )
    other = client.post(
        LOGINS["orga"], {"username": "olga", "password": PASSWORD}, HTTP_X_FORWARDED_FOR="192.0.2.1"
    )
    assert other.status_code == 302


def test_the_password_confirmation_before_the_setup_is_throttled_too(client, hashed):
    client.force_login(get_user_model().objects.get(username="olga"))
    setup = reverse("orga:two-factor-setup")
    confirm = f"{reverse('orga:confirm-password')}?next={quote(setup, safe='')}"
    for _ in range(10):
        assert client.post(confirm, {"password": "nie-to-hasło"}).status_code == 200
    before = hashed()
    refused = client.post(confirm, {"password": PASSWORD})
    assert refused.status_code == 429
    assert REFUSED in refused.content.decode()
    assert hashed() == before
    assert client.get(setup).status_code == 302


def test_the_failures_are_counted_in_the_database_cache_when_there_is_no_redis(client, settings):
    settings.CACHES = {**settings.CACHES, "default": settings.CACHES["database"]}
    caches["database"].clear()
    for _ in range(3):
        attempt(client, "orga", "Olga", "nie-to-hasło", "198.51.100.5")
    assert ratelimit_peek(scope="login-account", value="olga") == 3
    assert ratelimit_peek(scope="login-ip", value="198.51.100.5") == 3
    caches["database"].clear()


def test_the_failures_are_counted_in_redis(client, settings):
    url = redis_url()
    import redis

    server = redis.Redis.from_url(url)
    server.flushdb()
    settings.CACHES = {**settings.CACHES, "default": {"BACKEND": BACKEND, "LOCATION": url}}
    for _ in range(3):
        attempt(client, "admin", "olga", "nie-to-hasło", "198.51.100.5")
    keys = sorted(key.decode() for key in server.keys("*kongres:rl:login-*"))
    assert [key.split(":")[4] for key in keys] == ["login-account", "login-ip"]
    assert [int(server.get(key)) for key in keys] == [3, 3]
    assert 0 < server.ttl(keys[0]) <= 901
    server.flushdb()
