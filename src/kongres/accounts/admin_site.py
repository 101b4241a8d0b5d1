"""The Django admin is for superusers only (security review 2026-12, H1).

The admin knows no editions: its permissions are global. Participants' data is therefore
handled in the back office (``/orga/``), under the per-edition roles (``roles.py``), and the
admin is kept for what only a superuser does (content, settings, accounts). Staff who are not
superusers are sent to the admin's login page, whose form refuses them (with the generic
message, and a pointer to the back office).

``admin_config.KongresAdminConfig`` (in ``INSTALLED_APPS`` instead of ``django.contrib.admin``)
makes ``KongresAdminSite`` the default site, so ``admin.site`` and ``@admin.register`` of every
app use it unchanged. The models of django-otp (the two-factor devices) are not in it."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.exceptions import ValidationError
from django.http import HttpRequest


def admin_allowed(user) -> bool:
    """May ``user`` use the admin: an active superuser."""
    return bool(user.is_active and user.is_superuser)


class SuperuserAuthenticationForm(AdminAuthenticationForm):
    def confirm_login_allowed(self, user) -> None:
        super().confirm_login_allowed(user)
        if not admin_allowed(user):
            raise ValidationError(
                self.error_messages["invalid_login"],
                code="invalid_login",
                params={"username": self.username_field.verbose_name},
            )


class KongresAdminSite(admin.AdminSite):
    site_header = site_title = "kongres"
    login_form = SuperuserAuthenticationForm
    login_template = "admin/kongres_login.html"

    def has_permission(self, request: HttpRequest) -> bool:
        return admin_allowed(request.user)
