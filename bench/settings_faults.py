"""Settings of ``make faults`` (``bench/faults.py``): the bench's settings, with the mail's
clock compressed so that a 10-minute outage of the mail server, or a worker killed while it
holds a message, plays out in a minute or less: the retry backoffs, the claim timeout of a
message and the time after which a task counts as lost are multiplied by
``KONGRES_BENCH_TIME_SCALE`` (0.1 unless set; ``--quick`` sets 0.02), and the job that
re-enqueues lost mail runs every 2 seconds instead of every minute.
"""

import os

from bench.settings import *  # noqa: F403
from bench.settings import BENCH_RELAXED

KONGRES_MAIL_TIME_SCALE = float(os.environ.get("KONGRES_BENCH_TIME_SCALE", "0.1"))
KONGRES_PERIODIC_JOBS = [
    ("kongres.mail.delivery.mail_retry_due", 2),
    ("kongres.registration.tasks.expire_due", 30),
    ("kongres.privacy.tasks.purge_due", 3600),
]
BENCH_RELAXED = [
    *BENCH_RELAXED,
    f"the mail's clock x {KONGRES_MAIL_TIME_SCALE} (retry backoffs, claim timeout, lost tasks), "
    "lost mail looked for every 2 s instead of every 60 s",
]
