from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "kongres.accounts"
    verbose_name = _("Accounts and roles")

    def ready(self) -> None:
        # django-otp's plugins put their devices into the admin: the keys of the authenticator
        # apps and the recovery codes are secrets of each person, not content. The admin's
        # modules were loaded by the admin's own ready(), which runs first (INSTALLED_APPS).
        from django.contrib import admin  # noqa: PLC0415 -- AppConfig.ready
        from django_otp import device_classes  # noqa: PLC0415 -- AppConfig.ready
        from django_otp.plugins.otp_static.models import StaticToken  # noqa: PLC0415

        for model in [*device_classes(), StaticToken]:
            if admin.site.is_registered(model):
                admin.site.unregister(model)
