"""The transitions of a registration after it is created (the table in the package's docstring):
confirming the address, claiming an offer, cancelling, changing answers, the organisers'
actions, links sent again and tickets re-issued."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kongres.audit.services import audit_log
from kongres.core.constraints import constraint_violated
from kongres.events.models import Day, Edition
from kongres.registration import mails, rules, seats, selectors
from kongres.registration.data import RegistrationData
from kongres.registration.exceptions import RegistrationError
from kongres.registration.links import link_tokens_replace
from kongres.registration.models import (
    ACTIVE_STATUSES,
    SEAT_STATUSES,
    Registration,
    Ticket,
)
from kongres.registration.services._common import (
    ATTEMPTS,
    Status,
    _atomic,
    _audit,
    _by_token,
    _cas,
    _conflict,
    _day_ids,
    _fresh,
    _not_active,
    _offer_expired,
    _resend,
    _seat_confirmed_status,
    _webhook,
    _webhook_confirmed,
    _wrong_status,
)
from kongres.registration.services.sessions import session_signups_release
from kongres.registration.services.validation import (
    _UPDATABLE_FIELDS,
    _clean,
    _privacy_notice_version,
)
from kongres.registration.services.waiting_list import (
    _expire,
    _offer_changes,
    _offer_free_seats,
    _pools_ready,
    logger,
)
from kongres.registration.tickets import registration_lock, require_confirmed, ticket_code_new
from kongres.webhooks.models import WebhookEvent


def registration_verify(*, token: str, now: dt.datetime | None = None) -> Registration:
    """Confirm the e-mail address by the mailed link. A held seat becomes confirmed (or awaits
    approval); a registration without a seat joins the waiting list (and gets a seat at once
    when one is free for them). Clicking the link again changes nothing."""
    now = now or timezone.now()
    for _attempt in range(ATTEMPTS):
        registration = _by_token(token)
        status = registration.status
        if status in {Status.HELD, Status.WAITING_UNVERIFIED}:
            if registration.hold_expires_at <= now:
                _expire(registration, now)
                raise RegistrationError(
                    _("The time to confirm this registration has passed. Please register again."),
                    "expired",
                )
            done = (
                _verify_held(registration, token, now)
                if status == Status.HELD
                else _verify_waiting(registration, token, now)
            )
            if done:
                return registration
            continue  # changed meanwhile: read it again
        if status in {Status.WAITING, Status.OFFERED, Status.PENDING_APPROVAL, Status.CONFIRMED}:
            return registration  # confirmed before
        if status == Status.EXPIRED:
            raise RegistrationError(
                _("The time to confirm this registration has passed. Please register again."),
                "expired",
            )
        raise _not_active()
    raise _conflict()


def _verify_held(registration: Registration, token: str, now: dt.datetime) -> bool:
    new = _seat_confirmed_status(registration.edition)
    with _atomic():
        if not _cas(
            registration,
            {Status.HELD},
            now,
            status=new,
            hold_expires_at__gt=now,
            verified_at=now,
            confirmed_at=now if new == Status.CONFIRMED else None,
            hold_expires_at=None,
        ):
            return False
        _audit(registration, "verify", actor=None, before=Status.HELD)
        _webhook_confirmed(registration)
        mails.mail_seat(registration, token=token)
    return True


def _verify_waiting(registration: Registration, token: str, now: dt.datetime) -> bool:
    with _atomic():
        seats.lock_edition_pool(registration.edition_id)
        if not _cas(
            registration,
            {Status.WAITING_UNVERIFIED},
            now,
            status=Status.WAITING,
            hold_expires_at__gt=now,
            verified_at=now,
            hold_expires_at=None,
        ):
            return False
        _audit(registration, "verify", actor=None, before=Status.WAITING_UNVERIFIED)
        got_seat = registration.pk in _offer_free_seats(
            registration.edition, now, present=registration.pk
        )
        if got_seat:
            registration.refresh_from_db()
            _webhook_confirmed(registration)
            mails.mail_seat(registration, token=token)
        else:
            mails.mail(registration, "waiting", token=token)
    return True


def registration_offer_claim(*, token: str, now: dt.datetime | None = None) -> Registration:
    """Take the seat offered from the waiting list, before the offer ends."""
    now = now or timezone.now()
    for _attempt in range(ATTEMPTS):
        registration = _by_token(token)
        status = registration.status
        if status == Status.OFFERED:
            if registration.offer_expires_at <= now:
                _expire(registration, now)
                raise _offer_expired()
            new = _seat_confirmed_status(registration.edition)
            with _atomic():
                if not _cas(
                    registration,
                    {Status.OFFERED},
                    now,
                    status=new,
                    offer_expires_at__gt=now,
                    confirmed_at=now if new == Status.CONFIRMED else None,
                ):
                    continue
                _audit(registration, "claim", actor=None, before=Status.OFFERED)
                _webhook_confirmed(registration)
                mails.mail_seat(registration, token=token)
            return registration
        if status in {Status.CONFIRMED, Status.PENDING_APPROVAL} and registration.offered_at:
            return registration  # claimed before
        if status == Status.EXPIRED and registration.offered_at:
            raise _offer_expired()
        if status in ACTIVE_STATUSES:
            raise RegistrationError(_("No seat is offered to this registration."), "no_offer")
        raise _not_active()
    raise _conflict()


def registration_cancel(
    *,
    registration: Registration,
    actor: AbstractBaseUser | None = None,
    now: dt.datetime | None = None,
) -> Registration:
    """Cancel a registration, or leave the waiting list; a seat it held is freed and offered
    to the waiting list at once. Participants cannot cancel once the edition is over."""
    now = now or timezone.now()
    for _attempt in range(ATTEMPTS):
        registration = _fresh(registration)
        if registration.status not in ACTIVE_STATUSES:
            raise _not_active()
        if actor is None and rules.is_past(registration.edition, now):
            raise RegistrationError(_("This edition is over."), "closed")
        status = registration.status
        with _atomic():
            if status in SEAT_STATUSES:
                seats.lock_edition_pool(registration.edition_id)
            if not _cas(
                registration,
                {status},
                now,
                status=Status.CANCELLED,
                ended_at=now,
                cancelled_by=actor,
            ):
                continue
            _audit(registration, "cancel", actor=actor, before=status)
            _webhook(registration, WebhookEvent.REGISTRATION_CANCELLED)
            if status in SEAT_STATUSES:
                seats.release_seat(registration.edition_id, _day_ids(registration))
                _offer_free_seats(registration.edition, now)
            # the places in sessions go at once to the next people waiting (issue 18)
            session_signups_release(registration=registration, now=now)
            mails.mail(
                registration,
                "cancelled",
                by_organiser=actor is not None,
                was_waiting=status in {Status.WAITING, Status.WAITING_UNVERIFIED},
            )
        return registration
    raise _conflict()


def registration_update(
    *,
    registration: Registration,
    data: RegistrationData,
    now: dt.datetime | None = None,
    actor: AbstractBaseUser | None = None,
) -> Registration:
    """Change the answers until the edit deadline (``edition.edit_deadline``, or the first day of
    the edition when none is set). The e-mail address cannot be changed here (``data.email`` is
    ignored). When the days change, a registration with a seat needs a seat on each added day
    (else "full" and nothing changes); the seats of removed days are freed and offered."""
    now = now or timezone.now()
    registration = _fresh(registration)
    edition = registration.edition
    if registration.status not in ACTIVE_STATUSES:
        raise _not_active()
    if now >= rules.edit_deadline(edition):
        raise RegistrationError(_("Answers can no longer be changed."), "deadline")
    clean = _clean(edition, data, participant=False)
    version = _privacy_notice_version(now) if clean.privacy_consent else ""
    _pools_ready(edition, now)
    new_days = set(clean.day_ids)
    with _atomic():
        old_days = set(_day_ids(registration))
        moves_seats = new_days != old_days and registration.status in (
            SEAT_STATUSES | {Status.WAITING}
        )
        if moves_seats:
            seats.lock_edition_pool(edition.pk)
            # Under the edition's lock the seat-holding state cannot change any more.
            registration = Registration.objects.select_for_update().get(pk=registration.pk)
            registration.edition = edition
            if registration.status not in ACTIVE_STATUSES:
                raise _not_active()
            old_days = set(_day_ids(registration))
        added, removed = sorted(new_days - old_days), sorted(old_days - new_days)
        if moves_seats and registration.status in SEAT_STATUSES:
            if added and not seats.take_days(added):
                raise RegistrationError(
                    _("There are no free places left on one of the days you added."), "full"
                )
            if removed:
                seats.release_days(removed)
        changes = {name: getattr(clean, name) for name in _UPDATABLE_FIELDS}
        old_tracks = sorted(registration.tracks.values_list("pk", flat=True))
        old_values = {name: getattr(registration, name) for name in changes}
        if clean.privacy_consent and (
            version != registration.privacy_notice_version or not registration.privacy_consent_at
        ):
            changes.update(privacy_consent_at=now, privacy_notice_version=version)
        if not _cas(registration, ACTIVE_STATUSES, now, **changes):
            raise _not_active()  # cancelled or expired meanwhile; nothing is changed
        through = Registration.days.through
        if removed:
            through.objects.filter(registration_id=registration.pk, day_id__in=removed).delete()
        if added:
            through.objects.bulk_create(
                through(registration_id=registration.pk, day_id=day_id) for day_id in added
            )
        registration.tracks.set(clean.track_ids)
        _audit(
            registration,
            "update",
            actor=actor,
            before=None,
            changes=(
                {**old_values, "days": sorted(old_days), "tracks": old_tracks},
                {
                    **{name: changes[name] for name in old_values},
                    "days": sorted(new_days),
                    "tracks": sorted(clean.track_ids),
                },
            ),
        )
        if moves_seats:
            _offer_free_seats(edition, now)
        if removed:  # the places in the sessions of the days dropped (issue 18)
            session_signups_release(
                registration=registration,
                now=now,
                day_dates=list(Day.objects.filter(pk__in=removed).values_list("date", flat=True)),
            )
    return _fresh(registration)


def registration_link_resend(
    *, edition: Edition, email: str, language: str, again: bool = False
) -> None:
    """Mail the live link to a registered address (earlier links keep working: a stranger
    can revoke nothing). Says and does nothing visible otherwise, so that nobody learns whether
    an address is registered. ``again``: the registration form was sent once more for the
    address (review 2026-12, L1): the owner is told, with their link, and the sender is shown
    the page of a new registration."""
    registration = selectors.registration_get_active(edition=edition, email=email)
    if registration is None:
        logger.info("Link asked for an address not registered for %s", edition.slug)
        return
    _resend(registration, again=again)


def registration_links_replace(*, token: str) -> Registration:
    """The owner (holding a working link) revokes every link of the registration and gets a
    new one by mail: the only way links stop working before they expire."""
    registration = _by_token(token)
    with _atomic():
        new = link_tokens_replace(registration=registration)
        mails.mail(registration, "link", token=new, replaced=True)
        _audit(registration, "links_replace", actor=None, before=registration.status)
    return registration


def registration_mail_resend(
    *, registration: Registration, actor: AbstractBaseUser | None = None
) -> Registration:
    """The organiser mails the participant their link again (and the state of their
    registration); the link stays the same."""
    registration = _fresh(registration)
    if registration.status not in ACTIVE_STATUSES:
        raise _not_active()
    with _atomic():
        _resend(registration)
        _audit(registration, "resend", actor=actor, before=registration.status)
    return registration


def registration_approve(
    *, registration: Registration, actor: AbstractBaseUser | None, now: dt.datetime | None = None
) -> Registration:
    now = now or timezone.now()
    for _attempt in range(ATTEMPTS):
        registration = _fresh(registration)
        if registration.status != Status.PENDING_APPROVAL:
            raise _wrong_status()
        with _atomic():
            if not _cas(
                registration,
                {Status.PENDING_APPROVAL},
                now,
                status=Status.CONFIRMED,
                confirmed_at=now,
                decided_at=now,
                decided_by=actor,
            ):
                continue
            _audit(registration, "approve", actor=actor, before=Status.PENDING_APPROVAL)
            _webhook_confirmed(registration)
            mails.mail(registration, "approved", attach_calendar=True)
        return registration
    raise _conflict()


def registration_reject(
    *, registration: Registration, actor: AbstractBaseUser | None, now: dt.datetime | None = None
) -> Registration:
    now = now or timezone.now()
    for _attempt in range(ATTEMPTS):
        registration = _fresh(registration)
        if registration.status != Status.PENDING_APPROVAL:
            raise _wrong_status()
        with _atomic():
            seats.lock_edition_pool(registration.edition_id)
            if not _cas(
                registration,
                {Status.PENDING_APPROVAL},
                now,
                status=Status.REJECTED,
                decided_at=now,
                decided_by=actor,
                ended_at=now,
            ):
                continue
            _audit(registration, "reject", actor=actor, before=Status.PENDING_APPROVAL)
            seats.release_seat(registration.edition_id, _day_ids(registration))
            _offer_free_seats(registration.edition, now)
            mails.mail(registration, "rejected")
        return registration
    raise _conflict()


def registration_offer(
    *,
    registration: Registration,
    actor: AbstractBaseUser | None,
    over_capacity: bool = False,
    now: dt.datetime | None = None,
) -> Registration:
    """The organiser moves someone from the waiting list: offer them a seat now, out of turn
    (over the capacity when ``over_capacity``; else "full" when there is no seat for them)."""
    now = now or timezone.now()
    for _attempt in range(ATTEMPTS):
        registration = _fresh(registration)
        status = registration.status
        if status not in {Status.WAITING, Status.WAITING_UNVERIFIED}:
            raise _wrong_status()
        _pools_ready(registration.edition, now)
        with _atomic():
            seats.lock_edition_pool(registration.edition_id)
            day_ids = _day_ids(registration)
            if not seats.take_seat(registration.edition_id, day_ids, force=over_capacity):
                raise RegistrationError(_("There is no free seat for this person."), "full")
            if not _cas(registration, {status}, now, **_offer_changes(registration, now)):
                transaction.set_rollback(True)
                continue
            _audit(registration, "offer", actor=actor, before=status, over_capacity=over_capacity)
            _webhook(registration, WebhookEvent.SEAT_OFFERED)
            mails.mail(registration, "offer")
        return registration
    raise _conflict()


def registration_restore(
    *,
    registration: Registration,
    actor: AbstractBaseUser | None,
    over_capacity: bool = False,
    now: dt.datetime | None = None,
) -> Registration:
    """The organiser brings back a cancelled, expired or rejected registration: confirmed when
    a seat is free on the edition and its days (or over the capacity when ``over_capacity``),
    else at the end of the waiting list. Code "duplicate" when the address has another live
    registration in the edition."""
    now = now or timezone.now()
    for _attempt in range(ATTEMPTS):
        registration = _fresh(registration)
        status = registration.status
        if status not in {Status.CANCELLED, Status.EXPIRED, Status.REJECTED}:
            raise _wrong_status()
        _pools_ready(registration.edition, now)
        try:
            with _atomic():
                seats.lock_edition_pool(registration.edition_id)
                day_ids = _day_ids(registration)
                with_seat = seats.take_seat(registration.edition_id, day_ids, force=over_capacity)
                changes = {
                    "status": Status.CONFIRMED if with_seat else Status.WAITING,
                    "ended_at": None,
                    "cancelled_by": None,
                    "hold_expires_at": None,
                    "offer_expires_at": None,
                    "confirmed_at": now if with_seat else None,
                    # the waiting list is ordered by this: a restored person joins at its end
                    "verified_at": (registration.verified_at or now) if with_seat else now,
                }
                if not _cas(registration, {status}, now, **changes):
                    transaction.set_rollback(True)
                    continue
                _audit(
                    registration, "restore", actor=actor, before=status, over_capacity=over_capacity
                )
                if with_seat:
                    _webhook_confirmed(registration)
                    mails.mail_seat(registration)
                else:
                    mails.mail(registration, "waiting")
        except IntegrityError as error:
            if constraint_violated(error, "registration_active_email_unique"):
                raise RegistrationError(
                    _("This e-mail address has another active registration in this edition."),
                    "duplicate",
                ) from error
            raise
        return registration
    raise _conflict()


def ticket_reissue(
    *,
    registration: Registration,
    actor: AbstractBaseUser | None = None,
    notify: bool = True,
    now: dt.datetime | None = None,
) -> Ticket:
    """A new ticket with a new code (a lost or shared ticket); the old code is refused at the
    door from now on (``revoked``). With ``notify`` the participant is mailed a new secret
    link with the new ticket, in the same transaction; earlier links stop working, since
    whoever has the old ticket may have the link too. Recorded in the audit log."""
    now = now or timezone.now()
    with _atomic():
        registration = registration_lock(registration)
        require_confirmed(registration)
        replaced = Ticket.objects.filter(registration=registration, is_active=True).update(
            is_active=False, revoked_at=now
        )
        ticket = Ticket.objects.create(
            registration=registration, code=ticket_code_new(), created_at=now
        )
        audit_log(
            actor=actor,
            action="registration.ticket_reissue",
            obj=registration,
            before={"tickets_active": replaced},
            after={"ticket": ticket.code[:4] + "…", "mailed": notify},
        )
        if notify:
            registration_mail_resend(registration=registration, actor=actor)
    return ticket


def registration_organiser_act(
    *,
    registration: Registration,
    action: str,
    actor: AbstractBaseUser | None,
    over_capacity: bool = False,
    note: str = "",
) -> None:
    """One action of the back office on a registration (``ORGANISER_ACTIONS``), and the
    organiser's note about it in the audit log, in one transaction: the note stands or falls
    with the change it describes."""
    if action not in ORGANISER_ACTIONS:
        raise RegistrationError(_("This cannot be done with a registration."), "invalid")
    with _atomic():
        ORGANISER_ACTIONS[action](
            registration=registration, actor=actor, over_capacity=over_capacity
        )
        if note:
            audit_log(
                actor=actor, action=f"registration.{action}.note", obj=registration, note=note
            )


# The back office's actions on a registration (``registration_organiser_act``).
ORGANISER_ACTIONS = {
    "approve": lambda *, registration, actor, over_capacity: registration_approve(
        registration=registration, actor=actor
    ),
    "reject": lambda *, registration, actor, over_capacity: registration_reject(
        registration=registration, actor=actor
    ),
    "offer": lambda *, registration, actor, over_capacity: registration_offer(
        registration=registration, actor=actor, over_capacity=over_capacity
    ),
    "cancel": lambda *, registration, actor, over_capacity: registration_cancel(
        registration=registration, actor=actor
    ),
    "restore": lambda *, registration, actor, over_capacity: registration_restore(
        registration=registration, actor=actor, over_capacity=over_capacity
    ),
    "resend": lambda *, registration, actor, over_capacity: registration_mail_resend(
        registration=registration, actor=actor
    ),
    "reissue": lambda *, registration, actor, over_capacity: ticket_reissue(
        registration=registration, actor=actor
    ),
}
