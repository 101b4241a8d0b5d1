"""The page an invitation's link opens (``accounts.invitations``): a new account sets its
password there; someone with an account of the invited address signs in and accepts. The link
is the key: the page answers the same to everyone who has it, and says clearly when it is
used, withdrawn or expired."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, login
from django.contrib.auth.views import redirect_to_login
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from kongres.accounts.invitations import (
    invitation_accept,
    invitation_accept_new_account,
    invitation_get,
)
from kongres.accounts.services import AccountsError
from kongres.orga.forms import InvitationAcceptForm

TEMPLATE = "orga/invitation_accept.html"
GONE = frozenset({"used", "revoked", "expired"})


@never_cache
@sensitive_post_parameters("password1", "password2")
@require_http_methods(["GET", "HEAD", "POST"])
def invitation_accept_view(request: HttpRequest, token: str) -> HttpResponse:
    try:
        invitation = invitation_get(token=token)
    except AccountsError as error:
        status = 410 if error.code in GONE else 404
        return render(request, TEMPLATE, {"error": error.message}, status=status)
    context = {"invitation": invitation}
    user = request.user
    if user.is_authenticated:
        if user.email.lower() != invitation.email.lower():
            return render(request, TEMPLATE, {**context, "other_account": True})
        if request.method == "POST":
            return _accepted(request, lambda: invitation_accept(token=token, user=user))
        return render(request, TEMPLATE, {**context, "accept": True})
    same_address = Q(username__iexact=invitation.email) | Q(email__iexact=invitation.email)
    if get_user_model().objects.filter(same_address).exists():
        if request.method == "POST":
            return redirect_to_login(request.path, reverse("orga:login"))
        return render(request, TEMPLATE, {**context, "sign_in": True})
    form = InvitationAcceptForm(request.POST or None, email=invitation.email)
    if request.method == "POST" and form.is_valid():
        try:
            new_user = invitation_accept_new_account(
                token=token,
                first_name=form.cleaned_data["first_name"],
                last_name=form.cleaned_data["last_name"],
                password=form.cleaned_data["password1"],
            )
        except AccountsError as error:
            form.add_error(None, error.message)
        else:
            login(request, new_user, backend=settings.AUTHENTICATION_BACKENDS[0])
            messages.success(request, _("Welcome! Your account is ready and the role is yours."))
            return redirect("orga:index")
    return render(request, TEMPLATE, {**context, "form": form})


def _accepted(request: HttpRequest, accept) -> HttpResponse:
    try:
        accept()
    except AccountsError as error:
        return render(request, TEMPLATE, {"error": error.message}, status=410)
    messages.success(request, _("The invitation was accepted: the role is yours."))
    return redirect("orga:index")
