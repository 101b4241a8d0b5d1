"""The edition's API tokens (``kongres.api``): list, create (the key shown once), revoke.
Administrators only."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from kongres.accounts.models import ApiToken
from kongres.accounts.services import AccountsError, api_token_create, api_token_revoke
from kongres.events.ics import edition_zone
from kongres.events.models import Edition
from kongres.orga.access import orga_access_api_token, orga_view
from kongres.orga.forms import ApiTokenForm


@never_cache  # the page that shows a new key must not be kept anywhere
@require_http_methods(["GET", "HEAD", "POST"])
@orga_view("settings")
def api_tokens(request: HttpRequest, edition: Edition) -> HttpResponse:
    form = ApiTokenForm(request.POST or None)
    secret = None
    if request.method == "POST" and form.is_valid():
        expires_on = form.cleaned_data["expires_on"]
        expires_at = (
            dt.datetime.combine(expires_on, dt.time.max, tzinfo=edition_zone(edition=edition))
            if expires_on
            else None
        )
        try:
            _token, secret = api_token_create(
                edition=edition,
                name=form.cleaned_data["name"],
                scopes=form.cleaned_data["scopes"],
                expires_at=expires_at,
                actor=request.user,
            )
        except AccountsError as error:
            form.add_error("expires_on" if error.code == "invalid_expiry" else None, error.message)
        else:
            form = ApiTokenForm()
    tokens = ApiToken.objects.filter(edition=edition).select_related("created_by")
    return render(
        request,
        "orga/api_tokens.html",
        {"edition": edition, "form": form, "tokens": tokens, "secret": secret},
    )


@require_http_methods(["GET", "HEAD", "POST"])
@orga_view("settings")
def api_token_revoke_view(request: HttpRequest, edition: Edition, pk: int) -> HttpResponse:
    token = orga_access_api_token(user=request.user, edition=edition, token_id=pk)
    if request.method == "POST":
        api_token_revoke(token=token, actor=request.user)
        messages.success(request, _("The token was revoked."))
        return redirect("orga:api-tokens", edition=edition.slug)
    return render(request, "orga/api_token_revoke.html", {"edition": edition, "token": token})
