"""The registration's mails: which template, with which context and attachments, rendered and
queued in the transaction of the change (``mail``). Each mail carries a secret link."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation

from kongres.events.ics import edition_calendar, edition_zone
from kongres.mail.models import OutboxMessage
from kongres.mail.services import mail_prepared, mail_queue
from kongres.registration import selectors
from kongres.registration.links import link_token
from kongres.registration.models import Registration
from kongres.registration.tickets import ticket_mail

Status = Registration.Status

# Mails that carry the ticket (the QR inline, the PDFs attached) when the registration is
# confirmed: the confirmation, the approval, and a new link (which is how a participant who
# lost the ticket gets it again).
TICKET_MAILS = frozenset({"confirmed", "approved", "link"})


def mail_seat(registration: Registration, *, token: str | None = None) -> None:
    """The mail for a seat just confirmed (with the calendar file) or awaiting approval."""
    if registration.status == Status.CONFIRMED:
        mail(registration, "confirmed", token=token, attach_calendar=True)
    else:
        mail(registration, "pending_approval", token=token)


def _link(name: str, token: str, language: str) -> str:
    with translation.override(language):
        return settings.SITE_URL + reverse(name, kwargs={"token": token})


def mail(
    registration: Registration,
    name: str,
    *,
    token: str | None = None,
    attach_calendar: bool = False,
    **context,
) -> None:
    """Queue the mail ``registration/mail/<name>`` in the registration's language, in the
    caller's transaction. Without ``token`` it carries the registration's live link
    (``links.link_token``). The mails of a
    confirmed registration in ``TICKET_MAILS`` carry its ticket, issued here (in the
    transaction that confirms it) when it has none."""
    if token is None:
        token = link_token(registration=registration)
    kwargs = mail_kwargs(
        registration, name, token=token, attach_calendar=attach_calendar, **context
    )
    with timezone.override(edition_zone(edition=registration.edition)):
        mail_queue(**kwargs)


def prepared(registration: Registration, name: str, *, token: str) -> OutboxMessage:
    """The mail ``registration/mail/<name>`` (one without attachments) rendered as ``mail``
    would queue it, not saved: for the registration function on PostgreSQL, which writes it
    with the registration and fills in its ``related`` key (the registration's id)."""
    kwargs = mail_kwargs(registration, name, token=token)
    if kwargs.pop("attachments"):
        raise ValueError(f"the mail {name!r} has attachments: queue it with mail()")
    with timezone.override(edition_zone(edition=registration.edition)):
        return mail_prepared(**kwargs)


def mail_kwargs(
    registration: Registration, name: str, *, token: str, attach_calendar: bool = False, **context
) -> dict:
    """The arguments of ``mail_queue`` for the mail ``registration/mail/<name>``."""

    language = registration.language
    edition = registration.edition
    attachments = []
    if attach_calendar:
        with translation.override(language):
            attachments.append(
                (f"{edition.slug}.ics", edition_calendar(edition=edition), "text/calendar")
            )
    if name in TICKET_MAILS and registration.status == Status.CONFIRMED:
        ticket = ticket_mail(registration=registration, language=language)
        context.update(ticket.context)
        attachments.extend(ticket.attachments)
    context.update(
        registration=registration,
        edition=edition,
        manage_url=_link("registration:manage", token, language),
        verify_url=_link("registration:verify", token, language),
        claim_url=_link("registration:claim", token, language),
    )
    if name.startswith("reconfirm"):
        context.update(
            coming_url=_link("registration:reconfirm-coming", token, language),
            not_coming_url=_link("registration:reconfirm-not-coming", token, language),
        )
    if context.get("position") is None:  # (the draw gives the position it knows)
        context["position"] = selectors.registration_waiting_position(registration=registration)
    return {
        "to": registration.email,
        "template": f"registration/mail/{name}",
        "context": context,
        "language": language,
        "attachments": attachments,
        "kind": f"registration.{name}",
        "related": selectors.registration_mail_key(registration),
        "secrets": [token],  # not kept in the outbox once the mail is sent
    }
