"""Creating a registration: one transaction of ORM statements, the seat taken last."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kongres.audit.models import AuditLogEntry
from kongres.core.constraints import constraint_violated
from kongres.core.locks import lock_timeout_ms, lock_wait_ends
from kongres.core.rows import row_json
from kongres.events.models import Edition
from kongres.mail.services import mail_due_task_wake
from kongres.registration import mails, rules, seats
from kongres.registration.data import EditionParts, RegistrationData
from kongres.registration.exceptions import RegistrationError, busy
from kongres.registration.models import (
    Registration,
    RegistrationToken,
)
from kongres.registration.services._common import (
    Status,
    _atomic,
    _audit,
    _audit_entry,
    _webhook,
    _webhook_confirmed,
)
from kongres.registration.services.validation import (
    _UPDATABLE_FIELDS,
    _clean,
    _privacy_notice_version,
)
from kongres.registration.services.waiting_list import _pools_read
from kongres.registration.tokens import token_new
from kongres.registration.validators import email_key
from kongres.webhooks.models import WebhookEvent


class _NoSeat(Exception):
    """The seat that looked free was taken meanwhile: roll back and register as waiting."""


def registration_create(
    *,
    edition: Edition,
    data: RegistrationData,
    now: dt.datetime | None = None,
    actor: AbstractBaseUser | None = None,
    over_capacity: bool = False,
    parts: EditionParts | None = None,
    audit_entries: Sequence[AuditLogEntry] = (),
) -> tuple[Registration, str]:
    """Register someone; return the registration and the secret token of its link.

    A participant gets a held seat (to confirm by the mailed link within the edition's hold
    time) or, when the edition or one of their days is full, a place that joins the waiting
    list once the address is confirmed. An organiser (``actor``) may add people outside the
    registration window; their registration is confirmed at once (no address check), over
    the capacity when ``over_capacity``, else on the waiting list when there is no seat.
    ``parts``: the edition's days, panels and questions when the caller has them at hand.
    ``audit_entries``: other entries of the audit log (not saved) written in the same
    transaction, before the registration's own (the API's ``api.request`` entry).
    """
    now = now or timezone.now()
    if actor is None:
        rules.registration_window_check(edition, now)
    clean = _clean(edition, data, participant=actor is None, parts=parts)
    version = ""
    if clean.privacy_consent:
        known = parts.privacy_notice_version if parts else None
        version = known if known is not None else _privacy_notice_version(now)
    day_ids = [day.pk for day in parts.days] if parts else None
    read = _pools_read(edition, now, day_ids=day_ids)
    expect_seat = over_capacity or seats.seems_free(read.pools, clean.day_ids)
    if actor is None and expect_seat and read.seats_closed:
        expect_seat = False  # draw mode: an application holds no seat until the draw
    token, hashed, salt = token_new()
    # Usually one attempt; a second one when the seat that looked free was taken meanwhile.
    for with_seat in (True, False) if expect_seat else (False,):
        try:
            return _create(
                edition,
                clean,
                version,
                (token, hashed, salt),
                now,
                actor,
                with_seat,
                over_capacity,
                subscribed=read.subscribed,
                audit_entries=audit_entries,
                stencils=parts.stencils if parts else None,
            )
        except _NoSeat:
            continue
        except IntegrityError as error:
            if constraint_violated(error, "registration_active_email_unique"):
                duplicate = RegistrationError(
                    _("This e-mail address is already registered for this edition."), "duplicate"
                )
                # What a new registration would have been (the form answers as for one, L1).
                new = _new(edition, clean, version, now, actor, with_seat)
                duplicate.would_be = new.status
                duplicate.hold_expires_at = new.hold_expires_at
                raise duplicate from error
            raise
    raise AssertionError("unreachable")  # the last attempt never raises _NoSeat


def _create(
    edition: Edition,
    clean: RegistrationData,
    privacy_notice_version: str,
    link: tuple[str, str, str],
    now: dt.datetime,
    actor: AbstractBaseUser | None,
    with_seat: bool,
    over_capacity: bool,
    *,
    subscribed: bool = True,
    audit_entries: Sequence[AuditLogEntry] = (),
    stencils: Mapping[tuple[str, str], mails.Stencil] | None = None,
) -> tuple[Registration, str]:
    """``subscribed``: whether the edition has webhook subscribers (read with the pools); if
    not, no event is looked for. ``stencils``: the verification mail's, read with the parts."""
    token, hashed, salt = link
    registration = _new(edition, clean, privacy_notice_version, now, actor, with_seat)
    if actor is None and connection.vendor == "postgresql":
        _create_in_one_statement(
            registration,
            clean,
            link,
            with_seat,
            subscribed=subscribed,
            audit_entries=audit_entries,
            stencils=stencils,
        )
        return registration, token
    with _atomic():
        for entry in audit_entries:
            entry.pk = None  # a new row on each attempt (a rolled back one left no row)
            entry.save(force_insert=True)
        registration.save(force_insert=True)
        Registration.days.through.objects.bulk_create(
            Registration.days.through(registration_id=registration.pk, day_id=day_id)
            for day_id in clean.day_ids
        )
        if clean.track_ids:
            Registration.tracks.through.objects.bulk_create(
                Registration.tracks.through(registration_id=registration.pk, track_id=track_id)
                for track_id in clean.track_ids
            )
        RegistrationToken.objects.create(registration=registration, token_hash=hashed, salt=salt)
        _audit(registration, "create", actor=actor, before=None, over_capacity=over_capacity)
        if subscribed:
            _webhook(registration, WebhookEvent.REGISTRATION_CREATED)
            _webhook_confirmed(registration)
        # The mail is rendered and queued before the seat is taken: the seat's lock is held
        # only from the UPDATE below to the COMMIT.
        if actor is None:
            mails.mail(registration, "verify", token=token)
        elif with_seat:
            mails.mail_seat(registration, token=token)
        else:
            mails.mail(registration, "waiting", token=token)
        if with_seat and not seats.take_seat(edition.pk, clean.day_ids, force=over_capacity):
            raise _NoSeat
    return registration, token


