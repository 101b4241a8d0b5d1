"""deploy/nginx/kongres.conf in front of a real app server (`kongres serve`), with the production
example configuration (deploy/kongres.toml.example): nginx serves the static files itself,
forwards the visitor's address and the scheme, and refuses bodies over its limit.

The site file is rendered for a temporary folder by replacing the values its header names
(host name stays kongres.example.org, sent as the Host header); nginx runs as the current user
with its own prefix, pid file and logs. Clients connect from distinct loopback addresses
(127.0.0.2, 127.0.0.3) to look like distinct visitors.
"""

import http.client
import json
import os
import re
import signal
import socket
import ssl
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import translation

from tests.deploy.conftest import tool

ROOT = Path(__file__).resolve().parents[2]
SITE = ROOT / "deploy" / "nginx" / "kongres.conf"
EXAMPLE = ROOT / "deploy" / "kongres.toml.example"
HOST = "kongres.example.org"
VISITOR, OTHER_VISITOR = "127.0.0.2", "127.0.0.3"
BODY_LIMIT = 10 * 1024 * 1024  # client_max_body_size 10m


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
        except OSError:
            assert process.poll() is None, f"{what} exited:\n{log.read_text()}"
            assert time.monotonic() < deadline, f"{what} did not listen in 90 s:\n{log.read_text()}"
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
        assert old in text, f"deploy/nginx/kongres.conf no longer contains {old!r}"
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


