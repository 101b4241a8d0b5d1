"""How fast the workers deliver mail, against the SMTP server's own acceptance rate (issue 16,
"Mail keeps up"): ``python -m bench.mailrate [--mails 1000] [--workers 1,2]``.

A local SMTP server (``bench/smtpsink.py``) and ``kongres worker`` processes on the bench's
settings and a ``kongres.toml`` like the production topology's (PostgreSQL,
``KONGRES_BENCH_DATABASE_URL``; Redis as the cache, ``KONGRES_BENCH_CACHE_URL``). For each
number of workers: the workers are started and left idle, ``--mails`` people register (the
real ``registration_create``: each queues its verification mail, as in a rush), committed at
once, and the time is taken from that commit to the last message the SMTP server accepted.
Printed: mails/s (from the first accepted message to the last, as ``bench.production``
measures, and from the commit), the workers' CPU time per mail and their share of a core
(``/proc/<pid>/stat``), and the SMTP server's own rate with 2 clients and one session per
message (``bench.production.smtp_acceptance``) measured just before. At most 2,000 mails and
2 minutes a run; nothing else of the bench is started (no nginx, no app server).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from bench import db
from bench.procs import Processes, free_port
from bench.topology import REPO, Topology, cpu_seconds

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/kongres_bench_mail"
DEFAULT_CACHE_URL = "redis://127.0.0.1:6379/9"
MAX_MAILS = 2000
MAX_SECONDS = 120


def log(message: str) -> None:
    print(f"bench mailrate: {message}", flush=True)


@dataclass
class Run:
    workers: int
    mails: int
    delivered: int
    rate: float  # first accepted to last
    rate_from_commit: float
    cpu_per_mail_ms: float
    core_share: float  # the workers' CPU time / (wall time x workers)
    sink_cpu_per_mail_ms: float
    database_cpu_per_mail_ms: float  # the workers' PostgreSQL backends
    machine_busy: float  # share of all cores busy (any process) during the run


def machine_busy_ticks() -> tuple[int, int]:
    """(busy, total) jiffies of all cores since boot (``/proc/stat``)."""
    fields = [int(n) for n in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle, iowait
    return sum(fields) - idle, sum(fields)


def database_backends() -> list[int]:
    """The PostgreSQL backends of the bench database other than the harness's own."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return [row[0] for row in cursor.fetchall()]


def queue_verifications(*, edition_id: int, count: int, prefix: str) -> float:
    """``count`` registrations of the rush edition in one transaction (each queues its
    verification mail and its task); returns the time of the commit."""
    from django.db import transaction

    from kongres.events.models import Edition
    from kongres.registration.data import RegistrationData
    from kongres.registration.services import registration_create

    edition = Edition.objects.get(pk=edition_id)
    person = person_data(edition_id=edition_id) or RegistrationData(
        first_name="Anna", last_name="Nowak", email="", privacy_consent=True
    )
    with transaction.atomic():
        for number in range(count):
            registration_create(
                edition=edition,
                data=dataclasses.replace(
                    person,
                    last_name=f"Nowak {number}",
                    email=f"{prefix}-{number}@{db.EMAIL_DOMAIN}",
                ),
            )
    return time.time()


def person_data(*, edition_id: int):
    """The answers of the rush's people (``bench.rush.form_body``: every required field, every
    day) as the registration form gives them to the service; None if they are not valid."""
    from django.http import QueryDict

    from bench import rush
    from kongres.events.models import Edition
    from kongres.events.selectors import edition_days, edition_tracks
    from kongres.registration.forms import RegistrationForm
    from kongres.registration.models import Question

    answers, _hidden, errors = rush.form_body(edition_id=edition_id)
    if errors:
        return None
    edition = Edition.objects.get(pk=edition_id)
    data = QueryDict(answers, mutable=True)
    data["email"] = f"check@{db.EMAIL_DOMAIN}"
    data["started"] = RegistrationForm.sign_started(time.time() - 3600)
    form = RegistrationForm(
        data,
        edition=edition,
        days=edition_days(edition=edition),
        tracks=edition_tracks(edition=edition),
        questions=list(Question.objects.filter(edition=edition).select_related("depends_on")),
    )
    return form.to_data() if form.is_valid() else None


