"""`make bench` end to end in its quick mode: a real server on a real PostgreSQL database, loaded
by wrk and pgbench. It checks the harness (its table, its targets, RESULTS.md, that it stops
what it started), never the figures: timing targets are for the bench to report, not for tests.

Runs only where wrk and PostgreSQL are there (CI has both); it takes about a minute.
"""

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict, make_conninfo

REPO = Path(__file__).resolve().parents[2]
DATABASE_URL = os.environ.get(
    "KONGRES_BENCH_TEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/kongres_bench_test"
)
TARGETS = [
    "rush-vs-naive-orm",
    "rush-vs-database",
    "rush-p99",
    "zero-oversell",
    "session-rush-vs-naive-orm",
    "session-rush-p99",
    "session-zero-over-capacity",
    "public-pages-vs-hello",
    "memory-per-worker",
    "checkin-p99",
    "api-programme-vs-hello",
    "api-register-vs-naive-orm",
]
TARGET_LINE = re.compile(r"^target (?P<name>[a-z0-9-]+): .+ \(goal .+\) (?P<verdict>met|missed)$")


def _postgres_missing() -> str:
    server = make_conninfo(DATABASE_URL, dbname="postgres", connect_timeout=3)
    try:
        with psycopg.connect(server):
            return ""
    except psycopg.OperationalError as error:
        return f"PostgreSQL not reachable at {conninfo_to_dict(server).get('host')}: {error}"


