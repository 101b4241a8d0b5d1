"""When the password was last entered in this session: changing the second factor (setting up
an authenticator app, new recovery codes, removing the app) needs it entered in the last
``RECENT_SECONDS``. Logging in and the "confirm your password" page both count
(``kongres.accounts.backends`` records every password it accepts for a request)."""

from __future__ import annotations

import time

from django.contrib.auth.base_user import AbstractBaseUser
from django.http import HttpRequest

PASSWORD_AT = "kongres_password_at"  # noqa: S105 -- a session key: [user id, seconds since the epoch]
RECENT_SECONDS = 5 * 60


def password_entered(request: HttpRequest, *, user: AbstractBaseUser) -> None:
    """Record that ``user``'s password was entered now in ``request``'s session."""
    session = getattr(request, "session", None)
    if session is not None:
        session[PASSWORD_AT] = [user.pk, int(time.time())]


def password_entered_recently(request: HttpRequest) -> bool:
    """Whether the signed-in user entered their password in this session in the last
    ``RECENT_SECONDS``."""
    user_id, at = request.session.get(PASSWORD_AT) or (None, 0)
    return user_id == request.user.pk and 0 <= time.time() - at <= RECENT_SECONDS
