"""The registration rush: ``seats`` seats, ``people`` people, every one of them sending the real
registration form through the real view, then the database checked: exactly ``seats`` seats
taken, the rest on the waiting list, no 5xx, a mail in the outbox for each person."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlencode

from bench.db import EMAIL_DOMAIN
from bench.load import Measurement, median_of, run_wrk
from bench.procs import Processes, drain

NOT_AVAILABLE = "not yet: registration form not available"
# Filled in by the wrk script (rush.lua): the CSRF token and the hidden fields from the form
# page, the e-mail address per person.
FILLED_BY_CLIENT = {"csrfmiddlewaretoken", "email"}
NAMES = {"first_name": "Anna", "last_name": "Nowak"}


@dataclass
class Plan:
    ready: bool
    reason: str
    relaxed: list[str]
    seats: int
    people: int
    form_path: str = ""


@dataclass
class Outcome:
    measurement: Measurement | None
    checks: list[str] = field(default_factory=list)
    oversell: int | None = None


def plan(*, seats: int, people: int) -> Plan:
    """Whether the rush can run: the registration form and its services must exist."""
    from django.conf import settings
    from django.urls import NoReverseMatch, reverse
    from django.utils import translation

    relaxed = list(getattr(settings, "BENCH_RELAXED", []))
    try:
        from kongres.registration import forms, services
    except ImportError:
        return Plan(False, NOT_AVAILABLE, relaxed, seats, people)
    if not hasattr(forms, "RegistrationForm") or not hasattr(services, "registration_create"):
        return Plan(False, NOT_AVAILABLE, relaxed, seats, people)
    try:
        with translation.override("pl"):
            form_path = reverse("registration:register")
    except NoReverseMatch:
        return Plan(False, NOT_AVAILABLE, relaxed, seats, people)
    return Plan(True, "", relaxed, seats, people, form_path)


def form_body(*, edition_id: int) -> tuple[str, list[str], list[str]]:
    """The answers every person sends, URL-encoded (without the fields the client fills in),
    made from the form's own fields: each required field answered, every day chosen, the
    honeypot left empty. Also the names of the hidden fields the client sends back as the page
    gave them (the signed start time), and the form's errors for these answers, if any."""
    from django.utils import translation

    from kongres.events.models import Edition
    from kongres.events.selectors import edition_days, edition_tracks
    from kongres.registration.forms import RegistrationForm
    from kongres.registration.models import Question

    edition = Edition.objects.get(pk=edition_id)
    kwargs = {
        "edition": edition,
        "days": edition_days(edition=edition),
        "tracks": edition_tracks(edition=edition),
        "questions": list(Question.objects.filter(edition=edition).select_related("depends_on")),
    }
    with translation.override("pl"):
        blank = RegistrationForm(**kwargs)
        pairs: list[tuple[str, str]] = []
        hidden = [name for name, form_field in blank.fields.items() if form_field.widget.is_hidden]
        for name, form_field in blank.fields.items():
            if name in FILLED_BY_CLIENT or name in hidden:
                continue
            if name == "days":
                pairs += [(name, str(value)) for value, _label in form_field.choices]
                continue
            if not form_field.required:
                continue
            pairs += [(name, value) for value in _answer(name, form_field)]
        started = RegistrationForm.sign_started(time.time() - 3600)
        sample = [*pairs, ("email", f"check@{EMAIL_DOMAIN}"), ("started", started)]
        check = RegistrationForm(_query_dict(sample), **kwargs)
        errors = [f"{key}: {' '.join(value)}" for key, value in check.errors.items()]
    return urlencode(pairs), hidden, errors


def _query_dict(pairs: list[tuple[str, str]]):
    from django.http import QueryDict

    data = QueryDict(mutable=True)
    for name, value in pairs:
        data.appendlist(name, value)
    return data


