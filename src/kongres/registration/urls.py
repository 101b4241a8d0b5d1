from django.urls import path
from django.utils.translation import gettext_lazy as _

from kongres.registration import views

app_name = "registration"

urlpatterns = [
    path(_("registration/"), views.register, name="register"),
]
