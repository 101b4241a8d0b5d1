"""Settings of the bench server: the project's own settings, plus

- the bench's URLs (``bench/urls.py``: the project's URLs and two ceiling views), and
- the registration form's checks against scripts turned off, because the load generator is a
  script: the rate limits per address and per e-mail (64 clients share 127.0.0.1) and the
  minimum time to fill in the form, and the form token's single use (each wrk connection
  sends the form it opened many times). ``make bench`` says so in its output.

Everything else (DEBUG off, persistent database connections, the middleware, the templates,
whitenoise with the manifest) is as in production.
"""

from kongres.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
DEBUG = False

KONGRES_RATELIMIT_ENABLED = False
KONGRES_REGISTRATION_MIN_FILL_SECONDS = 0
# wrk's connections send the form they opened many times (bench/wrk/rush.lua)
KONGRES_REGISTRATION_FORM_TOKEN_ONCE = False

# What the bench turns off, shown in its output and in RESULTS.md.
BENCH_RELAXED = [
    "the registration rate limits (KONGRES_RATELIMIT_ENABLED = False)",
    "the form's minimum fill-in time (KONGRES_REGISTRATION_MIN_FILL_SECONDS = 0)",
    "the form token's single use (KONGRES_REGISTRATION_FORM_TOKEN_ONCE = False)",
]
