from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CampaignsConfig(AppConfig):
    name = "kongres.campaigns"
    verbose_name = _("messages to participants")
    default_auto_field = "django.db.models.BigAutoField"
