"""Places in sessions (issue 18): the sessions' list with their places, one session's page
(counts, chart, the list for the moderator) and its settings (mode, capacity, room)."""

from __future__ import annotations

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.csp import CSP
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csp import csp_override
from django.views.decorators.http import require_http_methods, require_safe

from kongres.audit.services import audit_log
from kongres.events.models import Edition, Session
from kongres.orga import sessions as data
from kongres.orga.access import orga_view
from kongres.registration.exceptions import RegistrationError
from kongres.registration.services.session_settings import session_settings_change


def _session(edition: Edition, pk: int) -> Session:
    session = Session.objects.select_related("room", "edition__venue").filter(
        edition=edition, pk=pk
    )
    found = session.first()
    if found is None:
        raise Http404
    return found


@require_safe
@orga_view("view")
def session_list(request: HttpRequest, edition: Edition) -> HttpResponse:
    rows = data.session_rows(edition=edition)
    return render(
        request,
        "orga/session_list.html",
        {
            "edition": edition,
            "rows": rows,
            "any_signups": any(row.session.takes_signups for row in rows),
        },
    )


@require_safe
@orga_view("view")
def session_detail(request: HttpRequest, edition: Edition, pk: int) -> HttpResponse:
    session = _session(edition, pk)
    (row,) = data.session_rows(edition=edition, session_id=session.pk)
    return render(
        request, "orga/session_detail.html", {"edition": edition, "session": session, "row": row}
    )


@require_http_methods(["GET", "HEAD", "POST"])
@orga_view("settings")
def session_edit(request: HttpRequest, edition: Edition, pk: int) -> HttpResponse:
    session = _session(edition, pk)
    (row,) = data.session_rows(edition=edition, session_id=session.pk)
    initial = {
        "signup_mode": session.signup_mode,
        "capacity": session.capacity,
        "room": session.room,
    }
    form = data.SessionPlacesForm(
        request.POST if request.method == "POST" else None,
        initial=initial,
        session=session,
        holding=row.holding,
    )
    if request.method == "POST" and form.is_valid():
        room = form.cleaned_data["room"]
        try:
            offers = session_settings_change(
                session=session,
                signup_mode=form.cleaned_data["signup_mode"],
                capacity=form.cleaned_data["capacity"],
                room_id=room.pk if room else None,
                actor=request.user,
            )
        except RegistrationError as error:
            form.add_error(None, error.message)
        else:
            messages.success(
                request,
                _("The session's places are saved.")
                + (
                    " " + _("Places offered to the waiting list: %(n)s.") % {"n": offers}
                    if offers
                    else ""
                ),
            )
            return redirect("orga:session-detail", edition=edition.slug, pk=session.pk)
    return render(
        request,
        "orga/session_edit.html",
        {"edition": edition, "session": session, "row": row, "form": form},
    )


@require_safe
@orga_view("export")
def session_export(request: HttpRequest, edition: Edition, pk: int, kind: str) -> HttpResponse:
    session = _session(edition, pk)
    audit_log(actor=request.user, action="session.export", obj=session, after={"format": kind})
    filename = f"{edition.slug}-{session.slug}.{kind}"
    if kind == "csv":
        response = HttpResponse(
            data.session_list_csv(session=session), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response
    if kind == "xlsx":
        return FileResponse(
            data.session_list_xlsx(session=session),
            as_attachment=True,
            filename=filename,
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    raise Http404


@never_cache
@require_safe
@csp_override(
    {"default-src": [CSP.NONE], "style-src": [CSP.UNSAFE_INLINE], "frame-ancestors": [CSP.NONE]}
)
@orga_view("view")
def session_chart(request: HttpRequest, edition: Edition) -> HttpResponse:
    return HttpResponse(
        data.session_chart_svg(edition=edition), content_type="image/svg+xml; charset=utf-8"
    )
