from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "kongres.accounts"
    verbose_name = _("Accounts and roles")

    def ready(self) -> None:
        from kongres.accounts.roles import access_signals  # noqa: PLC0415 -- ready()

        access_signals()
