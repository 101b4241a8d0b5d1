"""Settings of the app server that tests/deploy/test_nginx.py starts behind nginx: the project's
own, with the limit on pages opened by a secret link low enough to reach in a few requests."""

from kongres.settings import *  # noqa: F403

KONGRES_RATELIMIT_TOKEN_IP = "3/h"
