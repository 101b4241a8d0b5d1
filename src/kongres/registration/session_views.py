"""Sign-ups for sessions (issue 18): sign up, leave, take an offered place, and the
participant's calendar feed. The participant is known by the cookie their personal page sets
(``sessions.participant_get``), or by the link in an offer's mail. A request from the page's
script (header ``HX-Request``) gets the session's places fragment back; otherwise the browser
goes back where it came from, with a message."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from kongres.events.ics import edition_zone, sessions_calendar
from kongres.events.models import Session
from kongres.registration import sessions as places
from kongres.registration.exceptions import RegistrationError
from kongres.registration.models import Registration, SessionSignup
from kongres.registration.services import sessions as services
from kongres.registration.views import token_page


def _session(registration: Registration | None, pk: int) -> Session:
    query = Session.objects.select_related("edition", "room")
    session = query.filter(pk=pk).first()
    if session is None or (
        registration is not None and session.edition_id != registration.edition_id
    ):
        raise Http404
    return session


def _next(request: HttpRequest, session: Session) -> str:
    wanted = request.POST.get("next", "")
    if wanted and url_has_allowed_host_and_scheme(
        wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return wanted
    return session.get_absolute_url()


def _fragment(
    request: HttpRequest,
    session: Session,
    registration: Registration,
    token: str,
    *,
    mine: SessionSignup | None,
    overlap: RegistrationError | None = None,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    """The session's places as the page's script shows them (or a page without it), with the
    participant's sign-up ``mine`` (None: none)."""
    session.places_info = places.session_places(sessions=[session]).get(session.pk)
    session.my_signup = mine
    with timezone.override(edition_zone(edition=session.edition)):
        return render(
            request,
            "registration/session_signup.html",
            {
                "session": session,
                "edition": session.edition,
                "participant": registration,
                "participant_token": token,
                "overlap": overlap,
                "error": error,
                "next": _next(request, session),
                "fragment": request.headers.get("HX-Request") == "true",
            },
            status=status,
        )


def _participant_and_session(request: HttpRequest, pk: int):
    """The participant the cookie names and the session posted to (memoized: a rush reads it
    from the cache), the participant read with the session's edition; or the page refusing."""
    session = places.signup_session(pk=pk) if places.participant_token(request) else None
    registration, token = None, ""
    if session is not None:
        registration, token = places.participant_get(request, edition=session.edition)
    if registration is None:
        return None, "", None, _refused(request)
    return registration, token, session, None


def _refused(request: HttpRequest) -> HttpResponse:
    """403 with a way forward without a participant; 404 for a session that is not of theirs
    (or none)."""
    registration, _token = places.participant_get(request)
    if registration is None:
        return render(
            request, "registration/session_no_participant.html", {"edition": None}, status=403
        )
    raise Http404


@require_POST
@never_cache
def signup(request: HttpRequest, pk: int) -> HttpResponse:
    """The participant is found, locked and checked by the sign-up itself (one read: the hot
    path of a rush, ``session_signup_by_token``); its failures read them again here."""
    token = places.participant_token(request)
    session = places.signup_session(pk=pk) if token else None
    if session is None:
        return _refused(request)
    try:
        signed = services.session_signup_by_token(
            token=token, session=session, switch=request.POST.get("switch") == "1"
        )
    except RegistrationError as error:
        registration, token = places.participant_get(request, edition=session.edition)
        if registration is None:  # "no_participant"
            return _refused(request)
        if isinstance(error, services.OverlapError):
            return _fragment(
                request, session, registration, token, mine=None, overlap=error, status=409
            )
        return _failed(request, session, registration, token, error)
    if request.headers.get("HX-Request") == "true":
        return _fragment(request, session, signed.registration, token, mine=signed)
    if signed.status == signed.Status.WAITING:
        messages.info(request, _("The session is full: you are on its waiting list."))
    else:
        messages.success(request, _("You are signed up for %(title)s.") % {"title": session.title})
    return redirect(_next(request, session))


def _failed(request, session, registration, token, error: RegistrationError) -> HttpResponse:
    if request.headers.get("HX-Request") == "true":
        mine = places.participant_signups(registration=registration).get(session.pk)
        return _fragment(
            request, session, registration, token, mine=mine, error=str(error.message), status=409
        )
    messages.error(request, str(error.message))
    return redirect(_next(request, session))


@require_POST
@never_cache
def leave(request: HttpRequest, pk: int) -> HttpResponse:
    registration, token, session, refused = _participant_and_session(request, pk)
    if refused is not None:
        return refused
    try:
        services.session_leave(registration=registration, session=session)
    except RegistrationError as error:
        return _failed(request, session, registration, token, error)
    if request.headers.get("HX-Request") == "true":
        return _fragment(request, session, registration, token, mine=None)
    messages.success(request, _("You have left %(title)s.") % {"title": session.title})
    return redirect(_next(request, session))


@require_http_methods(["GET", "HEAD", "POST"])
@token_page
def claim(request: HttpRequest, registration: Registration, token: str, pk: int) -> HttpResponse:
    """Take a place offered in a session: a page with a button (the link of the offer's mail);
    the button takes it."""
    session = _session(registration, pk)
    signup = places.participant_signups(registration=registration).get(session.pk)
    overlap = None
    if request.method == "POST":
        try:
            services.session_offer_claim(
                registration=registration,
                session=session,
                switch=request.POST.get("switch") == "1",
            )
        except services.OverlapError as error:
            overlap = error
        except RegistrationError as error:
            messages.error(request, str(error.message))
            return redirect("registration:manage", token=token)
        else:
            messages.success(
                request, _("The place in %(title)s is yours.") % {"title": session.title}
            )
            return redirect("registration:manage", token=token)
    with timezone.override(edition_zone(edition=session.edition)):
        response = render(
            request,
            "registration/session_claim.html",
            {
                "registration": registration,
                "edition": registration.edition,
                "session": session,
                "signup": signup,
                "token": token,
                "overlap": overlap,
            },
            status=409 if overlap else 200,
        )
    places.participant_cookie_set(response, token=token)
    return response


@require_safe
@never_cache
def agenda_feed(request: HttpRequest, key: str) -> HttpResponse:
    """The participant's own sessions as a calendar feed (a secret address, ``webcal://``)."""
    registration = places.feed_registration(key=key)
    if registration is None:
        raise Http404
    sessions = places.agenda_sessions(registration=registration)
    body = sessions_calendar(
        edition=registration.edition,
        sessions=sessions,
        name=_("%(title)s: my sessions") % {"title": registration.edition.title},
        feed=True,
    )
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="agenda.ics"'
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response
