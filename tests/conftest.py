import pytest

from tests.mail.smtp import LocalSMTPServer

# What gives a test the test database (pytest-django): its marker, or one of these fixtures in
# the test's fixture closure (``db``, ``transactional_db`` and the fixtures built on them, such as
# ``admin_user``, all require ``_django_db_helper``; ``live_server`` asks for
# ``transactional_db`` only at run time).
DATABASE_FIXTURES = {"_django_db_helper", "db", "transactional_db", "live_server"}


def pytest_addoption(parser):
    parser.addoption(
        "--database-tests-only",
        action="store_true",
        help="run only the tests given the test database (make test's PostgreSQL pass): the "
        "others cannot reach it, pytest-django refuses them any query",
    )


def uses_the_test_database(item) -> bool:
    return item.get_closest_marker("django_db") is not None or bool(
        DATABASE_FIXTURES & set(getattr(item, "fixturenames", ()))
    )


def pytest_collection_modifyitems(config, items):
    if not config.getoption("database_tests_only"):
        return
    kept = [item for item in items if uses_the_test_database(item)]
    left = [item for item in items if not uses_the_test_database(item)]
    if left:
        config.hook.pytest_deselected(items=left)
        items[:] = kept


@pytest.fixture(autouse=True)
def _test_settings(settings, tmp_path):
    """Static files without a manifest (no collectstatic in tests); mail kept in memory;
    passwords hashed by a fast hasher: the site's own (PBKDF2, 1.5 million rounds, a third of a
    second each, on purpose) made the accounts of the tests, and their logins, a large part of
    the suite's time. The tests of the hashing itself set a real one of their own
    (tests/accounts/test_login_throttle.py)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in the site's default language (Polish). A request through the test
    client activates its page's language in the test's thread and leaves it active (Django
    does so on purpose, for the assertions that follow), so that a test after one that asked
    for an English page would otherwise run in English."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _empty_cache(settings):
    """Each test starts with an empty cache (public pages are cached whole, kongres.core.cache).
    The tests of one process use local memory as the default cache, so that a test without the
    database can use it; the shared caches (the database cache, Redis) have their own tests
    (tests/core/test_shared_cache.py), with several processes."""
    from django.core.cache import cache

    settings.CACHES = {
        **settings.CACHES,
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    }
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix, tmp_path_factory):
    """SQLite tests use a file (WAL, busy timeout) like production, not shared-cache memory,
    whose table locks fail at once: threads in concurrency tests then wait as they would live.
    The file is per test session, so two test runs at the same time do not collide."""
    from django.conf import settings

    database = settings.DATABASES["default"]
    if database["ENGINE"] == "django.db.backends.sqlite3":
        path = tmp_path_factory.mktemp("db") / "test.sqlite3"
        database.setdefault("TEST", {})["NAME"] = str(path)


@pytest.fixture
def smtp_server(settings):
    """A real SMTP server on a free 127.0.0.1 port; MAILERS point at it."""
    server = LocalSMTPServer()
    server.start()
    settings.MAILERS = server.mailers_setting()
    yield server
    server.stop()
