"""A new visitor's registration flow, in process: its CPU time per request (issue 16).

    .venv/bin/python -m bench.flow [--flows 200] [--repeat 5] [--profile post] [--cache-url URL]

Each flow is a person arriving from a mail, with a fresh cookie jar: the home page, the
registration form, the form sent (POST), and the page it redirects to. The requests go through
Django's own WSGI handler (``kongres.wsgi``'s application, settings ``bench.settings``: DEBUG
off, the whole middleware stack, CSRF checked), built here as a server would build them; the
CPU time of this process (``time.process_time``) is read around each call of the application
(and the reading of its body), so the client's own work (the cookie jar, parsing the page for
its CSRF token and hidden fields) is not counted. ``GET /bench/hello/`` through the same
handler is the unit: the target of issue 16 is a flow ≤ 25 x a hello world.

The database is ``KONGRES_BENCH_DATABASE_URL`` (default
``postgres://postgres@127.0.0.1:5432/kongres_bench``): created if missing, migrated, the demo
loaded (as ``make bench`` does); the rush edition is reset before each repetition with more
seats than people (every registration holds a seat). Cache: the database cache, as the bench
server, unless ``--cache-url`` (Redis) is given. The medians over the repetitions are printed,
per request. ``--profile post`` (or ``form``, ``submitted``, ``home``, ``hello``) runs one more
repetition under cProfile and prints the functions of that request by their own and cumulative
time.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import re
import statistics
import sys
import time
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from bench.client import source_address

REPO = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/kongres_bench"
STEPS = ("home", "form", "post", "submitted")
HOST = "127.0.0.1"
PORT = "8000"


def environment(*, database_url: str, data_dir: Path, cache_url: str) -> None:
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "bench.settings",
            "KONGRES_DATABASE_URL": database_url,
            "KONGRES_DATA_DIR": str(data_dir),
            "KONGRES_DEBUG": "false",
            "KONGRES_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "KONGRES_SITE_URL": f"http://{HOST}:{PORT}",
            "KONGRES_MAIL_URL": f"file:{data_dir / 'mail'}",
        }
    )
    if cache_url:
        os.environ["KONGRES_CACHE_URL"] = cache_url


@dataclass
class Response:
    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str:
        return next((value for key, value in self.headers if key.lower() == name.lower()), "")


def wsgi_call(
    app,
    method: str,
    path: str,
    *,
    query: str = "",
    body: bytes = b"",
    address: str = "127.0.0.1",
    headers: dict[str, str] | None = None,
    agent: str = "bench",
) -> tuple[Response, float]:
    """``app`` called with a request built as a server builds it, and read whole; the CPU
    seconds of this process over the call and the reading of the body."""
    environ = {
        "REQUEST_METHOD": method,
        "SCRIPT_NAME": "",
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_NAME": HOST,
        "SERVER_PORT": PORT,
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": address,
        "HTTP_HOST": f"{HOST}:{PORT}",
        "HTTP_USER_AGENT": agent,
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
        **(headers or {}),
    }
    if body:
        environ["CONTENT_LENGTH"] = str(len(body))
    started: dict = {}

    def start_response(status, response_headers, exc_info=None):
        started["status"] = int(status.split()[0])
        started["headers"] = response_headers

    cpu = time.process_time()
    result = app(environ, start_response)
    try:
        content = b"".join(result)
    finally:
        if hasattr(result, "close"):
            result.close()
    cpu = time.process_time() - cpu
    return Response(started["status"], started["headers"], content), cpu


@dataclass
class Visitor:
    """A browser with a fresh cookie jar; ``cpu`` collects the application's CPU seconds per
    step."""

    app: object
    address: str = "127.0.0.1"
    cookies: dict[str, str] = field(default_factory=dict)

    def request(self, method: str, url: str, body: bytes = b"") -> tuple[Response, float]:
        parts = urlsplit(url)
        headers = {"HTTP_ACCEPT": "text/html", "HTTP_ACCEPT_LANGUAGE": "pl"}
        if self.cookies:
            headers["HTTP_COOKIE"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if method == "POST":
            headers["CONTENT_TYPE"] = "application/x-www-form-urlencoded"
            headers["HTTP_ORIGIN"] = f"http://{HOST}:{PORT}"
            headers["HTTP_REFERER"] = f"http://{HOST}:{PORT}{parts.path}"
        response, cpu = wsgi_call(
            self.app,
            method,
            parts.path,
            query=parts.query,
            body=body,
            address=self.address,
            headers=headers,
            agent="bench.flow",
        )
        for key, value in response.headers:
            if key.lower() == "set-cookie":
                cookie = SimpleCookie()
                cookie.load(value)
                for name, morsel in cookie.items():
                    if morsel["max-age"] == "0":
                        self.cookies.pop(name, None)
                    else:
                        self.cookies[name] = morsel.coded_value
        return response, cpu


FIELD = re.compile(rb'<input[^>]*name="(?P<name>[^"]+)"[^>]*value="(?P<value>[^"]*)"')


def hidden_values(page: bytes, names: set[str]) -> dict[str, str]:
    import html

    found = {}
    for match in FIELD.finditer(page):
        name = match["name"].decode()
        if name in names:
            found[name] = html.unescape(match["value"].decode())
    return found


@dataclass
class Paths:
    home: str
    form: str
    hello: str = "/bench/hello/"


@dataclass
class Opened:
    """A visitor who has the form open: the values to send and the CPU of the two GETs."""

    visitor: Visitor
    sent: bytes
    cpu: dict[str, float]
    email: str


def flow_open(app, paths: Paths, body: str, hidden: list[str], email: str, address: str) -> Opened:
    visitor = Visitor(app, address=address)
    cpu: dict[str, float] = {}
    response, cpu["home"] = visitor.request("GET", paths.home)
    assert response.status == 200, (paths.home, response.status)
    response, cpu["form"] = visitor.request("GET", paths.form)
    assert response.status == 200, (paths.form, response.status)
    values = hidden_values(response.body, {"csrfmiddlewaretoken", *hidden})
    assert "csrfmiddlewaretoken" in values, "no CSRF token in the form"
    sent = f"{body}&{urlencode({**values, 'email': email})}".encode()
    return Opened(visitor, sent, cpu, email)


def flow_send(opened: Opened, paths: Paths) -> dict[str, float]:
    visitor, cpu = opened.visitor, opened.cpu
    response, cpu["post"] = visitor.request("POST", paths.form, opened.sent)
    assert response.status == 302, (response.status, response.body[:3000])
    location = response.header("Location")
    response, cpu["submitted"] = visitor.request("GET", location)
    assert response.status == 200, (location, response.status)
    assert opened.email.encode() in response.body
    return cpu


def flows(app, paths: Paths, body: str, hidden: list[str], emails: list[str]):
    """Open the form for every visitor, wait the minimum fill time as people do (the check
    stays on), then send every form; yields each flow's CPU seconds per step."""
    opened = [
        flow_open(app, paths, body, hidden, email, visitor_address(index))
        for index, email in enumerate(emails)
    ]
    time.sleep(min_fill_seconds() + 0.2)  # from the last form opened
    for one in opened:
        yield flow_send(one, paths)


