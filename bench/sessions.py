"""The session sign-up rush (issue 18): ``people`` confirmed participants of the rush edition,
each known by the participant cookie their personal page sets, sign up at once for a session
of 30 places and one of 200 through the real view (``registration:session-signup``); then the
database is checked: exactly 30 and 200 signed up, the rest waiting, the counters equal to
the sign-ups, no 5xx."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bench.load import Measurement, median_of, run_wrk
from bench.procs import Processes, drain

CAPACITIES = (30, 200)
SLUG = "bench-signup-{}"


@dataclass
class Outcome:
    measurement: Measurement | None
    checks: list[str] = field(default_factory=list)
    over_capacity: int | None = None


def prepare(*, edition_id: int, people: int, folder: Path) -> tuple[list[int], Path]:
    """The two sessions (made once) and ``people`` confirmed participants with their cookies
    (written to a file, one a line). Returns the sessions' ids and the file."""
    from django.utils import timezone

    from kongres.events.models import Edition, Session
    from kongres.registration.links import link_tokens
    from kongres.registration.models import Registration

    edition = Edition.objects.get(pk=edition_id)
    # in the evening, after the programme: the public pages measured stay the demo's
    starts = timezone.make_aware(dt.datetime.combine(edition.end_date, dt.time(19, 0)))
    ids = []
    for number, capacity in enumerate(CAPACITIES):
        session, _created = Session.objects.update_or_create(
            edition=edition,
            slug=SLUG.format(capacity),
            defaults={
                "title_pl": f"Bench: sesja na {capacity} miejsc",
                "kind": Session.Kind.WORKSHOP,
                "signup_mode": Session.SignupMode.SIGNUP,
                "capacity": capacity,
                "room": None,
                "track": None,
                "starts_at": starts + dt.timedelta(hours=2 * number),
                "ends_at": starts + dt.timedelta(hours=2 * number + 1),
            },
        )
        ids.append(session.pk)
    now = timezone.now()
    Registration.objects.filter(edition=edition, email__startswith="signup-").delete()
    made = Registration.objects.bulk_create(
        Registration(
            edition=edition,
            status=Registration.Status.CONFIRMED,
            email=f"signup-{n}@bench.example.org",
            first_name="Anna",
            last_name=f"Bench {n}",
            verified_at=now,
            confirmed_at=now,
            privacy_consent_at=now,
        )
        for n in range(people)
    )
    tokens = link_tokens(registration_ids=[registration.pk for registration in made])
    path = folder / "signup-cookies.txt"
    path.write_text("".join(f"{_cookie(tokens[r.pk])}\n" for r in made))
    return ids, path


def _cookie(token: str) -> str:
    """The participant cookie's value their personal page would set (signed as Django signs
    it: through a response)."""
    from django.http import HttpResponse

    from kongres.core.cache import PARTICIPANT_COOKIE
    from kongres.registration.sessions import participant_cookie_set

    response = HttpResponse()
    participant_cookie_set(response, token=token)
    return response.cookies[PARTICIPANT_COOKIE].value


def reset(*, session_ids: list[int]) -> None:
    from kongres.registration.models import SessionPlaces, SessionSignup

    SessionSignup.objects.filter(session_id__in=session_ids).delete()
    SessionPlaces.objects.filter(session_id__in=session_ids).delete()


def check(*, session_ids: list[int]) -> dict[int, tuple[int, int, int, int]]:
    """Per session: (capacity, signed up, waiting, counter)."""
    from django.db.models import Count

    from kongres.events.models import Session
    from kongres.registration.models import SessionPlaces, SessionSignup

    found = {}
    for session in Session.objects.filter(pk__in=session_ids):
        rows = dict(
            SessionSignup.objects.filter(session=session)
            .values_list("status")
            .annotate(n=Count("pk"))
        )
        places = SessionPlaces.objects.filter(session=session).first()
        found[session.pk] = (
            session.capacity,
            rows.get("signed_up", 0) + rows.get("offered", 0),
            rows.get("waiting", 0),
            places.taken if places else 0,
        )
    return found


class SessionRush:
    def __init__(
        self,
        processes: Processes,
        *,
        base_url: str,
        form_path: str,
        connections: int,
        threads: int,
        edition_id: int,
        people: int,
        folder: Path,
        log: Callable[[str], None],
    ) -> None:
        from django.urls import reverse
        from django.utils import translation

        from bench.db import close_connections

        self.processes, self.base_url, self.form_path = processes, base_url, form_path
        self.connections, self.threads, self.log = connections, threads, log
        self.people, self.edition_id, self.folder = people, edition_id, folder
        self.quota = people // threads
        self.session_ids, self.cookies = prepare(
            edition_id=edition_id, people=people, folder=folder
        )
        with translation.override("pl"):
            self.paths = [
                reverse("registration:session-signup", kwargs={"pk": pk}) for pk in self.session_ids
            ]
        close_connections()
        self.measurements: list[Measurement] = []
        self.checks: list[str] = []
        self.over = 0
        self.upper_bound = max(120, people // 5)

    def describe(self) -> str:
        return (
            f"{self.people:,} participants sign up for a session of {CAPACITIES[0]} and one of "
            f"{CAPACITIES[1]} places, {self.connections} connections"
        )

    def run_once(self, number: int) -> Measurement:
        from bench.db import close_connections, vacuum

        # the participants made again: the registration rush empties the edition before its
        # runs
        self.session_ids, self.cookies = prepare(
            edition_id=self.edition_id, people=self.people, folder=self.folder
        )
        reset(session_ids=self.session_ids)
        # the new participants in the statistics, as weeks of registrations would be in
        # production (stale ones had the sign-up's read planned from the wrong index)
        vacuum()
        close_connections()
        measurement = run_wrk(
            self.processes,
            url=f"{self.base_url}{self.form_path}",
            script="signup.lua",
            seconds=self.upper_bound,
            connections=self.connections,
            threads=self.threads,
            script_args=[self.form_path, str(self.quota), str(self.cookies), ",".join(self.paths)],
            stop_when_threads_done=True,
        )
        drain(f"{self.base_url}/bench/hello/")
        found = check(session_ids=self.session_ids)
        close_connections()
        done = sum(signed + waiting for _c, signed, waiting, _t in found.values())
        measurement.rate = done / measurement.seconds
        self.measurements.append(measurement)
        problems = []
        parts = []
        for capacity, signed, waiting, taken in found.values():
            self.over = max(self.over, signed - capacity, taken - capacity)
            parts.append(f"{signed}/{capacity} signed up (counter {taken}), {waiting} waiting")
            if signed != capacity or taken != capacity:
                problems.append(f"{signed} signed up for {capacity} places (counter {taken})")
            if signed + waiting != self.quota * self.threads:
                problems.append(f"{signed + waiting} sign-ups of {self.quota * self.threads}")
        if measurement.detail["s5xx"]:
            problems.append(f"{measurement.detail['s5xx']} answers 5xx")
        verdict = "ok" if not problems else "FAILED: " + ", ".join(problems)
        self.checks.append(
            f"sessions run {number}: {'; '.join(parts)}; {measurement.detail['posts']:,} posts "
            f"in {measurement.seconds:.1f} s: {verdict}"
        )
        self.log(f"  sessions run {number}: {verdict}")
        return measurement

    def outcome(self) -> Outcome:
        measurement = median_of(self.measurements) if self.measurements else None
        return Outcome(measurement, self.checks, max(0, self.over))
