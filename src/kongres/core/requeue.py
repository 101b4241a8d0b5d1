"""Rows sent by a background task (an outbox mail, a webhook delivery) whose task was lost.

A row that waits for a task keeps the task's id in ``task_id``. The task may be lost: the
worker was killed in the middle of it (the row's claim runs out), or the task row is gone.
``lost_tasks_requeue`` (called by the periodic jobs ``mail_retry_due`` and
``webhook_retry_due``) enqueues a new task for every such row whose task no longer waits to
run. Running it twice at once is harmless: rows another run holds are skipped, and a row is
claimed by its task before it is sent. ``tasks_discard`` deletes the waiting tasks whose work
another task has done (the mail worker sends the due messages of many tasks at once).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.db import models, transaction
from django.tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

BATCH = 1000  # rows looked at per run


def lost_tasks_requeue[Row: models.Model](
    *, stale: models.QuerySet[Row], enqueue: Callable[[Row], str], batch: int = BATCH
) -> list[Row]:
    """Of ``stale`` (the rows past their time: waiting well after it, or claimed by a worker
    whose claim ran out), those whose ``task_id`` is no task waiting to run get a new task:
    ``enqueue(row)`` returns its id, saved in the row. One transaction that waits for no lock;
    at most ``batch`` rows, by primary key. Returns the rows enqueued again."""
    with transaction.atomic():
        rows = list(
            stale.select_for_update(skip_locked=True).only("pk", "task_id").order_by("pk")[:batch]
        )
        waiting = {
            str(task_id)
            for task_id in DBTaskResult.objects.filter(
                status=TaskResultStatus.READY,
                id__in=[row.task_id for row in rows if row.task_id],
            ).values_list("id", flat=True)
        }
        lost = [row for row in rows if row.task_id not in waiting]
        for row in lost:
            row.task_id = enqueue(row)
            row.save(update_fields=["task_id"])
    return lost


def tasks_discard(*, task_ids: Iterable[str]) -> int:
    """Delete the tasks of ``task_ids`` that still wait to run: another task has done their
    work (a worker sending the due mail sends it for them), and each would only start, find
    nothing to do and finish, two transactions and four queries later. A task a worker has
    already started is left alone (it finds nothing to do). Returns how many were deleted."""
    ids = [task_id for task_id in task_ids if task_id]
    if not ids:
        return 0
    # Locked first, skipping the rows a worker is claiming: Django deletes what it selected by
    # primary key, and a task a worker claimed between the two would be deleted while it runs.
    with transaction.atomic():
        waiting = list(
            DBTaskResult.objects.select_for_update(skip_locked=True)
            .filter(id__in=ids, status=TaskResultStatus.READY)
            .values_list("id", flat=True)
        )
        deleted, _by_model = DBTaskResult.objects.filter(id__in=waiting).delete()
    return deleted
