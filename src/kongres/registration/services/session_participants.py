"""Who signs up for a session (issue 18): the registration locked and read again inside the
sign-up's transaction (by its id, or by the personal link's token the participant cookie
holds), checked against the session, and the person's active sign-ups with those in the way
of the session. The sign-ups themselves are ``services.sessions``.

Two narrow reads on the hot path of a rush: the lock (the status; by token, the few fields of
the audit entry too), then the person's days and active sign-ups as plain values; whole objects
are read only for an overlap (a rare path). The second read is a statement of its own on
purpose: under READ COMMITTED each statement sees what was committed before it began, so it
sees the days and sign-ups that a change holding the lock before (a second sign-up of the same
person, a change of days, a cancellation) committed, whereas rows joined to the locking
statement would be those of its own start, from before the wait for the lock.
"""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kongres.events.ics import edition_zone
from kongres.events.models import Session
from kongres.registration import rules, selectors
from kongres.registration.exceptions import RegistrationError
from kongres.registration.models import (
    SIGNUP_ACTIVE_STATUSES,
    SIGNUP_PLACE_STATUSES,
    Registration,
    SessionSignup,
)
from kongres.registration.tokens import token_hash, token_looks_valid

# The registration a token names, by its id alone (``selectors.token_registration_id`` says
# why), locked on PostgreSQL (SQLite's transaction holds the database's write lock already).
# In SQL: through the ORM (a subquery, a row lock, deferred fields) it cost twice its execution
# in CPU, on the path of every sign-up.
LOCK_PARTICIPANT_SQL = (
    # what a sign-up reads of it: the checks and the audit entry's label
    "SELECT id, edition_id, status, first_name, last_name, email FROM registration_registration"
    " WHERE id = (SELECT registration_id FROM registration_registrationtoken"
    " WHERE token_hash = %s LIMIT 1)"
)


def error_closed() -> RegistrationError:
    return RegistrationError(_("This session does not take sign-ups."), "no_signup")


def error_not_confirmed() -> RegistrationError:
    return RegistrationError(
        _("Only confirmed participants of the session's day can sign up."), "not_confirmed"
    )


def error_no_participant() -> RegistrationError:
    return RegistrationError(_("Open your personal page first"), "no_participant")


def session_day(session: Session) -> dt.date:
    return timezone.localtime(session.starts_at, edition_zone(edition=session.edition)).date()


def session_check(session: Session, now: dt.datetime) -> None:
    """Whether the session takes sign-ups at ``now``, whoever asks."""
    if not session.takes_signups:
        raise error_closed()
    if session.ends_at <= now or rules.is_past(session.edition, now):
        raise RegistrationError(_("This session is over."), "closed")


def participant_check(
    registration: Registration, session: Session, now: dt.datetime, *, on_day: bool = True
) -> None:
    """Whether the registration may sign up for the session. ``on_day``: whether its days
    include the session's (the lock reads it; the check before the transaction leaves it out
    and the one inside checks it)."""
    session_check(session, now)
    if (
        registration.edition_id != session.edition_id
        or registration.status != Registration.Status.CONFIRMED
        or not on_day
    ):
        raise error_not_confirmed()


def on_day(dates: set[dt.date], session: Session) -> bool:
    """Whether a registration of these days (none: every day) may be at the session."""
    return not dates or session_day(session) in dates


def participant_lock(registration: Registration) -> None:
    """Lock the registration against a concurrent cancellation and read its status again (set
    on ``registration``)."""
    rows = list(
        Registration.objects.select_for_update(no_key=True)
        .filter(pk=registration.pk)
        .values_list("status", flat=True)
        .order_by()
    )
    if not rows:
        raise error_not_confirmed()
    registration.status = rows[0]


