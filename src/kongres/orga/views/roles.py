"""Who may do what in an edition (roles, invitations) and the edition's access settings."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from kongres.accounts.invitations import invitation_create, invitation_revoke, invitations_pending
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
    orga_access_invitation,
    orga_access_role,
    orga_view,
)
from kongres.orga.forms import (
    EditionSettingsForm,
    InvitationForm,
    RoleGrantForm,
)


def _roles_page(
    request: HttpRequest,
    edition: Edition,
    *,
    form: RoleGrantForm | None = None,
    invite_form: InvitationForm | None = None,
) -> HttpResponse:
    granted = EditionRole.objects.filter(edition=edition).select_related("user", "created_by")
    return render(
        request,
        "orga/roles.html",
        {
            "edition": edition,
            "form": form or RoleGrantForm(),
            "invite_form": invite_form or InvitationForm(),
            "granted": granted,
            "invitations": invitations_pending(edition=edition),
        },
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
    return _roles_page(request, edition, form=form)


@require_http_methods(["GET", "HEAD", "POST"])
@orga_view("roles")
def invitation_create_view(request: HttpRequest, edition: Edition) -> HttpResponse:
    """Invite a person by e-mail to a role (the form is on the roles page)."""
    if request.method != "POST":
        return _roles_page(request, edition)
    invite_form = InvitationForm(request.POST)
    if invite_form.is_valid():
        try:
            invitation_create(
                edition=edition,
                email=invite_form.cleaned_data["email"],
                role=invite_form.cleaned_data["role"],
                actor=request.user,
                language=translation.get_language(),
            )
        except AccountsError as error:
            invite_form.add_error("email", error.message)
        else:
            messages.success(
                request,
                _("The invitation was sent to %(email)s.")
                % {"email": invite_form.cleaned_data["email"]},
            )
            return redirect("orga:roles", edition=edition.slug)
    return _roles_page(request, edition, invite_form=invite_form)


@require_http_methods(["GET", "HEAD", "POST"])
@orga_view("roles")
def invitation_revoke_view(request: HttpRequest, edition: Edition, pk: int) -> HttpResponse:
    invitation = orga_access_invitation(user=request.user, edition=edition, invitation_id=pk)
    if request.method == "POST":
        try:
            invitation_revoke(invitation=invitation, actor=request.user)
        except AccountsError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("The invitation was withdrawn."))
        return redirect("orga:roles", edition=edition.slug)
    return render(
        request, "orga/invitation_revoke.html", {"edition": edition, "invitation": invitation}
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
