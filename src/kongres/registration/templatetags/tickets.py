"""``{% load checkin %}{% ticket_qr ticket %}``: the ticket's QR code as inline SVG."""

from __future__ import annotations

from django import template
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from kongres.core.qr import qr_svg
from kongres.registration.models import Ticket

register = template.Library()


@register.simple_tag
def ticket_qr(ticket: Ticket, scale: int = 6) -> SafeString:
    """Inline SVG (segno's output: no script, no style attribute) with a text alternative."""
    svg = qr_svg(ticket.code, scale=scale, title=_("QR code of your ticket"), inline=True)
    svg = svg.replace("<svg ", '<svg role="img" focusable="false" ', 1)
    # segno's SVG of our own base32 code: no markup of anyone else's in it
    return mark_safe(svg)  # noqa: S308  # nosec B308 B703
