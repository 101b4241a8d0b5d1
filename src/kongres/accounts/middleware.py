"""Staff sessions: they end by themselves (``SessionTimeoutMiddleware``), need the second
factor where the account must use one (``TwoFactorMiddleware``), and a throttled login is
answered 429 (``LoginThrottledMiddleware``).

Sessions end by themselves (security review 2026-12, L5; ASVS 3.3.2).

A signed-in session is signed out:

* after ``settings.KONGRES_SESSION_IDLE`` seconds without activity, or
  ``KONGRES_SESSION_IDLE_CHECKIN`` for a check-in phone (a session that has used the check-in
  page), which is shorter: a phone left on a table at the door should not stay signed in;
* ``settings.KONGRES_SESSION_MAX_AGE`` seconds after signing in, whatever the activity (the
  session cookie's own age, ``SESSION_COOKIE_AGE``, is the same and renewed on every change).

The times are kept in the session (seconds since the epoch). The check-in page's background
refresh of the counts is no activity, else a phone left open would never be idle. After the
sign-out the request goes on as anonymous: the view answers with its login page, or a JSON 403
whose code is ``login`` for the check-in API.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django_otp import user_has_device

from kongres.accounts.backends import LoginThrottled
from kongres.accounts.roles import two_factor_required_for

logger = logging.getLogger(__name__)

SEEN_AT = "kongres_seen_at"
SIGNED_IN_AT = "kongres_signed_in_at"
CHECKIN = "kongres_checkin"
# Views of the check-in phone: a session that uses one gets the shorter idle time.
CHECKIN_VIEWS = frozenset(
    {"checkin:page", "checkin:api-scan", "checkin:api-search", "checkin:api-counts"}
)
# Requests a page makes by itself (refreshing counts): they do not count as activity.
PASSIVE_VIEWS = frozenset({"checkin:api-counts", "checkin:api-counts-all"})
# The last activity is written at most once a minute (a session write is a database or cache
# write).
RECORD_EVERY = 60


class SessionTimeoutMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs) -> None:
        # Without a session cookie nobody is signed in; not reading the session then keeps
        # public pages cacheable (kongres.core.cache: a page that read the session is not).
        if settings.SESSION_COOKIE_NAME not in request.COOKIES or not request.user.is_authenticated:
            return
        session = request.session
        now = int(time.time())
        name = request.resolver_match.view_name if request.resolver_match else ""
        checkin = bool(session.get(CHECKIN)) or name in CHECKIN_VIEWS
        idle = settings.KONGRES_SESSION_IDLE_CHECKIN if checkin else settings.KONGRES_SESSION_IDLE
        seen_at = session.get(SEEN_AT, now)
        signed_in_at = session.get(SIGNED_IN_AT, now)
        if now - seen_at > idle:
            self._sign_out(
                request,
                "idle",
                _(
                    "You were signed out after %(minutes)d minutes "
                    "without activity. Please sign in again."
                )
                % {"minutes": idle // 60},
            )
            return
        if now - signed_in_at > settings.KONGRES_SESSION_MAX_AGE:
            self._sign_out(
                request,
                "lifetime",
                _("You were signed out %(hours)d hours after signing in. Please sign in again.")
                % {"hours": settings.KONGRES_SESSION_MAX_AGE // 3600},
            )
            return
        if SIGNED_IN_AT not in session:
            session[SIGNED_IN_AT] = now
        if checkin and not session.get(CHECKIN):
            session[CHECKIN] = True
        if SEEN_AT not in session or (name not in PASSIVE_VIEWS and now - seen_at >= RECORD_EVERY):
            session[SEEN_AT] = now

    @staticmethod
    def _sign_out(request: HttpRequest, reason: str, message: str) -> None:
        logger.info("session of user %s ended (%s)", request.user.pk, reason)
        logout(request)
        messages.info(request, message)


class TwoFactorMiddleware:
    """Two factors everywhere (security review 2026-12, H2). A session whose account must
    confirm a second factor (``roles.two_factor_required_for``) is only half signed in after
    the password: every view of the back office, the check-in and the admin sends it to the
    code page (or, without an app yet, to the setup), each with ``next``; the check-in's JSON
    endpoints answer 403 with the code ``two_factor``. Open to it: the login and logout pages,
    the pages of the second step, and the check-in's public files (its service worker, a
    participant's ticket). After ``OTPMiddleware`` (``request.user.is_verified``) and the
    session timeout."""

    GUARDED_APPS = frozenset({"orga", "checkin", "admin"})
    OPEN_VIEWS = frozenset(
        {
            "orga:login",
            "orga:logout",
            "orga:two-factor",
            "orga:two-factor-setup",
            "orga:two-factor-qr",
            "orga:confirm-password",
            "checkin:login",
            "checkin:logout",
            "checkin:service-worker",
            "checkin:ticket-pdf",
            "admin:login",
            "admin:logout",
        }
    )
    JSON_PREFIX = "checkin:api-"

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs):
        match = request.resolver_match
        if match is None or not match.app_names or match.app_names[0] not in self.GUARDED_APPS:
            return None
        name = f"{match.app_names[0]}:{match.url_name}"
        user = request.user
        if name in self.OPEN_VIEWS or not user.is_authenticated or user.is_verified():
            return None
        if not two_factor_required_for(user=user):
            return None
        if name.startswith(self.JSON_PREFIX):
            message = _("Confirm the code from your authenticator app first.")
            return JsonResponse({"code": "two_factor", "message": message}, status=403)
        step = "orga:two-factor" if user_has_device(user) else "orga:two-factor-setup"
        return redirect(f"{reverse(step)}?{urlencode({'next': request.get_full_path()})}")


class LoginThrottledMiddleware:
    """A login refused by the throttle (``kongres.accounts.backends.LoginThrottled``) on a
    page that does not show it itself (the admin's login): 429 and the message."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception):
        if not isinstance(exception, LoginThrottled):
            return None
        response = render(
            request,
            "accounts/login_throttled.html",
            {"message": exception.message, "again": request.get_full_path()},
            status=429,
        )
        response["Retry-After"] = str(exception.retry_after)
        return response
