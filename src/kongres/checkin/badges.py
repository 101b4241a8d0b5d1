"""Name badges as one PDF: eight per A4 sheet (2 by 4, 95 by 66 mm), abutting, with cut marks in
the margins; first name large, last name, institution, a band coloured by sector that also
says the sector in words, and the ticket's QR code."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.utils import translation

from kongres.core.pdf import pdf_render_cached
from kongres.core.qr import qr_data_uri
from kongres.events.models import Edition
from kongres.registration.choices import Sector
from kongres.registration.models import Registration, Ticket
from kongres.registration.tickets import ticket_issue

COLUMNS = 2
ROWS = 4
PER_SHEET = COLUMNS * ROWS
BADGE_WIDTH_MM = 95
BADGE_HEIGHT_MM = 66
SHEET_WIDTH_MM = 210
SHEET_HEIGHT_MM = 297
LEFT_MM = (SHEET_WIDTH_MM - COLUMNS * BADGE_WIDTH_MM) / 2
TOP_MM = (SHEET_HEIGHT_MM - ROWS * BADGE_HEIGHT_MM) / 2
MARK_MM = 5  # length of a cut mark; it stops 1 mm short of the badges

# Dark enough for white text (contrast at least 4.5:1), and told apart by the label anyway.
SECTOR_COLOURS = {
    Sector.SCIENCE: "#1f4e79",
    Sector.BUSINESS: "#7a3e00",
    Sector.PUBLIC_ADMINISTRATION: "#5b2a86",
    Sector.LOCAL_GOVERNMENT: "#1d6b2f",
    Sector.POLITICS: "#9b1c1c",
    Sector.NGO: "#00626b",
    Sector.MEDIA: "#404040",
    Sector.OTHER: "#333333",
}
NO_SECTOR_COLOUR = "#333333"


@dataclass(frozen=True)
class Badge:
    first_name: str
    last_name: str
    institution: str
    sector_label: str
    colour: str
    qr: str
    name_class: str


def _name_class(first_name: str) -> str:
    """A smaller type for a long first name, so that it stays on one line."""
    length = len(first_name)
    if length <= 8:
        return "name-l"
    if length <= 11:
        return "name-m"
    if length <= 15:
        return "name-s"
    return "name-xs"


def _badge(registration: Registration, ticket: Ticket) -> Badge:
    sector = registration.sector
    return Badge(
        first_name=registration.first_name,
        last_name=registration.last_name,
        institution=registration.institution,
        sector_label=str(Sector(sector).label) if sector in Sector.values else "",
        colour=SECTOR_COLOURS.get(sector, NO_SECTOR_COLOUR),
        qr=qr_data_uri(ticket.code, scale=1, border=0),
        name_class=_name_class(registration.first_name),
    )


def _ticket(registration: Registration) -> Ticket:
    active = getattr(registration, "active_tickets", None)
    if active:
        return active[0]
    return ticket_issue(registration=registration)


def _marks() -> list[dict]:
    """Cut marks for one sheet, in mm: short lines in the margins along every cut."""
    marks = []
    bottom = TOP_MM + ROWS * BADGE_HEIGHT_MM
    right = LEFT_MM + COLUMNS * BADGE_WIDTH_MM
    for column in range(COLUMNS + 1):
        x = LEFT_MM + column * BADGE_WIDTH_MM
        marks.append({"kind": "v", "x": x, "y": TOP_MM - 1 - MARK_MM})
        marks.append({"kind": "v", "x": x, "y": bottom + 1})
    for row in range(ROWS + 1):
        y = TOP_MM + row * BADGE_HEIGHT_MM
        marks.append({"kind": "h", "x": LEFT_MM - 1 - MARK_MM, "y": y})
        marks.append({"kind": "h", "x": right + 1, "y": y})
    return marks


def badges_pdf(
    *, edition: Edition, registrations: Sequence[Registration], language: str = "pl"
) -> bytes:
    """One PDF with a badge for each registration (confirmed ones; a ticket is issued for
    those that have none yet). Prefetch ``active_tickets`` (``selectors.badge_registrations``)
    to avoid a query per badge."""
    with translation.override(language):
        badges = [_badge(r, _ticket(r)) for r in registrations]
        sheets = [badges[i : i + PER_SHEET] for i in range(0, len(badges), PER_SHEET)]
        return pdf_render_cached(
            "checkin/pdf/badges.html",
            {
                "edition": edition,
                "sheets": sheets,
                "marks": _marks(),
                "left": LEFT_MM,
                "top": TOP_MM,
                "badge_width": BADGE_WIDTH_MM,
                "badge_height": BADGE_HEIGHT_MM,
                "mark": MARK_MM,
                "columns": COLUMNS,
            },
        )
