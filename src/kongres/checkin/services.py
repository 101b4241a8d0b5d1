"""Every change of check-ins (tickets are issued by the registration app,
``kongres.registration.tickets``).

Check-in: ``checkin_perform`` answers one scan, green or red with a reason, and records it.
It is idempotent by the client's nonce (a resend gets the first answer again) and lets a
registration in once per day. Locks: the registration's row (``select_for_update`` on
PostgreSQL, waited for at most ``KONGRES_LOCK_TIMEOUT_MS``, then "busy"; on SQLite the write
lock taken at BEGIN by the IMMEDIATE transaction mode), then
two unique constraints as the second guard — the nonce, and one accepted check-in per
registration and day. The registration's status is read under that lock at every scan, so a
cancelled registration is refused at once, whether or not its ticket was revoked.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError
from django.db.models import Exists, OuterRef
from django.utils import formats, timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from kongres.audit.services import audit_log
from kongres.checkin.models import CheckIn, Gate, SessionAttendance
from kongres.core.exceptions import KongresError
from kongres.core.locks import atomic_bounded
from kongres.events.ics import edition_zone
from kongres.events.models import Day, Session
from kongres.registration.models import Registration, Ticket
from kongres.registration.selectors import registration_webhook_data
from kongres.registration.tickets import active_ticket, ticket_code_normalise
from kongres.webhooks.models import WebhookEvent
from kongres.webhooks.services import webhook_queue, webhook_subscribed

Status = Registration.Status
Result = CheckIn.Result

NONCE_MAX_LENGTH = 64
# A scan's time comes from the device (it may have been queued offline); a clock far ahead
# is not believed.
CLOCK_SKEW = dt.timedelta(minutes=5)

# What the page decided offline (``kongres.checkin.offline``), sent with a queued scan.
OFFLINE_VERDICTS = ("ok", "already", "unknown")

_WAITING = {Status.WAITING, Status.WAITING_UNVERIFIED, Status.OFFERED}
_NOT_CONFIRMED = {Status.HELD, Status.PENDING_APPROVAL, Status.EXPIRED, Status.REJECTED}


class CheckinError(KongresError):
    code = "checkin"


def _busy() -> CheckinError:
    return CheckinError(_("The check-in is busy right now. Please try again in a moment."), "busy")


def _atomic():
    """A transaction that locks a registration's row: its wait for the lock is bounded
    (``atomic_bounded``), then it raises "busy"."""
    return atomic_bounded(_busy)


@dataclass
class CheckInResult:
    """The answer to one scan. ``reason`` is ``"ok"`` or one of ``CheckIn.Result``'s refusal
    codes; ``previous`` is the accepted check-in that makes this one ``already_checked_in``;
    ``repeated`` says the nonce was seen before (the first answer is given again);
    ``offline``: what the page decided without a network ("" when it asked the server)."""

    checkin: CheckIn
    repeated: bool = False
    previous: CheckIn | None = None
    days: list[Day] = field(default_factory=list)
    offline: str = ""

    @property
    def conflict(self) -> bool:
        """The page decided offline otherwise than the server: it let the person in and the
        server says no (let in at another door meanwhile, say), or the reverse."""
        return bool(self.offline) and (self.offline == "ok") != self.ok

    @property
    def ok(self) -> bool:
        return self.checkin.is_ok

    @property
    def reason(self) -> str:
        return self.checkin.result

    @property
    def registration(self) -> Registration | None:
        return self.checkin.registration

    @property
    def headline(self) -> str:
        return str(HEADLINES[self.reason])

    @property
    def detail(self) -> str:
        """One sentence for the staff member, in the active language."""
        if self.reason == Result.ALREADY_CHECKED_IN and self.previous is not None:
            return gettext("Checked in on %(date)s at %(time)s, %(gate)s, by %(staff)s.") % {
                "date": formats.date_format(self._local(self.previous.scanned_at), "j E"),
                "time": self._local(self.previous.scanned_at).strftime("%H:%M"),
                "gate": self.previous.gate.name if self.previous.gate else gettext("no gate"),
                "staff": staff_name(self.previous.staff),
            }
        return str(DETAILS.get(self.reason, ""))

    def _local(self, moment: dt.datetime) -> dt.datetime:
        return moment.astimezone(edition_zone(edition=self.checkin.edition))

    def as_json(self) -> dict:
        registration = self.registration
        data = {
            "ok": self.ok,
            "code": self.reason,
            "headline": self.headline,
            "message": self.detail,
            "nonce": self.checkin.nonce,
            "repeated": self.repeated,
            "scanned_at": self.checkin.scanned_at.isoformat(),
            "name": "",
            "institution": "",
            "days": [],
            "previous": None,
            "conflict": self.conflict,
        }
        if registration is not None and self.reason not in {Result.UNKNOWN, Result.OTHER_EDITION}:
            data.update(
                name=registration.full_name,
                institution=registration.institution,
                days=[str(day) for day in self.days],
            )
        if self.previous is not None:
            data["previous"] = {
                "at": self.previous.scanned_at.isoformat(),
                "time": self._local(self.previous.scanned_at).strftime("%H:%M"),
                "gate": self.previous.gate.name if self.previous.gate else "",
                "staff": staff_name(self.previous.staff),
            }
        return data


HEADLINES = {
    Result.OK: _("Checked in"),
    Result.UNKNOWN: _("Unknown code"),
    Result.REVOKED: _("Old ticket"),
    Result.OTHER_EDITION: _("Ticket for another edition"),
    Result.CANCELLED: _("Registration cancelled"),
    Result.WAITING_LIST: _("On the waiting list"),
    Result.NOT_CONFIRMED: _("Not confirmed"),
    Result.NOT_TODAY: _("Not registered for today"),
    Result.ALREADY_CHECKED_IN: _("Already checked in"),
}
DETAILS = {
    Result.UNKNOWN: _("No ticket has this code. Search by name instead."),
    Result.REVOKED: _("This ticket was replaced by a new one. Ask for the new ticket."),
    Result.OTHER_EDITION: _("The ticket is not for this edition of the congress."),
    Result.CANCELLED: _("The registration was cancelled."),
    Result.WAITING_LIST: _("This person is on the waiting list and has no seat."),
    Result.NOT_CONFIRMED: _("The registration has not been confirmed."),
    Result.NOT_TODAY: _("This person did not register for this day."),
}


def staff_name(user: AbstractBaseUser | None) -> str:
    if user is None:
        return "—"
    return user.get_full_name() or user.get_username()


def _decide(
    *,
    ticket: Ticket | None,
    registration: Registration | None,
    day: Day,
    days: list[Day],
    accepted_today: bool | None = None,
) -> tuple[str, CheckIn | None]:
    """The result of a scan of ``registration`` on ``day``; ``days``: the registration's days;
    ``accepted_today``: whether it has an accepted check-in that day, when the caller read it
    with the registration (the check-in itself is read only when there is one)."""
    if registration is None:
        return Result.UNKNOWN, None
    if registration.edition_id != day.edition_id:
        return Result.OTHER_EDITION, None
    if registration.status == Status.CANCELLED:
        return Result.CANCELLED, None
    if registration.status in _WAITING:
        return Result.WAITING_LIST, None
    if registration.status in _NOT_CONFIRMED:
        return Result.NOT_CONFIRMED, None
    if ticket is not None and not ticket.is_active:
        return Result.REVOKED, None
    day_ids = {each.pk for each in days}
    if day_ids and day.pk not in day_ids:
        return Result.NOT_TODAY, None
    previous = _accepted(registration, day) if accepted_today is not False else None
    if previous is not None:
        return Result.ALREADY_CHECKED_IN, previous
    return Result.OK, None


def _accepted(registration: Registration, day: Day) -> CheckIn | None:
    return (
        CheckIn.objects.select_related("gate", "staff")
        .filter(registration=registration, day=day, result=Result.OK)
        .first()
    )


def _by_nonce(nonce: str) -> CheckIn | None:
    # A narrow look-up first, the joined read only when the nonce is there.
    pk = CheckIn.objects.filter(nonce=nonce).values_list("pk", flat=True).first()
    if pk is None:
        return None
    return CheckIn.objects.select_related("registration", "edition", "gate", "staff").get(pk=pk)


def _answer(
    checkin: CheckIn,
    *,
    repeated: bool,
    previous: CheckIn | None = None,
    days: list[Day] | None = None,
    offline: str = "",
) -> CheckInResult:
    """``days``: the registration's days, when the caller has just read them."""
    if checkin.result == Result.ALREADY_CHECKED_IN and previous is None:
        previous = _accepted(checkin.registration, checkin.day)
    if days is None:
        days = list(checkin.registration.days.all()) if checkin.registration_id else []
    return CheckInResult(
        checkin=checkin, repeated=repeated, previous=previous, days=days, offline=offline
    )


