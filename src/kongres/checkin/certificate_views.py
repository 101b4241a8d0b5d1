"""The public verification page of a certificate of attendance (by its full code, which only
the holder and whoever they show the certificate to have: it names the holder; nothing lists
certificates or people), the form to type a code, and the participant's download of their
certificate by the secret link of their registration. Rate-limited per network like every
page opened by a secret."""

from __future__ import annotations

from django import forms
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from kongres.checkin.certificates import (
    certificate_code_normalise,
    certificate_filename,
    certificate_get_by_code,
    certificate_pdf,
    certificates_of_registration,
)
from kongres.core.proxy import client_ip
from kongres.core.ratelimit import RateLimited, network_key, ratelimit_hit
from kongres.registration.models import Registration
from kongres.registration.views import token_page


class VerifyForm(forms.Form):
    code = forms.CharField(
        label=_("Verification code"),
        max_length=60,
        help_text=_("The code printed under the QR code of the certificate."),
    )

    def clean_code(self) -> str:
        code = certificate_code_normalise(self.cleaned_data["code"])
        if not code:
            raise forms.ValidationError(_("Type the code printed on the certificate."))
        return code


def _limited(request: HttpRequest) -> HttpResponse | None:
    try:
        ratelimit_hit(scope="token-ip", value=network_key(client_ip(request)))
    except RateLimited as error:
        minutes = max(1, -(-error.retry_after // 60))
        response = render(
            request, "registration/ratelimited.html", {"minutes": minutes}, status=429
        )
        response["Retry-After"] = str(error.retry_after)
        return response
    return None


@never_cache
@require_safe
def certificate_verify_start(request: HttpRequest) -> HttpResponse:
    """A form to type the code of a certificate (from paper, without the QR code)."""
    form = VerifyForm(request.GET or None)
    if form.is_bound:
        limited = _limited(request)
        if limited is not None:
            return limited
        if form.is_valid():
            return redirect("checkin:certificate-verify", code=form.cleaned_data["code"])
    response = render(request, "checkin/certificate_verify_start.html", {"form": form})
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


@never_cache
@require_safe
def certificate_verify(request: HttpRequest, code: str) -> HttpResponse:
    """Valid, revoked, superseded, or unknown (404), for anyone who has the full code."""
    limited = _limited(request)
    if limited is not None:
        return limited
    certificate = certificate_get_by_code(code=code)
    response = render(
        request,
        "checkin/certificate_verify.html",
        {"certificate": certificate, "form": VerifyForm()},
        status=200 if certificate is not None else 404,
    )
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


@require_safe
@token_page
def certificate_pdf_view(
    request: HttpRequest, registration: Registration, token: str
) -> HttpResponse:
    """The participant's valid certificate as a PDF, in the page's language."""
    certificates = certificates_of_registration(registration=registration)
    if not certificates:
        raise Http404("no certificate")
    certificate = certificates[0]
    pdf = certificate_pdf(certificate=certificate, language=request.LANGUAGE_CODE)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{certificate_filename(certificate)}"'
    return response