def measure(topology: Topology, *, edition_id: int, workers: int, mails: int) -> Run:
    from bench import rush

    for number in range(len(topology.worker_processes)):  # the topology's own, if running
        topology.worker_stop(number)
    rush.reset(edition_id=edition_id, seats=mails)  # empties the outbox and the task queue
    topology.worker_processes = [topology._worker(number) for number in range(workers)]
    started = time.monotonic()
    while True:  # until each worker polls the queue (Django set up, connected)
        backends = database_backends()
        # each worker's connection, and the first worker's periodic jobs' (a thread)
        if len(backends) >= workers + 1 or time.monotonic() - started > 30:
            break
        time.sleep(0.5)
    time.sleep(1)
    db.close_connections()
    pids = [p.pid for p in topology.worker_processes]
    sink = [topology.smtp.pid]
    prefix = f"rate{int(time.time())}w{workers}"
    before, sink_before = cpu_seconds(pids), cpu_seconds(sink)
    database_before, busy_before = cpu_seconds(backends), machine_busy_ticks()
    committed = queue_verifications(edition_id=edition_id, count=mails, prefix=prefix)
    db.close_connections()
    deadline = committed + MAX_SECONDS
    while True:
        delivered = [m for m in topology.mails() if m[2].startswith(prefix)]
        if len(delivered) >= mails or time.time() > deadline:
            break
        time.sleep(0.2)
    after, sink_after = cpu_seconds(pids), cpu_seconds(sink)
    database_after, busy_after = cpu_seconds(backends), machine_busy_ticks()
    for number in range(workers):
        topology.worker_stop(number)
    topology.worker_processes = []
    times = sorted(m[0] for m in delivered)
    wall = (times[-1] - committed) if times else float("nan")
    rate = (len(times) - 1) / (times[-1] - times[0]) if len(times) > 1 else 0.0
    count = max(len(times), 1)
    return Run(
        workers=workers,
        mails=mails,
        delivered=len({m[2] for m in delivered}),
        rate=rate,
        rate_from_commit=len(times) / wall if times else 0.0,
        cpu_per_mail_ms=1000 * (after - before) / count,
        core_share=(after - before) / (wall * workers) if times else 0.0,
        sink_cpu_per_mail_ms=1000 * (sink_after - sink_before) / count,
        database_cpu_per_mail_ms=1000 * (database_after - database_before) / count,
        machine_busy=(busy_after[0] - busy_before[0]) / max(busy_after[1] - busy_before[1], 1),
    )


def describe(run: Run, accepted: float) -> str:
    return (
        f"{run.workers} worker(s): {run.delivered:,} of {run.mails:,} delivered, "
        f"{run.rate:,.1f} mails/s ({run.rate_from_commit:,.1f} from the commit) = "
        f"{run.rate / accepted if accepted else 0:.2f} x the SMTP server's own; workers' CPU "
        f"{run.cpu_per_mail_ms:.2f} ms a mail, {run.core_share:.0%} of a core each; "
        f"SMTP server's CPU {run.sink_cpu_per_mail_ms:.2f} ms a mail, the workers' "
        f"PostgreSQL backends' {run.database_cpu_per_mail_ms:.2f} ms; all cores "
        f"{run.machine_busy:.0%} busy"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.mailrate", description=__doc__)
    parser.add_argument(
        "--mails", type=int, default=1000, help=f"mails a run (at most {MAX_MAILS})"
    )
    parser.add_argument("--workers", default="1,2", help="numbers of workers, one run each (1,2)")
    parser.add_argument(
        "--data-dir", type=Path, default=REPO / "var" / "bench-mailrate", help="logs, config"
    )
    args = parser.parse_args(argv)
    mails = min(args.mails, MAX_MAILS)
    topology = Topology(
        data_dir=args.data_dir.resolve(),
        database_url=os.environ.get("KONGRES_BENCH_DATABASE_URL") or DEFAULT_DATABASE_URL,
        cache_url=os.environ.get("KONGRES_BENCH_CACHE_URL") or DEFAULT_CACHE_URL,
        app_servers=0,
        log=log,
    )
    topology.processes = Processes()
    topology.data_dir.mkdir(parents=True, exist_ok=True)
    topology.mail_log.unlink(missing_ok=True)
    topology.smtp_port = free_port()
    topology.write_config()
    os.environ.update(topology.environment())
    if db.database_ensure(topology.database_url):
        log(f"created the database {topology.database_url}")
    db.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    edition = db._edition_rush(demo=False)
    db.close_connections()
    try:
        topology.smtp_start()
        from bench.production import smtp_acceptance

        accepted = smtp_acceptance(topology.smtp_port, messages=min(mails, 500))
        log(f"SMTP server alone: {accepted:,.0f} messages/s accepted (2 clients)")
        for workers in [int(n) for n in args.workers.split(",")]:
            run = measure(topology, edition_id=edition.pk, workers=workers, mails=mails)
            log(describe(run, accepted))
    finally:
        topology.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
