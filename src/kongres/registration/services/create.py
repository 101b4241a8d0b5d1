"""Creating a registration: a participant's on PostgreSQL is one call of the registration function
(it decides the seat); otherwise one transaction of ORM statements, the seat taken last."""

from __future__ import annotations

import datetime as dt
import json
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
from kongres.registration import mails, rules, seats, selectors
from kongres.registration.data import EditionParts, RegistrationData
from kongres.registration.exceptions import RegistrationError, busy
from kongres.registration.models import (
    Registration,
    RegistrationToken,
)
from kongres.registration.services._common import (
    ATTEMPTS,
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
from kongres.registration.services.waiting_list import _pools_read, _pools_ready
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
    link = token_new()
    if actor is None and connection.vendor == "postgresql":
        return _create_participant(edition, clean, version, link, now, parts, audit_entries)
    day_ids = [day.pk for day in parts.days] if parts else None
    read = _pools_read(edition, now, day_ids=day_ids)
    expect_seat = over_capacity or seats.seems_free(read.pools, clean.day_ids)
    if actor is None and expect_seat and read.seats_closed:
        expect_seat = False  # draw mode: an application holds no seat until the draw
    # Usually one attempt; a second one when the seat that looked free was taken meanwhile.
    for with_seat in (True, False) if expect_seat else (False,):
        try:
            return _create(
                edition,
                clean,
                version,
                link,
                now,
                actor,
                with_seat,
                over_capacity,
                subscribed=read.subscribed,
                audit_entries=audit_entries,
            )
        except _NoSeat:
            continue
        except IntegrityError as error:
            if constraint_violated(error, ONE_ACTIVE_PER_ADDRESS):
                raise _duplicate(edition, clean, version, now, actor, with_seat) from error
            raise
    raise AssertionError("unreachable")  # the last attempt never raises _NoSeat


ONE_ACTIVE_PER_ADDRESS = "registration_active_email_unique"


def _duplicate(
    edition: Edition,
    clean: RegistrationData,
    version: str,
    now: dt.datetime,
    actor: AbstractBaseUser | None,
    with_seat: bool,
) -> RegistrationError:
    """The "duplicate" error for a violation of the one active registration per address, with
    what a new registration would have been (the form answers as for one, review 2026-12, L1)."""
    duplicate = RegistrationError(
        _("This e-mail address is already registered for this edition."), "duplicate"
    )
    new = _new(edition, clean, version, now, actor, with_seat)
    duplicate.would_be = new.status
    duplicate.hold_expires_at = new.hold_expires_at
    return duplicate


def _create_participant(
    edition: Edition,
    clean: RegistrationData,
    version: str,
    link: tuple[str, str, str],
    now: dt.datetime,
    parts: EditionParts | None,
    audit_entries: Sequence[AuditLogEntry],
) -> tuple[Registration, str]:
    """A participant's registration on PostgreSQL: one call of the registration function,
    which decides the seat (``_create_in_one_statement``); another one after bringing the
    seat pools in line when it found them missing or out of line (``_pools_ready``)."""
    if parts is None:
        parts = selectors.edition_form_parts(edition=edition)
    registration = _new(edition, clean, version, now, None, with_seat=True)
    for attempt in range(ATTEMPTS):
        try:
            _create_in_one_statement(
                registration,
                clean,
                link,
                subscribed=parts.subscribed,
                audit_entries=audit_entries,
                stencils=parts.stencils,
            )
        except _PoolsStale:
            if attempt == ATTEMPTS - 1:
                raise
            _pools_ready(edition, now, day_ids=[day.pk for day in parts.days])
        except IntegrityError as error:
            if not constraint_violated(error, ONE_ACTIVE_PER_ADDRESS):
                raise
            # (a rare answer: the pools are read for it)
            read = _pools_read(edition, now, day_ids=[day.pk for day in parts.days])
            with_seat = seats.seems_free(read.pools, clean.day_ids) and not read.seats_closed
            raise _duplicate(edition, clean, version, now, None, with_seat) from error
        else:
            return registration, link[0]
    raise AssertionError("unreachable")  # the last attempt returns or raises


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
) -> tuple[Registration, str]:
    """The ORM's statements (on SQLite, and for an organiser's registration): ``with_seat``
    when the pools read showed a seat. ``subscribed``: whether the edition has webhook
    subscribers (read with the pools); if not, no event is looked for."""
    token, hashed, salt = link
    registration = _new(edition, clean, privacy_notice_version, now, actor, with_seat)
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


