"""Check-in for external scanners (scope ``checkin``): a scan by ticket code with a nonce
(``checkin_perform``, the phone page's service: the same nonce again gets the first answer;
a second scan the same day is ``already_checked_in``, 409), the counts per day and gate, and
the list of valid tickets to download."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Prefetch
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import Field, Router, Schema, Status

from kongres.accounts.models import ApiToken
from kongres.api.auth import TokenAuth, token_access
from kongres.api.errors import TOKEN, ApiError, Error, Id, Text
from kongres.checkin import selectors
from kongres.checkin.models import CheckIn
from kongres.checkin.services import NONCE_MAX_LENGTH, checkin_perform
from kongres.events.models import Day, Edition
from kongres.registration.models import Registration, Ticket

router = Router(tags=["check-in"], auth=TokenAuth())
SCOPE = ApiToken.Scope.CHECKIN


class ScanIn(Schema):
    code: Text = Field(min_length=1, max_length=64)
    nonce: Text = Field(
        min_length=1,
        max_length=NONCE_MAX_LENGTH,
        description="A new random value per scan; a scan sent again with it gets the first answer.",
    )
    day: Id | None = Field(None, description="A day's id; by default today (or the next day).")
    gate: Id | None = None
    at: dt.datetime | None = Field(None, description="When it was scanned (an offline scanner).")


class PreviousOut(Schema):
    at: str
    time: str
    gate: str
    staff: str


class ScanOut(Schema):
    ok: bool
    code: str
    headline: str
    message: str
    nonce: str
    repeated: bool
    scanned_at: str
    name: str
    institution: str
    days: list[str]
    previous: PreviousOut | None


class GateCount(Schema):
    gate: int | None
    name: str
    checked_in: int


class DayCount(Schema):
    day: int
    date: dt.date
    checked_in: int
    expected: int
    gates: list[GateCount]


class TicketOut(Schema):
    code: str
    registration: int
    name: str
    institution: str
    days: list[int]


def _day(edition: Edition, day_id: int | None) -> Day:
    days = selectors.checkin_days(edition=edition)
    if day_id is None:
        day = selectors.checkin_day_default(days=days, edition=edition)
    else:
        day = next((d for d in days if d.pk == day_id), None)
    if day is None:
        raise ApiError(422, _("Choose a day of this edition."), "invalid")
    return day


@router.post(
    "/editions/{edition}/checkin/scans",
    response={200: ScanOut, 409: ScanOut, 503: Error, **TOKEN},
)
def scan(request: HttpRequest, edition: str, body: ScanIn):
    """200 and the answer when the person may come in; 409 and the answer (its ``code``:
    already_checked_in, unknown, not_confirmed, not_today, …) when not."""
    token, found = token_access(request, edition=edition, scope=SCOPE)
    gate = None
    if body.gate is not None:
        gate = next((g for g in selectors.checkin_gates(edition=found) if g.pk == body.gate), None)
        if gate is None:
            raise ApiError(422, _("Choose a gate of this edition."), "invalid")
    result = checkin_perform(
        code=body.code,
        day=_day(found, body.day),
        gate=gate,
        staff=None,
        nonce=body.nonce,
        at=body.at,
        device=f"api:{token.prefix}",
    )
    return Status(200 if result.ok else 409, result.as_json())


@router.get("/editions/{edition}/checkin/counts", response={200: list[DayCount], **TOKEN})
def counts(request: HttpRequest, edition: str):
    """Per day: checked in, expected (confirmed registrations attending), and per gate."""
    _token, found = token_access(request, edition=edition, scope=SCOPE)
    by_gate: dict[int, list[dict]] = {}
    rows = (
        CheckIn.objects.filter(edition=found, result=CheckIn.Result.OK)
        .values("day", "gate", "gate__name")
        .annotate(n=Count("pk"))
        .order_by("day", "gate__order", "gate")
    )
    for row in rows:
        by_gate.setdefault(row["day"], []).append(
            {"gate": row["gate"], "name": row["gate__name"] or "", "checked_in": row["n"]}
        )
    return [
        {
            "day": c.day.pk,
            "date": c.day.date,
            "checked_in": c.checked_in,
            "expected": c.expected,
            "gates": by_gate.get(c.day.pk, []),
        }
        for c in selectors.checkin_counts_by_day(edition=found)
    ]


@router.get("/editions/{edition}/checkin/tickets", response={200: list[TicketOut], **TOKEN})
def tickets(request: HttpRequest, edition: str):
    """Every valid ticket of a confirmed registration (for a scanner working offline)."""
    _token, found = token_access(request, edition=edition, scope=SCOPE)
    registrations = (
        Registration.objects.filter(edition=found, status=Registration.Status.CONFIRMED)
        .prefetch_related(
            "days",
            Prefetch("tickets", queryset=Ticket.objects.filter(is_active=True), to_attr="valid"),
        )
        .order_by("last_name", "first_name", "pk")
    )
    return [
        {
            "code": ticket.code,
            "registration": r.pk,
            "name": r.full_name,
            "institution": r.institution,
            "days": sorted(day.pk for day in r.days.all()),
        }
        for r in registrations
        for ticket in r.valid
    ]
