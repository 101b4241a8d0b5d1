"""The check-in page for staff (made for a phone; works without JavaScript, and offline with
it), its JSON endpoints (scan, search, live counts), its service worker, the login for staff
who are not admin users, name badges, and the participant's PDF ticket by the secret link of
their registration.

Every check-in view goes through ``checkin_access_edition`` (``staff_only``); views parse input
with a form and call one service or selector."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from kongres.accounts import views as accounts_views
from kongres.accounts.roles import role_can
from kongres.checkin import selectors
from kongres.checkin.badges import badges_pdf
from kongres.checkin.forms import (
    BadgeFilterForm,
    OfflineListForm,
    PlaceForm,
    ScanForm,
    SearchForm,
)
from kongres.checkin.models import Gate
from kongres.checkin.offline import offline_list_public_key, offline_list_sign
from kongres.checkin.services import (
    CheckinError,
    CheckInResult,
    checkin_perform,
    session_attendance_perform,
    session_day,
)
from kongres.events.ics import edition_zone
from kongres.events.models import Day, Edition, Session
from kongres.registration.models import Registration
from kongres.registration.tickets import SIZES, active_ticket, ticket_filename, ticket_pdf
from kongres.registration.views import token_page

# What the service worker keeps for offline use, besides the page itself.
OFFLINE_STATIC = [
    "kongres/kongres.css",
    "kongres/favicon.svg",
    "checkin/checkin.css",
    "checkin/checkin.js",
    "checkin/vendor/jsQR.js",
]
COUNTS_POLL_SECONDS = 5


def staff_only(
    view: Callable | None = None, *, api: bool = False, need: str = "checkin"
) -> Callable:
    """Let through only users who may check people in at the current edition (or fulfil
    another ``need`` of ``accounts.roles.NEEDS``), by their role there, never by a global
    permission or ``is_staff`` (superusers everywhere): the view gets the edition as its second
    argument. Others: the login page, or a 403 that says why (for an ``api`` view, a JSON 403
    whose code is ``login`` when the session ended)."""
    if view is None:
        return lambda view: staff_only(view, api=api, need=need)

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        current = getattr(request, "edition", None)
        current = current if current else None  # the lazy object may wrap None
        try:
            edition = selectors.checkin_access_edition(
                user=request.user, edition=current, need=need
            )
        except CheckinError as error:
            if api:
                code = error.code if request.user.is_authenticated else "login"
                return JsonResponse({"code": code, "message": str(error.message)}, status=403)
            elif not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path(), reverse("checkin:login"))
            else:
                return render(request, "checkin/forbidden.html", {"error": error}, status=403)
        with timezone.override(edition_zone(edition=edition)):
            return view(request, edition, *args, **kwargs)

    return wrapper


def _place(request: HttpRequest, edition: Edition) -> tuple[Day | None, Gate | None, list, list]:
    """The day and gate chosen (query string or form), else today's day and no gate."""
    days, gates = selectors.checkin_days_and_gates(edition=edition)
    source = request.POST if request.method == "POST" else request.GET
    day = next((d for d in days if str(d.pk) == source.get("day")), None)
    day = day or selectors.checkin_day_default(days=days, edition=edition)
    gate = next((g for g in gates if str(g.pk) == source.get("gate")), None)
    return day, gate, days, gates


def _session(request: HttpRequest, edition: Edition, day: Day) -> tuple[Session | None, list]:
    """The session chosen (the page's "session / room" mode) among ``day``'s, else None."""
    sessions = selectors.checkin_sessions(edition=edition, day=day)
    source = request.POST if request.method == "POST" else request.GET
    session = next((s for s in sessions if str(s.pk) == source.get("session")), None)
    return session, sessions


