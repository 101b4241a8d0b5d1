"""Tickets: the key a confirmed participant shows at the door.

``ticket_issue`` (idempotent: one active ticket per registration), ``ticket_for_registration``
(the get-or-issue the mails and badges use), ``ticket_revoke``; the PDF ticket (A4 to print, or
phone-sized to show on a screen) and what the mails that carry the ticket need: the QR inline (a
PNG referred to by Content-ID) and the PDFs attached, made when the message is sent. Re-issuing
a ticket is a transition of the registration (``services.ticket_reissue``): it mails a new link.
"""

from __future__ import annotations

import base64
import datetime as dt
import secrets
from dataclasses import dataclass
from typing import Literal

from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from kongres.core.locks import atomic_bounded
from kongres.core.pdf import pdf_render_cached
from kongres.core.qr import qr_png, qr_svg_data_uri
from kongres.mail.services import Attachment, AttachmentUnavailable, attachment_content_id
from kongres.registration.exceptions import RegistrationError, busy
from kongres.registration.models import Registration, Ticket

Status = Registration.Status

CODE_BYTES = 20  # 160 random bits → 32 base32 characters


def ticket_code_new() -> str:
    """A fresh random code: 160 bits, base32 without padding (A to Z, 2 to 7)."""
    return base64.b32encode(secrets.token_bytes(CODE_BYTES)).decode("ascii").rstrip("=")


def ticket_code_normalise(raw: str) -> str:
    """What a person typed or a scanner sent → a code as stored: upper case, without spaces
    or dashes (the code is shown in groups of four)."""
    return "".join(raw.split()).replace("-", "").upper()[:64]


def require_confirmed(registration: Registration) -> None:
    if registration.status != Status.CONFIRMED:
        raise RegistrationError(_("Only a confirmed registration has a ticket."), "not_confirmed")


def active_ticket(registration: Registration) -> Ticket | None:
    return Ticket.objects.filter(registration=registration, is_active=True).first()


def registration_lock(registration: Registration) -> Registration:
    return Registration.objects.select_for_update().get(pk=registration.pk)


def ticket_issue(*, registration: Registration, now: dt.datetime | None = None) -> Ticket:
    """The registration's active ticket, made now if it has none. Only a confirmed
    registration gets one (code ``not_confirmed``). Safe to call twice, also at once."""
    now = now or timezone.now()
    with atomic_bounded(busy):
        registration = registration_lock(registration)
        require_confirmed(registration)
        ticket = active_ticket(registration)
        if ticket is not None:
            return ticket
        try:
            with transaction.atomic():
                return Ticket.objects.create(
                    registration=registration, code=ticket_code_new(), created_at=now
                )
        except IntegrityError:  # issued by someone else meanwhile (the partial unique index)
            ticket = active_ticket(registration)
            if ticket is None:
                raise
            return ticket


def ticket_for_registration(*, registration: Registration) -> Ticket:
    """The ticket to show or print for a confirmed registration, issued on first use."""
    ticket = (
        Ticket.objects.select_related("registration__edition")
        .filter(registration=registration, is_active=True)
        .first()
    )
    if ticket is not None and registration.status == Status.CONFIRMED:
        return ticket
    return ticket_issue(registration=registration)


def ticket_revoke(*, registration: Registration, now: dt.datetime | None = None) -> int:
    """Deactivate the registration's ticket (for instance when it is cancelled); returns how
    many were active. Check-ins refuse a cancelled registration even without this."""
    now = now or timezone.now()
    with atomic_bounded(busy):
        registration_lock(registration)
        return Ticket.objects.filter(registration=registration, is_active=True).update(
            is_active=False, revoked_at=now
        )


TicketSize = Literal["a4", "phone"]
SIZES: tuple[TicketSize, ...] = ("a4", "phone")


def ticket_days(ticket: Ticket) -> list:
    """The days the participant comes on: those chosen, or every day of the edition."""
    registration = ticket.registration
    chosen = list(registration.days.all())
    return chosen or list(registration.edition.days.all())


def ticket_pdf(*, ticket: Ticket, size: TicketSize = "a4", language: str | None = None) -> bytes:
    """The ticket as a PDF; the same ticket asked for again (the participant opening the link
    twice, the mail worker and the link) comes from the cache (``pdf_render_cached``), and a
    re-issued ticket, whose code differs, is made anew."""
    registration = ticket.registration
    with translation.override(language or registration.language):
        return pdf_render_cached(
            "registration/pdf/ticket.html",
            {
                "ticket": ticket,
                "registration": registration,
                "edition": registration.edition,
                "venue": registration.edition.venue,
                "days": ticket_days(ticket),
                "qr": qr_svg_data_uri(ticket.code),
                "size": size,
            },
        )


def ticket_filename(ticket: Ticket, size: TicketSize = "a4") -> str:
    suffix = "" if size == "a4" else "-phone"
    return f"ticket-{ticket.registration.edition.slug}{suffix}.pdf"


# The name under which the mail app finds ``ticket_pdf_attachment`` (see ``apps.py``).
TICKET_PDF_RENDERER = "registration.ticket_pdf"


def ticket_pdf_attachment(*, ticket: int, size: TicketSize, language: str) -> bytes:
    """The PDF of ticket ``ticket`` (a primary key), made by the mail worker when it sends the
    message that carries it. A ticket re-issued meanwhile is still the one the message shows;
    a ticket deleted with its registration cannot be sent."""
    found = Ticket.objects.select_related("registration__edition__venue").filter(pk=ticket).first()
    if found is None:
        raise AttachmentUnavailable(f"ticket {ticket} no longer exists")
    return ticket_pdf(ticket=found, size=size, language=language)


@dataclass(frozen=True)
class TicketMail:
    """For a mail that carries the ticket: ``context`` to merge into the mail's context (the
    ticket, and ``ticket_qr_src``, the ``cid:`` address of its QR) and ``attachments`` for
    ``mail_queue``: the QR as an inline PNG, and the PDF tickets (A4 and phone), made when the
    message is sent."""

    ticket: Ticket
    context: dict
    attachments: list[Attachment]


def ticket_mail(*, registration: Registration, language: str | None = None) -> TicketMail:
    """Get or issue the ticket of a confirmed registration and say what the mail carries. Call
    it inside the transaction that confirms the registration and queues the mail: the ticket
    is issued with the confirmation. Only the small QR image is made here."""
    ticket = ticket_for_registration(registration=registration)
    language = language or registration.language
    content_id = attachment_content_id()
    qr = Attachment(
        "ticket-qr.png", "image/png", content=qr_png(ticket.code, scale=6), content_id=content_id
    )
    pdfs = [
        Attachment(
            ticket_filename(ticket, size),
            "application/pdf",
            renderer=TICKET_PDF_RENDERER,
            params={"ticket": ticket.pk, "size": size, "language": language},
        )
        for size in SIZES
    ]
    return TicketMail(
        ticket=ticket,
        context={"ticket": ticket, "ticket_qr_src": f"cid:{content_id}"},
        attachments=[qr, *pdfs],
    )
