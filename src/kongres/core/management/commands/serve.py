import gc
import hashlib
import os
import socket
import sys

from django.conf import settings
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, connections
from django.db.migrations.executor import MigrationExecutor


def default_workers() -> int:
    return max(1, min(2 * (os.cpu_count() or 1), 4))


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
    compressing every file takes a while)."""
    stamp = settings.DATA_DIR / "static-collected"
    fingerprint = _static_fingerprint()
    manifest = getattr(staticfiles_storage, "manifest_name", None)
    collected = manifest is None or (settings.STATIC_ROOT / manifest).is_file()
    if collected and stamp.is_file() and stamp.read_text() == fingerprint:
        return
    call_command("collectstatic", interactive=False, verbosity=0)
    stamp.write_text(fingerprint)


def _worker_quit(worker) -> None:
    """Ctrl-C (SIGINT) or SIGQUIT in a worker: gunicorn's quick shutdown, which drops what is in
    flight anyway. Leave at once rather than tear the interpreter down, which on a busy machine
    can outlast the master's patience (it then kills the worker and says so)."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


def _check_free(host: str, port: int) -> None:
    """One clear line instead of gunicorn's five retries when the port is taken."""
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


class Command(BaseCommand):
    help = (
        "Serve the site with gunicorn (static files included): collects the static files, "
        "then serves until Ctrl-C."
    )
    requires_system_checks = []  # checked by the workers when they load the application

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
        parser.add_argument("--port", type=int, default=8000, help="port to listen on (8000)")
        parser.add_argument(
            "--workers",
            type=int,
            default=default_workers(),
            help=f"worker processes (here {default_workers()}: twice the cores, at most 4)",
        )
        parser.add_argument(
            "--threads",
            type=int,
            default=1,
            help="threads per worker (1: sync workers, the fastest on the registration path "
            "in bench/README.md; more: gthread workers, for clients not behind a buffering proxy)",
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
        connections.close_all()  # no connection may cross the fork into the workers
        # What is loaded now is shared by the workers and kept out of their garbage collection:
        # less memory copied after the fork, and a worker exits in a fraction of a second
        # instead of collecting the whole heap on the way out (which Ctrl-C would wait for).
        gc.freeze()

        from gunicorn.app.base import BaseApplication  # noqa: PLC0415 -- only when serving

        bind = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"

        class KongresApplication(BaseApplication):
            def load_config(self):
                settings = {
                    "bind": [bind],
                    "workers": workers,
                    # Sync workers: on the registration rush they were as fast as gthread
                    # (4 threads) and on the locked path 2-4 times faster (bench/README.md).
                    "worker_class": "gthread" if threads > 1 else "sync",
                    "threads": threads,
                    "accesslog": "-" if access_log else None,
                    "errorlog": "-",
                    "loglevel": "warning",
                    "proc_name": "kongres",
                    "control_socket_disable": True,  # no socket in $HOME
                    "graceful_timeout": 10,
                    "worker_int": _worker_quit,
                }
                for key, value in settings.items():
                    self.cfg.set(key, value)

            def load(self):
                from kongres.wsgi import application  # noqa: PLC0415 -- in the worker, after the fork

                return application

        url_host = f"[{host}]" if ":" in host else host
        self.stdout.write(f"kongres: serving http://{url_host}:{port}/ — Ctrl-C stops")
        self.stdout.flush()
        KongresApplication(prog="kongres serve").run()

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