@never_cache
@require_http_methods(["GET", "POST"])
@staff_only
def page(request: HttpRequest, edition: Edition) -> HttpResponse:
    day, gate, days, gates = _place(request, edition)
    if day is None:
        return render(request, "checkin/no_days.html", {"edition": edition})
    session, sessions = _session(request, edition, day)
    result: CheckInResult | None = None
    scan_error = ""
    if request.method == "POST":
        form = ScanForm(request.POST, edition=edition)
        if form.is_valid():
            result, error = _perform(request, form)
            scan_error = str(error.message) if error is not None else ""
        else:
            scan_error = " ".join(e for errors in form.errors.values() for e in errors)
    search = SearchForm(request.GET)
    query = search.cleaned_data["q"] if search.is_valid() else ""
    results = selectors.registration_search(edition=edition, query=query) if query else []
    context = {
        "edition": edition,
        "day": day,
        "gate": gate,
        "days": days,
        "gates": gates,
        "session": session,
        "place_form": PlaceForm(
            initial={"day": day, "gate": gate, "session": session.pk if session else ""},
            edition=edition,
            sessions=sessions,
        ),
        "search_form": search,
        "query": query,
        "results": results,
        "result": result,
        "scan_error": scan_error,
        "nonce": uuid.uuid4().hex,
        "counts": (
            selectors.session_counts(session=session)
            if session
            else selectors.checkin_counts(day=day)
        ),
        "recent": (
            selectors.session_attendance_recent(session=session)
            if session
            else selectors.checkin_recent(day=day)
        ),
        "poll_seconds": COUNTS_POLL_SECONDS,
        "strings": _script_strings(),
        "list_key": offline_list_public_key(),
        "zone": str(edition_zone(edition=edition)),
        "may_print_badges": role_can(user=request.user, edition=edition, need="badges"),
    }
    status = 422 if scan_error else 200
    return render(request, "checkin/page.html", context, status=status)


def _script_strings() -> dict[str, str]:
    """What the page's script says, in the page's language."""
    return {
        "pending": _("waiting to be sent"),
        "saved_offline": _("Saved on this phone"),
        "saved_offline_detail": _(
            "No network. The scan will be sent and checked when the network is back."
        ),
        "synced": _("Sent: %(sent)s, refused: %(refused)s."),
        "login_again": _("Your session has ended. Log in again to send the waiting scans."),
        "found": _("People found: %(count)s"),
        "check_in": _("Check in"),
        "days": _("Days:"),
        "camera_start": _("Scan with the camera"),
        "camera_stop": _("Stop the camera"),
        "camera_unavailable": _("The camera cannot be used here."),
        "server_error": _("The server could not check this scan. Try again."),
        "dismiss": _("Dismiss"),
        "others": _(
            "Scans saved on this phone by another account (or for another edition): "
            "%(count)s. They were not sent."
        ),
        "others_discarded": _("The scans of the other account were discarded."),
        "list_ready": _("List for offline checks: %(count)s tickets, downloaded at %(time)s."),
        "list_invalid": _(
            "The list for offline checks on this phone is not valid (its signature does not "
            "hold). Offline scans are only kept, not checked."
        ),
        "offline_ok": _("Valid ticket (checked offline)"),
        "offline_already": _("Already in (checked offline)"),
        "offline_already_detail": _(
            "This ticket was already let in: on this phone, or before the list was downloaded."
        ),
        "offline_unknown": _("Unknown ticket (checked offline)"),
        "offline_unknown_detail": _(
            "This code is not on the list of valid tickets for today: a forged, replaced or "
            "cancelled ticket, or one for another day. Search by name when the network is back."
        ),
        "offline_saved": _("Saved on this phone; it is sent when the network is back."),
        "conflict_in": _("Let in offline here, but the server says: %(headline)s. %(message)s"),
        "conflict_out": _("Refused offline here, but the server let this person in."),
        "conflicts_announce": _("Conflicts with the server: %(count)s."),
    }


def _perform(
    request: HttpRequest, form: ScanForm
) -> tuple[CheckInResult | None, CheckinError | None]:
    data = form.cleaned_data
    try:
        if data.get("session") is not None:
            return session_attendance_perform(
                code=data["code"],
                registration=data["registration"],
                session=data["session"],
                day=data["day"],
                staff=request.user,
                nonce=data["nonce"],
                at=data["at"],
                device=data["device"],
                offline=data.get("offline", ""),
            ), None
        result = checkin_perform(
            code=data["code"],
            registration=data["registration"],
            day=data["day"],
            gate=data["gate"],
            staff=request.user,
            nonce=data["nonce"],
            at=data["at"],
            device=data["device"],
            offline=data.get("offline", ""),
        )
    except CheckinError as error:
        return None, error
    return result, None


