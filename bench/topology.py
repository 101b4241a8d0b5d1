"""The production topology on one machine, for ``make bench`` and ``make faults``: nginx with the
site of ``deploy/nginx/kongres.conf`` in front of two app servers (``kongres serve``, granian),
two ``kongres worker``, PostgreSQL, Redis as the cache and a local SMTP server (aiosmtpd,
``bench/smtpsink.py``). Everything listens on 127.0.0.1 on free ports and is stopped by
``stop()`` (also on an error: use it as a context manager).

The configuration is a ``kongres.toml`` written like ``deploy/kongres.toml.example``:
PostgreSQL, Redis (``cache_url``), ``trusted_proxies = ["127.0.0.1"]`` (nginx), mail to the
local SMTP server. The ``KONGRES_*`` variables of the caller's environment are dropped (they
would win over the file). Settings: ``bench.settings`` (the project's, plus the bench's ceiling
views; it switches nothing off but the proof of work's cost, bench/README.md).

What differs from deploy/nginx/kongres.conf, each replaced in a copy of it (``site_text``):
plain HTTP on a free port instead of TLS on 443 (the https server block without its
certificate; port 80's redirect dropped), the two app servers in the upstream, data_dir, and
the flood guard's key: 127.0.0.1 (wrk's address: it cannot choose another) is not counted;
every simulated person comes from another address of 127.0.0.0/8 and is counted.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench.procs import (
    Processes,
    children,
    free_port,
    machine_busy_seconds,
    wait_until_serving,
)

# The workers below the app servers, as deploy/systemd/kongres-worker*.service put them:
# CPUWeight=idle (checked by tests/deploy/test_units.py), which gives the service's cgroup
# cpu.idle = 1: a worker runs only on a core the site leaves free, and a request of the site that
# wakes up takes the core from it at once (with the least weight, CPUWeight=1, the workers still
# took a sixth of the machine in the production rush's sending wave, in an idle cgroup a tenth;
# the rush 0.28 to 0.31 x the naive ceiling against 0.33 to 0.40 x, bench/README.md). The bench
# makes such a cgroup where it can (as root, on a cgroup file system with the cpu controller:
# v2's unified hierarchy or v1's cpu hierarchy) and moves each worker into it (``worker_lower``).
# Elsewhere it comes nearest with a niceness of 19 (a weight of 15 against 1,024), given to the
# process and, where the kernel groups the processes of a session (autogroups, Debian's
# default: every process the bench starts has a session of its own, as every systemd service
# has), to its session's group, whose weight alone counts against the other sessions
# (``lower_session``). The process's niceness alone did nothing there: a worker at nice 10 took
# as much CPU as an app server.
WORKER_CPU_WEIGHT = "idle"
WORKER_NICE = 19
AUTOGROUP_SWITCH = Path("/proc/sys/kernel/sched_autogroup_enabled")
IDLE_CGROUP_NAME = "kongres-bench-workers"
# v2's unified hierarchy, then v1's cpu hierarchy (where /sys/fs/cgroup is a tmpfs of mounts)
CGROUP_ROOTS = (Path("/sys/fs/cgroup"), Path("/sys/fs/cgroup/cpu"))


def autogroups_on() -> bool:
    try:
        return AUTOGROUP_SWITCH.read_text().strip() == "1"
    except OSError:  # not Linux, or a kernel without them
        return False


def lower_session(pid: int, nice: int = WORKER_NICE) -> bool:
    """Give the session group (autogroup) of ``pid``, a process that leads a session of its
    own, the weight of ``nice``; False when the kernel has no autogroups (or they are off):
    then the process's own niceness is what counts."""
    if not autogroups_on():
        return False
    Path(f"/proc/{pid}/autogroup").write_text(str(nice))
    return True


