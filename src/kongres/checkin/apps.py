from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CheckinConfig(AppConfig):
    name = "kongres.checkin"
    verbose_name = _("Tickets and check-in")

    def ready(self) -> None:
        from kongres.checkin.certificates import CERTIFICATE_PDF_RENDERER  # noqa: PLC0415
        from kongres.mail.services import attachment_renderer_register  # noqa: PLC0415

        # The mail worker makes the PDF of a certificate when it sends the mail carrying it.
        attachment_renderer_register(
            CERTIFICATE_PDF_RENDERER, "kongres.checkin.certificates.certificate_pdf_attachment"
        )
