from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CheckinConfig(AppConfig):
    name = "kongres.checkin"
    verbose_name = _("Tickets and check-in")
