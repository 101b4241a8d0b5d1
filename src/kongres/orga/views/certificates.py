"""Certificates of attendance of the edition (``kongres.checkin.certificates``): the list
(search by name or address), issuing what is missing now (a task for the worker) or to one
person, revoking and re-issuing one, its PDF, and the template (text blocks, signatures).
Seeing them needs "view"; issuing and revoking "change"; the template "settings"."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from kongres.checkin.certificates import (
    CertificateError,
    certificate_candidates,
    certificate_filename,
    certificate_issue,
    certificate_list,
    certificate_pdf,
    certificate_reissue,
    certificate_revoke,
    certificate_template_get,
    certificate_template_update,
)
from kongres.checkin.forms import CertificateRevokeForm, CertificateTemplateForm
from kongres.checkin.models import Certificate
from kongres.checkin.tasks import certificates_issue
from kongres.events.models import Edition
from kongres.orga.access import orga_access_edition, orga_access_registration, orga_view

PER_PAGE = 50


def _certificate(request: HttpRequest, edition: Edition, pk: int, need: str) -> Certificate:
    orga_access_edition(user=request.user, edition=edition, need=need)
    certificate = (
        Certificate.objects.select_related("edition", "registration", "replaced_by__edition")
        .filter(edition=edition, pk=pk)
        .first()
    )
    if certificate is None:
        raise Http404("no such certificate")
    return certificate


@require_safe
@orga_view("view")
def certificate_list_view(request: HttpRequest, edition: Edition) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:100]
    page = Paginator(certificate_list(edition=edition, query=query), PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "orga/certificates.html",
        {
            "edition": edition,
            "page": page,
            "query": query,
            "query_string": urlencode({"q": query}) if query else "",
            "came": certificate_candidates(edition=edition).count(),
            "valid": Certificate.objects.filter(
                edition=edition, status=Certificate.Status.VALID
            ).count(),
        },
    )


@require_POST
@orga_view("change")
def certificates_issue_view(request: HttpRequest, edition: Edition) -> HttpResponse:
    """Everyone's certificates by the worker (``registration`` absent), or one person's now."""
    registration_id = request.POST.get("registration", "")
    if registration_id.isdigit():
        registration = orga_access_registration(
            user=request.user, edition=edition, registration_id=int(registration_id), need="change"
        )
        try:
            certificate = certificate_issue(registration=registration, actor=request.user)
        except CertificateError as error:
            messages.error(request, error.message)
        else:
            messages.success(
                request,
                _("Certificate %(serial)s was issued and mailed.") % {"serial": certificate.serial},
            )
        return redirect("orga:registration-detail", edition=edition.slug, pk=registration.pk)
    certificates_issue.enqueue(edition.pk, request.user.pk)
    messages.success(
        request,
        _(
            "The certificates are being issued and mailed in the background; "
            "reload this page in a minute."
        ),
    )
    return redirect("orga:certificates", edition=edition.slug)


@require_http_methods(["GET", "HEAD", "POST"])
@orga_view("change")
def certificate_detail(request: HttpRequest, edition: Edition, pk: int) -> HttpResponse:
    """One certificate: revoke it (with a reason), or re-issue it (new serial, current name)."""
    certificate = _certificate(request, edition, pk, "change")
    form = CertificateRevokeForm(request.POST or None)
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "reissue":
                new = certificate_reissue(certificate=certificate, actor=request.user)
                messages.success(
                    request,
                    _("Certificate %(old)s was replaced by %(new)s, which was mailed.")
                    % {"old": certificate.serial, "new": new.serial},
                )
                return redirect("orga:certificate-detail", edition=edition.slug, pk=new.pk)
            if action == "revoke" and form.is_valid():
                certificate_revoke(
                    certificate=certificate, actor=request.user, reason=form.cleaned_data["reason"]
                )
                messages.success(
                    request,
                    _("Certificate %(serial)s was revoked.") % {"serial": certificate.serial},
                )
                return redirect("orga:certificate-detail", edition=edition.slug, pk=certificate.pk)
        except CertificateError as error:
            messages.error(request, error.message)
            return redirect("orga:certificate-detail", edition=edition.slug, pk=certificate.pk)
    return render(
        request,
        "orga/certificate_detail.html",
        {"edition": edition, "certificate": certificate, "form": form},
    )


@require_safe
@orga_view("view")
def certificate_pdf_view(request: HttpRequest, edition: Edition, pk: int) -> HttpResponse:
    certificate = _certificate(request, edition, pk, "view")
    pdf = certificate_pdf(certificate=certificate)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{certificate_filename(certificate)}"'
    return response


@require_http_methods(["GET", "HEAD", "POST"])
@orga_view("settings")
def certificate_template_view(request: HttpRequest, edition: Edition) -> HttpResponse:
    template = certificate_template_get(edition=edition)
    form = CertificateTemplateForm(request.POST or None, request.FILES or None, instance=template)
    if request.method == "POST" and form.is_valid():
        certificate_template_update(
            template=template, changes=form.cleaned_data, actor=request.user
        )
        messages.success(request, _("The certificate template was saved."))
        return redirect("orga:certificate-template", edition=edition.slug)
    return render(request, "orga/certificate_template.html", {"edition": edition, "form": form})
