"""Tests of deploy/: the production example configuration, the nginx site, the systemd units.

nginx and openssl (for a throw-away certificate) are found on PATH or in /usr/sbin. Without
them the nginx tests are skipped with the reason, unless KONGRES_REQUIRE_NGINX=1 (CI), where a
missing nginx fails the run.
"""

import os
import shutil

import pytest

SEARCH_PATH = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/sbin"])


def unavailable(reason: str) -> None:
    if os.environ.get("KONGRES_REQUIRE_NGINX") == "1":
        pytest.fail(f"{reason} (KONGRES_REQUIRE_NGINX=1)", pytrace=False)
    pytest.skip(reason)


def tool(name: str, package: str) -> str:
    path = shutil.which(name, path=SEARCH_PATH)
    if path is None:
        unavailable(f"no {name} on PATH: install it with `apt-get install {package}`")
    return path
