"""``kongres worker``: run the background tasks (mail, …) and the periodic jobs."""

import logging
import threading

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.utils import timezone
from django.utils.crypto import get_random_string
from django_tasks_db.management.commands.db_worker import Worker

from kongres.core.schedule import Scheduler

LOGGERS = ("django.tasks", "django_tasks_db")


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
            worker.run()
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
