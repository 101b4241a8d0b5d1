from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "kongres.core"
    verbose_name = _("Core")

    def ready(self) -> None:
        from kongres.core.cache import connect_signals

        connect_signals()