def _answer(name: str, form_field) -> list[str]:
    from django import forms

    if isinstance(form_field, forms.BooleanField):
        return ["on"]
    choices = [str(value) for value, _label in getattr(form_field, "choices", []) if value != ""]
    if isinstance(form_field, forms.MultipleChoiceField):
        return choices[:1]
    if choices:
        return choices[:1]
    return [NAMES.get(name, "Bench")]


def form_served(url: str) -> bool:
    """Whether the page at ``url`` is the registration form (with its CSRF token and the
    signed start time the client sends back)."""
    import urllib.request

    with urllib.request.urlopen(url, timeout=60) as response:  # noqa: S310 - 127.0.0.1
        page = response.read().decode("utf-8", "replace")
    return 'name="csrfmiddlewaretoken"' in page and 'name="started"' in page


def reset(*, edition_id: int, seats: int) -> None:
    """An empty edition of ``seats`` seats, open for registration, days without limits; the
    outbox, the task queue and the edition's audit log emptied (the bench database is the
    bench's own), the tables vacuumed."""
    from django.db import transaction
    from django.utils import timezone

    from bench.db import queues_clear, vacuum
    from kongres.audit.models import AuditLogEntry
    from kongres.core.cache import content_changed
    from kongres.events.models import Day, Edition
    from kongres.registration.models import Registration, SeatPool

    now = timezone.now()
    with transaction.atomic():
        Registration.objects.filter(edition_id=edition_id).delete()
        Edition.objects.filter(pk=edition_id).update(
            capacity=seats,
            registration_opens_at=now - dt.timedelta(hours=1),
            registration_closes_at=None,
            requires_approval=False,
        )
        Day.objects.filter(edition_id=edition_id).update(capacity=None)
        SeatPool.objects.filter(edition_id=edition_id, day__isnull=False).update(
            capacity=None, taken=0, overbooked=0
        )
        SeatPool.objects.update_or_create(
            edition_id=edition_id,
            day=None,
            defaults={"capacity": seats, "taken": 0, "overbooked": 0},
        )
        queues_clear()
        AuditLogEntry.objects.filter(edition_id=edition_id).delete()
        content_changed()  # the server's processes read the edition again (memoized)
    vacuum()


@dataclass
class Check:
    taken: int
    pool_taken: int
    waiting: int
    registrations: int
    mails: int
    other: dict[str, int]


def check(*, edition_id: int, prefix: str) -> Check:
    from django.db.models import Count

    from kongres.mail.models import OutboxMessage
    from kongres.registration.models import SEAT_STATUSES, Registration, SeatPool

    rows = (
        Registration.objects.filter(edition_id=edition_id, email__startswith=prefix)
        .values("status")
        .annotate(n=Count("pk"))
    )
    by_status = {row["status"]: row["n"] for row in rows}
    taken = sum(n for status, n in by_status.items() if status in SEAT_STATUSES)
    waiting_statuses = {Registration.Status.WAITING, Registration.Status.WAITING_UNVERIFIED}
    waiting = sum(n for status, n in by_status.items() if status in waiting_statuses)
    pool = SeatPool.objects.filter(edition_id=edition_id, day__isnull=True).first()
    mails = OutboxMessage.objects.filter(to__startswith=prefix).values("to").distinct().count()
    other = {
        status: n
        for status, n in by_status.items()
        if status not in SEAT_STATUSES and status not in waiting_statuses
    }
    return Check(
        taken=taken,
        pool_taken=pool.taken if pool else 0,
        waiting=waiting,
        registrations=sum(by_status.values()),
        mails=mails,
        other=other,
    )


