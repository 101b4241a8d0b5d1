"""The reconfirmation round: the organisers' settings (``reconfirmation_configure``), the
participant's answer by the one-click links (``reconfirmation_answer``: "I'm coming" keeps the
seat, "I can't come after all" cancels and frees it at once) and the worker's job
(``reconfirmation_due``).

The job, every run, for each edition whose round is on (``ReconfirmationRound``):

1. from ``asks_at`` until the deadline, every confirmed participant whose seat was confirmed
   before ``asks_at`` gets a ``Reconfirmation`` row (one per registration: a unique key);
2. each row not yet asked gets the question mail; a row not yet answered gets the reminder
   ``reminder_after_days`` after its question; in ``release`` mode, from ``warns_at`` a row not
   yet answered gets the warning. Each mail is queued in the transaction of a compare-and-set
   of its time (``asked_at IS NULL`` → now): a second worker (or the same one run twice)
   queues none twice;
3. at the deadline, a row still unanswered is flagged (``flag``), or (``release``) once its
   warning is ``warning_hours`` old (and delivered) its registration is cancelled and the
   seat offered to the waiting list, in one transaction that takes the locks in the order of
   the state machine: the edition's pool, then the registration (a compare-and-set
   ``confirmed`` → ``cancelled``), then the row (``answer = '' AND released_at IS NULL``).
   A participant cancelling or answering at the same moment wins or loses as a whole: the
   seat is freed once.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import CharField, Exists, OuterRef, Q, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kongres.audit.services import audit_log
from kongres.events.models import Edition
from kongres.mail.models import OutboxMessage
from kongres.registration import mails, rules, seats
from kongres.registration.exceptions import RegistrationError
from kongres.registration.models import Reconfirmation, ReconfirmationRound, Registration
from kongres.registration.services._common import (
    Status,
    _atomic,
    _audit,
    _by_token,
    _cas,
    _day_ids,
    _webhook,
)
from kongres.registration.services.transitions import registration_cancel
from kongres.registration.services.waiting_list import _offer_free_seats
from kongres.webhooks.models import WebhookEvent

logger = logging.getLogger(__name__)

Answer = Reconfirmation.Answer
BATCH = 200


def reconfirmation_configure(
    *,
    edition: Edition,
    enabled: bool,
    days_before: int,
    reminder_after_days: int,
    deadline_days_before: int,
    warning_hours: int,
    on_no_answer: str,
    actor: AbstractBaseUser | None = None,
) -> ReconfirmationRound:
    """Set the edition's round (made on first use)."""
    if deadline_days_before >= days_before:
        raise RegistrationError(
            _("The deadline must come after the question: fewer days before the first day."),
            "invalid",
        )
    if on_no_answer not in ReconfirmationRound.NoAnswer.values:
        raise RegistrationError(_("Choose what happens without an answer."), "invalid")
    values = {
        "enabled": enabled,
        "days_before": days_before,
        "reminder_after_days": reminder_after_days,
        "deadline_days_before": deadline_days_before,
        "warning_hours": warning_hours,
        "on_no_answer": on_no_answer,
    }
    with _atomic():
        found = ReconfirmationRound.objects.select_for_update().filter(edition=edition).first()
        before = {key: getattr(found, key) for key in values} if found else {}
        if found is None:
            found = ReconfirmationRound.objects.create(edition=edition, **values)
        else:
            for key, value in values.items():
                setattr(found, key, value)
            found.save(update_fields=[*values, "updated_at"])
        audit_log(
            actor=actor, action="reconfirmation.configure", obj=found, before=before, after=values
        )
    return found


def _too_late() -> RegistrationError:
    return RegistrationError(
        _("The time to reconfirm is over and your place has been given to someone else."),
        "released",
    )


def reconfirmation_answer(
    *, token: str, answer: str, now: dt.datetime | None = None
) -> Registration:
    """The participant's answer by the secret link. "coming" keeps the seat; "not_coming"
    cancels the registration (the seat goes to the waiting list at once). The answer can be
    changed from "coming" to "not_coming" (that is a cancellation); not after a release."""
    now = now or timezone.now()
    if answer not in {Answer.COMING, Answer.NOT_COMING}:
        raise RegistrationError(_("Choose an answer."), "invalid")
    registration = _by_token(token)
    asked = Reconfirmation.objects.filter(registration=registration).first()
    if asked is None:
        raise RegistrationError(_("You have not been asked to reconfirm."), "not_asked")
    if asked.released_at is not None:
        raise _too_late()
    if registration.status not in {Status.CONFIRMED, Status.PENDING_APPROVAL}:
        raise RegistrationError(_("This registration holds no place."), "wrong_status")
    if answer == Answer.COMING:
        with _atomic():
            if not Reconfirmation.objects.filter(pk=asked.pk, released_at__isnull=True).update(
                answer=answer, answered_at=now
            ):
                raise _too_late()
            _audit(registration, "reconfirm", actor=None, before=registration.status, answer=answer)
        return registration
    # The cancellation, then the answer, in one transaction: the locks in the order of a
    # release (the edition's pool, the registration, then this row).
    with _atomic():
        registration = registration_cancel(registration=registration, now=now)
        if not Reconfirmation.objects.filter(pk=asked.pk, released_at__isnull=True).update(
            answer=answer, answered_at=now
        ):
            raise _too_late()
    return registration


# -- the worker's job ----------------------------------------------------------------------------


