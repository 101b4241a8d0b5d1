"""The periodic-job scheduler and ``kongres worker`` (in-process and as a real process)."""

import datetime as dt
import logging
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from kongres.core.schedule import Scheduler
from tests.mail.smtp import LocalSMTPServer

CALLS: list[str] = []
T0 = dt.datetime(2026, 10, 7, 9, 0, tzinfo=dt.UTC)


def every_minute() -> None:
    CALLS.append("minute")


def every_ten_minutes() -> None:
    CALLS.append("ten")


def broken() -> None:
    raise RuntimeError("the job broke")


@pytest.fixture(autouse=True)
def _clear_calls():
    CALLS.clear()


def scheduler() -> Scheduler:
    return Scheduler(
        [
            ("tests.core.test_worker.every_minute", 60),
            ("tests.core.test_worker.every_ten_minutes", 600),
        ]
    )


def test_run_due_jobs_runs_every_job_at_start_then_each_at_its_interval():
    jobs = scheduler()

    ran = [
        jobs.run_due_jobs(T0 + dt.timedelta(seconds=seconds))
        for seconds in (0, 30, 60, 61, 120, 600)
    ]

    assert ran == [
        ["tests.core.test_worker.every_minute", "tests.core.test_worker.every_ten_minutes"],
        [],
        ["tests.core.test_worker.every_minute"],
        [],
        ["tests.core.test_worker.every_minute"],
        ["tests.core.test_worker.every_minute", "tests.core.test_worker.every_ten_minutes"],
    ]
    assert CALLS == ["minute", "ten", "minute", "minute", "minute", "ten"]


def test_seconds_until_next_job():
    jobs = scheduler()
    assert jobs.seconds_until_next(T0) == 0

    jobs.run_due_jobs(T0)

    assert jobs.seconds_until_next(T0 + dt.timedelta(seconds=15)) == 45
    assert jobs.seconds_until_next(T0 + dt.timedelta(seconds=75)) == 0


def test_a_failing_job_is_logged_and_the_others_still_run(caplog):
    jobs = Scheduler(
        [("tests.core.test_worker.broken", 60), ("tests.core.test_worker.every_minute", 60)]
    )

    with caplog.at_level(logging.ERROR, logger="kongres.core.schedule"):
        jobs.run_due_jobs(T0)
        jobs.run_due_jobs(T0 + dt.timedelta(seconds=60))

    assert CALLS == ["minute", "minute"]
    assert [record.getMessage() for record in caplog.records] == [
        "Periodic job tests.core.test_worker.broken failed"
    ] * 2
    assert "the job broke" in caplog.text


def test_a_job_with_no_positive_interval_is_refused():
    with pytest.raises(ValueError, match="every_minute: the interval must be positive"):
        Scheduler([("tests.core.test_worker.every_minute", 0)])


def test_run_until_stops_when_asked():
    jobs = scheduler()
    stop = threading.Event()
    thread = threading.Thread(target=jobs.run_until, args=(stop,), kwargs={"max_wait": 0.05})
    thread.start()
    deadline = time.monotonic() + 5
    while not CALLS and time.monotonic() < deadline:
        time.sleep(0.01)

    stop.set()
    thread.join(timeout=5)

    assert not thread.is_alive()
    assert CALLS == ["minute", "ten"]


def test_settings_list_the_mail_retry_job(settings):
    assert ("kongres.mail.delivery.mail_retry_due", 60) in settings.KONGRES_PERIODIC_JOBS


@pytest.mark.django_db(transaction=True)
def test_worker_batch_runs_the_periodic_jobs_of_the_settings(settings):
    settings.KONGRES_PERIODIC_JOBS = [
        *settings.KONGRES_PERIODIC_JOBS,
        ("tests.core.test_worker.every_minute", 60),
    ]

    call_command("worker", "--batch", verbosity=0)

    assert CALLS == ["minute"]


@pytest.mark.django_db(transaction=True)
def test_worker_batch_without_scheduler_runs_no_periodic_job(settings):
    settings.KONGRES_PERIODIC_JOBS = [("tests.core.test_worker.every_minute", 60)]

    call_command("worker", "--batch", "--no-scheduler", verbosity=0)

    assert CALLS == []


# A real `kongres worker` process, on its own SQLite database in a temporary folder.


