"""Everything several app processes must share is in the shared cache: rate-limit counters, the
content generation, one-time form tokens. Without ``cache_url`` that is the database cache;
with it, Redis, and the database while Redis cannot be reached.

The Redis tests run against a real Redis server when ``KONGRES_TEST_REDIS_URL`` is set (CI sets
it, ``.ci/run``); then an unreachable server fails them rather than skipping them."""

import json
import logging
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.core.cache import cache, caches
from django.db import connection

from kongres.core import cache as page_cache
from kongres.core.cachebackend import add_many
from kongres.core.ratelimit import ratelimit_count, ratelimit_peek, ratelimit_rate
from kongres.registration import antibot
from kongres.registration.forms import RegistrationForm
from kongres.registration.models import Registration
from tests.factories import DayFactory, EditionFactory, PageFactory
from tests.registration.test_views import form_data

ROOT = Path(__file__).resolve().parents[2]
BACKEND = "kongres.core.cachebackend.RedisWithDatabaseFallback"


def redis_url() -> str:
    """The test Redis server's URL; the test is skipped without one, and fails when it is set
    but the server does not answer."""
    url = os.environ.get("KONGRES_TEST_REDIS_URL", "")
    if not url:
        pytest.skip("KONGRES_TEST_REDIS_URL is not set (CI sets it): no Redis server to test")
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.exceptions.RedisError as error:
        pytest.fail(f"KONGRES_TEST_REDIS_URL={url} is set but Redis does not answer: {error}")
    return url


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # nobody listens there once the socket is closed


