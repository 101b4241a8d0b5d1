"""Reads for tickets and check-in, and the permission-checked getter every check-in view uses."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kongres.accounts.roles import role_can
from kongres.checkin.models import CheckIn, Gate, SessionAttendance
from kongres.checkin.offline import OfflineEntry
from kongres.checkin.services import CheckinError
from kongres.core.cache import memoized, memoized_many
from kongres.core.search import Fold, fold
from kongres.events.ics import edition_zone
from kongres.events.models import Day, Edition, Session
from kongres.registration.models import Registration, Ticket

SEARCH_MIN_LENGTH = 2
SEARCH_LIMIT = 20


def checkin_access_edition(
    *, user: AbstractBaseUser | AnonymousUser, edition: Edition | None, need: str = "checkin"
) -> Edition:
    """``edition`` when ``user`` may check people in there: a superuser, or someone with the
    back office's role "check-in staff" or "administrator" in it (``orga.EditionRole``); with
    ``need="badges"``, a role that may see the participants (``accounts.roles.NEEDS``).
    Otherwise ``CheckinError`` with the code ``forbidden`` (or ``no_edition``)."""
    if edition is None:
        raise CheckinError(_("There is no edition to check people in for."), "no_edition")
    if not (user.is_authenticated and user.is_active):
        raise CheckinError(_("Log in to check people in."), "forbidden")
    if role_can(user=user, edition=edition, need=need):  # superusers: every role
        return edition
    if need == "badges":
        raise CheckinError(
            _(
                "Your account may not print the name badges of this edition: they show every "
                "participant. Ask an administrator or a registration manager."
            ),
            "forbidden",
        )
    raise CheckinError(
        _("Your account may not check people in at this edition. Ask the organisers."),
        "forbidden",
    )


def checkin_days(*, edition: Edition) -> list[Day]:
    """The edition's days, kept in the cache while the content is unchanged (an edit of a
    day bumps the content generation, see ``kongres.core.cache.memoized``)."""
    return memoized(f"checkin:days:{edition.pk}", lambda: list(edition.days.all()))


def checkin_days_and_gates(*, edition: Edition) -> tuple[list[Day], list[Gate]]:
    """``checkin_days`` and ``checkin_gates`` in one round trip to the cache (a scan needs
    both)."""
    days, gates = memoized_many(
        {
            f"checkin:days:{edition.pk}": lambda: list(edition.days.all()),
            f"checkin:gates:{edition.pk}": lambda: list(edition.gates.all()),
        }
    )
    return days, gates


def checkin_day_default(*, days: list[Day], edition: Edition, now: dt.datetime | None = None):
    """Today's day of the edition (in its time zone), else the next one, else the last."""
    if not days:
        return None
    today = (now or timezone.now()).astimezone(edition_zone(edition=edition)).date()
    for day in days:
        if day.date >= today:
            return day
    return days[-1]


def checkin_gates(*, edition: Edition) -> list[Gate]:
    """The edition's gates, memoized as ``checkin_days`` (a gate is saved with the content's
    signals: ``kongres.core.cache.DEFAULT_MODELS``)."""
    return memoized(f"checkin:gates:{edition.pk}", lambda: list(edition.gates.all()))


def registration_search(*, edition: Edition, query: str) -> list[Registration]:
    """Registrations of ``edition`` whose name or institution contains every word of
    ``query``, ignoring case and diacritics ("zolc" finds "Żółć"). Cancelled and waiting-list
    registrations are found too: the answer then says why they may not come in."""
    words = [word for word in fold(query).split() if word]
    if not words or len("".join(words)) < SEARCH_MIN_LENGTH:
        return []
    queryset = Registration.objects.filter(edition=edition).annotate(
        _first=Fold("first_name"), _last=Fold("last_name"), _institution=Fold("institution")
    )
    for word in words:
        queryset = queryset.filter(
            Q(_first__contains=word) | Q(_last__contains=word) | Q(_institution__contains=word)
        )
    return list(
        queryset.prefetch_related(
            "days",
            Prefetch(
                "tickets", queryset=Ticket.objects.filter(is_active=True), to_attr="active_tickets"
            ),
        ).order_by("last_name", "first_name", "pk")[:SEARCH_LIMIT]
    )


@dataclass(frozen=True)
class DayCounts:
    day: Day
    checked_in: int
    expected: int

    def as_json(self) -> dict:
        return {"day": self.day.pk, "checked_in": self.checked_in, "expected": self.expected}


def checkin_counts(*, day: Day) -> DayCounts:
    """Checked in on ``day`` / confirmed registrations attending it (a registration that
    chose no days attends all). Two queries."""
    expected = (
        Registration.objects.filter(edition_id=day.edition_id, status=Registration.Status.CONFIRMED)
        .filter(Q(days=day) | Q(days__isnull=True))
        .values("pk")
        .distinct()
        .count()
    )
    checked_in = CheckIn.objects.filter(day=day, result=CheckIn.Result.OK).count()
    return DayCounts(day=day, checked_in=checked_in, expected=expected)


