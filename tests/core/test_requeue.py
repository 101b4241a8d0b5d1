"""``lost_tasks_requeue``, the one helper of the mail's and the webhooks' periodic job that
gives a new task to a row whose task was lost (their own tests: tests/mail/test_delivery.py,
tests/webhooks/test_delivery.py)."""

import pytest
from django.tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from kongres.core.requeue import lost_tasks_requeue, tasks_discard
from kongres.mail.models import OutboxMessage
from kongres.mail.services import BulkMail, mail_queue_bulk

pytestmark = pytest.mark.django_db


def rows(count: int) -> list[OutboxMessage]:
    """``count`` outbox rows, each with a task of its own."""
    for n in range(count):
        mail_queue_bulk(
            mails=[
                BulkMail(
                    to=f"osoba{n}@example.org",
                    language="pl",
                    subject="Temat",
                    body_text="Treść",
                    body_html="<p>Treść</p>",
                    kind="test",
                    related="test",
                )
            ]
        )
    return list(OutboxMessage.objects.order_by("pk"))


def test_only_rows_whose_task_no_longer_waits_get_a_new_task():
    waiting, done, without, gone = rows(4)
    DBTaskResult.objects.filter(pk=done.task_id).update(status=TaskResultStatus.SUCCESSFUL)
    OutboxMessage.objects.filter(pk=without.pk).update(task_id="")
    DBTaskResult.objects.filter(pk=gone.task_id).delete()
    enqueued = []

    def enqueue(row):
        enqueued.append(row.pk)
        return f"new-{row.pk}"

    lost = lost_tasks_requeue(stale=OutboxMessage.objects.all(), enqueue=enqueue)

    assert [row.pk for row in lost] == enqueued == [done.pk, without.pk, gone.pk]
    assert dict(OutboxMessage.objects.values_list("pk", "task_id")) == {
        waiting.pk: waiting.task_id,
        done.pk: f"new-{done.pk}",
        without.pk: f"new-{without.pk}",
        gone.pk: f"new-{gone.pk}",
    }


def test_at_most_a_batch_of_rows_by_primary_key_and_only_the_stale_ones():
    first, second, third, fourth = rows(4)
    DBTaskResult.objects.all().delete()
    stale = OutboxMessage.objects.exclude(pk=first.pk)

    lost = lost_tasks_requeue(stale=stale, enqueue=lambda row: f"new-{row.pk}", batch=2)

    assert [row.pk for row in lost] == [second.pk, third.pk]
    assert OutboxMessage.objects.get(pk=fourth.pk).task_id == fourth.task_id
    assert lost_tasks_requeue(stale=stale.filter(task_id=""), enqueue=str) == []


def test_tasks_discard_deletes_only_the_tasks_that_still_wait():
    waiting, started, done = rows(3)
    DBTaskResult.objects.get(pk=started.task_id).claim("worker")
    DBTaskResult.objects.filter(pk=done.task_id).update(status=TaskResultStatus.SUCCESSFUL)

    deleted = tasks_discard(task_ids=[waiting.task_id, started.task_id, done.task_id, ""])

    assert deleted == 1
    assert DBTaskResult.objects.count() == 2
    assert not DBTaskResult.objects.filter(pk=waiting.task_id).exists()
    assert tasks_discard(task_ids=[]) == 0
