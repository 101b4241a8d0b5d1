from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrgaConfig(AppConfig):
    name = "kongres.orga"
    verbose_name = _("Back office")
