"""The production bench's load generator (bench/people.py) against a small HTTP server: the
forms are opened first, the fill time is waited from the last one, each person keeps an address
of their own, and the rate counts the sending wave."""

import asyncio
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from bench import people
from bench.client import Browser

FORM = (
    b'<form><input type="hidden" name="csrfmiddlewaretoken" value="c">'
    b'<input type="hidden" name="started" value="s"></form>'
)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # kept connections, as nginx
    seen: list[tuple[str, float, str]] = []
    delay = 0.0  # seconds before a POST is answered

    def _answer(self, status: int, body: bytes, location: str = "") -> None:
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        if location:
            self.send_header("Location", location)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        Handler.seen.append(("GET", time.monotonic(), self.client_address[0]))
        self._answer(200, FORM if self.path == "/form/" else b"page")

    def do_POST(self):
        self.rfile.read(int(self.headers["Content-Length"]))
        Handler.seen.append(("POST", time.monotonic(), self.client_address[0]))
        time.sleep(Handler.delay)
        self._answer(302, b"", location="/done/")

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    Handler.seen = []
    Handler.delay = 0.0
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd.server_address[1]
    httpd.shutdown()
    httpd.server_close()


def rush(**kwargs) -> people.LoadResult:
    """``people.rush`` on the form of the test server, in a thread of its own, as in the
    bench's process: the browser tests leave an event loop running in this one, and the
    generator runs its own (asyncio.run)."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(
            people.rush,
            host="127.0.0.1",
            form_path="/form/",
            answers="a=1",
            solve=None,
            **kwargs,
        ).result()


def test_forms_are_opened_first_then_sent_after_the_fill_time(server):
    crowd = people.people_make(
        prefix="t", domain="example.org", people=30, office=5, office_source="127.250.0.1"
    )
    fill = 0.3
    result = rush(
        port=server, connections=8, people=crowd, fill_seconds=fill, home="/", submitted=True
    )
    assert [p.outcome for p in crowd] == ["registered"] * 35
    gets = [t for method, t, _ in Handler.seen if method == "GET"]
    posts = [t for method, t, _ in Handler.seen if method == "POST"]
    assert len(posts) == 35 and len(gets) == 35 * 3  # home, form, the page after
    form_wave_end = sorted(gets)[2 * 35 - 1]  # the last of the first wave's pages
    assert min(posts) >= form_wave_end + fill
    addresses = {address for _, _, address in Handler.seen}
    assert len(addresses) == 31  # 30 people of their own, one office
    assert result.opening[0] == 70
    assert 0 < result.sending_seconds < result.seconds - fill
    assert result.measurement(35).rate == pytest.approx(35 / result.sending_seconds)


def test_paced_people_come_at_the_pace_whatever_the_server_answers(server):
    """Paced, the people come at the rate given (a Poisson process of it), in each wave, and
    do not wait for each other's answers: with one connection's cap given and a server that
    takes 0.2 s to answer a form sent, a closed loop would take 40 x 0.2 = 8 s to send them."""
    Handler.delay = 0.2
    crowd = people.people_make(
        prefix="t", domain="example.org", people=40, office=0, office_source=""
    )
    fill = 0.2
    result = rush(port=server, connections=1, people=crowd, fill_seconds=fill, rate=100.0)
    assert [p.outcome for p in crowd] == ["registered"] * 40
    gets = sorted(t for method, t, _ in Handler.seen if method == "GET")
    posts = sorted(t for method, t, _ in Handler.seen if method == "POST")
    # 40 arrivals at 100 a second: about 0.4 s in each wave (a standard deviation of 0.06 s)
    assert 0.1 < gets[-1] - gets[0] < 2.0
    assert 0.1 < posts[-1] - posts[0] < 2.0
    assert posts[0] >= gets[-1] + fill  # the sending wave after the fill time, as unpaced
    assert result.in_flight_max > 5  # no cap: about 20 forms in flight at 0.2 s each
    assert min(result.post_latencies) >= 200


def test_a_latency_is_counted_from_the_click(server):
    """A request sent late (the load generator behind its schedule) counts the delay: the
    latency is from ``since``, the person's click, not from when the request was written."""

    async def main():
        load = people.Load(host="127.0.0.1", port=server, connections=0)
        browser = Browser("127.0.0.1", server, "127.0.0.1")
        try:
            await load.send(browser, "GET", "/form/", since=time.monotonic() - 1.0)
            await load.send(browser, "GET", "/form/")
        finally:
            await browser.close()
        return load.result.latencies

    with ThreadPoolExecutor(1) as pool:
        late, on_time = pool.submit(asyncio.run, main()).result()
    assert late >= 1000
    assert on_time < 500
