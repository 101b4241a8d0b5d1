"""Check-in at the door: 4 gates scanning tickets at once through the scan API of the check-in
page (``checkin:api-scan``), as the page's script sends them: a logged-in check-in staff
session, the CSRF token in a header, a new nonce per scan, the day and the gate.

Before each run: ``people`` confirmed registrations of the rush edition with a ticket each
(made here in bulk, the ones already there kept), no check-ins recorded, four gates, one user
with the back office's role "check-in staff" and a session of theirs. After it: the check-ins
recorded are counted against the answers."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bench.db import EMAIL_DOMAIN
from bench.load import Measurement, median_of, run_wrk
from bench.procs import Processes, drain

GATES = 4
THREADS = 2
STAFF_USERNAME = "bench-checkin"
PREFIX = "checkin-"
NOT_AVAILABLE = "not yet: check-in not available"


@dataclass
class Prepared:
    path: str
    day_id: int
    gate_ids: list[int]
    session_key: str
    csrf_secret: str
    codes_file: Path


def available() -> bool:
    import importlib.util

    return importlib.util.find_spec("kongres.checkin") is not None


def prepare(*, edition_id: int, people: int, folder: Path) -> Prepared:
    """The tickets, gates, staff user and session the scans need; the check-ins emptied."""
    from django.conf import settings
    from django.contrib.auth import (
        BACKEND_SESSION_KEY,
        HASH_SESSION_KEY,
        SESSION_KEY,
        get_user_model,
    )
    from django.contrib.sessions.backends.db import SessionStore
    from django.db import transaction
    from django.urls import reverse
    from django.utils import timezone, translation

    from kongres.accounts.models import EditionRole
    from kongres.checkin.models import CheckIn, Gate
    from kongres.events.models import Day, Edition
    from kongres.registration.models import Registration, Ticket
    from kongres.registration.tickets import ticket_code_new

    edition = Edition.objects.get(pk=edition_id)
    day = Day.objects.filter(edition=edition).order_by("date").first()
    if day is None:
        raise RuntimeError("the rush edition has no days to check people in on")
    now = timezone.now()
    with transaction.atomic():
        CheckIn.objects.filter(edition=edition).delete()
        gates = [
            Gate.objects.get_or_create(edition=edition, name=f"Bench {n}", defaults={"order": n})[0]
            for n in range(1, GATES + 1)
        ]
        have = set(
            Registration.objects.filter(
                edition=edition, email__startswith=PREFIX, status=Registration.Status.CONFIRMED
            ).values_list("email", flat=True)
        )
        new = [
            Registration(
                edition=edition,
                email=f"{PREFIX}{n}@{EMAIL_DOMAIN}",
                first_name="Jan",
                last_name=f"Bramka {n}",
                status=Registration.Status.CONFIRMED,
                verified_at=now,
                confirmed_at=now,
                privacy_consent_at=now,
            )
            for n in range(1, people + 1)
            if f"{PREFIX}{n}@{EMAIL_DOMAIN}" not in have
        ]
        Registration.objects.bulk_create(new, batch_size=1000)
        registrations = list(
            Registration.objects.filter(edition=edition, email__startswith=PREFIX).values_list(
                "pk", flat=True
            )
        )
        with_ticket = set(
            Ticket.objects.filter(registration_id__in=registrations, is_active=True).values_list(
                "registration_id", flat=True
            )
        )
        Ticket.objects.bulk_create(
            [
                Ticket(registration_id=pk, code=ticket_code_new(), created_at=now)
                for pk in registrations
                if pk not in with_ticket
            ],
            batch_size=1000,
        )
        codes = list(
            Ticket.objects.filter(registration_id__in=registrations, is_active=True)
            .order_by("pk")
            .values_list("code", flat=True)
        )
        user, _ = get_user_model().objects.get_or_create(
            username=STAFF_USERNAME, defaults={"first_name": "Bench", "last_name": "Gate"}
        )
        user.set_unusable_password()
        user.save()
        EditionRole.objects.get_or_create(
            edition=edition, user=user, role=EditionRole.Role.CHECKIN_STAFF
        )
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    folder.mkdir(parents=True, exist_ok=True)
    codes_file = folder / "checkin-codes.txt"
    codes_file.write_text("\n".join(codes) + "\n")
    with translation.override("pl"):
        path = reverse("checkin:api-scan")
    return Prepared(
        path=path,
        day_id=day.pk,
        gate_ids=[gate.pk for gate in gates],
        session_key=session.session_key,
        # Django takes an unmasked token equal to the cookie's secret (32 characters).
        csrf_secret=secrets.token_hex(16),
        codes_file=codes_file,
    )


def counts(*, edition_id: int) -> dict[str, int]:
    from django.db.models import Count

    from kongres.checkin.models import CheckIn

    rows = CheckIn.objects.filter(edition_id=edition_id).values("result").annotate(n=Count("pk"))
    return {row["result"]: row["n"] for row in rows}


class Checkin:
    """The check-in scenario, one run at a time (``run_once``); ``outcome`` sums it up."""

    def __init__(
        self,
        processes: Processes,
        *,
        base_url: str,
        edition_id: int,
        people: int,
        seconds: int,
        folder: Path,
        log: Callable[[str], None],
    ) -> None:
        self.processes = processes
        self.base_url = base_url
        self.edition_id = edition_id
        self.people = people
        self.seconds = seconds
        self.folder = folder
        self.log = log
        self.measurements: list[Measurement] = []
        self.checks: list[str] = []

    def describe(self) -> str:
        return (
            f"POST checkin:api-scan, {GATES} gates (one connection each), "
            f"{self.people:,} tickets, a new nonce per scan"
        )

    def run_once(self, number: int) -> Measurement:
        from bench.db import close_connections

        prepared = prepare(edition_id=self.edition_id, people=self.people, folder=self.folder)
        close_connections()
        measurement = run_wrk(
            self.processes,
            url=f"{self.base_url}{prepared.path}",
            script="scan.lua",
            seconds=self.seconds,
            connections=GATES,
            threads=THREADS,
            script_args=[
                prepared.path,
                str(prepared.codes_file),
                str(prepared.day_id),
                ",".join(map(str, prepared.gate_ids)),
                prepared.session_key,
                prepared.csrf_secret,
                f"bench{number}-{secrets.token_hex(4)}",
                str(THREADS),
            ],
        )
        drain(f"{self.base_url}/bench/hello/")  # the scans in flight when wrk stopped
        found = counts(edition_id=self.edition_id)
        close_connections()
        self.measurements.append(measurement)
        detail = measurement.detail
        ok, repeated = found.get("ok", 0), found.get("already_checked_in", 0)
        problems = []
        if detail["s5xx"] or detail["s4xx"] - detail.get("s409", 0):
            problems.append(f"{detail['s5xx']} answers 5xx, {detail['s4xx']} 4xx")
        # Up to one scan per gate was still in flight when wrk stopped: recorded, not counted.
        if not detail["s2xx"] <= ok <= detail["s2xx"] + GATES:
            problems.append(f"{ok} check-ins recorded for {detail['s2xx']} answers 200")
        if not 0 <= repeated - detail.get("s409", 0) <= GATES:
            problems.append(f"{repeated} repeated scans recorded")
        verdict = "ok" if not problems else "FAILED: " + ", ".join(problems)
        self.checks.append(
            f"check-in run {number}: {detail['requests']:,} scans in {measurement.seconds:.1f} s "
            f"at {GATES} gates, {detail['s2xx']:,} let in (200), {detail.get('s409', 0):,} "
            f"already in (409), {detail['s5xx']} answers 5xx; recorded: {ok:,} ok, "
            f"{repeated:,} already checked in: {verdict}"
        )
        self.log(f"  check-in run {number}: {verdict}")
        return measurement

    def outcome(self) -> Measurement | None:
        return median_of(self.measurements) if self.measurements else None
