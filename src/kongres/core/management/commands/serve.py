"""``kongres serve``: the site on granian (WSGI), static files included.

This process prepares everything once (static files, the warm-up of ``kongres.wsgi``), then
granian forks the workers from it: each starts with the application loaded, and what start-up
built is shared between them. Ctrl-C (SIGINT, sent by a terminal to every process of the group)
and SIGTERM (``kill``, systemd) both stop it: granian's master asks each worker to stop with
SIGTERM and waits up to ``WORKER_STOP_SECONDS`` for the requests in flight.
"""

import fcntl
import hashlib
import ipaddress
import multiprocessing
import os
import signal
import socket
import sys
import threading
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, connections
from django.db.migrations.executor import MigrationExecutor

# How long the master waits for a worker to finish its requests before it kills it.
WORKER_STOP_SECONDS = 10
# How long a worker given SIGTERM by someone else than its master waits for the master's own.
GROUP_SIGNAL_GRACE_SECONDS = 1.0
LOCAL_NAMES = {"localhost", "localhost.localdomain"}


def default_workers() -> int:
    """One worker per core this process may run on."""
    cores = getattr(os, "process_cpu_count", os.cpu_count)()  # process_cpu_count: Python 3.13
    return max(1, cores or 1)


def _static_fingerprint() -> str:
    """Names, sizes and times of the static source files, and the storage that collects them."""
    digest = hashlib.sha256(str(settings.STORAGES["staticfiles"]).encode())
    for finder in finders.get_finders():
        for path, storage in finder.list([]):
            stat = os.stat(storage.path(path))
            digest.update(f"{path}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def _collect_static() -> None:
    """``collectstatic``, skipped when no static file changed since the last time (hashing and
    compressing every file takes a while). Servers started at once on one data_dir (two
    systemd units, a restart of all) take turns: the first collects, the others wait for it
    and find the files collected (two compressing the same file at once crashed one)."""
    settings.DATA_DIR.mkdir(parents=True, exist_ok=True)
    with open(settings.DATA_DIR / "static-collected.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes, or the process dies
        stamp = settings.DATA_DIR / "static-collected"
        fingerprint = _static_fingerprint()
        manifest = getattr(staticfiles_storage, "manifest_name", None)
        collected = manifest is None or (settings.STATIC_ROOT / manifest).is_file()
        if collected and stamp.is_file() and stamp.read_text() == fingerprint:
            return
        call_command("collectstatic", interactive=False, verbosity=0)
        stamp.write_text(fingerprint)


def _check_free(host: str, port: int) -> None:
    """One clear line when the port is taken, before anything is loaded."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as error:
        raise CommandError(f"cannot listen on {host}: {error.strerror}") from error
    family, kind, proto, _name, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as error:
            raise CommandError(f"cannot listen on {host}:{port}: {error.strerror}") from error


def _is_local(host: str) -> bool:
    if host.lower() in LOCAL_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def site_url_mismatch(site_url: str, host: str, port: int) -> str | None:
    """Why ``site_url`` (the address in mails and feeds) does not lead to this server listening
    on ``host``:``port``, or None. A public name is taken to be a reverse proxy's, which may
    listen anywhere; an address of this machine (127.0.0.1, localhost, the ``--host`` given)
    must be the one served, port included."""
    parts = urlsplit(site_url)
    url_host = (parts.hostname or "").lower()
    url_port = parts.port or (443 if parts.scheme == "https" else 80)
    here = host.lower()
    if url_host != here and not _is_local(url_host):
        return None  # a reverse proxy's public name
    wildcard = here in {"0.0.0.0", "::"}  # noqa: S104 -- compared, not bound  # nosec B104
    if url_host != here and not (wildcard or _is_local(here)):
        return f"this server listens on {host} only, not on {url_host}"
    if url_port != port:
        return f"this server listens on port {port}, not {url_port}"
    return None


def worker_application(_target: str):
    """What each worker runs as it starts (a fork of this process): the application, already
    loaded, and the stop signals taken by a thread of ours.

    A signal handler written in Python runs in the main thread, and only when that thread runs
    Python code or is interrupted by the signal. The kernel gives a process's signal to any of
    its threads that does not block it; when granian's worker gets SIGTERM on one of its own
    (Rust) threads while its main thread waits, the handler never runs and the master kills the
    worker after ``WORKER_STOP_SECONDS`` (about 1 stop in 100 before this). So the workers block
    SIGINT and SIGTERM here, before granian starts its threads (they inherit the mask), and one
    thread waits for SIGTERM (``signal.sigwaitinfo``) and calls granian's own handler, which starts
    the usual graceful stop. SIGINT stays blocked: a terminal's Ctrl-C reaches every process of
    the group, and the master then stops each worker with SIGTERM."""
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    threading.Thread(target=_stop_on_sigterm, name="kongres-stop", daemon=True).start()
    from kongres.wsgi import application  # noqa: PLC0415 -- loaded by the master before the fork

    return application


def _stop_on_sigterm() -> None:
    info = signal.sigwaitinfo({signal.SIGTERM})
    if info.si_pid != os.getppid():
        # A SIGTERM to the whole group (systemd, `kill -- -PID`) reaches the master too, which
        # then stops each worker: a worker that stopped on its own first would be taken by the
        # master for a crash (exit status 1). So wait a moment for the master's own SIGTERM
        # (it may also have merged with this one: two pending SIGTERMs are one), then stop.
        signal.sigtimedwait({signal.SIGTERM}, GROUP_SIGNAL_GRACE_SECONDS)
    handler = signal.getsignal(signal.SIGTERM)  # granian's, installed after this thread started
    if callable(handler):
        handler(signal.SIGTERM, None)
    else:  # no handler: stop as SIGTERM's default action would
        os._exit(128 + signal.SIGTERM)


class Command(BaseCommand):
    help = (
        "Serve the site with granian (WSGI, static files included): collects the static files, "
        "then serves until Ctrl-C or SIGTERM."
    )
    requires_system_checks = "__all__"

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
        parser.add_argument("--port", type=int, default=8000, help="port to listen on (8000)")
        parser.add_argument(
            "--workers",
            type=int,
            default=default_workers(),
            help=f"worker processes (here {default_workers()}: one per core)",
        )
        parser.add_argument(
            "--threads",
            type=int,
            default=1,
            help="threads per worker that run the application (1: the fastest on the "
            "registration path, bench/README.md; more for slow requests such as PDFs)",
        )
        parser.add_argument(
            "--access-log", action="store_true", help="log every request to standard output"
        )

    def handle(
        self,
        *args,
        host: str,
        port: int,
        workers: int,
        threads: int,
        access_log: bool,
        **options,
    ):
        if workers < 1:
            raise CommandError("--workers must be at least 1")
        if threads < 1:
            raise CommandError("--threads must be at least 1")
        if not 0 < port < 65536:
            raise CommandError("--port must be between 1 and 65535")
        _check_free(host, port)
        _collect_static()
        self._warn_unapplied_migrations()
        mismatch = site_url_mismatch(settings.SITE_URL, host, port)
        if mismatch:
            url_host = f"[{host}]" if ":" in host else host
            sys.stderr.write(
                f"kongres: warning: site_url {settings.SITE_URL} (the address in mails and "
                f"feeds) does not lead here: {mismatch}. Set site_url to the address people "
                f"use, e.g. KONGRES_SITE_URL=http://{url_host}:{port}\n"
            )

        from granian.constants import Interfaces  # noqa: PLC0415 -- only when serving
        from granian.log import LogLevels  # noqa: PLC0415 -- only when serving
        from granian.server import MPServer  # noqa: PLC0415 -- only when serving

        import kongres.wsgi  # noqa: PLC0415, F401 -- loads and warms up the application once

        connections.close_all()  # no connection may cross the fork into the workers
        # The workers are forks of this process (Python 3.14 would spawn new interpreters).
        multiprocessing.set_start_method("fork", force=True)
        server = MPServer(
            "kongres.wsgi:application",
            address=host,
            port=port,
            interface=Interfaces.WSGI,
            workers=workers,
            blocking_threads=threads,
            log_level=LogLevels.warning,
            log_access=access_log,
            respawn_failed_workers=True,
            workers_kill_timeout=WORKER_STOP_SECONDS,
        )
        url_host = f"[{host}]" if ":" in host else host
        self.stdout.write(
            f"kongres: serving http://{url_host}:{port}/ with {workers} worker"
            f"{'s' if workers > 1 else ''} — Ctrl-C stops"
        )
        self.stdout.flush()
        server.serve(target_loader=worker_application)

    def _warn_unapplied_migrations(self) -> None:
        try:
            executor = MigrationExecutor(connections["default"])
            plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
        except DatabaseError as error:
            sys.stderr.write(f"kongres: the database cannot be read: {error}\n")
            return
        if plan:
            sys.stderr.write(
                "kongres: the database is not up to date; run `kongres migrate` first\n"
            )
