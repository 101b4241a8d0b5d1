"""deploy/nginx/kongres.conf in front of a real app server (`kongres serve`), with the production
example configuration (deploy/kongres.toml.example): nginx serves the static files itself,
forwards the visitor's address and the scheme, and refuses bodies over its limit.

bench/deployed.py starts both in a temporary folder (the site file rendered for it; the host
name stays kongres.example.org, sent as the Host header). Clients connect from distinct
loopback addresses (127.0.0.2, 127.0.0.3) to look like distinct visitors.
"""

import http.client
import json
import re
import ssl
import time

import pytest
from django.urls import reverse
from django.utils import translation

from bench import deployed as site
from tests.deploy.conftest import tool

VISITOR, OTHER_VISITOR = "127.0.0.2", "127.0.0.3"
BODY_LIMIT = 10 * 1024 * 1024  # client_max_body_size 10m


@pytest.fixture(scope="module")
def deployed(tmp_path_factory):
    nginx = tool("nginx", "nginx")
    openssl = tool("openssl", "openssl")
    with site.deployed(
        tmp_path_factory.mktemp("deploy"),
        nginx=nginx,
        openssl=openssl,
        settings="tests.deploy.server_settings",
    ) as started:
        yield started


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
    connection.request(method, path, headers={"Host": site.HOST, **(headers or {})})
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


def test_materials_waiting_for_approval_are_not_served(deployed):
    """A speaker's file waiting for an organiser's approval (kongres.materials) lies under
    media/materials-pending/: nginx serves nothing from there, whatever the name; the same
    file under media/materials/ (published) is served."""
    for folder in ("materials-pending", "materials"):
        path = deployed["data_dir"] / "media" / folder / "edycja"
        path.mkdir(parents=True, exist_ok=True)
        (path / "slajdy.pdf").write_bytes(b"%PDF-1.4 only when approved")
    hidden = request(deployed["https"], "GET", "/media/materials-pending/edycja/slajdy.pdf")
    assert hidden.status == 404
    shown = request(deployed["https"], "GET", "/media/materials/edycja/slajdy.pdf")
    assert shown.status == 200
    assert shown.getheader("Content-Length") == str(len(b"%PDF-1.4 only when approved"))


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
    assert response.getheader("Location") == f"https://{site.HOST}/robots.txt?x=1"


def test_forwarded_proto_is_not_believed_from_a_direct_client(deployed):
    """Past nginx, straight to the app server: claiming https gets the redirect to https."""
    response = request(
        deployed["app"], "GET", "/robots.txt", tls=False, headers={"X-Forwarded-Proto": "https"}
    )
    assert response.status == 301
    assert response.getheader("Location") == f"https://{site.HOST}/robots.txt"
    assert response.getheader("Strict-Transport-Security") is None


def test_a_body_over_the_limit_is_refused_by_nginx(deployed):
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    connection = http.client.HTTPSConnection(
        "127.0.0.1", deployed["https"], timeout=30, context=context, source_address=(VISITOR, 0)
    )
    connection.putrequest("POST", "/admin/login/", skip_host=True)
    connection.putheader("Host", site.HOST)
    connection.putheader("Content-Length", str(BODY_LIMIT + 1))
    connection.endheaders()  # nginx answers from the length alone
    response = connection.getresponse()
    response.read()
    connection.close()
    assert response.status == 413
    # nginx's own answer, logged with no upstream
    lines = logged(deployed, '"POST /admin/login/')
    assert lines and lines[-1].endswith("413 upstream=-"), lines


def test_a_speakers_upload_may_be_larger(deployed):
    """The materials upload page (a speaker's recording) takes bodies over the 10 MB limit:
    nginx passes them to the application (which answers: here 403, no CSRF token)."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    connection = http.client.HTTPSConnection(
        "127.0.0.1", deployed["https"], timeout=60, context=context, source_address=(VISITOR, 0)
    )
    body = b"x" * (BODY_LIMIT + 1)
    connection.request(
        "POST",
        "/materialy/przeslij/nieznany-link/",
        body=body,
        headers={"Host": site.HOST, "Content-Type": "application/octet-stream"},
    )
    response = connection.getresponse()
    response.read()
    connection.close()
    assert response.status == 403
    lines = logged(deployed, '"POST /materialy/przeslij/')
    assert lines and not lines[-1].endswith("upstream=-"), lines


def test_no_answer_names_the_nginx_version(deployed):
    """server_tokens off in both servers: the plain-http one (redirects, certbot) too."""
    assert request(deployed["http"], "GET", "/", tls=False).getheader("Server") == "nginx"
    assert request(deployed["https"], "GET", "/static/nope.css").getheader("Server") == "nginx"
    assert request(deployed["https"], "GET", "/robots.txt").getheader("Server") == "nginx"


def test_a_missing_static_or_uploaded_file_is_not_cached(deployed):
    """A 404 of nginx's is not kept for an hour (an image uploaded a minute later must show);
    it still carries nosniff, and an uploaded file's sandbox."""
    for path in ("/static/nope.css", "/media/nope.png"):
        response = request(deployed["https"], "GET", path)
        assert response.status == 404
        assert response.getheader("Cache-Control") is None, path
        assert response.getheader("X-Content-Type-Options") == "nosniff", path
    response = request(deployed["https"], "GET", "/media/nope.png")
    assert response.getheader("Content-Security-Policy") == "default-src 'none'; sandbox"
