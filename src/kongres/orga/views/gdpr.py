"""The back office's pages for a person's data (GDPR): download everything we hold on them as
JSON (administrators and registration managers), erase it (administrators only, after a
confirmation page), and the text of a privacy notice version someone consented to."""

from __future__ import annotations

import json

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from kongres.events.models import Edition
from kongres.orga.access import orga_access_registration, orga_view
from kongres.privacy.retention import purge_report
from kongres.privacy.services import registration_data_export, registration_erase
from kongres.registration.selectors import privacy_notice_version_get


@require_http_methods(["GET", "HEAD", "POST"])
@orga_view("export")
def registration_data(request: HttpRequest, edition: Edition, pk: int) -> HttpResponse:
    """GET: a page with a download button; POST: everything held on the person, as a JSON
    file (the download is logged, so it is not a GET that a link preview could trigger)."""
    registration = orga_access_registration(
        user=request.user, edition=edition, registration_id=pk, need="export"
    )
    if request.method != "POST":
        return render(
            request,
            "orga/registration_data.html",
            {"edition": edition, "registration": registration},
        )
    data = registration_data_export(registration=registration, actor=request.user)
    response = HttpResponse(
        json.dumps(data, ensure_ascii=False, indent=2, default=str),
        content_type="application/json; charset=utf-8",
    )
    filename = f"registration-{edition.slug}-{registration.pk}.json"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@require_http_methods(["GET", "HEAD", "POST"])
@orga_view("gdpr")
def registration_erase_view(request: HttpRequest, edition: Edition, pk: int) -> HttpResponse:
    """GET: what erasure removes and keeps, with a confirm button; POST: erase."""
    registration = orga_access_registration(
        user=request.user, edition=edition, registration_id=pk, need="gdpr"
    )
    if request.method == "POST" and not registration.is_erased:
        registration_erase(registration=registration, actor=request.user)
        messages.success(request, _("The personal data of this registration were erased."))
        return redirect("orga:registration-detail", edition=edition.slug, pk=registration.pk)
    return render(
        request,
        "orga/registration_erase.html",
        {
            "edition": edition,
            "registration": registration,
            "erased": registration.is_erased,
        },
    )


@require_safe
@orga_view("view")
def privacy_notice_version(
    request: HttpRequest, edition: Edition, fingerprint: str
) -> HttpResponse:
    """The text of a privacy notice version, as consented to."""
    version = privacy_notice_version_get(fingerprint=fingerprint)
    if version is None:
        raise Http404("no such privacy notice version")
    return render(
        request, "orga/privacy_notice_version.html", {"edition": edition, "version": version}
    )


@require_safe
@orga_view("gdpr")
def retention(request: HttpRequest, edition: Edition) -> HttpResponse:
    """A dry run of the periodic purge for this edition: how many registrations it would erase
    now, and after how long (``privacy.retention``). Changes nothing."""
    return render(
        request,
        "orga/retention.html",
        {"edition": edition, "report": purge_report(edition=edition)},
    )