@never_cache
@require_POST
@staff_only(api=True)
def scan_api(request: HttpRequest, edition: Edition) -> JsonResponse:
    """A scan from the page's script (CSRF token in the X-CSRFToken header). 200 and the
    answer when the person may come in; 409 and the answer (``code``, ``message``) when not;
    422 for input that is not a scan; 503 (code ``busy``) when the person's row stayed locked
    longer than the lock timeout (the script keeps the scan and sends it again); 403 (code
    ``other_account``) for a scan saved under another account than the one signed in."""
    form = ScanForm(request.POST, edition=edition)
    if not form.is_valid():
        message = " ".join(e for errors in form.errors.values() for e in errors)
        return JsonResponse({"code": "invalid", "message": message}, status=422)
    if form.cleaned_data["by"] not in (None, request.user.pk):  # the script keeps it
        message = _("This scan was saved on the phone by another account: it was not sent.")
        return JsonResponse({"code": "other_account", "message": message}, status=403)
    result, error = _perform(request, form)
    if error is not None and error.code == "busy":  # the page's script sends it again later
        return JsonResponse({"code": "busy", "message": str(error.message)}, status=503)
    if result is None:
        return JsonResponse({"code": "invalid", "message": str(error.message)}, status=422)
    return JsonResponse(result.as_json(), status=200 if result.ok else 409)


@never_cache
@require_safe
@staff_only(api=True)
def counts_api(request: HttpRequest, edition: Edition) -> JsonResponse:
    day, _gate, _days, _gates = _place(request, edition)
    if day is None:
        return JsonResponse({"code": "no_days", "message": _("No days.")}, status=404)
    session, _sessions = _session(request, edition, day)
    if session is not None:
        return JsonResponse(selectors.session_counts(session=session).as_json())
    return JsonResponse(selectors.checkin_counts(day=day).as_json())


@never_cache
@require_safe
@staff_only(api=True)
def counts_all_api(request: HttpRequest, edition: Edition) -> JsonResponse:
    """Every day's counts (for the admin's list of scans)."""
    return JsonResponse(
        {
            "days": [
                counts.as_json() | {"label": str(counts.day)}
                for counts in selectors.checkin_counts_by_day(edition=edition)
            ]
        }
    )


@never_cache
@require_safe
@staff_only(api=True)
def offline_list_api(request: HttpRequest, edition: Edition) -> JsonResponse:
    """The signed list that lets the page decide without a network (``checkin.offline``), for
    the ``day`` asked for; 422 for a day that is not the edition's."""
    form = OfflineListForm(request.GET, edition=edition)
    if not form.is_valid():
        message = " ".join(e for errors in form.errors.values() for e in errors)
        return JsonResponse({"code": "invalid", "message": message}, status=422)
    day = form.cleaned_data["day"] or selectors.checkin_day_default(
        days=list(form.days.values()), edition=edition
    )
    if day is None:
        return JsonResponse({"code": "no_days", "message": _("No days.")}, status=404)
    session = form.cleaned_data["session"]
    if session is not None and session_day(session=session, days=[day]) is None:
        message = _("This session is not on the chosen day.")
        return JsonResponse({"code": "invalid", "message": message}, status=422)
    entries = selectors.offline_list_entries(day=day, session=session)
    return JsonResponse(
        offline_list_sign(
            edition_id=edition.pk,
            day_id=day.pk,
            session_id=session.pk if session else None,
            entries=entries,
        )
    )


@never_cache
@require_safe
@staff_only(api=True)
def search_api(request: HttpRequest, edition: Edition) -> JsonResponse:
    form = SearchForm(request.GET)
    query = form.cleaned_data["q"] if form.is_valid() else ""
    return JsonResponse(
        {
            "results": [
                _search_result(registration)
                for registration in selectors.registration_search(edition=edition, query=query)
            ]
        }
    )


def _search_result(registration: Registration) -> dict:
    return {
        "id": registration.pk,
        "name": registration.full_name,
        "institution": registration.institution,
        "status": registration.status,
        "status_label": str(registration.get_status_display()),
        "days": [str(day) for day in registration.days.all()],
    }


