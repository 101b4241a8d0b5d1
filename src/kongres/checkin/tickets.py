"""The PDF ticket (A4 to print, or phone-sized to show on a screen) and what the mails that
carry the ticket need: the QR inline (a PNG referred to by Content-ID) and the PDFs attached,
made when the message is sent."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from django.utils import translation

from kongres.checkin.models import Ticket
from kongres.checkin.pdf import pdf_render
from kongres.checkin.qr import qr_png, qr_svg_data_uri
from kongres.checkin.services import ticket_for_registration
from kongres.mail.services import Attachment, AttachmentUnavailable, attachment_content_id
from kongres.registration.models import Registration

TicketSize = Literal["a4", "phone"]
SIZES: tuple[TicketSize, ...] = ("a4", "phone")


def ticket_days(ticket: Ticket) -> list:
    """The days the participant comes on: those chosen, or every day of the edition."""
    registration = ticket.registration
    chosen = list(registration.days.all())
    return chosen or list(registration.edition.days.all())


def ticket_pdf(*, ticket: Ticket, size: TicketSize = "a4", language: str | None = None) -> bytes:
    registration = ticket.registration
    with translation.override(language or registration.language):
        return pdf_render(
            "checkin/pdf/ticket.html",
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
TICKET_PDF_RENDERER = "checkin.ticket_pdf"


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