class Rush:
    """The rush, one run at a time (``run_once``), so that its runs can alternate with those of
    the ceilings; ``outcome`` sums them up."""

    def __init__(
        self,
        processes: Processes,
        *,
        plan: Plan,
        base_url: str,
        connections: int,
        threads: int,
        edition_id: int,
        log: Callable[[str], None],
    ) -> None:
        self.processes = processes
        self.plan = plan
        self.base_url = base_url
        self.connections = connections
        self.threads = threads
        self.edition_id = edition_id
        self.log = log
        self.quota = plan.people // threads
        self.upper_bound = max(120, plan.people // 5)
        self.body = ""
        self.hidden: list[str] = []
        self.measurements: list[Measurement] = []
        self.checks: list[str] = []
        self.oversell = 0
        self.filled = True

    def start(self) -> str:
        """Check that the form is served and can be filled in; the reason if not, else ""."""
        from bench.db import close_connections

        if not form_served(f"{self.base_url}{self.plan.form_path}"):
            return NOT_AVAILABLE
        self.body, self.hidden, errors = form_body(edition_id=self.edition_id)
        close_connections()
        if errors:
            return f"failed: the bench cannot fill in the form: {'; '.join(errors)}"
        return ""

    def describe(self) -> str:
        return (
            f"{self.plan.seats} seats, {self.plan.people:,} people, {self.connections} "
            f"connections (a run ends when everyone has sent the form; at most "
            f"{self.upper_bound} s)"
        )

    def run_once(self, number: int) -> Measurement:
        from bench.db import close_connections

        plan = self.plan
        reset(edition_id=self.edition_id, seats=plan.seats)
        close_connections()
        prefix = f"rush{number}-{int(time.time())}"
        measurement = run_wrk(
            self.processes,
            url=f"{self.base_url}{plan.form_path}",
            script="rush.lua",
            seconds=self.upper_bound,
            connections=self.connections,
            threads=self.threads,
            script_args=[
                plan.form_path,
                str(self.quota),
                self.body,
                "",
                prefix,
                EMAIL_DOMAIN,
                ",".join(self.hidden),
            ],
            stop_when_threads_done=True,
        )
        drain(f"{self.base_url}/bench/hello/")  # the requests still in flight
        found = check(edition_id=self.edition_id, prefix=prefix)
        close_connections()
        # completed registrations per second of the whole rush (first GET to last answer)
        measurement.rate = found.registrations / measurement.seconds
        self.measurements.append(measurement)
        self.oversell = max(self.oversell, found.taken - plan.seats, found.pool_taken - plan.seats)
        self.filled = self.filled and found.registrations == plan.people
        problems = []
        if found.taken != plan.seats or found.pool_taken != plan.seats:
            problems.append(f"{found.taken} seats taken (seat pool: {found.pool_taken})")
        if found.waiting != plan.people - plan.seats:
            problems.append(f"{found.waiting} waiting")
        if found.registrations != plan.people:
            problems.append(f"{found.registrations} registrations")
        if found.other:
            problems.append(f"other statuses {found.other}")
        if measurement.detail["s5xx"]:
            problems.append(f"{measurement.detail['s5xx']} answers 5xx")
        if found.mails != plan.people:
            problems.append(f"{found.mails} mails in the outbox")
        if not measurement.detail["complete"]:
            problems.append(f"not finished within {self.upper_bound} s")
        verdict = "ok" if not problems else "FAILED: " + ", ".join(problems)
        self.checks.append(
            f"rush run {number}: {found.taken} seats taken (seat pool {found.pool_taken}), "
            f"{found.waiting:,} waiting, {found.registrations:,} registrations of "
            f"{plan.people:,} people, {measurement.detail['s5xx']} answers 5xx, "
            f"{found.mails:,} of {plan.people:,} mails in the outbox, "
            f"{measurement.detail['posts']:,} posts, {measurement.detail['again']} hello GETs "
            f"at the tail and {measurement.detail['gets']} form GETs in "
            f"{measurement.seconds:.1f} s: "
            f"{verdict}"
        )
        self.log(f"  rush run {number}: {verdict}")
        return measurement

    def outcome(self) -> Outcome:
        # Oversell is judged only on rushes in which everyone got an answer: an empty rush
        # cannot oversell, but says nothing either.
        oversell = max(0, self.oversell) if self.filled or self.oversell > 0 else None
        measurement = median_of(self.measurements) if self.measurements else None
        return Outcome(measurement, self.checks, oversell)