def kongres(*args: str, env: dict, cwd: Path, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 (our own command line)
        [sys.executable, "-m", "kongres", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
        **kwargs,
    )


@pytest.fixture
def smtp_server():
    server = LocalSMTPServer()
    server.start()
    yield server
    server.stop()


def process_environment(data_dir: Path, mail_url: str = "") -> dict:
    env = {key: value for key, value in os.environ.items() if not key.startswith("KONGRES_")}
    return env | {
        "KONGRES_DATA_DIR": str(data_dir),
        "KONGRES_MAIL_URL": mail_url,
        "KONGRES_MAIL_FROM": "Kongres <kongres@example.org>",
        "PYTHONUNBUFFERED": "1",
    }


@pytest.fixture(scope="module")
def migrated_database(tmp_path_factory) -> Path:
    """A migrated SQLite database, made once for this module's worker processes."""
    data_dir = tmp_path_factory.mktemp("migrated")
    kongres("migrate", "--verbosity", "0", env=process_environment(data_dir), cwd=data_dir)
    return data_dir / "kongres.sqlite3"


@pytest.fixture
def process_env(tmp_path, smtp_server, migrated_database) -> dict:
    data_dir = tmp_path / "var"
    data_dir.mkdir()
    shutil.copy(migrated_database, data_dir / "kongres.sqlite3")
    return process_environment(data_dir, f"smtp://{smtp_server.host}:{smtp_server.port}")


def start_worker(env: dict, cwd: Path) -> tuple[subprocess.Popen, list[str]]:
    process = subprocess.Popen(
        [sys.executable, "-m", "kongres", "worker", "--interval", "0.2"],
        env=env,
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = []

    def read() -> None:
        for line in process.stdout:
            lines.append(line)

    threading.Thread(target=read, daemon=True).start()
    wait_for(lambda: any("Worker started" in line for line in lines), process)
    return process, lines


def wait_for(condition, process: subprocess.Popen, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert process.poll() is None, "the worker exited early"
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
def test_worker_process_delivers_queued_mail_and_stops_cleanly_on_signal(
    stop_signal, process_env, tmp_path, smtp_server
):
    kongres("queuetestmail", "anna@example.org", "--language", "en", env=process_env, cwd=tmp_path)
    process, lines = start_worker(process_env, tmp_path)
    try:
        wait_for(lambda: smtp_server.messages, process)
        process.send_signal(stop_signal)
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()

    assert process.returncode == 0
    output = "".join(lines)
    assert (
        "Worker started (periodic jobs: kongres.mail.services.mail_due_wake, "
        "kongres.mail.delivery.mail_retry_due"
    ) in output
    assert f"Mail goes to SMTP server 127.0.0.1:{smtp_server.port}." in output
    assert "Worker stopped." in output
    [received] = smtp_server.messages
    assert received["Subject"] == "Test message from kongres"
    assert received["To"] == "anna@example.org"
    assert received["From"] == "Kongres <kongres@example.org>"


@pytest.mark.django_db
def test_worker_refuses_to_run_inside_a_transaction():
    with pytest.raises(CommandError, match="use the transactional_db fixture"):
        call_command("worker", "--batch", verbosity=0)


# -- the database going away under a running worker (PostgreSQL: the suite's second run) -----


@pytest.mark.django_db(transaction=True)
def test_worker_survives_a_database_outage_and_delivers_after_it(tmp_path, smtp_server):
    """The connection to PostgreSQL is cut for several seconds under a running worker (through
    a proxy, as a restart or failover cuts it): the worker logs it, stays up, and delivers the
    mail queued during and after the outage once the database is back."""
    from django.db import connection

    from kongres.mail.models import OutboxMessage
    from kongres.mail.services import mail_queue
    from tests.tcpproxy import CuttableProxy

    if connection.vendor != "postgresql":
        pytest.skip("the test database is not PostgreSQL")
    database = connection.settings_dict
    proxy = CuttableProxy((database["HOST"] or "127.0.0.1", int(database["PORT"] or 5432)))
    env = process_environment(tmp_path, f"smtp://{smtp_server.host}:{smtp_server.port}") | {
        "KONGRES_DATABASE_URL": (
            f"postgres://{database['USER']}@127.0.0.1:{proxy.port}/{database['NAME']}"
        )
    }

    def queue(to: str) -> None:
        mail_queue(to=to, template="mail/test", context={}, language="en")

    process, lines = start_worker(env, tmp_path)
    try:
        queue("before@example.org")
        wait_for(lambda: len(smtp_server.messages) == 1, process)
        # and recorded: the mail server has it a moment before its row says so, and a cut in
        # between leaves the row "sending" until its claim runs out (then it goes again)
        wait_for(lambda: OutboxMessage.objects.filter(status="sent").exists(), process)

        proxy.cut()
        queue("during@example.org")
        wait_for(lambda: any("database is unavailable" in line for line in lines), process)
        time.sleep(4)  # several failed reconnections
        assert process.poll() is None, "the worker exited during the outage"
        assert len(smtp_server.messages) == 1

        proxy.restore()
        queue("after@example.org")
        wait_for(lambda: len(smtp_server.messages) == 3, process, seconds=60)
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
    finally:
        proxy.close()
        if process.poll() is None:
            process.kill()
            process.wait()

    assert process.returncode == 0
    assert sorted(message["To"] for message in smtp_server.messages) == [
        "after@example.org",
        "before@example.org",
        "during@example.org",
    ]
    assert set(OutboxMessage.objects.values_list("status", flat=True)) == {"sent"}
