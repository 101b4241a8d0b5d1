"""bench/topology.py's copy of deploy/nginx/kongres.conf: what it changes, and that nginx takes
it (``nginx -t``). The whole topology runs in tests/bench/test_faults.py."""

import http.client
import os
import signal
import socket
import subprocess
import sys
import time

from bench.procs import Processes, free_port
from bench.topology import (
    WORKER_NICE,
    idle_cgroup_remove,
    nginx_conf,
    site_text,
    worker_lower,
)
from tests.deploy.conftest import tool


def test_the_site_is_deploys_with_two_app_servers_and_plain_http(tmp_path):
    text = site_text(port=8081, app_ports=[9001, 9002], data_dir=tmp_path)

    assert "    server 127.0.0.1:9001;\n    server 127.0.0.1:9002;\n" in text
    assert "listen 127.0.0.1:8081;" in text
    directives = [line.strip() for line in text.splitlines() if not line.strip().startswith("#")]
    assert [line for line in directives if "ssl" in line or line.startswith("listen")] == [
        "listen 127.0.0.1:8081;"
    ]
    assert f"alias {tmp_path}/static/;" in text
    # as deploy/ has it: the visitor's address forwarded, the flood guard on every request
    assert "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;" in text
    assert "limit_req zone=kongres_flood burst=1000 nodelay;" in text
    # counted per address, except wrk's 127.0.0.1
    assert "limit_req_zone $kongres_flood_key zone=kongres_flood:10m rate=50r/s;" in text
    assert "geo $kongres_flood_exempt {\n    default 0;\n    127.0.0.1 1;\n}" in text
    assert (
        'map $kongres_flood_exempt $kongres_flood_key {\n    0 $binary_remote_addr;\n    1 "";\n}'
        in text
    )


def test_nginx_accepts_the_rendered_site(tmp_path):
    nginx = tool("nginx", "nginx")
    site = tmp_path / "kongres.conf"
    site.write_text(site_text(port=8081, app_ports=[9001, 9002], data_dir=tmp_path))
    conf = tmp_path / "nginx.conf"
    conf.write_text(nginx_conf(tmp_path, site))

    tested = subprocess.run(  # noqa: S603 - nginx with our configuration
        [nginx, "-p", str(tmp_path), "-c", str(conf), "-e", str(tmp_path / "error.log"), "-t"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert tested.returncode == 0, tested.stderr


def test_the_flood_guard_counts_each_address_but_wrks(tmp_path):
    """Past the burst of 1,000, one address gets 429 while another does not; 127.0.0.1 (wrk)
    never does. Nothing listens upstream: nginx answers 502 after counting."""
    nginx = tool("nginx", "nginx")
    port, dead = free_port(), free_port()
    site = tmp_path / "kongres.conf"
    site.write_text(site_text(port=port, app_ports=[dead], data_dir=tmp_path))
    conf = tmp_path / "nginx.conf"
    conf.write_text(nginx_conf(tmp_path, site))
    command = [nginx, "-p", str(tmp_path), "-c", str(conf), "-e", str(tmp_path / "error.log")]
    process = subprocess.Popen([*command, "-g", "daemon off;"], start_new_session=True)  # noqa: S603
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "nginx did not start"
                time.sleep(0.05)

        def statuses(source: str, count: int) -> set[int]:
            found = set()
            connection = http.client.HTTPConnection("127.0.0.1", port, source_address=(source, 0))
            for _ in range(count):
                connection.request("GET", "/robots.txt")
                response = connection.getresponse()
                response.read()
                found.add(response.status)
            connection.close()
            return found

        assert 429 in statuses("127.9.0.1", 1100)
        assert statuses("127.9.0.2", 20) == {502}
        assert statuses("127.0.0.1", 1100) == {502}
    finally:
        os.killpg(process.pid, signal.SIGQUIT)
        process.wait(timeout=10)


# Spins on the first CPU from one time to another (Unix times), then prints the CPU time it had
# between them: both processes spin over the same window, however late each one started.
SPIN = (
    "import os, sys, time\n"
    "os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})\n"
    "start, end = float(sys.argv[1]), float(sys.argv[2])\n"
    "time.sleep(max(0.0, start - time.time()))\n"
    "before = os.times()\n"
    "while time.time() < end: pass\n"
    "after = os.times()\n"
    "print(after.user + after.system - before.user - before.system)"
)


def test_a_worker_started_as_the_topology_starts_it_yields_to_an_app_server():
    """Two busy processes on one core, each in a session of its own as the bench starts them
    (and systemd its services): the one started as the topology starts a worker (its niceness,
    then ``worker_lower``: the idle cgroup where the bench may make one, else its session's
    group) gets a small share; in the idle cgroup almost none. With the niceness alone, a
    kernel with autogroups shared the core half and half."""
    processes = Processes()
    try:
        start = time.time() + 3  # both started and the worker lowered by then
        window = [str(start), str(start + 2)]
        site = processes.start([sys.executable, "-c", SPIN, *window], stdout=subprocess.PIPE)
        worker = processes.start(
            ["nice", "-n", str(WORKER_NICE), sys.executable, "-c", SPIN, *window],
            stdout=subprocess.PIPE,
        )
        placement = worker_lower(worker.pid)
        site_cpu = float(site.communicate(timeout=30)[0])
        worker_cpu = float(worker.communicate(timeout=30)[0])
    finally:
        processes.stop_all()
        idle_cgroup_remove()
    assert site_cpu > 1.0, (placement, site_cpu, worker_cpu)
    assert worker_cpu < 0.2 * site_cpu, (placement, site_cpu, worker_cpu)
    if "cpu.idle" in placement:
        assert worker_cpu < 0.05 * site_cpu, (placement, site_cpu, worker_cpu)