def _scan_nonce(nonce: str, offline: str) -> str:
    """The scan's one-time key, checked with what the page decided offline (if anything)."""
    nonce = nonce.strip()
    if not nonce or len(nonce) > NONCE_MAX_LENGTH:
        raise CheckinError(_("The scan has no valid nonce."), "invalid")
    if offline and offline not in OFFLINE_VERDICTS:
        raise CheckinError(_("The scan's offline answer is not valid."), "invalid")
    return nonce


def checkin_perform(
    *,
    code: str = "",
    day: Day,
    gate: Gate | None,
    staff: AbstractBaseUser | None,
    nonce: str,
    at: dt.datetime | None = None,
    registration: Registration | None = None,
    device: str = "",
    offline: str = "",
) -> CheckInResult:
    """Answer a scan of ``code`` (or a check-in of ``registration`` found by name) on ``day``
    and record it. The same ``nonce`` again gets the first answer (``repeated``); a second
    scan of a registration on the same day, from any gate, is ``already_checked_in``.
    ``offline``: what the page decided without a network (``OFFLINE_VERDICTS``); when the
    server decides otherwise, the answer is a ``conflict``, recorded in the audit log."""
    nonce = _scan_nonce(nonce, offline)
    if gate is not None and gate.edition_id != day.edition_id:
        raise CheckinError(_("This gate belongs to another edition."), "invalid")
    now = timezone.now()
    at = min(at or now, now + CLOCK_SKEW)

    # A nonce seen before (a scan sent again, by the offline queue say) is not looked up
    # first: nearly every scan is new, and the nonce's unique index refuses the insert of a
    # repeat, whose first answer is then read.
    code = ticket_code_normalise(code)
    for attempt in range(2):
        try:
            return _record(
                code=code,
                day=day,
                gate=gate,
                staff=staff,
                nonce=nonce,
                at=at,
                now=now,
                registration=registration,
                device=device,
                offline=offline,
            )
        except IntegrityError:
            # The transaction has been undone: the same nonce (sent again, or twice at once and
            # the other one won), or an accepted check-in of this registration today that
            # committed between our reads and the insert (the next attempt sees it).
            first = _by_nonce(nonce)
            if first is not None:
                return _answer(first, repeated=True, offline=offline)
            if attempt:
                raise
    raise AssertionError("unreachable")


