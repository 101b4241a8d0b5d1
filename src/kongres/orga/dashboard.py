"""The numbers of the dashboard (reads only) and their charts: server-rendered SVG from pygal
(no JavaScript: ``js=[]``; no XML declaration), each served as its own image and shown next to
a table of the same numbers."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass

import pygal
from django.db.models import Count, Max, Q
from django.db.models.functions import TruncDate
from django.utils.translation import gettext as _
from pygal.style import Style

from kongres.checkin.selectors import (
    checkin_counts_by_day,
    session_attendance_counts,
    session_capacity,
)
from kongres.events.ics import edition_zone
from kongres.events.models import Edition, Session, Track
from kongres.orga.noshow import no_show_rates
from kongres.registration.choices import AccessibilityNeed, Sector, Voivodeship
from kongres.registration.models import ACTIVE_STATUSES, Registration

Status = Registration.Status


@dataclass(frozen=True)
class StatusCounts:
    capacity: int | None
    counts: dict[str, int]

    def __getitem__(self, key: str) -> int:
        # Only statuses: a template's ``counts.capacity`` must fall through to the attribute.
        if key not in Status.values:
            raise KeyError(key)
        return self.counts.get(key, 0)

    @property
    def taken(self) -> int:
        return sum(self[s] for s in ("held", "offered", "pending_approval", "confirmed"))


def dashboard_counts(*, edition: Edition) -> StatusCounts:
    rows = Registration.objects.filter(edition=edition).aggregate(
        **{status.value: Count("pk", filter=Q(status=status)) for status in Status}
    )
    return StatusCounts(capacity=edition.capacity, counts=rows)


def dashboard_checkins(*, edition: Edition):
    return checkin_counts_by_day(edition=edition)


def dashboard_session_attendance(*, edition: Edition) -> list[tuple[Session, int, int | None]]:
    """(session, people scanned in at its door, its places) for the sessions where anyone
    was scanned in, in the programme's order. Two queries."""
    counts = session_attendance_counts(edition=edition)
    sessions = Session.objects.filter(pk__in=counts).select_related("room")
    return [
        (session, counts[session.pk], session_capacity(session=session))
        for session in sessions.order_by("starts_at", "room__order", "pk")
    ]


def cumulative_registrations(*, edition: Edition) -> list[tuple[dt.date, int, int]]:
    """(date, registered that day, registered up to that day), every registration counted."""
    per_day = (
        Registration.objects.filter(edition=edition)
        .annotate(day=TruncDate("created_at", tzinfo=edition_zone(edition=edition)))
        .values_list("day")
        .annotate(n=Count("pk"))
        .order_by("day")
    )
    total, rows = 0, []
    for day, count in per_day:
        total += count
        rows.append((day, count, total))
    return rows


def _active(edition: Edition):
    return Registration.objects.filter(edition=edition, status__in=ACTIVE_STATUSES)


def by_choice(*, edition: Edition, field: str, choices) -> list[tuple[str, int]]:
    """(label, active registrations) for each choice of ``field``, most first; "not given" last."""
    counts = dict(_active(edition).values_list(field).annotate(n=Count("pk")).order_by())
    rows = [(str(label), counts.get(value, 0)) for value, label in choices.choices]
    rows.sort(key=lambda row: -row[1])
    if counts.get(""):
        rows.append((_("not given"), counts[""]))
    return rows


def by_sector(*, edition: Edition) -> list[tuple[str, int]]:
    return by_choice(edition=edition, field="sector", choices=Sector)


def by_voivodeship(*, edition: Edition) -> list[tuple[str, int]]:
    return by_choice(edition=edition, field="voivodeship", choices=Voivodeship)


def panels_interest(*, edition: Edition) -> list[tuple[str, int, int | None]]:
    """(panel, active registrations interested, capacity of the biggest room of its sessions)."""
    tracks = (
        Track.objects.filter(edition=edition)
        .annotate(
            interested=Count(
                "registrations",
                filter=Q(registrations__status__in=ACTIVE_STATUSES),
                distinct=True,
            ),
            room_capacity=Max("sessions__room__capacity"),
        )
        .order_by("order", "pk")
    )
    return [(track.name, track.interested, track.room_capacity) for track in tracks]


def accessibility_counts(*, edition: Edition) -> list[tuple[str, int]]:
    counter: Counter[str] = Counter()
    other = 0
    for needs, other_text in _active(edition).values_list(
        "accessibility_needs", "accessibility_other"
    ):
        counter.update(needs or [])
        other += bool(other_text)
    rows = [(str(label), counter.get(value, 0)) for value, label in AccessibilityNeed.choices]
    rows.append((_("other needs (described)"), other))
    return rows


