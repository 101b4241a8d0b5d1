"""Logging in to the back office, with a second step (a TOTP code) for accounts that set one
up, and the page where an organiser sets up an authenticator app (django-otp's TOTP device;
the QR code of the provisioning URI drawn with segno)."""

from __future__ import annotations

import base64
import io

import segno
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe
from django_otp import devices_for_user, match_token
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from kongres.accounts.services import two_factor_device_confirm
from kongres.orga.forms import TokenForm


def _next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return reverse("orga:index")


def _confirmed_devices(user) -> list:
    return list(devices_for_user(user, confirmed=True))


class LoginView(auth_views.LoginView):
    """Password first; an account with an authenticator app then gives a code."""

    template_name = "orga/login.html"
    redirect_authenticated_user = False

    def form_valid(self, form) -> HttpResponse:
        super().form_valid(form)
        target = self.get_redirect_url() or str(reverse_lazy("orga:index"))
        if _confirmed_devices(form.get_user()):
            return redirect(f"{reverse('orga:two-factor')}?next={target}")
        return HttpResponseRedirect(target)


class LogoutView(auth_views.LogoutView):
    next_page = reverse_lazy("orga:login")


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
@login_required(login_url="orga:login")
def two_factor(request: HttpRequest) -> HttpResponse:
    """The second step: a code from the authenticator app. Without an app set up yet, the
    page says so and links to the setup."""
    if request.user.is_verified():
        return redirect(_next(request))
    devices = _confirmed_devices(request.user)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and devices and form.is_valid():
        device = match_token(request.user, form.cleaned_data["token"])
        if device is not None:
            otp_login(request, device)
            return redirect(_next(request))
        form.add_error("token", _("This code is not right. Try the current one."))
    return render(
        request,
        "orga/two_factor.html",
        {"form": form, "has_device": bool(devices), "next": _next(request)},
    )


def _unconfirmed(user) -> TOTPDevice:
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    return device or TOTPDevice.objects.create(user=user, name="kongres", confirmed=False)


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
@login_required(login_url="orga:login")
def two_factor_setup(request: HttpRequest) -> HttpResponse:
    """Scan the QR code (or type the key) into an authenticator app, then give a code."""
    if _confirmed_devices(request.user):
        return render(request, "orga/two_factor_setup.html", {"done": True})
    device = _unconfirmed(request.user)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["token"]):
            two_factor_device_confirm(device=device, actor=request.user)
            otp_login(request, device)
            return redirect(_next(request))
        form.add_error("token", _("This code is not right. Try the current one."))
    secret = device.bin_key.hex() and _base32(device.bin_key)
    return render(
        request,
        "orga/two_factor_setup.html",
        {"form": form, "secret": secret, "next": _next(request)},
    )


def _base32(key: bytes) -> str:
    text = base64.b32encode(key).decode().rstrip("=")
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


@never_cache
@require_safe
@login_required(login_url="orga:login")
def two_factor_qr(request: HttpRequest) -> HttpResponse:
    """The QR code of the provisioning URI of the device being set up (SVG)."""
    device = _unconfirmed(request.user)
    buffer = io.BytesIO()
    segno.make(device.config_url, error="m").save(
        buffer, kind="svg", scale=5, border=2, xmldecl=False, svgns=True, title=_("QR code")
    )
    return HttpResponse(buffer.getvalue(), content_type="image/svg+xml")