def participant_lock_by_token(token: str, session: Session, now: dt.datetime) -> Registration:
    """The registration of the session's edition that the personal link's ``token`` names,
    found and locked in one read (only the columns of ``LOCK_PARTICIPANT_SQL``: the others are
    read if asked for). Raises "no_participant" for a token of no registration of the edition, or
    whose links have expired (``selectors.registration_link_expired``)."""
    if not token_looks_valid(token):
        raise error_no_participant()
    locking = " FOR NO KEY UPDATE" if connection.vendor == "postgresql" else ""
    rows = list(Registration.objects.raw(LOCK_PARTICIPANT_SQL + locking, [token_hash(token)]))
    # the edition compared here, not in the query: by the primary key alone, the read is
    # planned from the token's index whatever the statistics say
    if not rows or rows[0].edition_id != session.edition_id:
        raise error_no_participant()
    registration = rows[0]
    registration.edition = session.edition
    today = timezone.localdate(now)
    if selectors.registration_link_expired(registration=registration, today=today):
        raise error_no_participant()
    return registration


class Active(NamedTuple):
    """An active sign-up of the person, as values (the hot path builds no model objects)."""

    pk: int
    session_id: int
    status: str
    starts_at: dt.datetime
    ends_at: dt.datetime


# The registration's days and its active sign-ups, in SQL: built through the ORM (a filtered
# relation and four joins) this read cost several times its execution in CPU, on the path of
# every sign-up. One row for each day with each sign-up (NULLs where there is none).
DAYS_AND_SIGNUPS_SQL = (
    "SELECT day.date, signup.id, signup.session_id, signup.status,"
    " session.starts_at, session.ends_at"
    " FROM registration_registration registration"
    " LEFT JOIN registration_registration_days chosen"
    " ON chosen.registration_id = registration.id"
    " LEFT JOIN events_day day ON day.id = chosen.day_id"
    " LEFT JOIN registration_sessionsignup signup"
    " ON signup.registration_id = registration.id AND signup.status IN ({statuses})"
    " LEFT JOIN events_session session ON session.id = signup.session_id"
    " WHERE registration.id = %s"
)
_ACTIVE = sorted(status.value for status in SIGNUP_ACTIVE_STATUSES)


def participant_days_and_signups(registration: Registration) -> tuple[set[dt.date], list[Active]]:
    """After the lock, in a statement of its own (the module's docstring says why): the
    registration's days (none: every day) and its active sign-ups (a place, an offer or the
    waiting list) with their sessions' times, in one read."""
    sql = DAYS_AND_SIGNUPS_SQL.format(statuses=", ".join(["%s"] * len(_ACTIVE)))
    with connection.cursor() as cursor:
        cursor.execute(sql, [*_ACTIVE, registration.pk])
        rows = cursor.fetchall()
    dates: set[dt.date] = set()
    signups: dict[int, Active] = {}
    for date, pk, session_id, status, starts_at, ends_at in rows:
        if date is not None:
            dates.add(date)
        if pk is not None:
            signups[pk] = Active(pk, session_id, status, _aware(starts_at), _aware(ends_at))
    return dates, list(signups.values())


def _aware(value: dt.datetime) -> dt.datetime:
    """A time read in SQL as the ORM gives it: SQLite hands back the stored UTC time without
    its zone (PostgreSQL's is aware)."""
    return value if timezone.is_aware(value) else timezone.make_aware(value, dt.UTC)


def signups_in_the_way(active: list[Active], session: Session) -> list[SessionSignup]:
    """The sign-ups holding a place in another session that overlaps ``session`` (read whole:
    the rare path of an overlap), in time order."""
    pks = [
        signup.pk
        for signup in active
        if signup.session_id != session.pk
        and signup.status in SIGNUP_PLACE_STATUSES
        and signup.starts_at < session.ends_at
        and signup.ends_at > session.starts_at
    ]
    if not pks:
        return []
    return list(
        SessionSignup.objects.filter(pk__in=pks)
        .select_related("session__edition", "registration")
        .order_by("session__starts_at", "pk")
    )