def visitor_address(index: int) -> str:
    """A distinct source address per visitor (people arriving from a mail): the per-address
    limits stay on and are not what this bench measures (``bench.client.source_address``)."""
    return source_address(index)


def min_fill_seconds() -> float:
    from kongres.registration.forms import min_fill_seconds as configured  # after set-up

    return configured()


def hello_cpu(app, paths: Paths, count: int) -> float:
    total = 0.0
    for _ in range(count):
        response, cpu = Visitor(app).request("GET", paths.hello)
        assert response.status == 200
        total += cpu
    return total / count


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.flow", description=__doc__)
    parser.add_argument("--flows", type=int, default=200, help="flows per repetition")
    parser.add_argument("--repeat", type=int, default=5, help="repetitions (medians reported)")
    parser.add_argument("--warmup", type=int, default=20, help="flows before measuring")
    parser.add_argument("--profile", choices=[*STEPS, "hello"], help="profile one request kind")
    parser.add_argument("--profile-lines", type=int, default=40)
    parser.add_argument("--cache-url", default="", help="redis://… (default: database cache)")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("KONGRES_BENCH_DATABASE_URL") or DEFAULT_DATABASE_URL,
    )
    parser.add_argument("--data-dir", type=Path, default=REPO / "var" / "bench-flow")
    parser.add_argument("--no-prepare", action="store_true", help="skip migrate and demo")
    options = parser.parse_args(argv)

    sys.path.insert(0, str(REPO))
    options.data_dir.mkdir(parents=True, exist_ok=True)
    environment(
        database_url=options.database_url,
        data_dir=options.data_dir.resolve(),
        cache_url=options.cache_url,
    )
    from bench import db

    db.database_ensure(options.database_url)
    db.setup()
    from django.core.wsgi import get_wsgi_application
    from django.urls import reverse
    from django.utils import translation

    from bench import rush

    if options.no_prepare:
        from kongres.events.selectors import edition_current

        prepared = {"rush_edition": edition_current().pk}
    else:
        prepared = db.prepare(log=lambda message: print(f"flow: {message}", flush=True))
    edition_id = prepared["rush_edition"]
    body, hidden, errors = rush.form_body(edition_id=edition_id)
    if errors:
        print(f"flow: the form cannot be filled in: {errors}")
        return 1
    with translation.override("pl"):
        paths = Paths(home=reverse("events:home"), form=reverse("registration:register"))
    app = get_wsgi_application()
    seats = (options.flows + options.warmup) * 2 + 10

    def repetition(number: int, count: int) -> dict[str, float]:
        rush.reset(edition_id=edition_id, seats=seats)
        db.close_connections()
        stamp = f"flow{number}-{time.time_ns()}"
        warm = [f"{stamp}-w{index}@{db.EMAIL_DOMAIN}" for index in range(options.warmup)]
        for _cpu in flows(app, paths, body, hidden, warm):
            hello_cpu(app, paths, 1)
        totals = dict.fromkeys([*STEPS, "hello"], 0.0)
        emails = [f"{stamp}-{index}@{db.EMAIL_DOMAIN}" for index in range(count)]
        for cpu in flows(app, paths, body, hidden, emails):
            for step, seconds in cpu.items():
                totals[step] += seconds
            totals["hello"] += hello_cpu(app, paths, 1)
        return {step: seconds / count for step, seconds in totals.items()}

    results = []
    for number in range(options.repeat):
        result = repetition(number, options.flows)
        results.append(result)
        flow = sum(result[step] for step in STEPS)
        print(
            f"flow: run {number + 1}: "
            + ", ".join(f"{step} {result[step] * 1000:.2f}" for step in [*STEPS, "hello"])
            + f" ms; flow {flow * 1000:.2f} ms = {flow / result['hello']:.1f} x hello",
            flush=True,
        )
    median = {step: statistics.median(r[step] for r in results) for step in [*STEPS, "hello"]}
    ratios = [sum(r[step] for step in STEPS) / r["hello"] for r in results]
    flow_ms = statistics.median(sum(r[step] for step in STEPS) for r in results) * 1000
    print(f"flow: medians of {options.repeat} runs of {options.flows} flows (CPU ms per request)")
    for step in [*STEPS, "hello"]:
        print(f"  {step:<10} {median[step] * 1000:7.2f}")
    print(f"  {'flow':<10} {flow_ms:7.2f}")
    print(
        f"flow: a flow is {statistics.median(ratios):.1f} x a hello world "
        f"(runs: {', '.join(f'{ratio:.1f}' for ratio in ratios)}); target ≤ 25"
    )

    if options.profile:
        profiler = cProfile.Profile(time.process_time)
        target = options.profile
        original = Visitor.request

        def profiled(self, method, url, body=b""):
            kind = {
                ("GET", paths.home): "home",
                ("GET", paths.form): "form",
                ("POST", paths.form): "post",
                ("GET", paths.hello): "hello",
            }.get((method, urlsplit(url).path), "submitted")
            if kind != target:
                return original(self, method, url, body)
            profiler.enable()
            try:
                return original(self, method, url, body)
            finally:
                profiler.disable()

        Visitor.request = profiled
        repetition(options.repeat, options.flows)
        Visitor.request = original
        for sort in ("tottime", "cumulative"):
            out = io.StringIO()
            stats = pstats.Stats(profiler, stream=out)
            stats.sort_stats(sort).print_stats(options.profile_lines)
            print(out.getvalue())
    db.close_connections()
    return 0


if __name__ == "__main__":
    sys.exit(main())
