"""Places in sessions in the back office (issue 18): each session's capacity, sign-ups and
waiting list, the settings form (a smaller room warns), the chart of interest vs. sign-ups vs.
room size, and a session's list for the moderator (CSV/XLSX)."""

from __future__ import annotations

import csv
import io
import tempfile
from dataclasses import dataclass
from typing import IO

import pygal
from django import forms
from django.db.models import Count, Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from kongres.checkin.selectors import session_attendance_counts
from kongres.events.models import Edition, Room, Session
from kongres.orga.dashboard import chart_config
from kongres.orga.exports import BOM, csv_cell
from kongres.orga.xlsx import xlsx_write
from kongres.registration.models import ACTIVE_STATUSES, SessionPlaces, SessionSignup
from kongres.registration.sessions import session_signup_counts

Signup = SessionSignup.Status


@dataclass
class SessionRow:
    session: Session
    capacity: int | None
    signed_up: int
    offered: int
    waiting: int
    interested: int
    # people let in at the room's door (the check-in page's session mode)
    scanned_in: int = 0

    @property
    def holding(self) -> int:
        return self.signed_up + self.offered


def session_rows(*, edition: Edition, session_id: int | None = None) -> list[SessionRow]:
    """Every session of the edition (or one), with its places and sign-ups; a few queries."""
    sessions = Session.objects.filter(edition=edition).select_related("room", "track")
    if session_id is not None:
        sessions = sessions.filter(pk=session_id)
    sessions = list(
        sessions.annotate(
            interested=Count(
                "track__registrations",
                filter=Q(track__registrations__status__in=ACTIVE_STATUSES),
                distinct=True,
            )
        ).order_by("starts_at", "pk")
    )
    counts = session_signup_counts(session_ids=[s.pk for s in sessions])
    scanned = session_attendance_counts(edition=edition)
    return [
        SessionRow(
            session=session,
            capacity=session.places_capacity,
            signed_up=counts[session.pk].get(Signup.SIGNED_UP, 0),
            offered=counts[session.pk].get(Signup.OFFERED, 0),
            waiting=counts[session.pk].get(Signup.WAITING, 0),
            interested=session.interested if session.track_id else 0,
            scanned_in=scanned.get(session.pk, 0),
        )
        for session in sessions
    ]


class SessionPlacesForm(forms.Form):
    signup_mode = forms.ChoiceField(label=_("Sign-up"), choices=Session.SignupMode.choices)
    capacity = forms.IntegerField(
        label=_("Number of places"),
        required=False,
        min_value=0,
        help_text=_("Empty: the room's number of places (if any) limits sign-ups."),
    )
    room = forms.ModelChoiceField(label=_("Room"), queryset=Room.objects.none(), required=False)
    smaller_confirmed = forms.BooleanField(
        label=_("Keep the places already given although there are fewer places now"),
        required=False,
    )

    def __init__(self, *args, session: Session, holding: int, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.session, self.holding = session, holding
        venue = session.edition.venue_id
        self.fields["room"].queryset = (
            Room.objects.filter(venue_id=venue) if venue else Room.objects.none()
        )

    def clean(self):
        data = super().clean()
        room = data.get("room")
        capacity = data.get("capacity")
        new = capacity if capacity is not None else (room.capacity if room else None)
        if new is not None and self.holding > new and not data.get("smaller_confirmed"):
            self.add_error(
                "smaller_confirmed",
                gettext(
                    "%(holding)s people hold a place in this session, but it would have only "
                    "%(places)s places. Nobody loses their place: tick this box to save anyway, "
                    "and nobody new gets one until enough leave."
                )
                % {"holding": self.holding, "places": new},
            )
        return data


def session_chart_svg(*, edition: Edition) -> str:
    """Bars per session that takes sign-ups: interest (its panel), places held, waiting, room
    size."""
    rows = [row for row in session_rows(edition=edition) if row.session.takes_signups]
    chart = chart_config(
        pygal.HorizontalBar,
        gettext("Sessions: interest, sign-ups and room size"),
        show_legend=True,
        height=max(300, 90 * len(rows) + 100),
    )
    chart.x_labels = [row.session.title for row in rows]
    chart.add(gettext("interested (panel)"), [row.interested for row in rows])
    chart.add(gettext("signed up"), [row.holding for row in rows])
    chart.add(gettext("waiting"), [row.waiting for row in rows])
    chart.add(gettext("places"), [row.capacity for row in rows])
    return chart.render(is_unicode=True)


def _list_rows(session: Session):
    yield [
        gettext("Status"),
        gettext("First name"),
        gettext("Last name"),
        gettext("E-mail address"),
        gettext("Institution"),
        gettext("Signed up"),
    ]
    signups = (
        SessionSignup.objects.filter(
            session=session, status__in=[Signup.SIGNED_UP, Signup.OFFERED, Signup.WAITING]
        )
        .select_related("registration")
        .order_by("status", "created_at", "pk")
    )
    for signup in signups:
        person = signup.registration
        yield [
            str(signup.get_status_display()),
            person.first_name,
            person.last_name,
            person.email,
            person.institution,
            signup.created_at.strftime("%Y-%m-%d %H:%M"),
        ]


def session_list_csv(*, session: Session) -> bytes:
    out = io.StringIO()
    out.write(BOM)
    writer = csv.writer(out)
    for row in _list_rows(session):
        writer.writerow([csv_cell(value) for value in row])
    return out.getvalue().encode()


def session_list_xlsx(*, session: Session) -> IO[bytes]:
    rows = _list_rows(session)
    file = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115 (the caller closes it)
    xlsx_write(file, title=session.title[:31], header=next(rows), rows=rows)
    file.seek(0)
    return file


__all__ = ["SessionPlaces", "SessionPlacesForm", "SessionRow", "session_chart_svg"]
