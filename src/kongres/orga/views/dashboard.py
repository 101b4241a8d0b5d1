"""The dashboard of an edition and its charts (SVG images)."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.csp import CSP
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csp import csp_override
from django.views.decorators.http import require_safe

from kongres.events.models import Edition
from kongres.orga import dashboard as stats
from kongres.orga.access import orga_view


def _no_show_sections(no_shows) -> list[tuple]:
    """(chart name, rows, heading, table caption) of each no-show breakdown."""
    if no_shows is None:
        return []
    return [
        ("noshow-day", no_shows.by_day, _("Day"), _("No-shows by day")),
        ("noshow-sector", no_shows.by_sector, _("Sector"), _("No-shows by sector")),
        (
            "noshow-reconfirmation",
            no_shows.by_reconfirmation,
            _("Reconfirmation"),
            _("No-shows by reconfirmation"),
        ),
    ]


@require_safe
@orga_view("view")
def dashboard(request: HttpRequest, edition: Edition) -> HttpResponse:
    no_shows = stats.no_show_rates(edition=edition)
    return render(
        request,
        "orga/dashboard.html",
        {
            "edition": edition,
            "counts": stats.dashboard_counts(edition=edition),
            "checkins": stats.dashboard_checkins(edition=edition),
            "session_attendance": stats.dashboard_session_attendance(edition=edition),
            "cumulative": stats.cumulative_registrations(edition=edition),
            "sectors": stats.by_sector(edition=edition),
            "voivodeships": stats.by_voivodeship(edition=edition),
            "panels": stats.panels_interest(edition=edition),
            "accessibility": stats.accessibility_counts(edition=edition),
            "no_shows": no_shows,
            "no_show_sections": _no_show_sections(no_shows),
        },
    )


# An SVG shown through <img>: it runs nothing (pygal's scripts are off) and styles itself
# with its own <style> element, which this policy allows for this response only.
@never_cache
@require_safe
@csp_override(
    {
        "default-src": [CSP.NONE],
        "style-src": [CSP.UNSAFE_INLINE],
        "frame-ancestors": [CSP.NONE],
    }
)
@orga_view("view")
def chart(request: HttpRequest, edition: Edition, name: str) -> HttpResponse:
    svg = stats.chart_svg(edition=edition, name=name)
    if svg is None:
        raise Http404("no such chart")
    return HttpResponse(svg, content_type="image/svg+xml; charset=utf-8")