def _missing() -> str:
    if shutil.which("wrk") is None:
        return "wrk is not installed (apt-get install wrk)"
    return _postgres_missing()


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    missing = _missing()
    if missing:
        pytest.skip(missing)
    folder = tmp_path_factory.mktemp("bench")
    results = folder / "RESULTS.md"
    env = {**os.environ, "KONGRES_BENCH_DATABASE_URL": DATABASE_URL}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    command = [
        sys.executable,
        "-m",
        "bench",
        "--quick",
        "--seconds",
        "1",
        "--results",
        str(results),
        "--data-dir",
        str(folder / "data"),
    ]
    process = subprocess.Popen(  # noqa: S603 - our own command line
        command,
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        output, _ = process.communicate(timeout=300)  # (the session sign-up rush: issue 18)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGINT)  # the harness stops what it started
        output, _ = process.communicate(timeout=60)
        pytest.fail(f"the quick bench took more than 300 s:\n{output[-3000:]}")
    return process.returncode, output, results


def test_quick_bench_exits_zero_with_a_table(quick_run):
    code, output, _results = quick_run
    assert code == 0, output[-3000:]
    assert "== results (1 run(s) of 1 s per scenario (median), 64 connections;" in output
    for row in (
        "ceiling: hello world (req/s)",
        "ceiling: naive ORM (req/s)",
        "ceiling: database, pgbench (TPS)",
    ):
        line = next(line for line in output.splitlines() if line.startswith(row))
        rate = float(line.removeprefix(row).split()[0].replace(",", ""))
        assert rate > 0, line
    row = "check-in: scans/s (4 gates)"
    line = next(line for line in output.splitlines() if line.startswith(row))
    assert float(line.removeprefix(row).split()[0].replace(",", "")) > 0, line
    side = [line for line in output.splitlines() if line.startswith("exports and messages: ")]
    assert side, output[-3000:]
    assert all(
        line.startswith(
            (
                "exports and messages: csv: 2,000 rows in ",
                "exports and messages: xlsx: 2,000 rows in ",
                "exports and messages: messages: 500 recipients queued in ",
                "exports and messages: not yet",
            )
        )
        for line in side
    ), side


def test_quick_bench_prints_one_line_per_target(quick_run):
    _code, output, _results = quick_run
    matches = [TARGET_LINE.match(line) for line in output.splitlines()]
    assert [m["name"] for m in matches if m] == TARGETS
    checkin = next(m for m in matches if m and m["name"] == "checkin-p99")
    assert re.match(r"target checkin-p99: \d+ ms at 4 gates \(goal < 50 ms\) ", checkin.group(0))


def test_quick_checkin_checks_the_recorded_scans(quick_run):
    _code, output, _results = quick_run
    checks = [line for line in output.splitlines() if line.startswith("check-in run 1:")]
    assert checks, output[-3000:]
    assert checks[0].endswith(": ok"), checks[0]
    assert " at 4 gates, " in checks[0]
    assert " 0 answers 5xx; " in checks[0]


def test_quick_api_rows_and_the_registrations_made_checked(quick_run):
    """Issue 21: the public programme as JSON and registrations created through the API, each
    with a rate in the table; every 201 is a registration with its mail in the outbox."""
    _code, output, _results = quick_run
    for row in (
        "API: public programme JSON (req/s)",
        "API: registration create (registrations/s)",
    ):
        line = next((line for line in output.splitlines() if line.startswith(row)), None)
        assert line is not None, output[-3000:]
        assert float(line.removeprefix(row).split()[0].replace(",", "")) > 0, line
    checks = [line for line in output.splitlines() if line.startswith("api-register run 1:")]
    assert checks, output[-3000:]
    assert checks[0].endswith(": ok"), checks[0]


def test_quick_rush_checks_the_database_or_says_not_yet(quick_run):
    _code, output, _results = quick_run
    checks = [line for line in output.splitlines() if line.startswith("rush run 1:")]
    if checks:
        assert checks[0].endswith(": ok"), checks[0]
        assert "20 seats taken (seat pool 20), 180 waiting, 200 registrations" in checks[0]
        assert "target zero-oversell: 0 seats over (goal 0 seats over) met" in output
    else:
        assert "registration rush: not yet: registration form not available" in output


def test_quick_bench_writes_the_results_file(quick_run):
    _code, _output, results = quick_run
    text = results.read_text()
    assert text.startswith("# Benchmark results\n")
    for expected in (
        "## Machine",
        "- cores (nproc): ",
        "- Django: 6.1",
        "- PostgreSQL: ",
        "## Targets",
    ):
        assert expected in text
    assert "| ceiling: hello world (req/s) |" in text


def test_quick_bench_stops_the_server_it_started(quick_run):
    _code, output, _results = quick_run
    started = re.findall(r"server: .+ at http://127\.0\.0\.1:(\d+) \(pid (\d+),", output)
    assert started, output[-3000:]
    for port, pid in started:
        assert not Path(f"/proc/{pid}").exists(), f"server {pid} still runs"
        with pytest.raises(OSError), socket.create_connection(("127.0.0.1", int(port)), timeout=2):
            pass


def test_quick_bench_gives_the_machines_cpu_per_unit(quick_run):
    _code, output, _results = quick_run
    line = next(line for line in output.splitlines() if "the whole machine's CPU per unit" in line)
    for key, unit in (
        ("hello", "request"),
        ("naive", "request"),
        ("rush", "registration"),
        ("sessions", "sign-up"),
        ("api-register", "registration"),
    ):
        pattern = rf"(?:: |; ){re.escape(key)} (\d+\.\d\d) ms a {unit} \((\d+)% busy\)"
        found = re.search(pattern, line)
        assert found, (key, line)
        assert float(found[1]) > 0 and 0 < int(found[2]) <= 100, (key, line)
    for key in ("rush", "sessions", "api-register"):
        pattern = rf"; {re.escape(key)} [\d.]+ ms a [a-z-]+ \(\d+% busy\) = [\d.]+ x naive"
        assert re.search(pattern, line), (key, line)


def test_quick_bench_keeps_a_past_editions_registrations(quick_run):
    """The registrations' table holds another edition's as a site's does, so that the rush's
    reset does not leave it empty and freshly analysed: PostgreSQL would then plan the checks
    of the rows that refer to a registration as scans of the whole table, for the whole rush."""
    from bench.db import PAST_EDITION, PAST_REGISTRATIONS

    _code, _output, _results = quick_run
    with psycopg.connect(DATABASE_URL, autocommit=True) as connection:
        past = connection.execute(
            "SELECT count(*) FROM registration_registration r"
            " JOIN events_edition e ON e.id = r.edition_id WHERE e.slug = %s",
            [PAST_EDITION],
        ).fetchone()[0]
        assert past == PAST_REGISTRATIONS
        # the check a row that refers to a registration makes (its plan kept by each server
        # process until the statistics change)
        connection.execute("SET plan_cache_mode = force_generic_plan")
        connection.execute(
            "PREPARE referred (bigint) AS SELECT 1 FROM ONLY registration_registration x"
            " WHERE id = $1 FOR KEY SHARE OF x"
        )
        plan = "\n".join(row[0] for row in connection.execute("EXPLAIN EXECUTE referred (1)"))
    assert "Index" in plan and "Seq Scan" not in plan, plan
