"""Login throttling (security review 2026-12, M1): the authentication backend every login form
goes through (the back office's, the check-in's, the admin's, the password confirmation).

Before a password is hashed, the attempt is counted in the shared cache per account (the user
name as typed, Unicode-normalised, case ignored) and per client address (``core.proxy``; an
IPv6 /64 counts as one); past ``login-account`` (10 in 15 minutes) or ``login-ip`` (30 in 15
minutes) the attempt is refused with ``LoginThrottled`` and no password is hashed, so a flood
of guesses costs cache look-ups, not PBKDF2 rounds. A right password takes its attempt back
from both counters: they count failures, and a good login neither adds to nor clears the
failures others made from the same address. The limits are ``kongres.core.ratelimit`` scopes
(settings ``KONGRES_RATELIMIT_LOGIN_ACCOUNT`` and ``..._LOGIN_IP``).

The login views show ``LoginThrottled`` as their form's error with status 429
(``kongres.accounts.views.LoginView``); ``LoginThrottledMiddleware`` answers 429 for any other
form (the admin's login page).
"""

from __future__ import annotations

import time
import unicodedata

from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from kongres.accounts.reauth import password_entered
from kongres.accounts.roles import access_of, roles_read, two_factor_read
from kongres.core.exceptions import KongresError
from kongres.core.proxy import client_ip
from kongres.core.ratelimit import (
    network_key,
    ratelimit_count,
    ratelimit_enabled,
    ratelimit_rate,
    ratelimit_retry_after,
    ratelimit_uncount,
)

ACCOUNT_SCOPE = "login-account"
ADDRESS_SCOPE = "login-ip"


class LoginThrottled(KongresError):
    """Too many failed logins for this account or from this address; ``retry_after`` seconds
    until the counting window ends. Raised while a request is answered: the message is in
    its language."""

    code = "throttled"

    def __init__(self, *, retry_after: int) -> None:
        minutes = max(1, -(-retry_after // 60))
        message = (
            _("Too many failed attempts to log in.")
            + " "
            + ngettext(
                "Try again in %(minutes)d minute.", "Try again in %(minutes)d minutes.", minutes
            )
            % {"minutes": minutes}
        )
        super().__init__(message, "throttled")
        self.retry_after = retry_after


def account_key(username: str) -> str:
    """The user name the failures are counted for: as Django's login form normalises it, with
    spaces and case ignored."""
    return unicodedata.normalize("NFKC", username).strip().casefold()


class ThrottledModelBackend(ModelBackend):
    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs,
    ):
        if request is None or username is None or password is None or not ratelimit_enabled():
            return super().authenticate(request, username, password, **kwargs)
        now = time.time()
        counted = [(ACCOUNT_SCOPE, account_key(username)), (ADDRESS_SCOPE, _address(request))]
        over = [
            scope
            for scope, value in counted
            if ratelimit_count(scope=scope, value=value, now=now) > ratelimit_rate(scope).count
        ]
        if over:  # refused before any hashing
            raise LoginThrottled(
                retry_after=max(ratelimit_retry_after(scope=scope, now=now) for scope in over)
            )
        user = super().authenticate(request, username, password, **kwargs)
        if user is not None:
            for scope, value in counted:
                ratelimit_uncount(scope=scope, value=value, now=now)
            password_entered(request, user=user)
        return user

    def get_user(self, user_id):
        """The signed-in user of a request, with whether it must give a second factor
        (``roles.two_factor_required_for``, which every staff page asks) and its roles in the
        editions (``roles.roles_of``), kept in the shared cache (``roles.access_of``): the
        user's row, and a round trip to the cache."""
        user = super().get_user(user_id)
        if user is None:
            return None
        roles, required = access_of(user)
        two_factor_read(user, required)
        roles_read(user, roles)
        return user


def _address(request: HttpRequest) -> str:
    return network_key(client_ip(request))
