"""`make faults` in its quick mode (``python -m bench.faults --quick``, about 3 minutes): the
production topology (nginx, two app servers, two workers, PostgreSQL, Redis, a local SMTP
server) under each fault, and what was lost. Unlike the bench's figures, what a fault loses is
no matter of a noisy machine: every fault must lose nothing, and those whose goal is no timing
must be met.

Needs nginx (skipped without it, unless KONGRES_REQUIRE_NGINX=1, as in CI), PostgreSQL
(KONGRES_BENCH_TEST_DATABASE_URL) and Redis (KONGRES_TEST_REDIS_URL: the run empties that
database).
"""

import os
import re
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import redis

from tests.bench.test_bench_harness import DATABASE_URL, _postgres_missing
from tests.deploy.conftest import tool, unavailable

REPO = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("KONGRES_TEST_REDIS_URL", "")
FAULTS = ["app-kill", "worker-kill", "smtp-down", "database-restart", "redis-stop"]
# met whatever the machine's speed: their goals hold no timing beyond generous bounds
MUST_BE_MET = ["app-kill", "worker-kill", "database-restart", "redis-stop"]
TARGET_LINE = re.compile(
    r"^target fault-(?P<name>[a-z-]+): lost (?P<lost>-?\d+): .+ "
    r"\(goal .+\) (?P<verdict>met|missed)$"
)


@pytest.fixture(scope="module")
def quick_faults(tmp_path_factory):
    tool("nginx", "nginx")
    missing = _postgres_missing()
    if missing:
        pytest.skip(missing)
    if not REDIS_URL:
        unavailable("KONGRES_TEST_REDIS_URL is not set: the faults need a Redis database")
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.exceptions.RedisError as error:
        unavailable(f"Redis not reachable at {REDIS_URL}: {error}")
    folder = tmp_path_factory.mktemp("faults")
    env = {
        **os.environ,
        "KONGRES_BENCH_DATABASE_URL": DATABASE_URL,
        "KONGRES_BENCH_CACHE_URL": REDIS_URL,
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    command = [sys.executable, "-m", "bench.faults", "--quick", "--data-dir", str(folder)]
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
        output, _ = process.communicate(timeout=420)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGINT)
        output, _ = process.communicate(timeout=60)
        pytest.fail(f"the quick faults took more than 420 s:\n{output[-3000:]}")
    return process.returncode, output, folder


def _targets(output: str) -> dict[str, re.Match]:
    found = {}
    for line in output.splitlines():
        match = TARGET_LINE.match(line)
        if match:
            found[match["name"]] = match
    return found


def test_quick_faults_print_one_line_per_fault(quick_faults):
    code, output, _folder = quick_faults
    assert code == 0, output[-3000:]
    assert list(_targets(output)) == FAULTS, output[-3000:]


def test_no_fault_loses_anything(quick_faults):
    _code, output, _folder = quick_faults
    lost = {name: int(match["lost"]) for name, match in _targets(output).items()}
    assert lost == dict.fromkeys(FAULTS, 0), output[-4000:]


def test_the_faults_without_timing_goals_are_met(quick_faults):
    _code, output, _folder = quick_faults
    targets = _targets(output)
    missed = {
        name: targets[name].group(0) for name in MUST_BE_MET if targets[name]["verdict"] != "met"
    }
    assert not missed, missed


def test_the_database_outage_shows_a_503_page_in_each_language(quick_faults):
    _code, output, _folder = quick_faults
    line = _targets(output)["database-restart"].group(0)
    assert "{'pl': (503, True), 'en': (503, True)}" in line, line


def test_quick_faults_stop_what_they_started(quick_faults):
    _code, output, folder = quick_faults
    match = re.search(r"topology: nginx http://127\.0\.0\.1:(\d+) -> app servers (.+?) \(", output)
    assert match, output[-3000:]
    ports = [int(match[1])] + [int(p.split(":")[1]) for p in match[2].split(", ")]
    for port in ports:
        with pytest.raises(OSError), socket.create_connection(("127.0.0.1", port), timeout=2):
            pass
    pid_file = folder / "nginx" / "nginx.pid"
    assert not pid_file.exists() or not Path(f"/proc/{pid_file.read_text().strip()}").exists()
