"""The JSON API under load (issue 21), on the main server of ``python -m bench``, in the same
rounds as the ceilings it is read against:

- ``api-programme``: ``GET /api/v1/editions/<slug>/sessions``, the public programme as JSON
  (cached like the public pages), against the hello-world ceiling;
- ``api-register``: ``POST /api/v1/editions/<id>/registrations`` with a token of scope
  ``write_registrations``, each request a new person (``bench/wrk/api_register.lua``), through
  ``registration_create`` (seat, verification mail in the outbox, audit), against the naive-ORM
  ceiling. Before each run the rush's edition is reset (``rush.reset``) with room for everyone,
  so that every request takes a seat; the figure is registrations made (201) per second, and
  the database is checked against the answers.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable

from bench.load import Measurement, run_wrk
from bench.procs import Processes, drain

EMAIL_DOMAIN = "api.bench.example.org"
TOKEN_NAME = "bench"  # noqa: S105 -- the token's name, not its secret
# room for every person of a run: each API registration takes a seat, none waits
SEATS = 1_000_000


def programme_path() -> str:
    """The public programme of the edition the site shows, as JSON."""
    from kongres.events.selectors import edition_current

    return f"/api/v1/editions/{edition_current().slug}/sessions"


def token_create(*, edition_id: int) -> str:
    """A new token of the edition for the bench (earlier runs' revoked); its secret."""
    from django.utils import timezone

    from kongres.accounts.models import ApiToken
    from kongres.accounts.services import api_token_create
    from kongres.events.models import Edition

    ApiToken.objects.filter(name=TOKEN_NAME, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    edition = Edition.objects.get(pk=edition_id)
    return api_token_create(
        edition=edition, name=TOKEN_NAME, scopes=["write_registrations"], actor=None
    )[1]


def body_parts(*, edition_id: int) -> tuple[str, str]:
    """The JSON body every person sends, split where the e-mail address goes: every day of
    the edition chosen, the privacy notice accepted."""
    from kongres.events.models import Day

    days = list(
        Day.objects.filter(edition_id=edition_id).order_by("pk").values_list("pk", flat=True)
    )
    before = {"first_name": "Anna", "last_name": "Bench", "institution": "Urząd (bench)"}
    after = {"privacy_consent": True, "days": days, "language": "pl"}
    head = json.dumps(before, ensure_ascii=False)[:-1] + ', "email": '
    tail = ", " + json.dumps(after)[1:]
    return head, tail


def made(*, edition_id: int, prefix: str) -> tuple[int, int]:
    """(registrations, verification mails in the outbox) of the run with ``prefix``."""
    from django.db import connection, transaction

    from kongres.mail.models import OutboxMessage
    from kongres.registration.models import Registration

    # Both counts from one snapshot: a request still in flight commits a registration and its
    # mail together, which two statements of READ COMMITTED could see on either side.
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        mine = Registration.objects.filter(edition_id=edition_id, email__startswith=f"{prefix}-")
        mails = OutboxMessage.objects.filter(to__startswith=f"{prefix}-").count()
        return mine.count(), mails


class ApiRegister:
    """API registration create, one run at a time (``run_once``)."""

    def __init__(
        self,
        processes: Processes,
        *,
        base_url: str,
        edition_id: int,
        connections: int,
        threads: int,
        seconds: int,
        log: Callable[[str], None],
    ) -> None:
        self.processes = processes
        self.base_url = base_url
        self.edition_id = edition_id
        self.connections = connections
        self.threads = threads
        self.seconds = seconds
        self.log = log
        self.path = f"/api/v1/editions/{edition_id}/registrations"
        self.secret = ""
        self.head = self.tail = ""
        self.checks: list[str] = []

    def describe(self) -> str:
        return f"POST {self.path} (a token, a new person each, room for all)"

    def start(self) -> str:
        """A token and one registration sent as the runs send them; the reason if it is not
        answered 201, else ""."""
        from bench.db import close_connections
        from bench.rush import reset
        from kongres.events.models import Edition

        slug = Edition.objects.get(pk=self.edition_id).slug
        self.path = f"/api/v1/editions/{slug}/registrations"
        self.secret = token_create(edition_id=self.edition_id)
        self.head, self.tail = body_parts(edition_id=self.edition_id)
        reset(edition_id=self.edition_id, seats=SEATS)
        close_connections()
        body = (self.head + json.dumps(f"check@{EMAIL_DOMAIN}") + self.tail).encode()
        request = urllib.request.Request(  # noqa: S310 -- http://127.0.0.1, the bench server
            self.base_url + self.path,
            data=body,
            method="POST",
            headers={"Authorization": f"Bearer {self.secret}", "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                status = response.status
        except urllib.error.HTTPError as error:
            return f"failed: the API answered {error.code}: {error.read()[:300]!r}"
        return "" if status == 201 else f"failed: the API answered {status}"

    def run_once(self, number: int) -> Measurement:
        from bench.db import close_connections
        from bench.rush import reset

        reset(edition_id=self.edition_id, seats=SEATS)
        close_connections()
        prefix = f"api{number}-{int(time.time())}"
        measurement = run_wrk(
            self.processes,
            url=f"{self.base_url}{self.path}",
            script="api_register.lua",
            seconds=self.seconds,
            connections=self.connections,
            threads=self.threads,
            script_args=[self.secret, self.head, self.tail, prefix, EMAIL_DOMAIN],
        )
        drain(f"{self.base_url}/bench/hello/")  # the requests still in flight
        registrations, mails = made(edition_id=self.edition_id, prefix=prefix)
        close_connections()
        created = measurement.detail["s2xx"]
        # registrations made per second (a refused request counts as an error, not a rate)
        measurement.rate = created / measurement.seconds if measurement.seconds else 0.0
        problems = []
        if measurement.errors or measurement.detail["s4xx"] or measurement.detail["s5xx"]:
            problems.append(
                f"{measurement.detail['s4xx']} answers 4xx, {measurement.detail['s5xx']} 5xx, "
                f"{measurement.errors} errors"
            )
        # up to one request per connection in flight when wrk stopped is made but not counted
        if not created <= registrations <= created + self.connections:
            problems.append(f"{registrations} registrations for {created} answers 201")
        if mails != registrations:
            problems.append(f"{mails} mails in the outbox for {registrations} registrations")
        verdict = "ok" if not problems else "FAILED: " + ", ".join(problems)
        self.checks.append(
            f"api-register run {number}: {created:,} answers 201, {registrations:,} "
            f"registrations, {mails:,} mails in the outbox in {measurement.seconds:.1f} s: "
            f"{verdict}"
        )
        self.log(f"  api-register run {number}: {verdict}")
        return measurement
