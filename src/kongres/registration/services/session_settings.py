"""The organisers' change of a session's sign-ups (issue 18): its sign-up mode, number of
places and room, with the audit entry and the counter brought in line at once."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.base_user import AbstractBaseUser
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kongres.audit.services import audit_log
from kongres.events.models import Session
from kongres.registration.exceptions import RegistrationError
from kongres.registration.models import SessionPlaces
from kongres.registration.services._common import _atomic
from kongres.registration.services.sessions import places_ready, places_sync


def session_settings_change(
    *,
    session: Session,
    signup_mode: str,
    capacity: int | None,
    room_id: int | None,
    actor: AbstractBaseUser | None = None,
    now: dt.datetime | None = None,
) -> int:
    """Set a session's sign-up mode, number of places and room. Places already given stay
    given when the new number is lower (``overbooked``); places that become free are offered
    at once. Returns the offers made."""
    if capacity is not None and capacity < 0:
        raise RegistrationError(_("The number of places cannot be negative."), "invalid")
    now = now or timezone.now()
    before = {"signup_mode": session.signup_mode, "capacity": session.capacity}
    before["room"] = session.room_id
    session.signup_mode, session.capacity, session.room_id = signup_mode, capacity, room_id
    with _atomic():  # the change and its audit entry stand or fall together
        session.save(update_fields=["signup_mode", "capacity", "room"])
        audit_log(
            actor=actor,
            action="session.settings",
            obj=session,
            before=before,
            after={"signup_mode": signup_mode, "capacity": capacity, "room": room_id},
        )
    session.refresh_from_db()
    if not session.takes_signups and not SessionPlaces.objects.filter(session=session).exists():
        return 0
    places_ready(session, now)
    return places_sync(session, now)
