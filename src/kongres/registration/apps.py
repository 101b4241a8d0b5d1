from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistrationConfig(AppConfig):
    name = "kongres.registration"
    verbose_name = _("Registration")

    def ready(self) -> None:
        # registrations of this app with the mail app, which knows no app above it
        from kongres.mail.services import attachment_renderer_register, mail_context_register
        from kongres.registration.mails import MAIL_CONTEXT
        from kongres.registration.tickets import TICKET_PDF_RENDERER

        # The mail worker renders the mails written with a registration when it sends them,
        mail_context_register(MAIL_CONTEXT, "kongres.registration.mails.mail_context")
        # and makes the PDF tickets of the mails that carry them.
        attachment_renderer_register(
            TICKET_PDF_RENDERER, "kongres.registration.tickets.ticket_pdf_attachment"
        )
