"""A person's data (GDPR): everything we hold on them as JSON (``registration_export``), its
erasure (``registration_erase``) and the purge of ended editions (``purge_*``), used by the
participant's page in the back office and by ``kongres purge``.

What erasure keeps and what it removes
======================================
Kept, so that the dashboard's counts and charts stay the same: the status, sector, voivodeship,
size of the municipality, days, panels, the accessibility need categories (and *whether* other
needs were described), the answers to choice and yes/no questions, the language, the consents
(when, which privacy notice version) and every date; check-ins (day, time, gate).

Removed: the names (→ "—"), the e-mail address (→ ``erased-<id>@erased.invalid``, never written
to: campaigns leave it out), institution, position, town, dietary needs, the text of other
accessibility needs (→ "—" when there was one), answers to text questions; the secret links;
the active ticket is revoked; certificates of attendance lose the name (→ "—") and a valid
one is revoked (its verification page then says so, and names nobody); the feedback
survey's invitations lose the person and the link (whether it was used stays, for the response
rate; answers never name anyone). Mails to the person:
unsent ones are deleted, sent ones keep their
date and status only (recipient → the erased address, subject, bodies, attachments, errors
removed). Earlier audit log entries of the registration (and its tickets) keep who did what
and when, with the personal values replaced by "—". Django's admin change log, the search words
of exports and campaigns, the webhook deliveries about the person (the registration's id
kept), the API's stored answers to an ``Idempotency-Key`` and the file mail backend's files are
covered too (``traces``). The erasure itself is
logged.

A registration that still holds a place (or waits for one) in an edition that is not over is
cancelled first, through the registration services, so that its seat is offered to the waiting
list; the counts then show it as cancelled, as if the person had cancelled. In an edition that
is over the status is left as it was (who came stays counted).

Erasure is one transaction and idempotent: erasing an erased registration does nothing."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from kongres.audit.models import AuditLogEntry
from kongres.audit.services import audit_log
from kongres.campaigns.models import Campaign, ScheduledMail
from kongres.checkin.models import Certificate, CheckIn, SessionAttendance
from kongres.events.models import Edition
from kongres.feedback.models import Invitation as SurveyInvitation
from kongres.mail.models import OutboxAttachment, OutboxMessage
from kongres.mail.redaction import redacted
from kongres.privacy import traces
from kongres.registration import selectors as registration_selectors
from kongres.registration.choices import QuestionKind
from kongres.registration.exceptions import RegistrationError
from kongres.registration.models import (
    ACTIVE_STATUSES,
    ERASED_DOMAIN,
    Question,
    Reconfirmation,
    Registration,
    RegistrationToken,
    Ticket,
)
from kongres.registration.rules import is_past
from kongres.registration.services import registration_cancel

ERASED_TEXT = "—"
# Fields of a registration that say who the person is, and what they become.
PERSONAL_TEXT_FIELDS = ("institution", "position", "town", "dietary_needs")
# Keys of audit log values (before/after) that hold personal data.
PERSONAL_AUDIT_KEYS = frozenset(
    {
        "email",
        "first_name",
        "last_name",
        "institution",
        "position",
        "town",
        "dietary_needs",
        "accessibility_other",
        "answers",
        "to",
    }
)


def _iso(value: dt.datetime | dt.date | None) -> str | None:
    return value.isoformat() if value is not None else None


def registration_mails(registration: Registration) -> QuerySet[OutboxMessage]:
    """The outbox rows of mails to the person: about the registration, and the edition's
    messages to participants and scheduled mails sent to their address."""
    campaign_keys = [
        campaign.mail_key for campaign in Campaign.objects.filter(edition=registration.edition_id)
    ] + [
        scheduled.mail_key
        for scheduled in ScheduledMail.objects.filter(edition=registration.edition_id)
    ]
    return OutboxMessage.objects.filter(
        Q(related=registration_selectors.registration_mail_key(registration))
        | Q(related__in=campaign_keys, to__iexact=registration.email)
    ).order_by("created_at", "pk")


def _audit_entries(registration: Registration) -> QuerySet[AuditLogEntry]:
    ticket_ids = [str(pk) for pk in registration.tickets.values_list("pk", flat=True)]
    return AuditLogEntry.objects.filter(
        Q(object_type=Registration._meta.label_lower, object_id=str(registration.pk))
        | Q(object_type=Ticket._meta.label_lower, object_id__in=ticket_ids)
    ).order_by("at", "pk")


def registration_export(registration: Registration) -> dict[str, Any]:
    """Everything we hold on the person, JSON-able: the participant's own export (answers,
    custom answers, consents, mails about the registration) plus the history of the
    registration, every mail sent to them, tickets, check-ins, certificates of attendance, and
    the text of the privacy
    notice version they consented to."""
    data = registration_selectors.registration_data_export(registration=registration)
    data["id"] = registration.pk
    version = registration_selectors.privacy_notice_version_get(
        fingerprint=registration.privacy_notice_version
    )
    data["consents"]["privacy_notice"] = (
        {
            "version": version.fingerprint,
            "first_seen_at": _iso(version.first_seen_at),
            "title_pl": version.title_pl,
            "body_pl": version.body_pl,
            "title_en": version.title_en,
            "body_en": version.body_en,
        }
        if version is not None
        else None
    )
    data["history"] = [
        {
            "at": _iso(entry.at),
            "action": entry.action,
            "by": entry.actor_label or None,
            "before": entry.before,
            "after": entry.after,
            "note": entry.note,
        }
        for entry in _audit_entries(registration)
    ]
    data["mails"] = [
        {
            "subject": mail.subject,
            "to": mail.to,
            "kind": mail.kind,
            "queued": _iso(mail.created_at),
            "sent": _iso(mail.sent_at),
            "status": mail.status,
            "text": redacted(mail.body_text, mail.redact),  # no live link (M3)
        }
        for mail in registration_mails(registration)
    ]
    data["tickets"] = [
        {
            "issued": _iso(ticket.created_at),
            "active": ticket.is_active,
            "revoked": _iso(ticket.revoked_at),
        }
        for ticket in registration.tickets.order_by("created_at", "pk")
    ]
    reconfirmation = Reconfirmation.objects.filter(registration=registration).first()
    data["reconfirmation"] = (
        {
            "asked": _iso(reconfirmation.asked_at),
            "reminded": _iso(reconfirmation.reminded_at),
            "warned": _iso(reconfirmation.warned_at),
            "answer": reconfirmation.answer or None,
            "answered": _iso(reconfirmation.answered_at),
            "place_released": _iso(reconfirmation.released_at),
            "flagged": _iso(reconfirmation.flagged_at),
        }
        if reconfirmation is not None
        else None
    )
    data["checkins"] = [
        {
            "day": _iso(checkin.day.date),
            "scanned": _iso(checkin.scanned_at),
            "result": checkin.result,
            "gate": checkin.gate.name if checkin.gate else None,
        }
        for checkin in CheckIn.objects.filter(registration=registration)
        .select_related("day", "gate")
        .order_by("scanned_at", "pk")
    ]
    data["survey_invitations"] = [
        {
            "survey": invitation.survey.title_pl,
            "invited": _iso(invitation.invited_at),
            "answered": invitation.used,  # only whether: the answers are anonymous
        }
        for invitation in SurveyInvitation.objects.filter(registration=registration)
        .select_related("survey")
        .order_by("invited_at", "pk")
    ]
    data["session_attendance"] = [
        {
            "session": attendance.session.title,
            "scanned": _iso(attendance.scanned_at),
            "result": attendance.result,
        }
        for attendance in SessionAttendance.objects.filter(registration=registration)
        .select_related("session")
        .order_by("scanned_at", "pk")
    ]
    data["certificates"] = [
        {
            "serial": certificate.serial,
            "name": certificate.holder_name,
            "status": certificate.status,
            "days": [day["date"] for day in certificate.attendance],
            "issued": _iso(certificate.issued_at),
            "revoked": _iso(certificate.revoked_at),
        }
        for certificate in Certificate.objects.filter(registration=registration)
        .select_related("edition")
        .order_by("number")
    ]
    data["sessions"] = [  # sign-ups for sessions (issue 18)
        {
            "session": signup.session.title,
            "status": signup.status,
            "signed_up": _iso(signup.created_at),
            "offered": _iso(signup.offered_at),
            "ended": _iso(signup.ended_at),
        }
        for signup in registration.session_signups.select_related("session").order_by(
            "created_at", "pk"
        )
    ]
    return data


def registration_data_export(
    *, registration: Registration, actor: AbstractBaseUser | None
) -> dict[str, Any]:
    """``registration_export`` for someone who downloads it (the back office): the download is
    recorded in the audit log."""
    data = registration_export(registration)
    audit_log(actor=actor, action="registration.data_export", obj=registration)
    return data


def registration_erase(
    *,
    registration: Registration,
    actor: AbstractBaseUser | None,
    now: dt.datetime | None = None,
    note: str = "",
) -> bool:
    """Erase the person's data from the registration and everything that refers to it (see the
    module's docstring); True when erased now, False when it was erased already. ``actor``
    None: the system (``kongres purge``)."""
    now = now or timezone.now()
    with transaction.atomic():
        found = Registration.objects.select_related("edition").get(pk=registration.pk)
        if found.is_erased:
            return False
        if found.status in ACTIVE_STATUSES and not is_past(found.edition, now):
            try:  # before the row lock: the services lock the seat pool first, then the row
                registration_cancel(registration=found, actor=actor, now=now)
            except RegistrationError as error:
                if error.code != "not_active":  # cancelled or expired meanwhile: fine
                    raise
        registration = (
            Registration.objects.select_for_update()
            .select_related("edition")
            .get(pk=registration.pk)
        )
        if registration.is_erased:
            return False
        own = [
            value
            for value in (
                registration.email,
                registration.full_name,
                registration.first_name,
                registration.last_name,
            )
            if len(value) > 1
        ]
        status_before = registration.status
        _erase_mails(registration)
        _erase_audit(registration, own)
        traces.admin_log_erase(registration=registration, own=own)
        traces.search_words_erase(registration=registration, own=own)
        traces.webhook_deliveries_erase(registration=registration)
        RegistrationToken.objects.filter(registration=registration).delete()
        # the survey's invitations lose the person and the link; the rows stay, anonymous,
        # for the response rate (the answers never named anyone: kongres.feedback.models)
        SurveyInvitation.objects.filter(registration=registration).update(
            registration=None, token_hash=None
        )
        Ticket.objects.filter(registration=registration, is_active=True).update(
            is_active=False, revoked_at=now
        )
        Certificate.objects.filter(
            registration=registration, status=Certificate.Status.VALID
        ).update(status=Certificate.Status.REVOKED, revoked_at=now, revoked_reason="erased")
        Certificate.objects.filter(registration=registration).update(holder_name=ERASED_TEXT)
        changes: dict[str, Any] = {
            "email": registration.erased_email,
            "email_key": None,  # compared by the erased address, like the e-mail
            "first_name": ERASED_TEXT,
            "last_name": "",
            "accessibility_other": ERASED_TEXT if registration.accessibility_other else "",
            "answers": _kept_answers(registration),
            "updated_at": now,
            **dict.fromkeys(PERSONAL_TEXT_FIELDS, ""),
        }
        Registration.objects.filter(pk=registration.pk).update(**changes)
        for name, value in changes.items():
            setattr(registration, name, value)
        traces.idempotency_answers_erase(registration=registration, changes=changes)
        audit_log(
            actor=actor,
            action="registration.erase",
            obj=registration,
            before={"status": status_before},
            after={"status": registration.status, "erased": True},
            note=note,
        )
        email = own[0] if own else ""
        if email:  # files are not rolled back: only once the erasure is committed
            transaction.on_commit(lambda: traces.mail_files_erase(email=email))
    return True


# ``kongres purge``: editions that ended more than this many days ago, unless told otherwise.
PURGE_AFTER_DAYS = 365


def purge_editions(*, after_days: int, today: dt.date | None = None) -> QuerySet[Edition]:
    """The editions whose last day is more than ``after_days`` days before ``today``."""
    today = today or timezone.localdate()
    return Edition.objects.filter(end_date__lt=today - dt.timedelta(days=after_days)).order_by(
        "end_date", "pk"
    )


def purge_candidates(*, edition: Edition) -> QuerySet[Registration]:
    """The registrations of ``edition`` whose personal data are still there."""
    return Registration.objects.filter(edition=edition).exclude(
        email__iendswith=f"@{ERASED_DOMAIN}"
    )


def _kept_answers(registration: Registration) -> dict[str, Any]:
    """The answers to choice and yes/no questions (statistics); text answers go."""
    kinds = dict(
        Question.objects.filter(edition_id=registration.edition_id).values_list("slug", "kind")
    )
    return {
        slug: value
        for slug, value in (registration.answers or {}).items()
        if kinds.get(slug) not in (None, QuestionKind.TEXT)
    }


def _erase_mails(registration: Registration) -> None:
    mails = registration_mails(registration)
    # never delivered: deleted. A message the mail server has (``sent_at``) while its worker
    # has not marked it sent yet (it marks a batch at a time) is kept, emptied like the sent
    # ones: the record that it went stays, and the worker's marking finds its row.
    unsent = mails.filter(
        status__in=(OutboxMessage.Status.QUEUED, OutboxMessage.Status.SENDING), sent_at=None
    )
    OutboxMessage.objects.filter(pk__in=unsent.values("pk")).delete()
    kept = list(mails.values_list("pk", flat=True))
    OutboxAttachment.objects.filter(message_id__in=kept).delete()
    OutboxMessage.objects.filter(pk__in=kept).update(
        to=registration.erased_email,
        subject="",
        body_text="",
        body_html="",
        last_error="",
    )


def _scrub(value: Any, pattern: re.Pattern | None) -> Any:
    """``value`` with personal keys replaced by "—" and the person's names and address
    removed from any text."""
    if isinstance(value, dict):
        return {
            key: (ERASED_TEXT if key in PERSONAL_AUDIT_KEYS and item else _scrub(item, pattern))
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_scrub(item, pattern) for item in value]
    if isinstance(value, str) and pattern is not None:
        return pattern.sub(ERASED_TEXT, value)
    return value


def _pattern(values: list[str]) -> re.Pattern | None:
    if not values:
        return None
    longest_first = sorted(set(values), key=len, reverse=True)
    return re.compile("|".join(re.escape(value) for value in longest_first), re.IGNORECASE)


def _erase_audit(registration: Registration, own: list[str]) -> None:
    """Entries of the registration and its tickets: personal values and every mention of the
    names and address go. Entries elsewhere in the edition that mention the address or the
    full name (a note, a label): those mentions go."""
    entries = list(_audit_entries(registration))
    _scrub_entries(entries, _pattern(own))
    specific = [value for value in (registration.email, registration.full_name) if value]
    mentions = Q()
    for value in specific:
        mentions |= Q(object_label__icontains=value) | Q(note__icontains=value)
    others = list(
        AuditLogEntry.objects.filter(edition=registration.edition_id)
        .filter(mentions)
        .exclude(pk__in=[entry.pk for entry in entries])
    )
    pattern = _pattern(specific)
    for entry in others:
        entry.note = _scrub(entry.note, pattern)
        entry.object_label = _scrub(entry.object_label, pattern)
    AuditLogEntry.objects.bulk_update(
        entries + others, ["before", "after", "note", "object_label"], batch_size=200
    )


def _scrub_entries(entries: list[AuditLogEntry], pattern: re.Pattern | None) -> None:
    for entry in entries:
        entry.before = _scrub(entry.before, pattern)
        entry.after = _scrub(entry.after, pattern)
        entry.note = _scrub(entry.note, pattern)
        entry.object_label = _scrub(entry.object_label, pattern)
