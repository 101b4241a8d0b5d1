"""Periodic jobs for ``kongres worker``: a small in-process scheduler.

``settings.KONGRES_PERIODIC_JOBS`` lists ``(dotted path, interval in seconds)``. Each job is a
function called with no arguments; it runs once when the worker starts, then every interval.
A job that raises is logged and runs again at its next time. Jobs must tolerate running twice
at the same time (two workers, each with a scheduler), e.g. by locking or claiming rows.
"""

import datetime as dt
import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.db import close_old_connections, connections
from django.utils import timezone
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


@dataclass
class PeriodicJob:
    path: str
    interval: dt.timedelta
    function: Callable[[], object]
    next_run_at: dt.datetime | None = None  # None: due now


class Scheduler:
    def __init__(self, jobs: Iterable[tuple[str, float]]) -> None:
        self.jobs = []
        for path, seconds in jobs:
            if seconds <= 0:
                raise ValueError(f"{path}: the interval must be positive, not {seconds!r}")
            self.jobs.append(
                PeriodicJob(
                    path=path,
                    interval=dt.timedelta(seconds=seconds),
                    function=import_string(path),
                )
            )

    def run_due_jobs(self, now: dt.datetime) -> list[str]:
        """Run every job due at ``now``; return the paths of those that ran."""
        ran = []
        for job in self.jobs:
            if job.next_run_at is not None and job.next_run_at > now:
                continue
            job.next_run_at = now + job.interval
            close_old_connections()
            try:
                job.function()
            except Exception:
                logger.exception("Periodic job %s failed", job.path)
            finally:
                close_old_connections()
            ran.append(job.path)
        return ran

    def seconds_until_next(self, now: dt.datetime) -> float:
        """How long until the next job is due (0 if one is due now)."""
        if not self.jobs:
            return float("inf")
        waits = [
            0.0 if job.next_run_at is None else (job.next_run_at - now).total_seconds()
            for job in self.jobs
        ]
        return max(min(waits), 0.0)

    def run_until(self, stop: threading.Event, *, max_wait: float = 5.0) -> None:
        """Run due jobs until ``stop`` is set (the worker's scheduler thread)."""
        try:
            while not stop.is_set():
                self.run_due_jobs(timezone.now())
                stop.wait(min(self.seconds_until_next(timezone.now()), max_wait))
        finally:
            connections.close_all()  # this thread's connections
