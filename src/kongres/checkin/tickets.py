"""The PDF ticket (A4 to print, or phone-sized to show on a screen) and what the confirmation
mail needs: the QR inline and the PDF attached."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from django.utils import translation

from kongres.checkin.models import Ticket
from kongres.checkin.pdf import pdf_render
from kongres.checkin.qr import qr_data_uri, qr_png, qr_svg_data_uri
from kongres.checkin.services import ticket_for_registration
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


@dataclass(frozen=True)
class TicketMail:
    """For the confirmation mail: ``context`` to merge into the mail's context (the ticket,
    its QR as a ``data:`` URI) and ``attachments`` for ``mail_queue`` (the PDF ticket and the
    QR as PNG)."""

    ticket: Ticket
    context: dict
    attachments: list[tuple[str, bytes, str]]


def ticket_mail(*, registration: Registration) -> TicketMail:
    """Get or issue the ticket of a confirmed registration and render what the mail carries.
    Call it inside the transaction that queues the mail."""
    ticket = ticket_for_registration(registration=registration)
    png = qr_png(ticket.code, scale=6)
    return TicketMail(
        ticket=ticket,
        context={"ticket": ticket, "ticket_qr_src": qr_data_uri(ticket.code, scale=6)},
        attachments=[
            (ticket_filename(ticket), ticket_pdf(ticket=ticket), "application/pdf"),
            ("ticket-qr.png", png, "image/png"),
        ],
    )
