"""The production site of deploy/ on this machine, in a temporary folder: `kongres serve` with
the production example configuration (deploy/kongres.toml.example) behind the real nginx with
the production site (deploy/nginx/kongres.conf) and a throw-away certificate.

Used by the tests of deploy/ (tests/deploy/test_nginx.py) and by `make scan` (bench/scan.py).

The site file is rendered for the temporary folder by replacing the values its header names
(the host name stays kongres.example.org); nginx runs as the current user with its own prefix,
pid file and logs, listening on 127.0.0.1 only. The app server keeps the example's values except
what needs a machine of its own: SQLite and the process's memory instead of PostgreSQL and
Redis, mail to the console.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SITE = ROOT / "deploy" / "nginx" / "kongres.conf"
EXAMPLE = ROOT / "deploy" / "kongres.toml.example"
HOST = "kongres.example.org"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, what: str, log: Path) -> None:
    deadline = time.monotonic() + 90
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError as error:
            if process.poll() is not None:
                raise RuntimeError(f"{what} exited:\n{log.read_text()}") from error
            if time.monotonic() > deadline:
                raise RuntimeError(f"{what} did not listen in 90 s:\n{log.read_text()}") from error
            time.sleep(0.2)


def render_site(tmp: Path, *, data_dir: Path, app: int, http: int, https: int) -> str:
    replacements = {
        "server 127.0.0.1:8000;": f"server 127.0.0.1:{app};",
        "/var/lib/kongres/": f"{data_dir}/",
        "listen 80;": f"listen 127.0.0.1:{http};",
        "listen [::]:80;": "",
        "listen 443 ssl http2;": f"listen 127.0.0.1:{https} ssl http2;",
        "listen [::]:443 ssl http2;": "",
        f"/etc/letsencrypt/live/{HOST}/fullchain.pem": str(tmp / "cert.pem"),
        f"/etc/letsencrypt/live/{HOST}/privkey.pem": str(tmp / "key.pem"),
        "/var/www/html": str(tmp / "acme"),
    }
    text = SITE.read_text()
    for old, new in replacements.items():
        if old not in text:
            raise ValueError(f"deploy/nginx/kongres.conf no longer contains {old!r}")
        text = text.replace(old, new)
    return text


def nginx_conf(tmp: Path, site: Path) -> str:
    """What Debian's /etc/nginx/nginx.conf provides around a site, in the temporary folder."""
    user = "user root;" if os.geteuid() == 0 else ""  # as root, workers would become nobody
    temp = "\n".join(
        f"    {kind}_temp_path {tmp}/{kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    return f"""
{user}
worker_processes 1;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log warn;
events {{ worker_connections 256; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    sendfile on;
{temp}
    log_format upstream '$remote_addr "$request" $status upstream=$upstream_addr';
    access_log {tmp}/access.log upstream;
    include {site};
}}
"""


def _run(command: Sequence, *, what: str, **kwargs) -> None:
    done = subprocess.run(  # noqa: S603 -- our own program, nginx, openssl
        [str(part) for part in command], capture_output=True, text=True, check=False, **kwargs
    )
    if done.returncode:
        raise RuntimeError(f"{what} failed:\n{done.stdout}{done.stderr}")


@contextlib.contextmanager
def deployed(
    tmp: Path,
    *,
    nginx: str,
    openssl: str,
    settings: str = "kongres.settings",
    env: dict[str, str] | None = None,
    setup: Sequence[Sequence[str]] = (),
    ports: dict[str, int] | None = None,
) -> Iterator[dict]:
    """nginx in front of `kongres serve` (one worker) until the block ends; yields the folder,
    the data folder and the ports (``app``, ``http``, ``https``) and the environment of the
    app server. ``settings`` is the app server's DJANGO_SETTINGS_MODULE (importable from the
    repository's root), ``env`` more of its environment, ``setup`` kongres commands to run
    after `migrate` (e.g. ``[["demo"]]``), ``ports`` the ports to use (free ones by default)."""
    data_dir = tmp / "data"
    (tmp / "acme").mkdir()
    certificate = f"req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN={HOST}".split()
    _run(
        [openssl, *certificate, "-keyout", tmp / "key.pem", "-out", tmp / "cert.pem"],
        what="openssl",
    )
    ports = ports or {"app": free_port(), "http": free_port(), "https": free_port()}

    server_env = {key: value for key, value in os.environ.items() if not key.startswith("KONGRES_")}
    server_env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # tests/browser/conftest.py's
    server_env |= {
        "KONGRES_CONFIG": str(EXAMPLE),
        "KONGRES_DATA_DIR": str(data_dir),
        "KONGRES_DATABASE_URL": "",
        "KONGRES_CACHE_URL": "",
        "KONGRES_MAIL_URL": "console:",
        "DJANGO_SETTINGS_MODULE": settings,
        "PYTHONPATH": str(ROOT),
        **(env or {}),
    }
    kongres = [sys.executable, "-m", "kongres"]
    for command in [["migrate", "--verbosity", "0"], *setup]:
        _run([*kongres, *command], what=f"kongres {command[0]}", env=server_env, cwd=tmp)
    site = tmp / "kongres.conf"
    site.write_text(render_site(tmp, data_dir=data_dir, **ports))
    conf = tmp / "nginx.conf"
    conf.write_text(nginx_conf(tmp, site))
    command = [nginx, "-p", str(tmp), "-c", str(conf), "-e", str(tmp / "error.log")]
    _run([*command, "-t"], what="nginx -t")

    app_log = tmp / "app.log"
    serve = ["serve", "--host", "127.0.0.1", "--port", str(ports["app"]), "--workers", "1"]
    started = []
    try:
        with app_log.open("w") as log:
            app = subprocess.Popen(  # noqa: S603 -- our own program
                [*kongres, *serve],
                env=server_env,
                cwd=tmp,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        started.append((app, signal.SIGTERM))
        proxy = subprocess.Popen(  # noqa: S603 -- nginx with our configuration
            [*command, "-g", "daemon off;"], stderr=subprocess.DEVNULL, start_new_session=True
        )
        started.append((proxy, signal.SIGQUIT))  # nginx's graceful stop
        wait_for_port(ports["app"], app, "kongres serve", app_log)
        wait_for_port(ports["https"], proxy, "nginx", tmp / "error.log")
        yield {"tmp": tmp, "data_dir": data_dir, "env": server_env, **ports}
    finally:
        for process, stop in started:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, stop)
        for process, _stop in started:
            process.wait(timeout=30)
