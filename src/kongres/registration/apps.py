from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistrationConfig(AppConfig):
    name = "kongres.registration"
    verbose_name = _("Registration")

    def ready(self) -> None:
        # registered with the mail app, which knows no app above it
        from kongres.mail.services import attachment_renderer_register  # noqa: PLC0415 -- ready()
        from kongres.mail.signals import messages_sent  # noqa: PLC0415 -- ready()
        from kongres.registration.services.sessions import (  # noqa: PLC0415 -- ready()
            offer_deadlines_after_mail,
        )
        from kongres.registration.services.waiting_list import (  # noqa: PLC0415 -- ready()
            deadlines_after_mail,
        )
        from kongres.registration.tickets import TICKET_PDF_RENDERER  # noqa: PLC0415 -- ready()

        # A hold or an offer lasts its whole time from the delivery of the mail announcing it.
        messages_sent.connect(
            deadlines_after_mail, dispatch_uid="registration.deadlines_after_mail"
        )
        messages_sent.connect(
            offer_deadlines_after_mail, dispatch_uid="registration.session_offers_after_mail"
        )
        # The mail worker makes the PDF tickets of the mails that carry them.
        attachment_renderer_register(
            TICKET_PDF_RENDERER, "kongres.registration.tickets.ticket_pdf_attachment"
        )
