from django.apps import AppConfig
from django.db.backends.signals import connection_created
from django.utils.translation import gettext_lazy as _


class CheckinConfig(AppConfig):
    name = "kongres.checkin"
    verbose_name = _("Tickets and check-in")

    def ready(self) -> None:
        from kongres.checkin.search import sqlite_register_fold

        # SQLite has no unaccent(): give each new connection our own folding function.
        connection_created.connect(sqlite_register_fold, dispatch_uid="kongres_checkin_fold")
