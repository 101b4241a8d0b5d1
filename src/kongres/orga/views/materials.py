"""Speakers' materials and recordings of the edition: send a speaker a secret upload link
(or revoke it), approve or reject what was sent. Administrators and editors (the need
"content"); every change through ``materials.services``."""

from __future__ import annotations

from pathlib import PurePath

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from kongres.events.models import Edition
from kongres.events.selectors import session_list
from kongres.materials import selectors
from kongres.materials.forms import OrganiserMaterialForm, UploadLinkForm
from kongres.materials.services import (
    MaterialsError,
    material_approve,
    material_reject,
    material_submit,
    upload_link_create,
    upload_link_revoke,
    upload_url,
)
from kongres.orga.access import orga_access_material, orga_access_upload_link, orga_view


def _page(
    request: HttpRequest,
    edition: Edition,
    form: UploadLinkForm,
    add_form: OrganiserMaterialForm | None = None,
    **extra,
) -> HttpResponse:
    sessions = _sessions(edition)
    return render(
        request,
        "orga/materials.html",
        {
            "edition": edition,
            "form": form,
            "add_form": add_form or OrganiserMaterialForm(sessions=sessions, prefix="add"),
            "materials": list(selectors.material_list(edition=edition)),
            "links": list(selectors.upload_link_list(edition=edition)),
            **extra,
        },
    )


def _sessions(edition: Edition):
    return list(session_list(edition=edition).order_by("starts_at", "pk"))


@require_safe
@orga_view("content")
def material_list(request: HttpRequest, edition: Edition) -> HttpResponse:
    return _page(request, edition, UploadLinkForm(sessions=_sessions(edition)))


@require_POST
@never_cache
@orga_view("content")
def upload_link_create_view(request: HttpRequest, edition: Edition) -> HttpResponse:
    sessions = _sessions(edition)
    form = UploadLinkForm(request.POST, sessions=sessions)
    if form.is_valid():
        session = next(s for s in sessions if s.pk == form.cleaned_data["session"])
        try:
            link, token = upload_link_create(
                session=session,
                email=form.cleaned_data["email"],
                language=form.cleaned_data["language"],
                actor=request.user,
            )
        except MaterialsError as error:
            form.add_error(error.field, error.message)
        else:
            return _page(
                request,
                edition,
                UploadLinkForm(sessions=sessions),
                created=link,
                created_url=upload_url(token=token, language=link.language),
            )
    return _page(request, edition, form)


@require_POST
@orga_view("content")
def material_add_view(request: HttpRequest, edition: Edition) -> HttpResponse:
    """An organiser adds slides, a video or a recording's address: published at once."""
    sessions = _sessions(edition)
    form = OrganiserMaterialForm(request.POST, request.FILES, sessions=sessions, prefix="add")
    if form.is_valid():
        session = next(s for s in sessions if s.pk == form.cleaned_data["session"])
        try:
            material = material_submit(
                session=session,
                title=form.cleaned_data["title"],
                file=form.cleaned_data["file"],
                url=form.cleaned_data["url"],
                actor=request.user,
                publish=True,
            )
        except MaterialsError as error:
            form.add_error(error.field, error.message)
        else:
            messages.success(
                request, _("“%(title)s” is published on the session's page.") % {"title": material}
            )
            return redirect("orga:materials", edition=edition.slug)
    return _page(request, edition, UploadLinkForm(sessions=sessions), form)


@require_POST
@orga_view("content")
def upload_link_revoke_view(request: HttpRequest, edition: Edition, pk: int) -> HttpResponse:
    link = orga_access_upload_link(user=request.user, edition=edition, link_id=pk)
    upload_link_revoke(link=link, actor=request.user)
    messages.success(request, _("The link was revoked: it opens nothing any more."))
    return redirect("orga:materials", edition=edition.slug)


@require_safe
@orga_view("content")
def material_file(request: HttpRequest, edition: Edition, pk: int) -> FileResponse:
    """The file of a material, for the organisers who decide on it (a file waiting for
    approval is served by nothing else), as a download that runs nothing."""
    material = orga_access_material(user=request.user, edition=edition, material_id=pk)
    if not material.file:
        raise Http404("no file")
    suffix = PurePath(material.file.name).suffix
    response = FileResponse(
        material.file.open("rb"),
        as_attachment=True,
        filename=f"{slugify(material.title) or 'material'}{suffix}",
        content_type=material.content_type or "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


@require_POST
@orga_view("content")
def material_approve_view(request: HttpRequest, edition: Edition, pk: int) -> HttpResponse:
    material = orga_access_material(user=request.user, edition=edition, material_id=pk)
    try:
        material_approve(material=material, actor=request.user)
    except MaterialsError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request, _("“%(title)s” is published on the session's page.") % {"title": material}
        )
    return redirect("orga:materials", edition=edition.slug)


@require_POST
@orga_view("content")
def material_reject_view(request: HttpRequest, edition: Edition, pk: int) -> HttpResponse:
    material = orga_access_material(user=request.user, edition=edition, material_id=pk)
    material_reject(material=material, actor=request.user)
    messages.success(
        request, _("“%(title)s” was rejected; its file was deleted.") % {"title": material}
    )
    return redirect("orga:materials", edition=edition.slug)