def database_url() -> str:
    config = connection.settings_dict
    if config["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{config['NAME']}"
    return (
        f"postgres://{config['USER']}:{config['PASSWORD']}@{config['HOST'] or '127.0.0.1'}"
        f":{config['PORT'] or 5432}/{config['NAME']}"
    )


@pytest.fixture
def edition(transactional_db):
    """Committed, so that the other processes see it; the database cache empty."""
    caches["database"].clear()
    edition = EditionFactory(capacity=10)
    DayFactory(edition=edition, date=edition.start_date)
    PageFactory(kind="privacy", slug="polityka-prywatnosci")
    yield edition
    caches["database"].clear()


def run_process(env: dict[str, str], *args: str) -> dict:
    """One separate app process on the configuration ``env`` (tests/core/shared_cache_process)."""
    result = subprocess.run(  # noqa: S603 (our own interpreter and module)
        [sys.executable, "-m", "tests.core.shared_cache_process", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def process_env(settings, tmp_path, edition, cache_url: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("KONGRES_") and key != "DJANGO_SETTINGS_MODULE"
    }
    env.update(
        KONGRES_DATABASE_URL=database_url(),
        KONGRES_CACHE_URL=cache_url,
        KONGRES_SECRET_KEY=settings.SECRET_KEY,  # the form tokens are signed with it
        KONGRES_DATA_DIR=str(tmp_path / "data"),
    )
    return env


# The time the tests count and read their counters at (the counter of an hour is another key
# than the next hour's: a test that ran across the hour's end read 0 from a new window).
NOW = time.time()


def peek_in(settings, backend: dict, value: str) -> int:
    """The register-ip count of ``value`` at ``NOW`` as this process reads it from ``backend``."""
    before = settings.CACHES
    settings.CACHES = {**before, "default": backend}
    try:
        return ratelimit_peek(scope="register-ip", value=value, now=NOW)
    finally:
        settings.CACHES = before


def shared_by_two_processes(env: dict[str, str], edition) -> None:
    """A counter, the generation and a form token used in one process are seen by another."""
    address = "198.51.100.7"
    assert run_process(env, "hit", "register-ip", address, str(NOW)) == {"count": 1}
    assert run_process(env, "hit", "register-ip", address, str(NOW)) == {"count": 2}

    bumped = run_process(env, "bump")["generation"]
    assert run_process(env, "generation") == {"generation": bumped}
    assert run_process(env, "bump")["generation"] != bumped

    token = RegistrationForm.sign_started(time.time() - 60)
    first = form_data(edition, started=token, email="pierwsza@example.org")
    assert run_process(env, "post", json.dumps(first)) == {
        "status": 302,
        "replayed": False,
    }
    second = form_data(edition, started=token, email="druga@example.org")
    assert run_process(env, "post", json.dumps(second)) == {
        "status": 200,
        "replayed": True,
    }
    assert list(Registration.objects.values_list("email", flat=True)) == ["pierwsza@example.org"]


def access_shared_by_two_processes(env: dict[str, str], edition) -> None:
    """A user's roles, kept in the shared cache by one process (``accounts.roles.access_of``),
    are read again by every other once a third takes a role away."""
    from django.contrib.auth import get_user_model

    from kongres.accounts.models import EditionRole

    user = get_user_model().objects.create_user(username="bramka", password="x")
    role = EditionRole.objects.create(
        user=user, edition=edition, role=EditionRole.Role.CHECKIN_STAFF
    )
    args = ("roles", str(user.pk), str(edition.pk))
    assert run_process(env, *args) == {"roles": ["checkin_staff"]}  # read and kept
    assert run_process(env, *args) == {"roles": ["checkin_staff"]}  # from the cache
    assert run_process(env, "role-delete", str(role.pk)) == {"deleted": True}
    assert run_process(env, *args) == {"roles": []}


def test_two_processes_share_the_database_cache(settings, tmp_path, edition):
    shared_by_two_processes(process_env(settings, tmp_path, edition, cache_url=""), edition)
    access_shared_by_two_processes(process_env(settings, tmp_path, edition, cache_url=""), edition)
    # and it is the database's table, not a file or a process's memory: readable here too
    assert peek_in(settings, settings.CACHES["database"], "198.51.100.7") == 2


def test_two_processes_share_redis(settings, tmp_path, edition):
    url = redis_url()
    import redis

    redis.Redis.from_url(url).flushdb()
    shared_by_two_processes(process_env(settings, tmp_path, edition, cache_url=url), edition)
    assert peek_in(settings, {"BACKEND": BACKEND, "LOCATION": url}, "198.51.100.7") == 2
    access_shared_by_two_processes(process_env(settings, tmp_path, edition, cache_url=url), edition)
    # Redis held it, not the database
    assert peek_in(settings, settings.CACHES["database"], "198.51.100.7") == 0


def test_redis_counts_atomically_across_processes(settings, tmp_path, edition):
    """Two processes counting at the same time lose no hit (Redis INCR)."""
    url = redis_url()
    import redis

    redis.Redis.from_url(url).flushdb()
    env = process_env(settings, tmp_path, edition, cache_url=url)
    script = (
        "from tests.core.shared_cache_process import ratelimit_count\n"
        "for _ in range(200):\n"
        f"    ratelimit_count(scope='register-ip', value='192.0.2.1', now={NOW!r})\n"
    )
    processes = [
        subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, env=env)  # noqa: S603
        for _ in range(2)
    ]
    assert [process.wait(timeout=120) for process in processes] == [0, 0]
    assert peek_in(settings, {"BACKEND": BACKEND, "LOCATION": url}, "192.0.2.1") == 400


def test_redis_makes_several_adds_in_one_pipeline(settings, db):
    """``add_many`` on Redis: Django's keys, integers that Django's cache reads and counts,
    each key's timeout, and an existing key left as it was."""
    url = redis_url()
    import redis

    client = redis.Redis.from_url(url)
    client.flushdb()
    settings.CACHES = {**settings.CACHES, "default": {"BACKEND": BACKEND, "LOCATION": url}}
    cache.set("kongres:test:b", 5, 60)
    items = [("kongres:test:a", 1, 60), ("kongres:test:b", 1, 60), ("kongres:test:c", 1, 30)]
    assert add_many(cache, items) == [True, False, True]
    assert [cache.get(key) for key, _value, _timeout in items] == [1, 5, 1]
    assert cache.incr("kongres:test:a") == 2
    assert 25 <= client.ttl(cache.make_key("kongres:test:c")) <= 30
    with pytest.raises(ValueError):
        add_many(cache, [("kongres:test:d", "text", 60)])


@pytest.fixture
def redis_down(settings, db):
    """The default cache is Redis at a port where nobody listens."""
    before = settings.CACHES
    settings.CACHES = {
        **before,
        "default": {
            "BACKEND": BACKEND,
            "LOCATION": f"redis://127.0.0.1:{closed_port()}/0",
            "OPTIONS": {"FALLBACK": "database", "RETRY_SECONDS": 30},
        },
    }
    caches["database"].clear()
    yield
    caches["database"].clear()
    settings.CACHES = before  # while the database is still there for the clean-up


def test_redis_down_the_database_counts_and_the_log_says_so(redis_down, caplog):
    with caplog.at_level(logging.INFO, logger="kongres.cache"):
        started, now = time.perf_counter(), time.time()  # one window for all 50
        counts = [
            ratelimit_count(scope="register-ip", value="192.0.2.9", now=now) for _ in range(50)
        ]
        seconds = time.perf_counter() - started
    assert counts == list(range(1, 51))
    assert caches["database"].get(page_cache.GENERATION_KEY) is None
    assert page_cache.generation() == caches["database"].get(page_cache.GENERATION_KEY)
    token = antibot.form_token_read(RegistrationForm.sign_started(time.time()))
    assert antibot.form_token_use(token) and not antibot.form_token_use(token)
    warnings = [record for record in caplog.records if record.levelno == logging.WARNING]
    assert len(warnings) == 1  # said once, not at every request
    assert "unreachable" in warnings[0].getMessage()
    assert "database" in warnings[0].getMessage()
    assert seconds < 2  # Redis is not asked again at every call while it is down
    assert cache.degraded


def test_redis_down_the_adds_go_to_the_database(redis_down):
    items = [("kongres:test:x", 1, 60), ("kongres:test:x", 1, 60)]
    assert add_many(cache, items) == [True, False]
    assert caches["database"].get("kongres:test:x") == 1
    assert cache.degraded


def test_redis_down_the_site_keeps_registering(redis_down, client, settings):
    edition = EditionFactory(capacity=10)
    DayFactory(edition=edition, date=edition.start_date)
    PageFactory(kind="privacy", slug="polityka-prywatnosci")
    data = form_data(edition, email="anna@example.org")
    started = time.time()
    assert client.post("/rejestracja/", data).status_code == 302
    replay = client.post("/rejestracja/", {**data, "email": "ktos@example.org"})
    assert "został już wysłany" in replay.text
    assert Registration.objects.count() == 1
    # the views count in the window they run in: across a window's end, in two of them
    assert register_ip_count("127.0.0.1", since=started) == 2


def register_ip_count(value: str, *, since: float) -> int:
    """The register-ip count of ``value`` in the windows from ``since`` to now."""
    now = time.time()
    seconds = ratelimit_rate("register-ip").seconds
    starts = {int(at // seconds) * seconds for at in (since, now)}
    return sum(ratelimit_peek(scope="register-ip", value=value, now=at) for at in starts)


def test_redis_back_is_used_again(settings, db, caplog):
    """After the retry time, the cache goes back to Redis and the log says so."""
    url = redis_url()
    before = settings.CACHES
    settings.CACHES = {
        **before,
        "default": {"BACKEND": BACKEND, "LOCATION": url, "OPTIONS": {"RETRY_SECONDS": 0}},
    }
    try:
        backend = caches["default"]
        backend._went_down(ConnectionError("test: as if Redis had been unreachable"))
        with caplog.at_level(logging.INFO, logger="kongres.cache"):
            cache.set("kongres:test", 1)
        assert not backend.degraded
        assert any("is back" in record.getMessage() for record in caplog.records)
        import redis

        assert redis.Redis.from_url(url).exists(":1:kongres:test")
    finally:
        settings.CACHES = before
