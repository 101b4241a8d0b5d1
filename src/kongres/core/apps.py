from django.apps import AppConfig
from django.db.backends.signals import connection_created
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "kongres.core"
    verbose_name = _("Core")

    def ready(self) -> None:
        from kongres.core.cache import connect_signals  # noqa: PLC0415 -- ready()
        from kongres.core.search import sqlite_register_fold  # noqa: PLC0415 -- ready()

        connect_signals()
        # SQLite has no unaccent(): give each new connection our own folding function.
        connection_created.connect(sqlite_register_fold, dispatch_uid="kongres_core_fold")