@pytest.fixture(scope="module")
def deployed(tmp_path_factory):
    nginx = tool("nginx", "nginx")
    openssl = tool("openssl", "openssl")
    tmp = tmp_path_factory.mktemp("deploy")
    data_dir = tmp / "data"
    (tmp / "acme").mkdir()
    certificate = f"req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN={HOST}".split()
    subprocess.run(  # noqa: S603 -- a fixed command
        [openssl, *certificate, "-keyout", tmp / "key.pem", "-out", tmp / "cert.pem"],
        check=True,
        capture_output=True,
    )
    ports = {"app": free_port(), "http": free_port(), "https": free_port()}

    env = {key: value for key, value in os.environ.items() if not key.startswith("KONGRES_")}
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # tests/browser/conftest.py's, not production's
    env |= {
        "KONGRES_CONFIG": str(EXAMPLE),
        # the example's values, except what needs a machine of its own: SQLite and the
        # process's memory (one worker) instead of PostgreSQL and Redis, mail to the console
        "KONGRES_DATA_DIR": str(data_dir),
        "KONGRES_DATABASE_URL": "",
        "KONGRES_CACHE_URL": "",
        "KONGRES_MAIL_URL": "console:",
        "DJANGO_SETTINGS_MODULE": "tests.deploy.server_settings",
        "PYTHONPATH": str(ROOT),
    }
    kongres = [sys.executable, "-m", "kongres"]
    migrate = subprocess.run(  # noqa: S603 -- our own program
        [*kongres, "migrate", "--verbosity", "0"], env=env, cwd=tmp, capture_output=True, text=True
    )
    assert migrate.returncode == 0, migrate.stderr
    site = tmp / "kongres.conf"
    site.write_text(render_site(tmp, data_dir=data_dir, **ports))
    conf = tmp / "nginx.conf"
    conf.write_text(nginx_conf(tmp, site))
    command = [nginx, "-p", str(tmp), "-c", str(conf), "-e", str(tmp / "error.log")]
    tested = subprocess.run([*command, "-t"], capture_output=True, text=True)  # noqa: S603
    assert tested.returncode == 0, tested.stderr

    app_log = tmp / "app.log"
    serve = ["serve", "--host", "127.0.0.1", "--port", str(ports["app"]), "--workers", "1"]
    started = []
    try:
        with app_log.open("w") as log:
            app = subprocess.Popen(  # noqa: S603 -- our own program
                [*kongres, *serve],
                env=env,
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
        yield {"tmp": tmp, "data_dir": data_dir, **ports}
    finally:
        for process, stop in started:
            os.killpg(process.pid, stop)
        for process, _stop in started:
            process.wait(timeout=30)


def request(
    port: int,
    method: str,
    path: str,
    *,
    tls: bool = True,
    source: str = VISITOR,
    headers: dict | None = None,
) -> http.client.HTTPResponse:
    """One request from ``source`` (a loopback address of its own: a visitor of its own)."""
    if tls:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE  # the test's own self-signed certificate
        connection = http.client.HTTPSConnection(
            "127.0.0.1", port, timeout=30, context=context, source_address=(source, 0)
        )
    else:
        connection = http.client.HTTPConnection(
            "127.0.0.1", port, timeout=30, source_address=(source, 0)
        )
    connection.request(method, path, headers={"Host": HOST, **(headers or {})})
    response = connection.getresponse()
    response.read()
    connection.close()
    return response


def logged(deployed, text: str, count: int = 1) -> list[str]:
    """The lines of nginx's access log with ``text``, once there are ``count`` of them (nginx
    writes a line when it is done with the request, which may be after the client is)."""
    deadline = time.monotonic() + 10
    while True:
        lines = (deployed["tmp"] / "access.log").read_text().splitlines()
        found = [line for line in lines if text in line]
        if len(found) >= count or time.monotonic() > deadline:
            return found
        time.sleep(0.05)


def test_static_files_are_served_by_nginx(deployed):
    manifest = json.loads((deployed["data_dir"] / "static" / "staticfiles.json").read_text())
    hashed = manifest["paths"]["kongres/kongres.css"]
    assert re.search(r"\.[0-9a-f]{12}\.css$", hashed)

    response = request(
        deployed["https"], "GET", f"/static/{hashed}", headers={"Accept-Encoding": "gzip"}
    )
    assert response.status == 200
    assert response.getheader("Cache-Control") == "public, max-age=31536000, immutable"
    assert response.getheader("Content-Encoding") == "gzip"  # the .gz collectstatic wrote
    response = request(deployed["https"], "GET", "/static/kongres/kongres.css")
    assert response.status == 200
    assert response.getheader("Cache-Control") == "public, max-age=3600"

    # a file the application never heard of (whitenoise reads the folder at start-up)
    (deployed["data_dir"] / "static" / "only-nginx.txt").write_text("served by nginx\n")
    assert request(deployed["https"], "GET", "/static/only-nginx.txt").status == 200
    # and nginx's log shows no upstream for static files, the app server for a page
    assert request(deployed["https"], "GET", "/robots.txt").status == 200
    static = logged(deployed, '"GET /static/', count=3)
    assert len(static) == 3 and all(line.endswith("upstream=-") for line in static), static
    page = logged(deployed, '"GET /robots.txt')
    assert page and page[-1].endswith(f"upstream=127.0.0.1:{deployed['app']}"), page


def test_uploaded_files_are_served_by_nginx_not_the_application(deployed):
    """Review 2026-12, L11: in production the application does not serve /media/ (serve_media
    is off); nginx serves data_dir/media, saying that nothing in a file may run."""
    media = deployed["data_dir"] / "media" / "news"
    media.mkdir(parents=True, exist_ok=True)
    (media / "plakat.png").write_bytes(b"\x89PNG\r\n\x1a\n only nginx serves this")

    response = request(deployed["https"], "GET", "/media/news/plakat.png")
    assert response.status == 200
    assert response.getheader("X-Content-Type-Options") == "nosniff"
    assert response.getheader("Content-Security-Policy") == "default-src 'none'; sandbox"
    served = logged(deployed, '"GET /media/news/plakat.png')
    assert served and served[-1].endswith("upstream=-"), served
    # the application itself, asked as nginx would ask it, does not serve it
    direct = request(
        deployed["app"],
        "GET",
        "/media/news/plakat.png",
        tls=False,
        source="127.0.0.1",
        headers={"X-Forwarded-Proto": "https"},
    )
    assert direct.status == 404


def test_the_rate_limits_count_each_visitor_not_nginx(deployed):
    """The token pages allow 3 an hour per address here (server_settings.py)."""
    with translation.override("pl"):
        path = reverse("registration:verify", kwargs={"token": "no-such-token"})

    def status(source: str, forwarded: str | None = None) -> int:
        headers = {"X-Forwarded-For": forwarded} if forwarded else {}
        return request(deployed["https"], "GET", path, source=source, headers=headers).status

    assert [status(VISITOR) for _ in range(3)] == [404, 404, 404]
    assert status(VISITOR) == 429
    # a spoofed X-Forwarded-For does not make a new visitor: nginx appends the real address
    assert status(VISITOR, forwarded="203.0.113.50") == 429
    # another address is another visitor, even when it claims to be the first one
    assert status(OTHER_VISITOR, forwarded=VISITOR) == 404


def test_https_through_nginx_is_secure_and_http_is_redirected(deployed):
    response = request(deployed["https"], "GET", "/robots.txt")
    assert response.status == 200  # the app saw https (https_redirect is on)
    assert response.getheader("Strict-Transport-Security") == (
        "max-age=31536000; includeSubDomains; preload"
    )
    response = request(deployed["http"], "GET", "/robots.txt?x=1", tls=False)
    assert response.status == 301
    assert response.getheader("Location") == f"https://{HOST}/robots.txt?x=1"


def test_forwarded_proto_is_not_believed_from_a_direct_client(deployed):
    """Past nginx, straight to the app server: claiming https gets the redirect to https."""
    response = request(
        deployed["app"], "GET", "/robots.txt", tls=False, headers={"X-Forwarded-Proto": "https"}
    )
    assert response.status == 301
    assert response.getheader("Location") == f"https://{HOST}/robots.txt"
    assert response.getheader("Strict-Transport-Security") is None


def test_a_body_over_the_limit_is_refused_by_nginx(deployed):
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    connection = http.client.HTTPSConnection(
        "127.0.0.1", deployed["https"], timeout=30, context=context, source_address=(VISITOR, 0)
    )
    connection.putrequest("POST", "/admin/login/", skip_host=True)
    connection.putheader("Host", HOST)
    connection.putheader("Content-Length", str(BODY_LIMIT + 1))
    connection.endheaders()  # nginx answers from the length alone
    response = connection.getresponse()
    response.read()
    connection.close()
    assert response.status == 413
    # nginx's own answer, logged with no upstream
    lines = logged(deployed, '"POST /admin/login/')
    assert lines and lines[-1].endswith("413 upstream=-"), lines
