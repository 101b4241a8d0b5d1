"""The rules of time that every entry point applies the same way: whether an edition takes
registrations (the registration window), until when participants may change their answers
(the edit deadline), and whether an edition is over. The views ask them to show the right page;
the services check them again and raise ``RegistrationError``."""

from __future__ import annotations

import datetime as dt
import enum
from zoneinfo import ZoneInfo

from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from kongres.events.ics import edition_zone
from kongres.events.models import Edition
from kongres.registration.exceptions import RegistrationError


class Window(enum.StrEnum):
    OPEN = "open"
    NOT_OPEN = "not_open"
    CLOSED = "closed"
    PAST = "past"


def zone(edition: Edition) -> ZoneInfo:
    """The edition's time zone (where it takes place)."""
    return edition_zone(edition=edition)


def is_past(edition: Edition, now: dt.datetime) -> bool:
    """Whether the edition's last day is over at ``now``, in its own time zone."""
    return edition.is_past(timezone.localtime(now, zone(edition)).date())


def registration_window(edition: Edition, now: dt.datetime) -> Window:
    """Whether the edition takes registrations at ``now``."""
    if edition.status == Edition.Status.ARCHIVED or is_past(edition, now):
        return Window.PAST
    if edition.status == Edition.Status.DRAFT:
        return Window.NOT_OPEN
    if edition.registration_opens_at and now < edition.registration_opens_at:
        return Window.NOT_OPEN
    if edition.registration_closes_at and now >= edition.registration_closes_at:
        return Window.CLOSED
    return Window.OPEN


def registration_window_check(edition: Edition, now: dt.datetime) -> None:
    """``RegistrationError`` "not_open" or "closed" (with a message saying when) unless the
    window is open."""
    window = registration_window(edition, now)
    if window == Window.OPEN:
        return
    if window == Window.PAST:
        raise RegistrationError(_("This edition is over."), "closed")
    if window == Window.CLOSED:
        raise RegistrationError(_("Registration is closed."), "closed")
    if edition.status == Edition.Status.DRAFT or not edition.registration_opens_at:
        raise RegistrationError(_("Registration is not open yet."), "not_open")
    when = formats.date_format(
        timezone.localtime(edition.registration_opens_at, zone(edition)), "DATETIME_FORMAT"
    )
    raise RegistrationError(_("Registration opens on %(when)s.") % {"when": when}, "not_open")


def edit_deadline(edition: Edition) -> dt.datetime:
    """Until when participants may change their answers: the edition's deadline, or the
    start of its first day."""
    if edition.edit_deadline:
        return edition.edit_deadline
    return dt.datetime.combine(edition.start_date, dt.time.min, tzinfo=zone(edition))