def checkin_counts_by_day(*, edition: Edition) -> list[DayCounts]:
    return [checkin_counts(day=day) for day in edition.days.all()]


def checkin_recent(*, day: Day, limit: int = 10) -> QuerySet[CheckIn]:
    return (
        CheckIn.objects.filter(day=day)
        .select_related("registration", "gate", "staff")
        .order_by("-scanned_at", "-pk")[:limit]
    )


def offline_list_entries(*, day: Day, session: Session | None = None) -> list[OfflineEntry]:
    """The tickets that let a person in on ``day`` (active, of a confirmed registration that
    attends the day), with the name shown and whether the person was let in that day (at
    ``session``'s door, when given). One query."""
    if session is not None:
        inside = SessionAttendance.objects.filter(
            registration=OuterRef("registration"), session=session, result=CheckIn.Result.OK
        )
    else:
        inside = CheckIn.objects.filter(
            registration=OuterRef("registration"), day=day, result=CheckIn.Result.OK
        )
    tickets = (
        Ticket.objects.filter(
            is_active=True,
            registration__edition_id=day.edition_id,
            registration__status=Registration.Status.CONFIRMED,
        )
        .filter(Q(registration__days=day) | Q(registration__days__isnull=True))
        .annotate(inside=Exists(inside))
        .values_list("code", "registration__first_name", "registration__last_name", "inside")
        .distinct()
        .order_by()
    )
    return [
        OfflineEntry(code=code, name=f"{first} {last}".strip(), inside=inside)
        for code, first, last, inside in tickets
    ]


def checkin_sessions(*, edition: Edition, day: Day) -> list[Session]:
    """The sessions of ``day`` (by their start in the edition's time zone), in the
    programme's order, with their rooms."""
    zone = edition_zone(edition=edition)
    start = dt.datetime.combine(day.date, dt.time(), tzinfo=zone)
    end = dt.datetime.combine(day.date + dt.timedelta(days=1), dt.time(), tzinfo=zone)
    return list(
        Session.objects.filter(edition=edition, starts_at__gte=start, starts_at__lt=end)
        .select_related("room", "edition")
        .order_by("starts_at", "room__order", "pk")
    )


def session_attendance_counts(*, edition: Edition) -> dict[int, int]:
    """Session id → people let in at its door (accepted scans). One query."""
    return dict(
        SessionAttendance.objects.filter(edition=edition, result=CheckIn.Result.OK)
        .values_list("session")
        .annotate(n=Count("pk"))
        .order_by()
    )


def session_capacity(*, session: Session) -> int | None:
    """The session's number of places, else its room's."""
    if session.capacity is not None:
        return session.capacity
    return session.room.capacity if session.room is not None else None


@dataclass(frozen=True)
class SessionCounts:
    session: Session
    checked_in: int
    capacity: int | None

    def as_json(self) -> dict:
        return {
            "session": self.session.pk,
            "checked_in": self.checked_in,
            "expected": self.capacity if self.capacity is not None else "—",
        }


def session_counts(*, session: Session) -> SessionCounts:
    checked_in = SessionAttendance.objects.filter(session=session, result=CheckIn.Result.OK).count()
    return SessionCounts(
        session=session, checked_in=checked_in, capacity=session_capacity(session=session)
    )


def session_attendance_recent(*, session: Session, limit: int = 10) -> QuerySet:
    return (
        SessionAttendance.objects.filter(session=session)
        .select_related("registration", "staff")
        .order_by("-scanned_at", "-pk")[:limit]
    )


def _badge_queryset(
    *, edition: Edition, sector: str, day: Day | None, registration_ids: list[int] | None
) -> QuerySet[Registration]:
    queryset = Registration.objects.filter(edition=edition, status=Registration.Status.CONFIRMED)
    if sector:
        queryset = queryset.filter(sector=sector)
    if day is not None:
        queryset = queryset.filter(Q(days=day) | Q(days__isnull=True))
    if registration_ids is not None:
        queryset = queryset.filter(pk__in=registration_ids)
    return queryset.distinct()


def badge_registrations(
    *,
    edition: Edition,
    sector: str = "",
    day: Day | None = None,
    registration_ids: list[int] | None = None,
    offset: int = 0,
    limit: int | None = None,
) -> list[Registration]:
    """Confirmed registrations for badges, by last name; filtered by sector, day or ids; from
    the ``offset``-th, at most ``limit`` of them (a part of a large edition)."""
    queryset = (
        _badge_queryset(edition=edition, sector=sector, day=day, registration_ids=registration_ids)
        .select_related("edition")
        .prefetch_related(
            Prefetch(
                "tickets", queryset=Ticket.objects.filter(is_active=True), to_attr="active_tickets"
            )
        )
        .order_by("last_name", "first_name", "pk")
    )
    return list(queryset[offset : None if limit is None else offset + limit])


def badge_count(*, edition: Edition, sector: str = "", day: Day | None = None) -> int:
    return _badge_queryset(edition=edition, sector=sector, day=day, registration_ids=None).count()
