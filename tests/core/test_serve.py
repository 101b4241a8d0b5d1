"""`kongres serve` for real: a subprocess on a free port, answering HTTP, stopped by a signal."""

import contextlib
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from kongres.core.management.commands.serve import site_url_mismatch
from tests.core.test_commands import kongres, kongres_env

ROOT = Path(__file__).resolve().parents[2]
STOPS_PER_SIGNAL = 20
STOP_BOUND_SECONDS = 5.0  # a clean stop takes a fraction of a second; granian kills at 10 s


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def fetch(url: str) -> tuple[int, str]:
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 -- http://127.0.0.1
        return response.status, response.read().decode()


def serve(tmp_path, port: int, *args: str, env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(  # noqa: S603 -- our own program
        [sys.executable, "-m", "kongres", "serve", "--port", str(port), *args],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, as in a terminal
    )


def wait_answering(server: subprocess.Popen, url: str, seconds: float = 120) -> str:
    deadline = time.monotonic() + seconds
    while True:
        try:
            return fetch(url)[1]
        except (urllib.error.URLError, ConnectionError):
            if server.poll() is not None:
                stdout, stderr = server.communicate()
                pytest.fail(
                    f"kongres serve exited with {server.returncode}; stderr: {stderr[-3000:]!r}; "
                    f"stdout: {stdout[-1000:]!r}",
                    pytrace=False,
                )
            if time.monotonic() > deadline:
                server.kill()
                pytest.fail(f"kongres serve did not answer in {seconds:.0f} s")
            time.sleep(0.05)


def group_alive(group: int) -> bool:
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return False
    return True


def stop(server: subprocess.Popen, signum: int, *, to_group: bool) -> tuple[float, str, str]:
    """Send ``signum`` to the whole process group (a terminal's Ctrl-C, systemd's default) or
    to the master alone (``kill PID``); the seconds until the master exited, its output."""
    started = time.monotonic()
    if to_group:
        os.killpg(server.pid, signum)
    else:
        os.kill(server.pid, signum)
    try:
        stdout, stderr = server.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.communicate()
        pytest.fail(f"kongres serve did not stop within 30 s of {signal.Signals(signum).name}")
    seconds = time.monotonic() - started
    # The workers are in the master's process group: none may outlive it.
    deadline = time.monotonic() + 1
    while group_alive(server.pid) and time.monotonic() < deadline:
        time.sleep(0.01)
    orphans = group_alive(server.pid)
    if orphans:
        os.killpg(server.pid, signal.SIGKILL)
    assert not orphans, "a worker outlived the master"
    return seconds, stdout, stderr


# -- the whole site ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo_site(tmp_path_factory):
    directory = tmp_path_factory.mktemp("serve")
    for setup in (["migrate", "--verbosity", "0"], ["demo"]):
        result = kongres(directory, *setup)
        assert result.returncode == 0, result.stderr
    return directory


def test_two_servers_started_at_once_on_one_data_dir_both_serve(demo_site):
    """Both collect the static files on start; they take turns (at once, compressing the same
    file twice crashed one of them). On the demo site's data dir, first in this module: the
    tests after it find the files collected (collecting them takes half a minute)."""
    (demo_site / "data" / "static-collected").unlink(missing_ok=True)  # both find none
    env = kongres_env(demo_site)  # the site's own settings: compressed, hashed static files
    ports = [free_port(), free_port()]
    servers = [serve(demo_site, port, "--workers", "1", env=env) for port in ports]
    try:
        for server, port in zip(servers, ports, strict=True):
            # whitenoise serves the collected files by their hashed names only; the second
            # server waits for the first one's collecting (minutes on a busy machine)
            assert "kongres/kongres.css" in wait_answering(
                server, f"http://127.0.0.1:{port}/static/staticfiles.json", seconds=360
            )
        assert (demo_site / "data" / "static-collected").is_file()
    finally:
        for server in servers:
            server.send_signal(signal.SIGTERM)
        for server in servers:
            server.wait(timeout=30)


@pytest.mark.parametrize(
    ("signum", "to_group"), [(signal.SIGINT, True), (signal.SIGTERM, False)], ids=["ctrl-c", "kill"]
)
def test_serve_serves_pages_static_files_and_an_access_log_and_stops(demo_site, signum, to_group):
    port = free_port()
    env = kongres_env(demo_site, KONGRES_SITE_URL=f"http://127.0.0.1:{port}")
    server = serve(demo_site, port, "--workers", "2", "--access-log", env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        home = wait_answering(server, base + "/")
        assert "IV Kongres Polityki Miejskiej i Regionalnej" in home
        css = re.search(r'href="(/static/kongres/kongres\.[0-9a-f]+\.css)"', home)
        assert css, "the stylesheet has a hashed name (manifest storage)"
        status, stylesheet = fetch(base + css.group(1))
        assert status == 200
        assert "{" in stylesheet
        status, admin_login = fetch(base + "/admin/login/")
        assert status == 200 and "kongres" in admin_login
        # granian writes a request's access-log line after handing the response over: a stop
        # at the very moment the client has it may end the worker before the line is written
        time.sleep(0.5)
    finally:
        seconds, stdout, stderr = stop(server, signum, to_group=to_group)
    assert server.returncode == 0, stderr
    assert stderr == ""  # no warning, no traceback
    assert stdout.startswith(f"kongres: serving {base}/ with 2 workers — Ctrl-C stops\n")
    assert re.search(r'"GET /admin/login/ HTTP/1.1" 200 ', stdout), stdout  # the access log
    assert seconds < STOP_BOUND_SECONDS


# -- stopping, 20 times per signal ---------------------------------------------------------------


def test_serve_stops_cleanly_on_every_ctrl_c_and_sigterm(tmp_path):
    """Start `kongres serve` (one worker, a small application), wait until it answers, send the
    signal, measure the stop: exit status 0, no worker left, well under granian's kill
    timeout, nothing on stderr. Half the signals go to the process group (a terminal, systemd),
    half to the master alone (kill PID)."""
    env = kongres_env(
        tmp_path, DJANGO_SETTINGS_MODULE="tests.core.serve_small", PYTHONPATH=str(ROOT)
    )

    def start_and_stop(run: tuple[int, int]) -> tuple[int, float, float, str]:
        signum, number = run
        port = free_port()
        run_env = {**env, "KONGRES_SITE_URL": f"http://127.0.0.1:{port}"}
        started = time.monotonic()
        server = serve(tmp_path, port, "--workers", "1", env=run_env)
        try:
            assert wait_answering(server, f"http://127.0.0.1:{port}/") == "hello"
        except BaseException:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(server.pid, signal.SIGKILL)
            raise
        up = time.monotonic() - started
        seconds, stdout, stderr = stop(server, signum, to_group=number % 2 == 0)
        assert server.returncode == 0, (signum, stderr)
        assert stderr == "", stderr
        # A worker that would not stop is killed by the master after WORKER_STOP_SECONDS
        # ("Killing worker-1 after it refused to gracefully stop"): the stop then takes 10 s.
        # Granian also writes that line when a worker has just stopped but is not reaped yet
        # (it looks again after 1 ms; a loaded machine can take longer), so the stop's time is
        # what tells a refusal from that race.
        assert seconds < STOP_BOUND_SECONDS, (seconds, stdout)
        return signum, up, seconds, stdout

    start_and_stop((signal.SIGINT, 0))  # collects the static files once
    signals = (signal.SIGINT, signal.SIGTERM)
    runs = [(signum, n) for n in range(STOPS_PER_SIGNAL) for signum in signals]
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(start_and_stop, runs))

    for signum in (signal.SIGINT, signal.SIGTERM):
        ups = [up for sent, up, _stop, _out in results if sent == signum]
        stops = [stop for sent, _up, stop, _out in results if sent == signum]
        assert len(stops) == STOPS_PER_SIGNAL
        print(  # the figures, shown with pytest -s
            f"\n{signal.Signals(signum).name}: {len(stops)} clean stops; stop seconds "
            f"min {min(stops):.3f} median {statistics.median(stops):.3f} max {max(stops):.3f}; "
            f"start to first answer median {statistics.median(ups):.2f} s"
        )
        assert max(stops) < STOP_BOUND_SECONDS, stops


def test_serve_collects_static_files_only_when_they_changed(settings, tmp_path):
    from kongres.core.management.commands.serve import _collect_static

    settings.DATA_DIR = tmp_path
    settings.STATIC_ROOT = tmp_path / "static"
    stylesheet = settings.STATIC_ROOT / "kongres" / "kongres.css"
    _collect_static()
    assert stylesheet.is_file()
    stylesheet.unlink()
    _collect_static()  # no source changed: skipped
    assert not stylesheet.exists()
    (tmp_path / "static-collected").unlink()
    _collect_static()
    assert stylesheet.is_file()


def test_serve_says_so_when_the_port_is_taken(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = kongres(tmp_path, "serve", "--port", str(port))
    assert result.returncode != 0
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "Address already in use" in result.stderr or "in use" in result.stderr


# -- the address in mails and feeds --------------------------------------------------------------


def test_serve_warns_when_site_url_names_another_port(tmp_path):
    env = kongres_env(
        tmp_path,
        DJANGO_SETTINGS_MODULE="tests.core.serve_small",
        PYTHONPATH=str(ROOT),
        KONGRES_SITE_URL="http://127.0.0.1:8000",
    )
    port = free_port()
    server = serve(tmp_path, port, "--workers", "1", env=env)
    try:
        wait_answering(server, f"http://127.0.0.1:{port}/")
    finally:
        _seconds, _stdout, stderr = stop(server, signal.SIGINT, to_group=True)
    assert server.returncode == 0
    assert stderr == (
        "kongres: warning: site_url http://127.0.0.1:8000 (the address in mails and feeds) does "
        f"not lead here: this server listens on port {port}, not 8000. Set site_url to the "
        f"address people use, e.g. KONGRES_SITE_URL=http://127.0.0.1:{port}\n"
    )


@pytest.mark.parametrize(
    ("site_url", "host", "port", "expected"),
    [
        ("http://127.0.0.1:8000", "127.0.0.1", 8000, None),
        ("http://localhost:8000/", "127.0.0.1", 8000, None),
        ("http://127.0.0.1:8000", "0.0.0.0", 8000, None),  # noqa: S104 -- a string
        ("https://kongres.example.org", "127.0.0.1", 8000, None),  # a reverse proxy's name
        ("http://127.0.0.1:8000", "127.0.0.1", 8792, "this server listens on port 8792, not 8000"),
        ("http://localhost", "127.0.0.1", 8000, "this server listens on port 8000, not 80"),
        ("http://[::1]:8000", "::1", 8792, "this server listens on port 8792, not 8000"),
        (
            "http://127.0.0.1:8000",
            "192.0.2.7",
            8000,
            "this server listens on 192.0.2.7 only, not on 127.0.0.1",
        ),
        ("http://192.0.2.7:8000", "192.0.2.7", 8001, "this server listens on port 8001, not 8000"),
    ],
)
def test_site_url_mismatch(site_url, host, port, expected):
    assert site_url_mismatch(site_url, host, port) == expected