def _record(
    *,
    code: str,
    day: Day,
    gate: Gate | None,
    staff: AbstractBaseUser | None,
    nonce: str,
    at: dt.datetime,
    now: dt.datetime,
    registration: Registration | None,
    device: str,
    offline: str = "",
) -> CheckInResult:
    """Decide and record one scan, in one transaction: the registration is read once, locked,
    so that two scans of one person are answered one after the other."""
    accepted_today = None
    subscribed = True  # unless read with the ticket
    with _atomic():
        if registration is not None:
            ticket = active_ticket(registration)
            # read once, locked (not read first and then again to lock it)
            registration = Registration.objects.select_for_update().get(pk=registration.pk)
        else:
            # the ticket and its registration in one read, the registration locked, with
            # whether it was let in today (the other scan of a person waits for the lock) and
            # whether the edition has webhook subscribers
            ticket = (
                Ticket.objects.select_related("registration")
                .select_for_update(of=("registration",))
                .annotate(
                    accepted_today=Exists(
                        CheckIn.objects.filter(
                            registration=OuterRef("registration"), day=day, result=Result.OK
                        )
                    ),
                    subscribed=webhook_subscribed(edition_id=day.edition_id),
                )
                .filter(code=code)
                .first()
                if code
                else None
            )
            registration = ticket.registration if ticket is not None else None
            accepted_today = ticket.accepted_today if ticket is not None else None
            subscribed = ticket.subscribed if ticket is not None else True
        days = list(registration.days.all()) if registration is not None else []
        result, previous = _decide(
            ticket=ticket,
            registration=registration,
            day=day,
            days=days,
            accepted_today=accepted_today,
        )
        row = CheckIn.objects.create(
            nonce=nonce,
            edition_id=day.edition_id,
            day=day,
            code=code if ticket is not None or registration is None else "",
            ticket=ticket,
            registration=registration,
            result=result,
            gate=gate,
            device=device[:64],
            staff=staff,
            scanned_at=at,
            recorded_at=now,
        )
        answer = _answer(row, repeated=False, previous=previous, days=days, offline=offline)
        if answer.conflict:
            _conflict_record(answer=answer, staff=staff)
        if result == Result.OK and subscribed:
            webhook_queue(
                edition_id=day.edition_id,
                event=WebhookEvent.CHECKED_IN,
                data=lambda: {
                    "registration": registration_webhook_data(registration=registration),
                    "day": day.date.isoformat(),
                    "gate": gate.name if gate is not None else "",
                    "scanned_at": at.isoformat(),
                },
            )
    return answer


