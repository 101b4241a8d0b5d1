"""The admin's app config: ``KongresAdminSite`` (``admin_site.py``) as the default site. A
module of its own, imported while the apps load (before any model may be imported)."""

from django.apps import apps
from django.contrib import admin
from django.contrib.admin.apps import AdminConfig

# Apps whose models the admin never shows (their own admin.py registers them on admin.site).
HIDDEN_APPS = frozenset({"otp_totp", "otp_static", "otp_email", "otp_hotp"})


class KongresAdminConfig(AdminConfig):
    default_site = "kongres.accounts.admin_site.KongresAdminSite"

    def ready(self) -> None:
        super().ready()  # autodiscover: every app's admin.py registers on this site
        for config in apps.get_app_configs():
            if config.label in HIDDEN_APPS:
                for model in config.get_models():
                    if admin.site.is_registered(model):
                        admin.site.unregister(model)
