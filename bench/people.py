"""The load generator of the production-shape bench: people, each from a loopback address of
its own (``bench/client.py``), through nginx.

- ``rush``: the people open the registration form first (every one of them: the wave of form
  pages when registration opens), then fill it in: each waits the minimum fill time (plus up
  to a second) counted from the moment the last form was opened, as people who take longer
  than the wave to fill in the form do (they take minutes; the bench's fill time is seconds,
  shorter than the wave of a few thousand forms, so counting it from each person's own form
  would mix the two waves, which people do not); then every one sends it with the form's
  one-time token. A form that carries the proof of work (opened past the soft limit of its
  address: an office) is solved while the person fills it in, from the start of the fill
  time, as the widget is ticked and solves while they type; a form sent back asking for it
  (sent past the soft limit without a proof) is solved and sent again, as the browser does.
  The page is read (its hidden fields, its challenge) and the form's data made at the start
  of the fill time too, as a browser has them before the person clicks: the load generator's
  own work in the sending wave is the requests'. At most ``connections`` requests are in
  flight at once (the rest of the people are reading the form or waiting for their
  turn), so that the latency is the server's, not that of an unbounded queue. The rush's rate
  is the registrations over the sending wave (from the first form sent to the last answer);
  the forms' wave is reported apart (``LoadResult.opening``). This is the rush at its
  ceiling: the site's capacity. Its latency is that of a closed loop of ``connections``
  requests at that ceiling, 64 in flight divided by the rate (Little's law): it says how
  fast the site is, not how long a person waits.
- ``rush`` with ``rate``: the same people at a given pace, as people come, whatever the
  server answers (an open loop, no cap on the requests in flight): each opens the form at a
  time of a Poisson process of ``rate`` a second, and after the fill time (counted from the
  last form opened, as above) each sends it at a time of another such process. A request's
  latency is counted from the moment the person clicked (the time drawn), so that a load
  generator that fell behind adds its delay to the figure instead of hiding it.
- ``flow``: the whole flow of a new visitor: home page, form, wait, send, the page after.
- ``naive``: the naive-ORM ceiling with the same client: ``connections`` clients in a closed
  loop, each from an address of its own, for ``seconds``.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import urlencode

from bench.client import Browser, HTTPError, form_fields, proof_challenge, source_address
from bench.load import Measurement, percentile


@dataclass
class Person:
    email: str
    source: str
    office: bool = False
    outcome: str = ""  # "registered", "refused 429", "failed …", "form error"
    posts: int = 0
    proofs: int = 0
    used_token: str = ""
    finished: float = 0.0  # time.time() of the last answer
    bodies: list[str] = field(default_factory=list)  # the pages of failed answers (5xx)


@dataclass
class LoadResult:
    seconds: float
    latencies: list[float] = field(default_factory=list)  # ms, every request
    post_latencies: list[float] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)
    people: list[Person] = field(default_factory=list)
    requests: int = 0
    started: float = 0.0  # time.time() of the first request
    ended: float = 0.0
    # the rush's two waves: (requests, seconds) of opening the forms; seconds of sending them
    opening: tuple[int, float] = (0, 0.0)
    sending_seconds: float = 0.0
    in_flight_max: int = 0  # requests in flight at once, at most

    def measurement(self, completed: int) -> Measurement:
        """Completed per second of the sending wave (of the whole run when there is none);
        the latencies of every request, both waves."""
        ordered = sorted(self.latencies)
        errors = sum(n for status, n in self.statuses.items() if not 200 <= status < 400)
        seconds = self.sending_seconds or self.seconds
        return Measurement(
            rate=completed / seconds if seconds else 0.0,
            p50=percentile(ordered, 50),
            p95=percentile(ordered, 95),
            p99=percentile(ordered, 99),
            errors=errors,
            requests=self.requests,
            seconds=self.seconds,
            detail={"statuses": dict(self.statuses)},
        )


class Load:
    def __init__(self, *, host: str, port: int, connections: int) -> None:
        """``connections``: requests in flight at most (0: no cap, an open loop)."""
        self.host = host
        self.port = port
        self.slots = asyncio.Semaphore(connections) if connections > 0 else None
        self.result = LoadResult(seconds=0.0)
        self.first_post = 0.0  # time.monotonic() when the first POST was sent
        self.in_flight = 0
        self.in_flight_max = 0

    async def send(
        self, browser: Browser, method: str, path: str, body: bytes = b"", *, since: float = 0.0
    ):
        """One request; its latency counted from ``since`` (``time.monotonic()`` when the
        person clicked) when given, else from when it was written."""
        async with self.slots or contextlib.nullcontext():
            if not self.result.started:
                self.result.started = time.time()
            if method == "POST" and not self.first_post:
                self.first_post = time.monotonic()
            self.in_flight += 1
            self.in_flight_max = max(self.in_flight_max, self.in_flight)
            try:
                response = await browser.request(method, path, body=body)
            except HTTPError:
                self.result.statuses[0] += 1
                self.result.requests += 1
                raise
            finally:
                self.in_flight -= 1
        seconds = time.monotonic() - since if since else response.seconds
        self.result.requests += 1
        self.result.latencies.append(seconds * 1000)
        if method == "POST":
            self.result.post_latencies.append(seconds * 1000)
        self.result.statuses[response.status] += 1
        return response


def _body(answers: str, fields: dict[str, str], person: Person, altcha: str) -> bytes:
    extra = {"email": person.email, **fields}
    if altcha:
        extra["altcha"] = altcha
    return (answers + "&" + urlencode(extra)).encode()


async def _open(
    load: Load, browser: Browser, person: Person, *, form_path: str, home: str, at: float = 0.0
):
    """The first wave: the home page (``home``), then the form; the form page's text, or None
    when it could not be had (the outcome says why). ``at``: the ``time.monotonic()`` at which
    the person comes (paced), else at once."""
    try:
        await _until(at)
        if home:
            await load.send(browser, "GET", home, since=at)
        page = await load.send(browser, "GET", form_path, since=0.0 if home else at)
    except HTTPError as error:
        person.outcome = f"failed: {str(error)[:80]}"
        return None
    if page.status != 200:
        person.outcome = f"form page {page.status}"
        person.bodies.append(page.text[:2000])
        return None
    return page.text


@dataclass
class Form:
    """A form page as the browser holds it: its hidden fields and its proof-of-work challenge,
    read when the page came (a browser has parsed the page long before the person sends it)."""

    fields: dict[str, str]
    challenge: str | None

    @classmethod
    def read(cls, text: str) -> Form:
        return cls(form_fields(text), proof_challenge(text))


async def _filled_in(form: Form, person: Person, *, answers: str, solve) -> bytes:
    """The form's data as the person sends it, with the proof of work if the form asks for one
    (solved by the widget in a thread, as the browser does in a worker)."""
    altcha = ""
    if form.challenge:
        person.proofs += 1
        altcha = await asyncio.get_running_loop().run_in_executor(None, solve, form.challenge)
    return _body(answers, form.fields, person, altcha)


async def _send(
    load: Load,
    browser: Browser,
    person: Person,
    form: Form,
    *,
    form_path: str,
    answers: str,
    solve,
    submitted: bool,
    body: bytes = b"",
    at: float = 0.0,
) -> None:
    """The second wave: send the form (``body``: as filled in, with the proof of work solved
    meanwhile if the form asked for one; again with one when the answer asks for it), then the
    page it leads to (``submitted``). ``at``: the ``time.monotonic()`` of the click (paced)."""
    for _attempt in range(3):
        body = body or await _filled_in(form, person, answers=answers, solve=solve)
        person.used_token = form.fields.get("started", "")
        person.posts += 1
        answer = await load.send(browser, "POST", form_path, body, since=at)
        at = 0.0  # a form sent again is sent when its answer came
        person.finished = time.time()
        if answer.status == 302:
            person.outcome = "registered"
            if submitted:
                await load.send(browser, "GET", answer.headers.get("location", "/"))
            return
        if answer.status == 429:
            person.outcome = "refused 429"
            return
        if answer.status != 200:
            person.outcome = f"failed {answer.status}"
            person.bodies.append(answer.text[:2000])
            return
        form, body = Form.read(answer.text), b""  # the form again, a proof asked for
        if not form.challenge:
            person.outcome = "form error"
            return
    person.outcome = "form error"


async def _until(at: float) -> None:
    if at:
        await asyncio.sleep(max(0.0, at - time.monotonic()))


def _arrivals(count: int, rate: float, start: float) -> list[float]:
    """``count`` times of a Poisson process of ``rate`` a second from ``start`` (all at
    ``start``, i.e. unpaced, when ``rate`` is 0)."""
    if not rate:
        return [0.0] * count
    times, at = [], start
    for _n in range(count):
        at += random.expovariate(rate)
        times.append(at)
    return times


def people_make(*, prefix: str, domain: str, people: int, office: int, office_source: str):
    """``people`` people from addresses of their own (127.1.0.1, 127.1.0.2, …) and ``office``
    people from one address."""
    found = [Person(f"{prefix}-{n}@{domain}", source_address(n)) for n in range(people)]
    found += [
        Person(f"{prefix}-office-{n}@{domain}", office_source, office=True) for n in range(office)
    ]
    random.shuffle(found)
    return found


async def _crowd(
    load: Load,
    people: list[Person],
    *,
    form_path: str,
    answers: str,
    fill_seconds: float,
    solve,
    home: str | None,
    submitted: bool,
    rate: float = 0.0,
) -> LoadResult:
    """Both waves (the module's docstring); every person keeps a connection and cookies of
    their own from the first request to the last. ``rate``: paced, people a second."""
    result = load.result
    browsers = [Browser(load.host, load.port, person.source) for person in people]
    started = time.monotonic()
    try:
        pages = await asyncio.gather(
            *(
                _open(load, browser, person, form_path=form_path, home=home or "", at=at)
                for browser, person, at in zip(
                    browsers, people, _arrivals(len(people), rate, started), strict=True
                )
            )
        )
        opened = time.monotonic()
        result.opening = (result.requests, opened - started)
        clicks = _arrivals(len(people), rate, opened + fill_seconds)

        async def fill_and_send(browser: Browser, person: Person, text: str, at: float) -> None:
            # the person fills in the form (and ticks the proof of work, if asked for) while
            # the fill time runs
            form = Form.read(text)
            filling = asyncio.ensure_future(_filled_in(form, person, answers=answers, solve=solve))
            if at:
                await _until(at)
            else:
                await asyncio.sleep(fill_seconds + random.random())
            try:
                body = await filling
                await _send(
                    load,
                    browser,
                    person,
                    form,
                    form_path=form_path,
                    answers=answers,
                    solve=solve,
                    submitted=submitted,
                    body=body,
                    at=at,
                )
            except HTTPError as error:
                person.outcome = f"failed: {str(error)[:80]}"

        await asyncio.gather(
            *(
                fill_and_send(browser, person, text, at)
                for browser, person, text, at in zip(browsers, people, pages, clicks, strict=True)
                if text is not None
            )
        )
    finally:
        await asyncio.gather(*(browser.close() for browser in browsers))
    ended = time.monotonic()
    result.seconds = ended - started
    result.ended = time.time()
    result.people = people
    # from the first form sent to the last answer
    result.sending_seconds = ended - load.first_post if load.first_post else 0.0
    return result


def rush(
    *,
    host: str,
    port: int,
    connections: int,
    people: list[Person],
    form_path: str,
    answers: str,
    fill_seconds: float,
    solve,
    home: str | None = None,
    submitted: bool = False,
    rate: float = 0.0,
) -> LoadResult:
    """Run the people (see the module's docstring); blocking. ``rate``: paced at ``rate``
    people a second in each wave, with no cap on the requests in flight (``connections`` is
    then not used)."""

    async def main() -> LoadResult:
        load = Load(host=host, port=port, connections=0 if rate else connections)
        result = await _crowd(
            load,
            people,
            form_path=form_path,
            answers=answers,
            fill_seconds=fill_seconds,
            solve=solve,
            home=home,
            submitted=submitted,
            rate=rate,
        )
        result.in_flight_max = load.in_flight_max
        return result

    return asyncio.run(main())


def naive(*, host: str, port: int, connections: int, path: str, seconds: float) -> LoadResult:
    """The naive-ORM ceiling through nginx with this client: a closed loop per connection."""

    async def client(load: Load, number: int, until: float) -> None:
        browser = Browser(host, port, source_address(number, base=200))
        try:
            while time.monotonic() < until:
                try:
                    await load.send(browser, "POST", path)
                except HTTPError:
                    await asyncio.sleep(0.01)
        finally:
            await browser.close()

    async def main() -> LoadResult:
        load = Load(host=host, port=port, connections=connections)
        started = time.monotonic()
        until = started + seconds
        await asyncio.gather(*(client(load, n, until) for n in range(connections)))
        load.result.seconds = time.monotonic() - started
        load.result.ended = time.time()
        return load.result

    return asyncio.run(main())


async def _replay_one(host: str, port: int, source: str, form_path: str, body: bytes) -> int:
    browser = Browser(host, port, source)
    try:
        page = await browser.request("GET", form_path)  # a CSRF cookie and token of its own
        fields = form_fields(page.text)
        body += b"&" + urlencode({"csrfmiddlewaretoken": fields["csrfmiddlewaretoken"]}).encode()
        answer = await browser.request("POST", form_path, body=body)
        return answer.status
    finally:
        await browser.close()


def replay(
    *,
    host: str,
    port: int,
    form_path: str,
    answers: str,
    tokens: list[str],
    prefix: str,
    domain: str,
) -> list[tuple[str, int]]:
    """Send each used form token again, with a new e-mail address each, from a new address
    (a bot replaying a captured form): the (e-mail, status) of each; none may register."""

    async def main():
        found = []
        for number, token in enumerate(tokens):
            email = f"{prefix}-replay-{number}@{domain}"
            body = (answers + "&" + urlencode({"email": email, "started": token})).encode()
            status = await _replay_one(
                host, port, source_address(number, base=220), form_path, body
            )
            found.append((email, status))
        return found

    return asyncio.run(main())