@require_safe
def service_worker(request: HttpRequest) -> HttpResponse:
    """The service worker, at the page's own address so that its scope is the page
    (``/checkin/`` or ``/en/checkin/``). It keeps the page and its files for offline use."""
    page_url = reverse("checkin:page")
    files = [static(name) for name in OFFLINE_STATIC]
    version = hashlib.sha256("\n".join([page_url, *files]).encode()).hexdigest()[:12]
    response = render(
        request,
        "checkin/sw.js",
        {"page_url": page_url, "files": files, "version": version},
        content_type="text/javascript; charset=utf-8",
    )
    response["Cache-Control"] = "no-cache"
    return response


class LoginView(accounts_views.LoginView):
    """Staff log in here: the admin's login would refuse an account that is not an admin.
    Throttled as every login (``kongres.accounts.backends``); an account that must use two
    factors gives its code next (``kongres.accounts.middleware.TwoFactorMiddleware``)."""

    template_name = "checkin/login.html"
    redirect_authenticated_user = True
    next_page = reverse_lazy("checkin:page")


class LogoutView(auth_views.LogoutView):
    next_page = reverse_lazy("checkin:login")


@never_cache
@require_safe
@staff_only(need="badges")
def badges(request: HttpRequest, edition: Edition) -> HttpResponse:
    """Name badges: a filter form; with ``download`` the PDF of the confirmed participants
    it selects. Only for a role that may see the participants (``NEEDS["badges"]``). One PDF
    holds at most ``KONGRES_BADGES_PER_PDF`` badges (about a second for ten on a server, so
    that a request ends well within the proxy's timeout); a larger selection is offered in
    parts (``part``), and ``kongres badges`` makes the whole edition at once. The same part
    asked for again comes from the cache (``core.pdf.pdf_render_cached``)."""
    form = BadgeFilterForm(request.GET or None, edition=edition)
    per_pdf = settings.KONGRES_BADGES_PER_PDF
    context = {"edition": edition, "form": form, "per_pdf": per_pdf}
    if form.is_bound and form.is_valid():
        sector, day = form.cleaned_data["sector"], form.cleaned_data["day"]
        count = selectors.badge_count(edition=edition, sector=sector, day=day)
        part = form.cleaned_data["part"]
        if "download" in request.GET and (part is not None or count <= per_pdf):
            part = part or 1
            registrations = selectors.badge_registrations(
                edition=edition, sector=sector, day=day, offset=(part - 1) * per_pdf, limit=per_pdf
            )
            if not registrations and part > 1:
                raise Http404("no such part")
            pdf = badges_pdf(edition=edition, registrations=registrations, language="pl")
            response = HttpResponse(pdf, content_type="application/pdf")
            suffix = f"-{part}" if count > per_pdf else ""
            response["Content-Disposition"] = (
                f'attachment; filename="badges-{edition.slug}{suffix}.pdf"'
            )
            return response
        query = request.GET.copy()
        query.pop("part", None)
        query["download"] = "1"
        context |= {
            "count": count,
            "parts": [
                {
                    "number": number,
                    "first": (number - 1) * per_pdf + 1,
                    "last": min(number * per_pdf, count),
                    "query": f"{query.urlencode()}&part={number}",
                }
                for number in range(1, (count + per_pdf - 1) // per_pdf + 1)
            ],
        }
    return render(request, "checkin/badges.html", context)


# --- the participant's ticket, by the secret link of their registration -------------------


@require_safe
@token_page
def ticket_pdf_view(request: HttpRequest, registration: Registration, token: str) -> HttpResponse:
    """The PDF ticket of a confirmed registration (``?size=phone`` for a screen), in the active
    language. Only the secret link opens it: the ticket's code, which staff see at the door,
    does not."""
    ticket = active_ticket(registration)
    if registration.status != Registration.Status.CONFIRMED or ticket is None:
        raise Http404("no ticket")  # the participant's page issues one (a button)
    size = request.GET.get("size", "a4")
    size = size if size in SIZES else "a4"
    pdf = ticket_pdf(ticket=ticket, size=size, language=request.LANGUAGE_CODE)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{ticket_filename(ticket, size)}"'
    return response  # token_page: never cached, never indexed
