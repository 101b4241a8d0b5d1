from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FeedbackConfig(AppConfig):
    name = "kongres.feedback"
    verbose_name = _("feedback survey")
    default_auto_field = "django.db.models.BigAutoField"
