from django.apps import AppConfig
from django.db.backends.signals import connection_created
from django.utils.translation import gettext_lazy as _


class CheckinConfig(AppConfig):
    name = "kongres.checkin"
    verbose_name = _("Tickets and check-in")

    def ready(self) -> None:
        from kongres.checkin.search import sqlite_register_fold
        from kongres.mail.services import attachment_renderer_register

        # The mail worker makes the PDF tickets of the mails that carry them when it sends them.
        attachment_renderer_register(
            "checkin.ticket_pdf", "kongres.checkin.tickets.ticket_pdf_attachment"
        )

        # SQLite has no unaccent(): give each new connection our own folding function.
        connection_created.connect(sqlite_register_fold, dispatch_uid="kongres_checkin_fold")
