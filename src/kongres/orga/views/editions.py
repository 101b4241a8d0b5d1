"""The back office's start page: the editions a user works on."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from kongres.accounts.roles import editions_of


@require_safe
@login_required(login_url="orga:login")
def index(request: HttpRequest) -> HttpResponse:
    """The editions where the user has a role, with the pages each role opens."""
    return render(request, "orga/index.html", {"editions": editions_of(user=request.user)})


# -- participants ------------------------------------------------------------------------------