def idle_cgroup() -> Path | None:
    """A cgroup whose ``cpu.idle`` is 1 (what systemd makes of ``CPUWeight=idle``), made in the
    first hierarchy with the cpu controller that lets this process make one; None where none
    does (not root, no cgroup file system, a kernel without ``cpu.idle``)."""
    for root in CGROUP_ROOTS:
        if not (root / "cgroup.procs").is_file():
            continue  # not a cgroup file system
        group = root / IDLE_CGROUP_NAME
        try:
            group.mkdir(exist_ok=True)
            if not (group / "cpu.idle").is_file():  # no cpu controller here
                group.rmdir()
                continue
            (group / "cpu.idle").write_text("1")
        except OSError:
            continue
        return group
    return None


def idle_cgroup_remove() -> None:
    """Remove the bench's idle cgroup once no process is left in it."""
    for root in CGROUP_ROOTS:
        with contextlib.suppress(OSError):
            (root / IDLE_CGROUP_NAME).rmdir()


def worker_lower(pid: int) -> str:
    """Put the worker ``pid`` (a process that leads a session of its own, started at nice
    ``WORKER_NICE``) below the app servers, as near to ``CPUWeight=idle`` as this machine lets
    the bench; return how, for the topology's line."""
    group = idle_cgroup()
    if group is not None:
        try:
            (group / "cgroup.procs").write_text(str(pid))
        except OSError:
            pass
        else:
            return f"in the cgroup {group} with cpu.idle = 1"
    if lower_session(pid):
        return f"nice {WORKER_NICE}, their sessions too"
    return f"nice {WORKER_NICE}"


REPO = Path(__file__).resolve().parent.parent
SITE = REPO / "deploy" / "nginx" / "kongres.conf"
NGINX_SEARCH = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/sbin"])
FLOOD_ZONE = "limit_req_zone $binary_remote_addr zone=kongres_flood:10m rate=50r/s;"


def nginx_path() -> str | None:
    return shutil.which("nginx", path=NGINX_SEARCH)


def _replace(text: str, old: str, new: str) -> str:
    if old not in text:
        raise RuntimeError(f"deploy/nginx/kongres.conf no longer contains {old!r}")
    return text.replace(old, new)


def site_text(*, port: int, app_ports: list[int], data_dir: Path) -> str:
    """deploy/nginx/kongres.conf for this machine (see the module's docstring)."""
    text = SITE.read_text()
    text = _replace(
        text,
        "    server 127.0.0.1:8000;\n",
        "".join(f"    server 127.0.0.1:{app};\n" for app in app_ports),
    )
    text = _replace(text, "/var/lib/kongres/", f"{data_dir}/")
    # the port-80 server (redirect to https, ACME) is left out: one plain-HTTP server
    start = text.index("server {\n    listen 80;")
    end = text.index("server {\n    # nginx 1.25.1")
    text = text[:start] + text[end:]
    text = _replace(text, "    listen 443 ssl http2;\n", f"    listen 127.0.0.1:{port};\n")
    text = _replace(text, "    listen [::]:443 ssl http2;\n", "")
    for line in text.splitlines():
        if line.strip().startswith("ssl_"):
            text = text.replace(line + "\n", "")
    text = _replace(
        text,
        FLOOD_ZONE,
        # geo's values are plain strings, map's may be variables; an empty key is not counted
        "geo $kongres_flood_exempt {\n    default 0;\n    127.0.0.1 1;\n}\n"
        "map $kongres_flood_exempt $kongres_flood_key {\n    0 $binary_remote_addr;\n"
        '    1 "";\n}\n' + FLOOD_ZONE.replace("$binary_remote_addr", "$kongres_flood_key"),
    )
    return text


