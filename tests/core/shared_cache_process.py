"""Run as a separate process by tests/core/test_shared_cache.py: one app process on the given
configuration (KONGRES_DATABASE_URL, KONGRES_CACHE_URL), doing what argv says and printing the
results as JSON.

    python -m tests.core.shared_cache_process hit SCOPE VALUE   # count a rate-limit hit
    python -m tests.core.shared_cache_process generation        # the content generation
    python -m tests.core.shared_cache_process bump              # bump it, print the new one
    python -m tests.core.shared_cache_process post JSON         # send the registration form
    python -m tests.core.shared_cache_process roles USER EDITION  # the user's roles there, as
                                                                 # a request reads them
    python -m tests.core.shared_cache_process role-delete ROLE  # take a role away
"""

import json
import os
import sys

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kongres.settings")
django.setup()

from django.conf import settings  # noqa: E402
from django.test import Client, override_settings  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

from kongres.core import cache as page_cache  # noqa: E402
from kongres.core.ratelimit import ratelimit_count  # noqa: E402


def post(data: dict) -> dict:
    setup_test_environment()  # the test client's host is allowed; mail kept in memory
    storages = {  # no collectstatic here, as in the tests (tests/conftest.py)
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    with override_settings(STORAGES=storages):
        response = Client().post("/rejestracja/", data)
    text = response.content.decode()
    return {"status": response.status_code, "replayed": "został już wysłany" in text}


def main(argv: list[str]) -> dict:
    command = argv[0]
    if command == "hit":  # [scope, value, now]: the test's clock, so that an hour's end
        # between two hits and the test's read does not split the counter in two windows
        now = float(argv[3]) if len(argv) > 3 else None
        return {"count": ratelimit_count(scope=argv[1], value=argv[2], now=now)}
    if command == "generation":
        return {"generation": page_cache.generation()}
    if command == "bump":
        page_cache.bump()
        return {"generation": page_cache.generation()}
    if command == "post":
        return post(json.loads(argv[1]))
    if command == "roles":
        from kongres.accounts.backends import ThrottledModelBackend
        from kongres.accounts.roles import roles_of
        from kongres.events.models import Edition

        user = ThrottledModelBackend().get_user(int(argv[1]))
        edition = Edition.objects.get(pk=int(argv[2]))
        return {"roles": sorted(roles_of(user=user, edition=edition))}
    if command == "role-delete":
        from kongres.accounts.models import EditionRole

        EditionRole.objects.get(pk=int(argv[1])).delete()
        return {"deleted": True}
    raise SystemExit(f"unknown command {command!r}")


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1:])))