# The registration function (migrations registration/0013 and 0014): the registration, its
# days and panels, its link's token, its audit entries and its verification mail in one round
# trip, then the seat (the row locks held from there to the COMMIT); when the seat was taken
# meanwhile it raises NO_SEAT, which rolls the whole statement back.
CREATE_SQL = (
    "SELECT kongres_registration_create("
    "%s::jsonb, %s::bigint[], %s::bigint[], %s::jsonb, %s::jsonb, %s::jsonb, %s, %s, %s::jsonb)"
)
NO_SEAT = "KG001"  # the function's SQLSTATE for "no seat left"


def _create_in_one_statement(
    registration: Registration,
    clean: RegistrationData,
    link: tuple[str, str, str],
    with_seat: bool,
    *,
    subscribed: bool,
    audit_entries: Sequence[AuditLogEntry] = (),
    stencils: Mapping[tuple[str, str], mails.Stencil] | None = None,
) -> None:
    """``_create`` of a participant on PostgreSQL: what the ORM path writes in seven
    statements, written by one call of the registration function; once it is committed, a
    sending task is enqueued unless one waits to start (``mail_due_task_wake``). Sets the
    registration's id.

    Outside a transaction, and with no webhook event to write with it, the call is a
    transaction of its own (autocommit: no BEGIN and no COMMIT round trip); else it runs in
    ``transaction.atomic()`` with the webhook events."""
    token, hashed, salt = link
    message = mails.prepared(registration, "verify", token=token, stencils=stencils)
    rows = [
        row_json(registration),
        clean.day_ids,
        clean.track_ids or [],
        row_json(RegistrationToken(token_hash=hashed, salt=salt)),
        row_json(_audit_entry(registration, "create", actor=None, over_capacity=False)),
    ]
    # the other entries as a JSON array (``row_json`` gives each as a JSON object)
    others = "[" + ", ".join(row_json(entry) for entry in audit_entries) + "]"
    params = [*rows, row_json(message), with_seat, lock_timeout_ms(), others]
    with lock_wait_ends(busy), _no_seat_raised():
        if not subscribed and not connection.in_atomic_block:
            registration.pk = _call(params)
            mail_due_task_wake()  # committed: the statement was its own transaction
            return
        with transaction.atomic():
            transaction.on_commit(mail_due_task_wake)
            registration.pk = _call(params)
            if subscribed:
                _webhook(registration, WebhookEvent.REGISTRATION_CREATED)
                _webhook_confirmed(registration)


def _call(params: list) -> int:
    with connection.cursor() as cursor:
        cursor.execute(CREATE_SQL, params)
        [(pk,)] = cursor.fetchall()
    return pk


@contextmanager
def _no_seat_raised() -> Iterator[None]:
    """``_NoSeat`` for the function's NO_SEAT error (its statement rolled back whole)."""
    try:
        yield
    except DatabaseError as error:
        if getattr(error.__cause__, "sqlstate", None) == NO_SEAT:
            raise _NoSeat from error
        raise


def _new(
    edition: Edition,
    clean: RegistrationData,
    privacy_notice_version: str,
    now: dt.datetime,
    actor: AbstractBaseUser | None,
    with_seat: bool,
) -> Registration:
    registration = Registration(
        edition=edition,
        email=clean.email,
        email_key=email_key(clean.email),
        created_by=actor,
        language=clean.language,
        **{name: getattr(clean, name) for name in _UPDATABLE_FIELDS if name != "language"},
    )
    if clean.privacy_consent:
        registration.privacy_consent_at = now
        registration.privacy_notice_version = privacy_notice_version
    if actor is None:
        registration.status = Status.HELD if with_seat else Status.WAITING_UNVERIFIED
        registration.hold_expires_at = now + dt.timedelta(minutes=edition.hold_minutes)
    else:  # an organiser vouches for the address
        registration.status = Status.CONFIRMED if with_seat else Status.WAITING
        registration.verified_at = now
        registration.confirmed_at = now if with_seat else None
    return registration
