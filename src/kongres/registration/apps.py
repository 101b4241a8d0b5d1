from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistrationConfig(AppConfig):
    name = "kongres.registration"
    verbose_name = _("Registration")

    def ready(self) -> None:
        from kongres.mail.services import mail_context_register
        from kongres.registration.mails import MAIL_CONTEXT

        # The mail worker renders the mails written with a registration when it sends them.
        mail_context_register(MAIL_CONTEXT, "kongres.registration.mails.mail_context")
