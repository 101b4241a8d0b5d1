"""The helpers every service of the package uses: the bounded transaction, the compare-and-set
of a registration's status, its audit entry, reads and the errors."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.base_user import AbstractBaseUser
from django.utils.translation import gettext_lazy as _

from kongres.audit.models import AuditLogEntry
from kongres.audit.services import audit_entry, audit_log
from kongres.core.locks import atomic_bounded
from kongres.events.models import Edition
from kongres.registration import mails, selectors
from kongres.registration.exceptions import RegistrationError, busy
from kongres.registration.models import (
    Registration,
)
from kongres.webhooks.models import WebhookEvent
from kongres.webhooks.services import webhook_queue

Status = Registration.Status


# A compare-and-set that lost a race is retried with the registration read again.
ATTEMPTS = 3


def _atomic():
    """The transaction of a change here: its waits for locks are bounded (``atomic_bounded``:
    PostgreSQL's ``lock_timeout``, SQLite's busy timeout), after which it is rolled back and
    raises "busy"."""
    return atomic_bounded(busy)


def _cas(registration: Registration, from_statuses: set, now: dt.datetime, **changes) -> bool:
    """Compare-and-set: apply ``changes`` only while the registration is still in one of
    ``from_statuses`` (and matches any ``field__lookup`` condition given); update the object.
    """
    conditions = {key: value for key, value in changes.items() if "__" in key}
    values = {key: value for key, value in changes.items() if "__" not in key}
    updated = Registration.objects.filter(
        pk=registration.pk, status__in=from_statuses, **conditions
    ).update(**values, updated_at=now)
    if updated:
        for key, value in values.items():
            setattr(registration, key, value)
        registration.updated_at = now
    return bool(updated)


def _audit(
    registration: Registration,
    action: str,
    *,
    actor: AbstractBaseUser | None,
    before: str | None,
    changes: tuple[dict, dict] | None = None,
    **after,
) -> None:
    """Record a transition in the audit log, in its transaction: who (None: the participant
    or the system), the status before and after (and other values changed)."""
    audit_log(**_audit_kwargs(registration, action, actor, before, changes, after))


def _audit_entry(
    registration: Registration, action: str, *, actor: AbstractBaseUser | None, **after
) -> AuditLogEntry:
    """The entry ``_audit`` records for a new registration (no status before), not saved."""
    return audit_entry(**_audit_kwargs(registration, action, actor, None, None, after))


def _audit_kwargs(
    registration: Registration,
    action: str,
    actor: AbstractBaseUser | None,
    before: str | None,
    changes: tuple[dict, dict] | None,
    after: dict,
) -> dict:
    before_values = {"status": str(before)} if before else {}
    after_values = {"status": str(registration.status), **after}
    if changes is not None:
        before_values.update(changes[0])
        after_values.update(changes[1])
    return {
        "actor": actor,
        "action": f"registration.{action}",
        "obj": registration,
        "before": before_values,
        "after": after_values,
    }


def _webhook(registration: Registration, event: WebhookEvent) -> None:
    """Queue the webhook ``event`` about the registration, in the caller's transaction."""
    webhook_queue(
        edition_id=registration.edition_id,
        event=event,
        data=lambda: selectors.registration_webhook_data(registration=registration),
    )


def _webhook_confirmed(registration: Registration) -> None:
    """ "registration.confirmed" when the registration has just become confirmed (a seat
    awaiting the organisers' approval is not, yet)."""
    if registration.status == Status.CONFIRMED:
        _webhook(registration, WebhookEvent.REGISTRATION_CONFIRMED)


def _fresh(registration: Registration) -> Registration:
    return Registration.objects.select_related("edition").get(pk=registration.pk)


def _day_ids(registration: Registration) -> list[int]:
    return list(
        Registration.days.through.objects.filter(registration_id=registration.pk)
        .order_by("day__date")
        .values_list("day_id", flat=True)
    )


def _by_token(token: str) -> Registration:
    registration = selectors.registration_get_by_token(token=token)
    if registration is None:
        raise RegistrationError(
            _("This link is not valid. Ask for a new one on the registration page."),
            "invalid_link",
        )
    return registration


def _not_active() -> RegistrationError:
    return RegistrationError(_("This registration is no longer active."), "not_active")


def _wrong_status() -> RegistrationError:
    return RegistrationError(
        _("This cannot be done with a registration in this state."), "wrong_status"
    )


def _offer_expired() -> RegistrationError:
    return RegistrationError(
        _("This offer has ended and the seat went to the next person on the list."),
        "offer_expired",
    )


def _conflict() -> RegistrationError:
    return RegistrationError(
        _("The registration was changed at the same time. Please try again."), "conflict"
    )


def _seat_confirmed_status(edition: Edition) -> str:
    return Status.PENDING_APPROVAL if edition.requires_approval else Status.CONFIRMED


def _resend(registration: Registration, *, again: bool = False) -> None:
    """Mail the registration's live link (the same one: earlier links keep working, so that a
    stranger asking for someone's link revokes nothing). ``again``: the mail says someone
    tried to register the address again."""
    with _atomic():
        mails.mail(registration, "link", again=again)
