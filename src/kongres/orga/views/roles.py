"""Who may do what in an edition (roles) and the edition's access settings."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from kongres.accounts.models import EditionRole
from kongres.accounts.services import (
    AccountsError,
    edition_settings_get,
    edition_settings_update,
    role_grant,
    role_revoke,
)
from kongres.events.models import Edition
from kongres.orga.access import (
    orga_access_role,
    orga_view,
)
from kongres.orga.forms import (
    EditionSettingsForm,
    RoleGrantForm,
)


@require_http_methods(["GET", "HEAD", "POST"])
@orga_view("roles")
def roles(request: HttpRequest, edition: Edition) -> HttpResponse:
    form = RoleGrantForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            role_grant(
                edition=edition,
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
                actor=request.user,
            )
        except AccountsError as error:
            form.add_error("email", error.message)
        else:
            messages.success(request, _("The role was granted."))
            return redirect("orga:roles", edition=edition.slug)
    granted = EditionRole.objects.filter(edition=edition).select_related("user", "created_by")
    return render(
        request, "orga/roles.html", {"edition": edition, "form": form, "granted": granted}
    )


@require_http_methods(["GET", "HEAD", "POST"])
@orga_view("roles")
def role_revoke_view(request: HttpRequest, edition: Edition, pk: int) -> HttpResponse:
    role = orga_access_role(user=request.user, edition=edition, role_id=pk)
    if request.method == "POST":
        role_revoke(role=role, actor=request.user)
        messages.success(request, _("The role was taken away."))
        return redirect("orga:roles", edition=edition.slug)
    return render(request, "orga/role_revoke.html", {"edition": edition, "role": role})


@require_http_methods(["GET", "HEAD", "POST"])
@orga_view("settings")
def edition_settings(request: HttpRequest, edition: Edition) -> HttpResponse:
    current = edition_settings_get(edition=edition)
    form = EditionSettingsForm(
        request.POST if request.method == "POST" else None,
        initial={"requires_two_factor": current.requires_two_factor},
    )
    if request.method == "POST" and form.is_valid():
        edition_settings_update(
            edition=edition,
            requires_two_factor=form.cleaned_data["requires_two_factor"],
            actor=request.user,
        )
        messages.success(request, _("The settings were saved."))
        return redirect(reverse("orga:settings", kwargs={"edition": edition.slug}))
    return render(request, "orga/settings.html", {"edition": edition, "form": form})
