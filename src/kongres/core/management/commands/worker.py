"""``kongres worker``: run the background tasks (mail, …) and the periodic jobs."""

import logging
import threading
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, connection, connections
from django.utils import timezone
from django.utils.crypto import get_random_string
from django_tasks_db.management.commands.db_worker import Worker

from kongres.core.pdf import pdf_fonts_shared
from kongres.core.schedule import Scheduler

LOGGERS = ("django.tasks", "django_tasks_db", __name__)
logger = logging.getLogger(__name__)

# After losing the database, the worker waits this long before trying again, doubling each time
# up to the maximum (a restart or failover of PostgreSQL takes seconds to a minute).
RECONNECT_FIRST_SECONDS = 1.0
RECONNECT_MAX_SECONDS = 30.0


class Command(BaseCommand):
    help = (
        "Run the background worker: the queued tasks (sending mail, …) and the periodic jobs "
        "of settings.KONGRES_PERIODIC_JOBS. Ctrl-C or SIGTERM stops it after the current task."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--batch",
            action="store_true",
            help="Run the periodic jobs once and every task that is ready, then exit.",
        )
        parser.add_argument(
            "--interval",
            type=float,
            default=1.0,
            help="Seconds to wait for new tasks when there are none (default: 1).",
        )
        parser.add_argument(
            "--no-scheduler",
            action="store_false",
            dest="scheduler",
            help="Do not run the periodic jobs (another worker runs them).",
        )
        parser.add_argument("--worker-id", default="", help="Unique name (default: random).")

    def handle(
        self, *, batch: bool, interval: float, scheduler: bool, worker_id: str, **options
    ) -> None:
        if connection.in_atomic_block:
            raise CommandError(
                "kongres worker cannot run inside a transaction: it opens and closes its own "
                "(in tests, use the transactional_db fixture)."
            )
        self._configure_logging(options["verbosity"])
        worker = Worker(
            queue_names=["*"],
            interval=interval,
            batch=batch,
            backend_name="default",
            startup_delay=not batch,
            max_tasks=None,
            worker_id=worker_id or get_random_string(32),
            excluded_queue_names=[],
        )
        jobs = Scheduler(settings.KONGRES_PERIODIC_JOBS if scheduler else [])

        if batch:
            jobs.run_due_jobs(timezone.now())
            with pdf_fonts_shared():
                worker.run()
            return

        stop = threading.Event()
        thread = threading.Thread(
            target=jobs.run_until, args=(stop,), name="kongres-scheduler", daemon=True
        )
        names = ", ".join(job.path for job in jobs.jobs) or "none"
        self.stdout.write(
            f"Worker started (periodic jobs: {names}). Mail goes to {mail_destination()}. "
            "Ctrl-C stops it."
        )
        thread.start()
        worker.configure_signals()
        exit_code = 0
        try:
            # the tasks' PDFs (mail attachments) share the fonts; the scheduler's thread not
            with pdf_fonts_shared():
                run_through_outages(worker)
        except SystemExit as exit:  # raised by the worker's signal handler when idle
            exit_code = exit.code or 0
        finally:
            stop.set()
            thread.join(timeout=60)
            worker.reset_signals()
        self.stdout.write("Worker stopped.")
        if exit_code:
            raise SystemExit(exit_code)

    def _configure_logging(self, verbosity: int) -> None:
        level = {0: logging.CRITICAL, 1: logging.INFO}.get(verbosity, logging.DEBUG)
        for name in LOGGERS:
            logger = logging.getLogger(name)
            logger.setLevel(level)
            if not logger.hasHandlers():
                logger.addHandler(logging.StreamHandler(self.stdout))


def run_through_outages(worker: Worker) -> None:
    """Run ``worker`` until it is stopped, surviving database outages: when the database goes
    away (a restart, a failover, the network), log it, drop the broken connections, wait with a
    growing delay and carry on. The scheduler thread survives on its own (a failed job runs
    again at its next time). A signal stops the worker during the wait too (its handler exits
    at once when no task is running)."""
    delay = RECONNECT_FIRST_SECONDS
    while True:
        started = time.monotonic()
        try:
            worker.run()
            return
        except DatabaseError as error:
            if not worker.running:  # stopping anyway
                return
            if time.monotonic() - started > 10 * RECONNECT_MAX_SECONDS:
                delay = RECONNECT_FIRST_SECONDS  # a new outage, not the same one going on
            logger.warning(
                "The database is unavailable (%s); trying again in %.0f s.",
                str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__,
                delay,
            )
            connections.close_all()
            time.sleep(delay)
            delay = min(delay * 2, RECONNECT_MAX_SECONDS)


def mail_destination() -> str:
    """Where the default mailer delivers, in words (for the start-up line)."""
    mailer = settings.MAILERS.get("default", {})
    backend, options = mailer.get("BACKEND", ""), mailer.get("OPTIONS", {})
    if backend.endswith("filebased.EmailBackend"):
        return f"files in {options.get('file_path')}"
    if backend.endswith("console.EmailBackend"):
        return "this console"
    if backend.endswith("smtp.EmailBackend"):
        return f"SMTP server {options.get('host')}:{options.get('port')}"
    return backend