def _conflict_record(*, answer: CheckInResult, staff: AbstractBaseUser | None) -> None:
    """The audit log's record of a scan decided offline otherwise than by the server."""
    row, previous = answer.checkin, answer.previous
    audit_log(
        actor=staff,
        action="checkin.offline_conflict",
        obj=row,
        after={
            "offline": answer.offline,
            "server": row.result,
            "registration": row.registration_id,
            "session": getattr(row, "session_id", None),
            "gate": row.gate.name if row.gate else "",
            "device": row.device,
            "scanned_at": row.scanned_at.isoformat(),
            "previous_gate": previous.gate.name if previous and previous.gate else "",
            "previous_at": previous.scanned_at.isoformat() if previous else "",
        },
    )


# --- attendance per session: the door of a session's room ------------------------------------


def session_day(*, session: Session, days: list[Day]) -> Day | None:
    """The day of ``days`` on which ``session`` starts (in the edition's time zone)."""
    date = session.starts_at.astimezone(edition_zone(edition=session.edition)).date()
    return next((day for day in days if day.date == date), None)


def session_attendance_perform(
    *,
    code: str = "",
    session: Session,
    day: Day,
    staff: AbstractBaseUser | None,
    nonce: str,
    at: dt.datetime | None = None,
    registration: Registration | None = None,
    device: str = "",
    offline: str = "",
) -> CheckInResult:
    """Answer a scan at the door of ``session`` (on ``day``, the session's day) and record it,
    as ``checkin_perform`` does at the gates: the same ``nonce`` again gets the first answer;
    a second scan of a person at the same session is ``already_checked_in``; a person who may
    not come in that day is refused with the same reasons. ``offline``: as there."""
    nonce = _scan_nonce(nonce, offline)
    if session.edition_id != day.edition_id or session_day(session=session, days=[day]) is None:
        raise CheckinError(_("This session is not on the chosen day."), "invalid")
    now = timezone.now()
    at = min(at or now, now + CLOCK_SKEW)
    code = ticket_code_normalise(code)
    for attempt in range(2):
        try:
            return _record_session(
                code=code,
                session=session,
                day=day,
                staff=staff,
                nonce=nonce,
                at=at,
                now=now,
                registration=registration,
                device=device,
                offline=offline,
            )
        except IntegrityError:
            first = (
                SessionAttendance.objects.select_related("registration", "edition", "staff")
                .filter(nonce=nonce)
                .first()
            )
            if first is not None:
                return _answer_session(first, repeated=True, offline=offline)
            if attempt:
                raise
    raise AssertionError("unreachable")


def _attended(registration: Registration, session: Session) -> SessionAttendance | None:
    return (
        SessionAttendance.objects.select_related("staff")
        .filter(registration=registration, session=session, result=Result.OK)
        .first()
    )


def _answer_session(
    row: SessionAttendance,
    *,
    repeated: bool,
    previous: SessionAttendance | None = None,
    days: list[Day] | None = None,
    offline: str = "",
) -> CheckInResult:
    if row.result == Result.ALREADY_CHECKED_IN and previous is None:
        previous = _attended(row.registration, row.session)
    if days is None:
        days = list(row.registration.days.all()) if row.registration_id else []
    return CheckInResult(
        checkin=row, repeated=repeated, previous=previous, days=days, offline=offline
    )


def _record_session(
    *,
    code: str,
    session: Session,
    day: Day,
    staff: AbstractBaseUser | None,
    nonce: str,
    at: dt.datetime,
    now: dt.datetime,
    registration: Registration | None,
    device: str,
    offline: str,
) -> CheckInResult:
    """Decide and record one scan at a session's door, in one transaction, the registration's
    row locked (as ``_record``)."""
    with _atomic():
        if registration is not None:
            ticket = active_ticket(registration)
            registration = Registration.objects.select_for_update().get(pk=registration.pk)
        else:
            ticket = (
                Ticket.objects.select_related("registration")
                .select_for_update(of=("registration",))
                .filter(code=code)
                .first()
                if code
                else None
            )
            registration = ticket.registration if ticket is not None else None
        days = list(registration.days.all()) if registration is not None else []
        result, _previous_day = _decide(
            ticket=ticket, registration=registration, day=day, days=days, accepted_today=False
        )
        previous = None
        if result == Result.OK:
            previous = _attended(registration, session)
            if previous is not None:
                result = Result.ALREADY_CHECKED_IN
        row = SessionAttendance.objects.create(
            nonce=nonce,
            edition_id=session.edition_id,
            session=session,
            code=code if ticket is not None or registration is None else "",
            ticket=ticket,
            registration=registration,
            result=result,
            device=device[:64],
            staff=staff,
            scanned_at=at,
            recorded_at=now,
        )
        answer = _answer_session(row, repeated=False, previous=previous, days=days, offline=offline)
        if answer.conflict:
            _conflict_record(answer=answer, staff=staff)
    return answer
