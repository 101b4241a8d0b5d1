"""Who signs up for a session (issue 18): the registration locked and read again inside the
sign-up's transaction (by its id, or by the personal link's token the participant cookie
holds), checked against the session, and the person's active sign-ups with those in the way
of the session. The sign-ups themselves are ``services.sessions``.

Each is one narrow read on the hot path of a rush: the lock reads only what the checks need
(the status, the days; by token, the few fields of the audit entry too), the active sign-ups
come as plain values, and whole objects are read only for an overlap (a rare path).
"""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

from django.db.models import F
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

# What a sign-up by token reads of the registration: the checks and the audit entry's label.
TOKEN_FIELDS = ("id", "edition_id", "status", "first_name", "last_name", "email")


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


def _on_day(dates: set[dt.date], session: Session) -> bool:
    return not dates or session_day(session) in dates


def participant_lock(registration: Registration, session: Session) -> bool:
    """Lock the registration against a concurrent cancellation and read again what a sign-up
    checks, in one narrow read: its status (set on ``registration``) and whether its days
    include ``session``'s (no days: every day). Returns the latter."""
    rows = list(
        Registration.objects.select_for_update(no_key=True, of=("self",))
        .filter(pk=registration.pk)
        .values_list("status", "days__date")
        .order_by()
    )
    if not rows:
        raise error_not_confirmed()
    registration.status = rows[0][0]
    return _on_day({date for _status, date in rows if date is not None}, session)


def participant_lock_by_token(
    token: str, session: Session, now: dt.datetime
) -> tuple[Registration, bool]:
    """The registration of the session's edition that the personal link's ``token`` names,
    found and locked in one read with its days (only the fields of ``TOKEN_FIELDS``: the
    others are read if asked for), and whether its days include ``session``'s. Raises
    "no_participant" for a token of no registration of the edition, or whose links have
    expired (``selectors.registration_link_expired``)."""
    if not token_looks_valid(token):
        raise error_no_participant()
    rows = list(
        Registration.objects.select_for_update(no_key=True, of=("self",))
        .filter(tokens__token_hash=token_hash(token), edition_id=session.edition_id)
        .only(*TOKEN_FIELDS)
        .annotate(day=F("days__date"))
        .order_by()
    )
    if not rows:
        raise error_no_participant()
    registration = rows[0]
    registration.edition = session.edition
    today = timezone.localdate(now)
    if selectors.registration_link_expired(registration=registration, today=today):
        raise error_no_participant()
    return registration, _on_day({row.day for row in rows if row.day is not None}, session)


class Active(NamedTuple):
    """An active sign-up of the person, as values (the hot path builds no model objects)."""

    pk: int
    session_id: int
    status: str
    starts_at: dt.datetime
    ends_at: dt.datetime


def signups_active(registration: Registration) -> list[Active]:
    """The person's active sign-ups (a place, an offer or the waiting list), with their
    sessions' times."""
    rows = SessionSignup.objects.filter(
        registration_id=registration.pk, status__in=SIGNUP_ACTIVE_STATUSES
    ).values_list("pk", "session_id", "status", "session__starts_at", "session__ends_at")
    return [Active(*row) for row in rows.order_by()]


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
