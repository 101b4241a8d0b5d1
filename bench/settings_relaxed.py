"""Settings of the wrk scenarios straight to granian (``python -m bench``'s table): the bench's
settings with the registration form's checks against scripts turned off, because wrk is a
script that cannot act like people: the rate limits per address and per e-mail (64 clients
share 127.0.0.1; the switch turns the API token's limit off too), the minimum time to fill in
the form, and the form token's single use (each wrk connection sends the form it opened many
times). The output says so. The production-shape part (``bench/production.py``, behind nginx)
uses ``bench.settings``, which keeps them on.
"""

from bench.settings import *  # noqa: F403

KONGRES_RATELIMIT_ENABLED = False
KONGRES_REGISTRATION_MIN_FILL_SECONDS = 0
# wrk's connections send the form they opened many times (bench/wrk/rush.lua)
KONGRES_REGISTRATION_FORM_TOKEN_ONCE = False

BENCH_RELAXED = [
    "the rate limits: the registration's, and the API token's requests a minute "
    "(KONGRES_RATELIMIT_ENABLED = False; with it on, an API create makes 2 more round trips "
    "to the cache: bench/apiflow.py)",
    "the form's minimum fill-in time (KONGRES_REGISTRATION_MIN_FILL_SECONDS = 0)",
    "the form token's single use (KONGRES_REGISTRATION_FORM_TOKEN_ONCE = False)",
]