def nginx_conf(folder: Path, site: Path) -> str:
    """What Debian's /etc/nginx/nginx.conf gives a site, in ``folder``; enough connections
    for thousands of people at once."""
    user = "user root;" if os.geteuid() == 0 else ""
    temp = "\n".join(
        f"    {kind}_temp_path {folder}/{kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    return f"""
{user}
worker_processes 1;
worker_rlimit_nofile 20000;
pid {folder}/nginx.pid;
error_log {folder}/error.log warn;
events {{ worker_connections 12000; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    sendfile on;
    keepalive_timeout 75s;
    keepalive_requests 10000;
{temp}
    access_log off;
    include {site};
}}
"""


@dataclass
class Topology:
    data_dir: Path
    database_url: str
    cache_url: str
    app_servers: int = 2
    workers: int = 2
    settings: str = "bench.settings"
    extra_env: dict[str, str] = field(default_factory=dict)
    log: object = print

    def __post_init__(self) -> None:
        self.processes = Processes()
        self.port = 0
        self.app_ports: list[int] = []
        self.apps: list[subprocess.Popen | None] = []
        self.worker_processes: list[subprocess.Popen | None] = []
        self.worker_placement = self.smtp_placement = f"nice {WORKER_NICE}"
        self.nginx: subprocess.Popen | None = None
        self.smtp: subprocess.Popen | None = None
        self.smtp_port = 0
        self.mail_log = self.data_dir / "mails.tsv"
        self.config = self.data_dir / "kongres.toml"

    # --- configuration ----------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def write_config(self) -> None:
        self.config.write_text(
            "# written by bench/topology.py, like deploy/kongres.toml.example\n"
            f'data_dir = "{self.data_dir}"\n'
            f'database_url = "{self.database_url}"\n'
            f'cache_url = "{self.cache_url}"\n'
            f'site_url = "{self.base_url}"\n'
            'allowed_hosts = ["127.0.0.1", "localhost"]\n'
            'trusted_proxies = ["127.0.0.1"]\n'
            f'mail_url = "smtp://127.0.0.1:{self.smtp_port}"\n'
            'mail_from = "Kongres <kongres@bench.example.org>"\n'
            'time_zone = "Europe/Warsaw"\n'
        )

    def environment(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("KONGRES_")}
        env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        env.update(
            {
                "KONGRES_CONFIG": str(self.config),
                "DJANGO_SETTINGS_MODULE": self.settings,
                "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")])),
                "KONGRES_SECRET_KEY": "bench-" + "x" * 50,
                **self.extra_env,
            }
        )
        return env

    # --- start and stop ---------------------------------------------------------------------

    def start(self) -> Topology:
        if nginx_path() is None:
            raise RuntimeError("nginx is not installed (apt-get install nginx)")
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.smtp_port = free_port()
        self.app_ports = [free_port() for _ in range(self.app_servers)]
        self.write_config()
        self.smtp_start()
        self.apps = [self._app(number) for number in range(self.app_servers)]
        self.worker_processes = [self._worker(number) for number in range(self.workers)]
        self._nginx()
        for number, app in enumerate(self.apps):
            wait_until_serving(  # a shared machine may take over a minute to start both
                f"http://127.0.0.1:{self.app_ports[number]}/bench/hello/", process=app, timeout=180
            )
        wait_until_serving(f"{self.base_url}/bench/hello/", process=self.nginx)
        self.log(
            f"topology: nginx {self.base_url} -> app servers "
            f"{', '.join(f'127.0.0.1:{p}' for p in self.app_ports)} (granian, 1 worker each), "
            f"{self.workers} kongres worker ({self.worker_placement}: the units' "
            f"CPUWeight={WORKER_CPU_WEIGHT}), cache {self.cache_url}, "
            f"SMTP 127.0.0.1:{self.smtp_port} (the mail relay, {self.smtp_placement}); "
            f"logs in {self.data_dir}"
        )
        return self

    def __enter__(self) -> Topology:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def _start(self, name: str, command: list[str], **kwargs) -> subprocess.Popen:
        handle = (self.data_dir / f"{name}.log").open("a")
        try:
            return self.processes.start(
                command,
                env=kwargs.pop("env", self.environment()),
                cwd=self.data_dir,
                stdout=handle,
                stderr=subprocess.STDOUT,
            )
        finally:
            handle.close()

    def _app(self, number: int) -> subprocess.Popen:
        command = [sys.executable, "-m", "kongres", "serve", "--host", "127.0.0.1"]
        command += ["--port", str(self.app_ports[number]), "--workers", "1"]
        return self._start(f"app{number}", command)

    def _worker(self, number: int) -> subprocess.Popen:
        # below the app servers, as deploy/systemd/kongres-worker*.service puts them
        # (WORKER_CPU_WEIGHT): the niceness from the start (every thread inherits it), then
        # the idle cgroup or the session's group (``worker_lower``)
        command = ["nice", "-n", str(WORKER_NICE), sys.executable, "-m", "kongres", "worker"]
        command += ["--worker-id", f"bench-{number}"]
        if number:
            command.append("--no-scheduler")  # the first worker runs the periodic jobs
        process = self._start(f"worker{number}", command)
        self.worker_placement = worker_lower(process.pid)
        return process

    def _nginx(self) -> None:
        folder = self.data_dir / "nginx"
        folder.mkdir(exist_ok=True)
        site = folder / "kongres.conf"
        site.write_text(site_text(port=self.port, app_ports=self.app_ports, data_dir=self.data_dir))
        conf = folder / "nginx.conf"
        conf.write_text(nginx_conf(folder, site))
        command = [
            nginx_path(),
            "-p",
            str(folder),
            "-c",
            str(conf),
            "-e",
            str(folder / "error.log"),
        ]
        tested = subprocess.run([*command, "-t"], capture_output=True, text=True, check=False)  # noqa: S603
        if tested.returncode:
            raise RuntimeError(f"nginx -t failed: {tested.stderr.strip()}")
        self.nginx = self._start("nginx", [*command, "-g", "daemon off;"])

    def smtp_start(self) -> None:
        # The SMTP server stands for the institution's mail relay, another machine: placed
        # with the workers (``worker_lower``), it takes only what the site leaves of the cores.
        command = ["nice", "-n", str(WORKER_NICE), sys.executable, "-m", "bench.smtpsink"]
        command += ["--port", str(self.smtp_port)]
        self.smtp = self._start("smtp", [*command, "--log", str(self.mail_log)])
        self.smtp_placement = worker_lower(self.smtp.pid)
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.smtp_port), timeout=1).close()
                return
            except OSError:
                if self.smtp.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the SMTP server did not start") from None
                time.sleep(0.1)

    def smtp_stop(self) -> None:
        if self.smtp is not None:
            self.processes.stop(self.smtp)
            self.smtp = None

    def app_kill(self, number: int) -> None:
        """SIGKILL to one app server's master and its granian worker, at once."""
        app = self.apps[number]
        if app is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(app.pid, signal.SIGKILL)
            app.wait(timeout=10)
            self.processes.stop(app)
            self.apps[number] = None

    def worker_kill(self, number: int) -> None:
        worker = self.worker_processes[number]
        if worker is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(timeout=10)
            self.processes.stop(worker)
            self.worker_processes[number] = None

    def worker_stop(self, number: int) -> None:
        """SIGTERM, as systemd stops it: the worker finishes its task first."""
        worker = self.worker_processes[number]
        if worker is not None:
            self.processes.stop(worker, timeout=30)
            self.worker_processes[number] = None

    def app_start(self, number: int) -> None:
        """Start app server ``number`` again on its port (as systemd's Restart= does)."""
        self.apps[number] = self._app(number)
        wait_until_serving(
            f"http://127.0.0.1:{self.app_ports[number]}/bench/hello/", process=self.apps[number]
        )

    def worker_start(self, number: int) -> None:
        self.worker_processes[number] = self._worker(number)

    def stop(self) -> None:
        if self.nginx is not None and self.nginx.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.nginx.pid, signal.SIGQUIT)  # nginx's graceful stop
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.nginx.wait(timeout=10)
        self.processes.stop_all()
        idle_cgroup_remove()

    # --- what the bench reads ---------------------------------------------------------------

    def app_pids(self) -> list[int]:
        """The granian processes: each app server's master and its workers."""
        pids = []
        for app in self.apps:
            if app is not None and app.poll() is None:
                pids += [app.pid, *children(app.pid)]
        return pids

    def worker_pids(self) -> list[int]:
        pids = []
        for worker in self.worker_processes:
            if worker is not None and worker.poll() is None:
                pids += [worker.pid, *children(worker.pid)]
        return pids

    def nginx_pids(self) -> list[int]:
        if self.nginx is None or self.nginx.poll() is not None:
            return []
        return [self.nginx.pid, *children(self.nginx.pid)]

    def database_pids(self) -> list[int]:
        """The PostgreSQL backends connected to the bench's database (app servers, workers)."""
        import psycopg
        from psycopg.conninfo import conninfo_to_dict

        name = conninfo_to_dict(self.database_url).get("dbname")
        with psycopg.connect(self.database_url, autocommit=True) as conn:
            rows = conn.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
                [name],
            ).fetchall()
        return [row[0] for row in rows]

    def cpu_groups(self) -> dict[str, list[int]]:
        """The processes whose CPU time the bench reports, by role."""
        return {
            "app servers": self.app_pids(),
            "workers": self.worker_pids(),
            "nginx": self.nginx_pids(),
            "PostgreSQL backends": self.database_pids(),
            "Redis": _pids_named("redis-server"),
            "SMTP server": [self.smtp.pid] if self.smtp is not None else [],
        }

    def mails(self) -> list[tuple[float, str, str, str]]:
        """What the SMTP server accepted: (time, Message-ID, recipient, subject)."""
        if not self.mail_log.exists():
            return []
        found = []
        for line in self.mail_log.read_text().splitlines():
            parts = line.split("\t")
            if len(parts) == 4:
                found.append((float(parts[0]), parts[1], parts[2], parts[3]))
        return found


