"""The messages the registration function writes (on PostgreSQL) have no task of their own:
after the commit, ``mail_due_task_wake`` enqueues one task that delivers every due
transactional message, unless such a task already waits to start. Here the messages are
written as that function writes them (``mail_prepared``, saved without a task), on either
database, and delivered by the real worker to a local SMTP server."""

import time

from django.db import transaction
from django_tasks_db.models import DBTaskResult

from kongres.mail import delivery
from kongres.mail.models import OutboxMessage
from kongres.mail.services import mail_due_task_started, mail_due_task_wake, mail_prepared
from tests.mail.test_delivery import run_worker


def written_by_sql(count: int, prefix: str = "osoba") -> list[str]:
    """``count`` messages saved without a task, each followed by a wake, as after a commit."""
    addresses = [f"{prefix}{number}@example.org" for number in range(count)]
    for address in addresses:
        with transaction.atomic():
            mail_prepared(
                to=address,
                template="mailtest/greeting",
                context={"name": "Anna", "link": "/potwierdz/abc/"},
                language="pl",
                kind="greeting",
            ).save()
        mail_due_task_wake()
    return addresses


def waiting_tasks() -> list[list]:
    return [task.args_kwargs["args"] for task in DBTaskResult.objects.filter(status="READY")]


def test_messages_share_the_task_that_waits_and_each_is_delivered_once(
    transactional_db, smtp_server
):
    addresses = written_by_sql(5)
    assert waiting_tasks() == [[]]  # one task, naming no message, for the five

    run_worker()

    assert sorted(message["To"] for message in smtp_server.messages) == sorted(addresses)
    assert set(OutboxMessage.objects.values_list("status", flat=True)) == {"sent"}
    # the task cleared the flag as it started: the next message enqueues a task again
    later = written_by_sql(1, prefix="pozniej")
    assert waiting_tasks() == [[]]
    run_worker()
    assert [message["To"] for message in smtp_server.messages][-1] == later[0]


def test_a_task_started_clears_the_flag_before_it_reads_what_is_due(transactional_db, smtp_server):
    """A message committed while a task is already running, after it read what is due, is not
    left behind: it finds the flag cleared and enqueues a task of its own."""
    written_by_sql(1)
    mail_due_task_started()  # a worker took the task (it runs later in this test)
    written_by_sql(1, prefix="w-trakcie")
    assert waiting_tasks() == [[], []]
    run_worker()
    assert len(smtp_server.messages) == 2


def test_a_drain_cut_by_its_deadline_enqueues_a_task_for_the_rest(transactional_db, smtp_server):
    written_by_sql(3)
    DBTaskResult.objects.all().delete()  # as if the task had been taken and had run out of time
    mail_due_task_started()

    with delivery._Sender() as sender, delivery._Sent() as sent:
        sent_now = delivery._deliver_due_transactional(sender, sent, deadline=time.monotonic() - 1)

    assert sent_now == 0
    assert waiting_tasks() == [[]]
    run_worker()
    assert len(smtp_server.messages) == 3