# The registration function (migrations registration/0013 to 0015): the seat (none in draw
# mode before the draw), then the registration, its days and panels, its link's token, its audit
# entries and its verification mail in one round trip, the row locks of a seat held from there to
# the COMMIT. Without a seat it writes what ``without_seat`` says (the waiting list's status and
# mail); with a seat pool missing or out of line it raises POOLS_STALE, which rolls the whole
# statement back.
CREATE_SQL = (
    "SELECT new_id, seated FROM kongres_registration_create("
    "%s::jsonb, %s::bigint[], %s::bigint[], %s::jsonb, %s::jsonb, %s::jsonb, %s::jsonb, %s, "
    "%s::jsonb)"
)
POOLS_STALE = "KG002"  # the function's SQLSTATE for "a seat pool is missing or out of line"


class _PoolsStale(Exception):
    """The function found a seat pool missing or out of line: bring them in line, call again."""


def _create_in_one_statement(
    registration: Registration,
    clean: RegistrationData,
    link: tuple[str, str, str],
    *,
    subscribed: bool,
    audit_entries: Sequence[AuditLogEntry] = (),
    stencils: Mapping[tuple[str, str], mails.Stencil] | None = None,
) -> None:
    """What the ORM path writes in seven statements and a read of the pools, written by one
    call of the registration function, which takes the seat if there is one. ``registration``
    comes as with a seat (held); the function is also given what differs without one (the
    status and the verification mail's text). Sets the registration's id and status. The
    mail's delivery is the worker's (``mail.services.mail_due_wake`` finds it due).

    Outside a transaction, and with no webhook event to write with it, the call is a
    transaction of its own (autocommit: no BEGIN and no COMMIT round trip); else it runs in
    ``transaction.atomic()`` with the webhook events."""
    token, hashed, salt = link
    message, (subject, text, html) = mails.prepared_with_other(
        registration,
        "verify",
        token=token,
        other_status=Status.WAITING_UNVERIFIED,
        stencils=stencils,
    )
    without_seat = {
        "status": Status.WAITING_UNVERIFIED,
        "message": {"subject": subject, "body_text": text, "body_html": html},
    }
    params = [
        row_json(registration),
        clean.day_ids,
        clean.track_ids or [],
        row_json(RegistrationToken(token_hash=hashed, salt=salt)),
        row_json(_audit_entry(registration, "create", actor=None, over_capacity=False)),
        row_json(message),
        json.dumps(without_seat),
        lock_timeout_ms(),
        # the other entries as a JSON array (``row_json`` gives each as a JSON object)
        "[" + ", ".join(row_json(entry) for entry in audit_entries) + "]",
    ]
    with lock_wait_ends(busy), _pools_stale_raised():
        if not subscribed and not connection.in_atomic_block:
            _call(registration, params)
            return
        with transaction.atomic():
            _call(registration, params)
            if subscribed:
                _webhook(registration, WebhookEvent.REGISTRATION_CREATED)
                _webhook_confirmed(registration)


def _call(registration: Registration, params: list) -> None:
    with connection.cursor() as cursor:
        cursor.execute(CREATE_SQL, params)
        [(pk, seated)] = cursor.fetchall()
    registration.pk = pk
    if not seated:
        registration.status = Status.WAITING_UNVERIFIED


@contextmanager
def _pools_stale_raised() -> Iterator[None]:
    """``_PoolsStale`` for the function's POOLS_STALE error (its statement rolled back whole)."""
    try:
        yield
    except DatabaseError as error:
        if getattr(error.__cause__, "sqlstate", None) == POOLS_STALE:
            raise _PoolsStale from error
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