def cpu_seconds(pids: list[int]) -> float:
    """User and system CPU time of ``pids`` so far (``/proc/<pid>/stat``), in seconds."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


def _pids_named(name: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == name:
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


class CpuShares:
    """CPU seconds of each role (``Topology.cpu_groups``), of this process (the load
    generator) and of the whole machine, between ``__init__`` and ``done``."""

    def __init__(self, topology: Topology) -> None:
        self.groups = topology.cpu_groups()
        self.before = {name: _cpu_each(pids) for name, pids in self.groups.items()}
        self.self_before = time.process_time()
        self.machine_before = machine_busy_seconds()
        self.wall_before = time.monotonic()

    def done(self, topology: Topology) -> dict[str, float]:
        """Seconds per role (processes that started meanwhile count from zero), plus
        ``load generator``, ``machine busy``, ``machine`` (all cores' seconds) and ``wall``."""
        found = {}
        for name, pids in topology.cpu_groups().items():
            before = self.before.get(name, {})
            found[name] = sum(
                max(0.0, seconds - before.get(pid, 0.0)) for pid, seconds in _cpu_each(pids).items()
            )
        found["load generator"] = time.process_time() - self.self_before
        busy, total = machine_busy_seconds()
        found["machine busy"] = busy - self.machine_before[0]
        found["machine"] = total - self.machine_before[1]
        found["wall"] = time.monotonic() - self.wall_before
        return found


def _cpu_each(pids: list[int]) -> dict[int, float]:
    return {pid: cpu_seconds([pid]) for pid in pids}


def cpu_describe(shares: dict[str, float], *, requests: int) -> str:
    """One line: each role's CPU seconds and share of the machine's CPU time."""
    machine = shares["machine"] or 1.0
    roles = [k for k in shares if k not in ("machine busy", "machine", "wall")]
    parts = [f"{name} {shares[name]:.1f} s ({100 * shares[name] / machine:.0f}%)" for name in roles]
    own = 1000 * shares["load generator"] / max(requests, 1)
    return (
        f"CPU over {shares['wall']:.1f} s on {machine / max(shares['wall'], 0.001):.0f} cores: "
        + ", ".join(parts)
        + f"; the machine {100 * shares['machine busy'] / machine:.0f}% busy (others' work "
        f"included: the machine may be shared); the load generator {own:.2f} ms a request"
    )
