"""Logging in to the staff areas (one login for the back office, the check-in and the admin)
and the second factor (security review 2026-12, H2): the code page after the password, which
also takes a recovery code; the page where an organiser sets up an authenticator app
(django-otp's TOTP device; the QR code of the provisioning URI drawn with segno), gets ten
recovery codes (django-otp's static device), makes new ones or removes the app; and the
"confirm your password" page those changes need when the password was entered more than five
minutes ago (``kongres.accounts.reauth``). Which sessions must give the code is decided by
``kongres.accounts.middleware.TwoFactorMiddleware``."""

from __future__ import annotations

import base64
import io

import segno
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_safe
from django_otp import login as otp_login
from django_otp import user_has_device
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from kongres.accounts import views as accounts_views
from kongres.accounts.backends import LoginThrottled
from kongres.accounts.reauth import password_entered_recently
from kongres.accounts.roles import two_factor_required_for
from kongres.accounts.services import (
    recovery_codes_generate,
    token_normalise,
    two_factor_enrol,
    two_factor_remove,
    two_factor_verify,
)
from kongres.orga.forms import PasswordConfirmForm, TokenForm


def _next(request: HttpRequest, default: str = "orga:index") -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return reverse(default)


def _with_next(name: str, target: str) -> str:
    return f"{reverse(name)}?{urlencode({'next': target})}"


def _verified(request: HttpRequest, device) -> None:
    """The session has given its second factor: a new session key for the raised rights."""
    request.session.cycle_key()
    otp_login(request, device)


class LoginView(accounts_views.LoginView):
    """Password first; an account that must use two factors then gives a code (or, without an
    app yet, sets one up: the password it has just entered counts as recent)."""

    template_name = "orga/login.html"
    redirect_authenticated_user = False

    def form_valid(self, form) -> HttpResponse:
        super().form_valid(form)
        target = self.get_redirect_url() or str(reverse_lazy("orga:index"))
        user = form.get_user()
        if two_factor_required_for(user=user):
            step = "orga:two-factor" if user_has_device(user) else "orga:two-factor-setup"
            return redirect(_with_next(step, target))
        return HttpResponseRedirect(target)


class LogoutView(auth_views.LogoutView):
    next_page = reverse_lazy("orga:login")


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
@login_required(login_url="orga:login")
def two_factor(request: HttpRequest) -> HttpResponse:
    """The second step: a code from the authenticator app, or one of the recovery codes.
    Without an app set up yet, the page says so and links to the setup."""
    if request.user.is_verified():
        return redirect(_next(request))
    has_device = user_has_device(request.user)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and has_device and form.is_valid():
        device = two_factor_verify(user=request.user, token=form.cleaned_data["token"])
        if device is not None:
            _verified(request, device)
            return redirect(_next(request))
        form.add_error("token", _("This code is not right. Try the current one."))
    return render(
        request,
        "orga/two_factor.html",
        {
            "form": form,
            "has_device": has_device,
            "required": two_factor_required_for(user=request.user),
            "next": _next(request),
        },
    )


def _unconfirmed(user) -> TOTPDevice:
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    return device or TOTPDevice.objects.create(user=user, name="kongres", confirmed=False)


def _confirm_password_first(request: HttpRequest) -> HttpResponse:
    return redirect(_with_next("orga:confirm-password", request.get_full_path()))


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
@login_required(login_url="orga:login")
def two_factor_setup(request: HttpRequest) -> HttpResponse:
    """Without an app: scan the QR code (or type the key) into an authenticator app, then give
    a code; the recovery codes are shown once. With one: new recovery codes, or remove the app
    (a verified session only). Both need the password entered in the last five minutes."""
    if user_has_device(request.user):
        return _two_factor_manage(request)
    if not password_entered_recently(request):
        return _confirm_password_first(request)
    device = _unconfirmed(request.user)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(token_normalise(form.cleaned_data["token"])):
            codes = two_factor_enrol(device=device, actor=request.user)
            _verified(request, device)
            return _recovery_codes_page(request, codes, next_url=_next(request))
        form.add_error("token", _("This code is not right. Try the current one."))
    return render(
        request,
        "orga/two_factor_setup.html",
        {"form": form, "secret": _base32(device.bin_key), "next": _next(request)},
    )


def _two_factor_manage(request: HttpRequest) -> HttpResponse:
    user = request.user
    verified = user.is_verified()
    if request.method == "POST":
        if not verified:
            return redirect(_with_next("orga:two-factor", request.get_full_path()))
        if not password_entered_recently(request):
            return _confirm_password_first(request)
        action = request.POST.get("action")
        if action == "recovery-codes":
            codes = recovery_codes_generate(user=user, actor=user)
            return _recovery_codes_page(request, codes, next_url=reverse("orga:two-factor-setup"))
        if action == "remove":
            two_factor_remove(user=user, actor=user)
            messages.success(request, _("The authenticator app and the recovery codes are gone."))
            return redirect("orga:index")
    remaining = StaticToken.objects.filter(device__user=user, device__confirmed=True).count()
    return render(
        request,
        "orga/two_factor_setup.html",
        {"done": True, "verified": verified, "remaining": remaining},
    )


def _recovery_codes_page(request: HttpRequest, codes: list[str], *, next_url: str) -> HttpResponse:
    """The recovery codes, shown this once (the answer to the POST that made them)."""
    return render(request, "orga/recovery_codes.html", {"codes": codes, "next": next_url})


def _base32(key: bytes) -> str:
    text = base64.b32encode(key).decode().rstrip("=")
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


@never_cache
@require_safe
@login_required(login_url="orga:login")
def two_factor_qr(request: HttpRequest) -> HttpResponse:
    """The QR code of the provisioning URI of the device being set up (SVG)."""
    if user_has_device(request.user):
        raise Http404("an app is set up already")
    if not password_entered_recently(request):
        return _confirm_password_first(request)
    device = _unconfirmed(request.user)
    buffer = io.BytesIO()
    segno.make(device.config_url, error="m").save(
        buffer, kind="svg", scale=5, border=2, xmldecl=False, svgns=True, title=_("QR code")
    )
    return HttpResponse(buffer.getvalue(), content_type="image/svg+xml")


@never_cache
@sensitive_post_parameters("password")
@require_http_methods(["GET", "HEAD", "POST"])
@login_required(login_url="orga:login")
def confirm_password(request: HttpRequest) -> HttpResponse:
    """The password again, before the second factor changes (throttled as a login is)."""
    form = PasswordConfirmForm(request.POST or None, request=request)
    throttled: LoginThrottled | None = None
    if request.method == "POST":
        try:
            if form.is_valid():
                return redirect(_next(request, default="orga:two-factor-setup"))
        except LoginThrottled as error:
            form.add_error(None, error.message)
            throttled = error
    response = render(
        request,
        "orga/confirm_password.html",
        {"form": form, "next": _next(request, default="orga:two-factor-setup")},
        status=429 if throttled else 200,
    )
    if throttled:
        response["Retry-After"] = str(throttled.retry_after)
    return response