def _enrol(round_: ReconfirmationRound, now: dt.datetime) -> None:
    """A row for every confirmed participant whose seat was confirmed before the question."""
    if now >= round_.deadline:
        return
    ids = (
        Registration.objects.filter(edition_id=round_.edition_id, status=Status.CONFIRMED)
        .filter(Q(confirmed_at__lte=round_.asks_at) | Q(confirmed_at__isnull=True))
        .exclude(reconfirmation__isnull=False)
        .values_list("pk", flat=True)
    )
    Reconfirmation.objects.bulk_create(
        [Reconfirmation(registration_id=pk, edition_id=round_.edition_id) for pk in ids],
        batch_size=1000,
        ignore_conflicts=True,  # another worker made it meanwhile
    )


def _mail_once(rows, field: str, name: str, now: dt.datetime, **context) -> int:
    """For each row, in its own transaction: set ``field`` if still empty (compare-and-set)
    and queue the mail ``name``; returns how many were queued."""
    queued = 0
    for row in rows:
        with _atomic():
            if not Reconfirmation.objects.filter(pk=row.pk, **{f"{field}__isnull": True}).update(
                **{field: now}
            ):
                continue  # another worker did
            mails.mail(row.registration, name, **context)
            queued += 1
    return queued


def _pending(round_: ReconfirmationRound):
    return (
        Reconfirmation.objects.filter(
            edition_id=round_.edition_id,
            answer=Answer.NONE,
            registration__status=Status.CONFIRMED,
        )
        .select_related("registration__edition")
        .order_by("pk")
    )


def _warning_undelivered() -> Exists:
    """Whether the row's warning mail is still waiting in the outbox (a mail server down for
    hours must not cost anyone the place: the release waits for the delivery)."""
    return Exists(
        OutboxMessage.objects.filter(
            related=Concat(Value("registration:"), Cast(OuterRef("registration_id"), CharField())),
            kind="registration.reconfirm_warning",
            status__in=[OutboxMessage.Status.QUEUED, OutboxMessage.Status.SENDING],
        )
    )


class _Lost(Exception):
    """The release lost a race (cancelled or answered meanwhile): roll it back."""


def _release(row: Reconfirmation, now: dt.datetime) -> bool:
    registration = row.registration
    try:
        with _atomic():
            seats.lock_edition_pool(registration.edition_id)
            if not _cas(
                registration, {Status.CONFIRMED}, now, status=Status.CANCELLED, ended_at=now
            ):
                raise _Lost
            if not Reconfirmation.objects.filter(
                pk=row.pk, answer=Answer.NONE, released_at__isnull=True
            ).update(released_at=now):
                raise _Lost
            _audit(registration, "reconfirm_release", actor=None, before=Status.CONFIRMED)
            _webhook(registration, WebhookEvent.REGISTRATION_CANCELLED)
            seats.release_seat(registration.edition_id, _day_ids(registration))
            mails.mail(registration, "reconfirm_released")
            _offer_free_seats(registration.edition, now)
    except _Lost:
        return False
    return True


def reconfirmation_run(*, round_: ReconfirmationRound, now: dt.datetime) -> dict[str, int]:
    """One pass of the round of one edition (see the module's docstring)."""
    done = {"asked": 0, "reminded": 0, "warned": 0, "released": 0, "flagged": 0}
    if now < round_.asks_at or rules.is_past(round_.edition, now):
        return done
    _enrol(round_, now)
    pending = _pending(round_)
    if now < round_.deadline:
        done["asked"] = _mail_once(
            pending.filter(asked_at__isnull=True).iterator(chunk_size=BATCH),
            "asked_at",
            "reconfirm",
            now,
            reconfirmation=round_,
        )
        remind_before = now - dt.timedelta(days=round_.reminder_after_days)
        if now < round_.warns_at or round_.on_no_answer == ReconfirmationRound.NoAnswer.FLAG:
            done["reminded"] = _mail_once(
                pending.filter(
                    asked_at__lte=remind_before, reminded_at__isnull=True, warned_at__isnull=True
                ).iterator(chunk_size=BATCH),
                "reminded_at",
                "reconfirm_reminder",
                now,
                reconfirmation=round_,
            )
    release = round_.on_no_answer == ReconfirmationRound.NoAnswer.RELEASE
    if release and now >= round_.warns_at:
        done["warned"] = _mail_once(
            pending.filter(asked_at__isnull=False, warned_at__isnull=True).iterator(
                chunk_size=BATCH
            ),
            "warned_at",
            "reconfirm_warning",
            now,
            reconfirmation=round_,
        )
    if now >= round_.deadline:
        due = pending.filter(asked_at__isnull=False, released_at__isnull=True)
        if release:
            warned_before = now - dt.timedelta(hours=round_.warning_hours)
            due = due.filter(warned_at__lte=warned_before).exclude(_warning_undelivered())
            for row in due.iterator(chunk_size=BATCH):
                done["released"] += _release(row, now)
        else:
            done["flagged"] = due.filter(flagged_at__isnull=True).update(flagged_at=now)
    if any(done.values()):
        logger.info("%s: reconfirmation %s", round_.edition.slug, done)
    return done


def reconfirmation_due(*, now: dt.datetime | None = None) -> int:
    """The worker's job: run the round of every edition that has one on; returns how many
    mails, releases and flags it made."""
    now = now or timezone.now()
    total = 0
    rounds = ReconfirmationRound.objects.filter(
        enabled=True, edition__start_date__gte=(now - dt.timedelta(days=1)).date()
    ).select_related("edition")
    for round_ in rounds:
        total += sum(reconfirmation_run(round_=round_, now=now).values())
    return total
