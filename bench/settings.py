"""Settings of the bench's servers: the project's own settings, plus the bench's URLs
(``bench/urls.py``: the project's URLs and two ceiling views).

Everything production keeps on stays on: the rate limits per address and per e-mail address,
the minimum time to fill in the form, the form token's single use, DEBUG off, persistent
database connections, the middleware, the templates, whitenoise with the manifest. One thing is
made cheaper, and the output says so: the proof of work the form asks for past the soft limit
of an address (ALTCHA). Each of the office's browsers would spend about a second of its own
CPU on it; the bench's one load-generating process solves for all 300 people on the same two
cores as the servers, so each puzzle takes at most 50 attempts instead of 1,000.

``bench/settings_relaxed.py`` is the old in-process scenario's (wrk straight to granian, which
cannot act like people): it turns the checks against scripts off.
"""

from kongres.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
DEBUG = False

KONGRES_REGISTRATION_POW_MAX_NUMBER = 50

# What the bench makes easier than production, shown in its output and in RESULTS.md.
BENCH_RELAXED = [
    "the proof of work past the soft limit of an address: at most 50 attempts instead of 1,000 "
    "(KONGRES_REGISTRATION_POW_MAX_NUMBER = 50; the load generator solves for 300 browsers)",
]