# -- charts ------------------------------------------------------------------------------------

STYLE = Style(
    background="#ffffff",
    plot_background="#ffffff",
    foreground="#1a1a1a",
    foreground_strong="#1a1a1a",
    foreground_subtle="#595959",
    colors=("#1d4f91", "#b3461b", "#2c6e49", "#6b3fa0"),
    font_family="sans-serif",
)


def whole_number_ticks(values: list[int | None]) -> list[int]:
    """The value axis's labels for counts of people: whole numbers from 0 past the largest
    value, at most about ten of them, in steps of 1, 2 or 5 times a power of ten (pygal's own
    would be 0.1, 0.2 … 1 for small numbers)."""
    top = max([value for value in values if value is not None] or [0])
    top = max(top, 1)
    step, scale = 1, 1
    while True:
        for factor in (1, 2, 5):
            step = factor * scale
            if top / step <= 10:
                return list(range(0, top + step, step))
        scale *= 10


def chart_config(chart_class, title: str, **options):
    """A pygal chart of the back office: its style, no script, no XML declaration."""
    return chart_class(
        style=STYLE,
        title=title,
        js=[],
        disable_xml_declaration=True,
        show_legend=options.pop("show_legend", False),
        width=options.pop("width", 800),
        height=options.pop("height", 400),
        print_values=options.pop("print_values", False),
        **options,
    )


def chart_svg(*, edition: Edition, name: str) -> str | None:
    """The SVG of chart ``name`` (None: no such chart)."""
    if name == "cumulative":
        rows = cumulative_registrations(edition=edition)
        chart = chart_config(
            pygal.Line,
            _("Registrations since opening (cumulative)"),
            x_label_rotation=30,
            show_minor_x_labels=False,
        )
        chart.x_labels = [day.isoformat() for day, _n, _t in rows]
        chart.x_labels_major = [day.isoformat() for day, _n, _t in rows[:: max(len(rows) // 8, 1)]]
        chart.add(_("registrations"), [total for _d, _n, total in rows])
        chart.y_labels = whole_number_ticks([total for _d, _n, total in rows])
    elif name in {"sector", "voivodeship", "accessibility"}:
        rows, title = {
            "sector": (by_sector, _("Participants by sector")),
            "voivodeship": (by_voivodeship, _("Participants by voivodeship")),
            "accessibility": (accessibility_counts, _("Accessibility requests")),
        }[name]
        data = rows(edition=edition)
        chart = chart_config(pygal.HorizontalBar, title, height=max(300, 32 * len(data) + 80))
        chart.x_labels = [label for label, _n in reversed(data)]
        chart.add(title, [count for _label, count in reversed(data)])
        chart.y_labels = whole_number_ticks([count for _label, count in data])
    elif name == "panels":
        data = panels_interest(edition=edition)
        chart = chart_config(
            pygal.HorizontalBar,
            _("Panels of interest and the capacity of their rooms"),
            show_legend=True,
            height=max(300, 60 * len(data) + 100),
        )
        chart.x_labels = [label for label, _i, _c in data]
        chart.add(_("interested"), [interested for _l, interested, _c in data])
        chart.add(_("largest room"), [capacity for _l, _i, capacity in data])
        chart.y_labels = whole_number_ticks(
            [interested for _l, interested, _c in data] + [capacity for _l, _i, capacity in data]
        )
    elif name in NO_SHOW_CHARTS:
        rates = no_show_rates(edition=edition)
        if rates is None:
            return None
        field, title = {
            "noshow-day": ("by_day", _("No-shows by day (%)")),
            "noshow-sector": ("by_sector", _("No-shows by sector (%)")),
            "noshow-reconfirmation": ("by_reconfirmation", _("No-shows by reconfirmation (%)")),
        }[name]
        data = getattr(rates, field)
        chart = chart_config(
            pygal.HorizontalBar, title, height=max(300, 32 * len(data) + 80), range=(0, 100)
        )
        chart.x_labels = [rate.label for rate in reversed(data)]
        chart.add(title, [rate.percent for rate in reversed(data)])
    else:
        return None
    return chart.render(is_unicode=True)


NO_SHOW_CHARTS = ("noshow-day", "noshow-sector", "noshow-reconfirmation")


CHARTS = ("cumulative", "sector", "voivodeship", "panels", "accessibility")
