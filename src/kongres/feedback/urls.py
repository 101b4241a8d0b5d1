from django.urls import path
from django.utils.translation import gettext_lazy as _

from kongres.feedback import views

app_name = "feedback"

urlpatterns = [
    path(_("survey/thanks/"), views.thanks, name="thanks"),
    path(_("survey/<str:token>/"), views.survey, name="survey"),
]
