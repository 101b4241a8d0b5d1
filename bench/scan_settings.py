"""Settings of the app server that `make scan` (bench/scan.py) starts behind nginx: the
project's own, with what stops a script at the registration form turned off, so that the
scanners' requests reach the code behind it (as the bench does, bench/settings.py): the rate
limits per address and per e-mail, the minimum time to fill in the form and the form token's
single use (bench/scan.py prints them). Everything else (DEBUG off, the middleware, the
headers) is as in production."""

from kongres.settings import *  # noqa: F403

KONGRES_RATELIMIT_ENABLED = False
KONGRES_REGISTRATION_MIN_FILL_SECONDS = 0
KONGRES_REGISTRATION_FORM_TOKEN_ONCE = False
